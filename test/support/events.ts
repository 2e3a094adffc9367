// Test helpers: build FeedEvents with a gap-free seq and a controllable clock.
import type { Contract } from '../../src/model/contract.js';
import type { FeedEvent, FeedEventBody } from '../../src/model/events.js';
import { dec } from '../../src/model/money.js';

/** Stamps bodies with seq 1.. and receivedAt t0 + 10 ms per event (or an explicit time). */
export class EventLog {
  readonly events: FeedEvent[] = [];
  private seq = 0;
  constructor(private t: number = Date.UTC(2026, 10, 23, 14, 30)) {}

  push(body: FeedEventBody, at?: number): FeedEvent {
    this.t = at ?? this.t + 10;
    const ev = { ...body, seq: ++this.seq, receivedAt: this.t } as FeedEvent;
    this.events.push(ev);
    return ev;
  }

  pushAll(bodies: readonly FeedEventBody[]): FeedEvent[] {
    return bodies.map((b) => this.push(b));
  }
}

export function stock(conId: number, symbol: string, currency: string, exchange = 'SMART'): Contract {
  return { conId, symbol, secType: 'STK', currency, exchange };
}

export function option(conId: number, symbol: string, expiry: string, strike: string, right: 'C' | 'P', currency = 'USD'): Contract {
  return { conId, symbol, secType: 'OPT', currency, expiry, strike: dec(strike), right, multiplier: dec('100') };
}

export function acct(account: string, key: string, value: string, currency: string): FeedEventBody {
  return { type: 'accountValueUpdated', account, key, value, currency };
}

export function portfolio(account: string, contract: Contract, position: string, price: string, avgCost = price): FeedEventBody {
  const mult = contract.multiplier ?? dec(1);
  const value = dec(position).mul(price).mul(mult);
  return {
    type: 'portfolioUpdated',
    account,
    contract,
    position: dec(position),
    marketPrice: dec(price),
    marketValue: value,
    averageCost: dec(avgCost).mul(mult),
    unrealizedPnl: dec(price).sub(avgCost).mul(position).mul(mult),
    realizedPnl: dec(0),
  };
}
