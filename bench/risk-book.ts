// A synthetic multi-currency book for the risk benchmark (and the grid's equality test): stocks, options, bonds, futures.
import type { Contract } from '../src/model/contract.js';
import type { FeedEvent, FeedEventBody } from '../src/model/events.js';
import { Decimal } from '../src/model/money.js';
import { mulberry32 } from '../src/sim/random.js';

export const RISK_ACCOUNT = 'DU7654321';
export const RISK_CURRENCIES = ['USD', 'EUR', 'GBP', 'JPY', 'CHF', 'CAD', 'AUD', 'HKD'] as const;
const FX: Record<string, number> = { USD: 1, EUR: 1.08, GBP: 1.27, JPY: 0.0067, CHF: 1.13, CAD: 0.73, AUD: 0.66, HKD: 0.128 };

/** The simulator's seeded mulberry32 stream, as a plain function. */
function rng(seed: number): () => number {
  const r = mulberry32(seed);
  return () => r.next();
}

export interface RiskBookOptions {
  readonly positions: number;
  readonly options: number;
  readonly underlyings: number;
  /** Valuation time; expiries are placed 2 weeks to 14 months after it. */
  readonly now: number;
  readonly seed?: number;
}

/** What the generator made: the events and, per underlying, its stock conId and its options' conIds. */
export interface RiskBook {
  readonly events: FeedEvent[];
  readonly underlyings: readonly { readonly stock: number; readonly symbol: string; readonly price: number; readonly options: readonly number[] }[];
}

const d = (x: number, places = 2) => new Decimal(x.toFixed(places));

/**
 * `underlyings` stocks (each held) with `options` options spread over them, and the rest of `positions`
 * as other stocks, bonds and futures, over 8 currencies; cash per currency (some negative) and account
 * values that roughly match (NetLiquidation, requirements).
 */
