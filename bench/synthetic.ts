// Synthetic FeedEvent streams for benchmarks: N positions over 4 currencies, marks, ticks, greeks and some fills.
import type { Contract } from '../src/model/contract.js';
import type { FeedEvent, FeedEventBody } from '../src/model/events.js';
import { Decimal } from '../src/model/money.js';
import { mulberry32 } from '../src/sim/random.js';

const CCYS = ['USD', 'EUR', 'JPY', 'GBP'] as const;
const ACCOUNT = 'DU1234567';

/** The simulator's seeded mulberry32 stream, as a plain function. */
function rng(seed: number): () => number {
  const r = mulberry32(seed);
  return () => r.next();
}

export interface SyntheticOptions {
  readonly events: number;
  readonly positions: number;
  readonly seed?: number;
  readonly startMs?: number;
}

/**
 * Yields `events` events: an account download for every position first, then a live mix of about 45% portfolio
 * marks, 35% price ticks, 10% option computations, 9.7% account values and 0.3% fills (3,000 fills per million
 * events: a very busy day; every fill stays in state, as TWS keeps the day's executions).
 */
export function* syntheticEvents(opts: SyntheticOptions): Generator<FeedEvent> {
  const rand = rng(opts.seed ?? 42);
  let seq = 0;
  let t = opts.startMs ?? Date.UTC(2026, 10, 23, 14, 30);
  const contracts: Contract[] = [];
  const prices: number[] = [];
  const qty: Decimal[] = [];
  for (let i = 0; i < opts.positions; i++) {
    const isOpt = i % 5 === 4;
    contracts.push({
      conId: 100_000 + i,
      symbol: `SYM${i}`,
      secType: isOpt ? 'OPT' : 'STK',
      currency: CCYS[i % CCYS.length]!,
      exchange: 'SMART',
      ...(isOpt ? { expiry: '20261218', strike: new Decimal(100), right: 'C' as const, multiplier: new Decimal(100) } : {}),
    });
    prices.push(isOpt ? 5 + rand() * 10 : 20 + rand() * 300);
    qty.push(new Decimal(Math.floor(rand() * 2000) - 1000 || 1));
  }
  const make = (b: FeedEventBody): FeedEvent => {
    t += 1;
    return { ...b, seq: ++seq, receivedAt: t } as FeedEvent;
  };
  const portfolioRow = (i: number): FeedEventBody => {
    const c = contracts[i]!;
    const px = new Decimal(prices[i]!.toFixed(2));
    const mv = px.mul(qty[i]!).mul(c.multiplier ?? 1);
    return {
      type: 'portfolioUpdated',
      account: ACCOUNT,
      contract: c,
      position: qty[i]!,
      marketPrice: px,
      marketValue: mv,
      averageCost: px,
      unrealizedPnl: new Decimal(0),
      realizedPnl: new Decimal(0),
    };
  };
  if (seq < opts.events) yield make({ type: 'snapshotRequested', snapshot: 'account' });
  for (let i = 0; i < opts.positions && seq < opts.events; i++) yield make(portfolioRow(i));
  for (const c of CCYS)
    if (seq < opts.events) yield make({ type: 'accountValueUpdated', account: ACCOUNT, key: 'ExchangeRate', currency: c, value: String(1 + rand()) });
  if (seq < opts.events) yield make({ type: 'accountDownloadEnded', account: ACCOUNT });
  let orderId = 1_000_000;
  while (seq < opts.events) {
    const r = rand();
    const i = Math.floor(rand() * opts.positions);
    prices[i] = prices[i]! * (1 + (rand() - 0.5) * 0.002);
    if (r < 0.45) {
      yield make(portfolioRow(i));
    } else if (r < 0.8) {
      yield make({
        type: 'priceTicked',
        conId: contracts[i]!.conId,
        field: rand() < 0.5 ? 'bid' : 'ask',
        price: new Decimal(prices[i]!.toFixed(2)),
        delayed: false,
      });
    } else if (r < 0.9) {
      yield make({
        type: 'optionComputed',
        conId: contracts[i]!.conId,
        kind: 'model',
        delayed: false,
        impliedVol: 0.2 + rand() * 0.1,
        delta: rand(),
        gamma: rand() * 0.05,
        vega: rand(),
        theta: -rand(),
        optionPrice: prices[i]!,
        underlyingPrice: 100 + rand(),
      });
    } else if (r < 0.997) {
      const tag = ['NetLiquidation', 'ExcessLiquidity', 'MaintMarginReq', 'CashBalance'][Math.floor(rand() * 4)]!;
      yield make({ type: 'accountValueUpdated', account: ACCOUNT, key: tag, currency: CCYS[Math.floor(rand() * 4)]!, value: (rand() * 1e6).toFixed(2) });
    } else {
      const id = ++orderId;
      const c = contracts[i]!;
      const q = new Decimal(Math.floor(rand() * 100) + 1);
      const px = new Decimal(prices[i]!.toFixed(2));
      yield make({
        type: 'orderStatusUpdated',
        orderId: id,
        clientId: 17,
        permId: id,
        status: 'Filled',
        filled: q,
        remaining: new Decimal(0),
        avgFillPrice: px,
      });
      if (seq < opts.events) {
        yield make({
          type: 'executionReceived',
          reqId: -1,
          execId: `E${id}`,
          orderId: id,
          clientId: 17,
          permId: id,
          account: ACCOUNT,
          contract: c,
          side: 'BOT',
          shares: q,
          price: px,
          cumQty: q,
          avgPrice: px,
          time: '20261123 10:00:00',
        });
      }
    }
  }
}