export function riskBookEvents(o: RiskBookOptions): RiskBook {
  const rand = rng(o.seed ?? 7);
  const bodies: FeedEventBody[] = [];
  const acct = (key: string, value: string, currency: string) => bodies.push({ type: 'accountValueUpdated', account: RISK_ACCOUNT, key, value, currency });
  const underlyings: { stock: number; symbol: string; price: number; options: number[] }[] = [];
  const rows: FeedEventBody[] = [];
  const side: FeedEventBody[] = [];
  let conId = 1_000_000;
  let nlv = 0;
  let gross = 0;
  const hold = (c: Contract, qty: number, price: number) => {
    const mult = c.multiplier?.toNumber() ?? 1;
    const value = qty * price * mult * (c.secType === 'FUT' ? 0 : 1);
    nlv += value * FX[c.currency]!;
    gross += Math.abs(qty * price * mult) * FX[c.currency]!;
    rows.push({
      type: 'portfolioUpdated',
      account: RISK_ACCOUNT,
      contract: c,
      position: d(qty, 0),
      marketPrice: d(price, 4),
      marketValue: d(value),
      averageCost: d(price * mult, 4),
      unrealizedPnl: d(0),
      realizedPnl: d(0),
    });
  };
  for (let u = 0; u < o.underlyings; u++) {
    const currency = RISK_CURRENCIES[u % RISK_CURRENCIES.length]!;
    const symbol = `U${u}`;
    const price = currency === 'JPY' ? 1000 + rand() * 9000 : 20 + rand() * 400;
    const stock: Contract = { conId: ++conId, symbol, secType: 'STK', currency, exchange: 'SMART' };
    hold(stock, Math.round(100 + rand() * 900), price);
    side.push({ type: 'priceTicked', conId: stock.conId, field: 'mark', price: d(price, 4), delayed: false });
    underlyings.push({ stock: stock.conId, symbol, price, options: [] });
  }
  for (let i = 0; i < o.options; i++) {
    const u = underlyings[i % underlyings.length]!;
    const currency = RISK_CURRENCIES[(i % underlyings.length) % RISK_CURRENCIES.length]!;
    const right = rand() < 0.5 ? 'C' : 'P';
    const strike = Math.round(u.price * (0.8 + rand() * 0.4) * 100) / 100;
    const expiry = new Date(o.now + (14 + rand() * 410) * 86_400_000);
    const ymd = `${expiry.getUTCFullYear()}${String(expiry.getUTCMonth() + 1).padStart(2, '0')}${String(expiry.getUTCDate()).padStart(2, '0')}`;
    const c: Contract = {
      conId: ++conId,
      symbol: u.symbol,
      secType: 'OPT',
      currency,
      expiry: ymd,
      strike: d(strike),
      right,
      multiplier: new Decimal(100),
    };
    const iv = 0.15 + rand() * 0.45;
    const mark = Math.max(0.05, Math.abs(u.price - strike) * 0.5 + u.price * iv * 0.1);
    hold(c, rand() < 0.4 ? -Math.ceil(rand() * 10) : Math.ceil(rand() * 20), mark);
    side.push({
      type: 'optionComputed',
      conId: c.conId,
      kind: 'model',
      delayed: false,
      impliedVol: iv,
      underlyingPrice: u.price,
      pvDividend: rand() < 0.3 ? u.price * 0.01 : 0,
      optionPrice: mark,
    });
    u.options.push(c.conId);
  }
  const others = o.positions - o.underlyings - o.options;
  for (let i = 0; i < others; i++) {
    const currency = RISK_CURRENCIES[i % RISK_CURRENCIES.length]!;
    const kind = i % 25 === 0 ? 'BOND' : i % 25 === 1 ? 'FUT' : 'STK';
    if (kind === 'FUT') {
      const c: Contract = { conId: ++conId, symbol: `F${i}`, secType: 'FUT', currency, expiry: '202712', multiplier: new Decimal(50) };
      hold(c, rand() < 0.5 ? -2 : 3, 1000 + rand() * 5000);
    } else if (kind === 'BOND') {
      const c: Contract = { conId: ++conId, symbol: `B${i}`, secType: 'BOND', currency, multiplier: new Decimal('0.01') };
      hold(c, 10_000 * Math.ceil(rand() * 10), 90 + rand() * 15);
    } else {
      const c: Contract = { conId: ++conId, symbol: `S${i}`, secType: 'STK', currency, exchange: 'SMART' };
      const price = currency === 'JPY' ? 500 + rand() * 5000 : 5 + rand() * 300;
      hold(c, rand() < 0.15 ? -Math.round(50 + rand() * 500) : Math.round(50 + rand() * 2000), price);
    }
  }
  // Cash: a margin loan in USD and JPY, balances elsewhere.
  let cashBase = 0;
  for (const c of RISK_CURRENCIES) {
    const local = c === 'USD' ? -0.3 * gross : c === 'JPY' ? -2e7 : 50_000 + rand() * 200_000;
    cashBase += local * FX[c]!;
    acct('CashBalance', local.toFixed(2), c);
    if (c !== 'USD') acct('ExchangeRate', String(FX[c]), c);
  }
  const netLiq = nlv + cashBase;
  acct('NetLiquidation', netLiq.toFixed(2), 'USD');
  acct('EquityWithLoanValue', netLiq.toFixed(2), 'USD');
  acct('MaintMarginReq', (gross * 0.2).toFixed(2), 'USD');
  acct('InitMarginReq', (gross * 0.35).toFixed(2), 'USD');
  let seq = 0;
  const events = [...bodies, ...rows, ...side].map((b) => ({ ...b, seq: ++seq, receivedAt: o.now - 60_000 + seq }) as FeedEvent);
  return { events, underlyings };
}

/** Events for one underlying's tick: a new mark for the stock and fresh model values for each of its options. */
export function underlyingTick(book: RiskBook, u: number, move: number, at: number, seq: number): FeedEvent[] {
  const und = book.underlyings[u]!;
  const price = und.price * (1 + move);
  const out: FeedEvent[] = [{ type: 'priceTicked', conId: und.stock, field: 'mark', price: d(price, 4), delayed: false, seq, receivedAt: at }];
  for (const c of und.options) {
    out.push({ type: 'optionComputed', conId: c, kind: 'model', delayed: false, impliedVol: 0.3 + move, underlyingPrice: price, seq: ++seq, receivedAt: at });
  }
  return out;
}
