// The reducer shares unchanged values between a row and the row it replaces, and stamps its own fresh results:
// neither may show in what the state says, nor touch an earlier state.
import { describe, expect, it } from 'vitest';
import { decodeEvent, encodeState } from '../../src/model/codec.js';
import type { FeedEvent } from '../../src/model/events.js';
import { reduce, reduceAll } from '../../src/model/reducer.js';
import { EventLog, option, portfolio } from '../support/events.js';

const ACC = 'DU1234567';
/** An event as a replay reads it: decoded from its JSON, so every contract and Decimal is a fresh object. */
const decoded = (ev: FeedEvent): FeedEvent => decodeEvent(JSON.parse(JSON.stringify(ev)));

describe('row sharing', () => {
  const log = new EventLog();
  const call = option(700001, 'AAPL', '20261218', '200.5', 'C');
  const first = decoded(log.push(portfolio(ACC, call, '-3', '7.35', '9.10')));
  const second = decoded(log.push(portfolio(ACC, call, '-3', '7.40', '9.10')));
  const moved = decoded(log.push(portfolio(ACC, { ...call, exchange: 'CBOE' }, '-4', '7.40', '9.10')));

  it('keeps the earlier contract and Decimals for what did not change, and takes what did', () => {
    const s1 = reduceAll([first]);
    const s2 = reduce(s1, second);
    const r1 = s1.portfolio.get(700001)!;
    const r2 = s2.portfolio.get(700001)!;
    expect(r2.contract).toBe(r1.contract);
    expect(r2.position).toBe(r1.position);
    expect(r2.averageCost).toBe(r1.averageCost);
    expect(r2.marketPrice).not.toBe(r1.marketPrice);
    expect(r2.marketPrice!.toString()).toBe('7.4');
    const s3 = reduce(s2, moved);
    const r3 = s3.portfolio.get(700001)!;
    expect(r3.contract).not.toBe(r1.contract);
    expect(r3.contract.exchange).toBe('CBOE');
    expect(r3.position.toString()).toBe('-4');
  });

  it('gives the state the same JSON as rows copied from their events would', () => {
    const s = reduceAll([first, second, moved]);
    const { type: _t, seq: _s, receivedAt, ...fields } = moved as Extract<FeedEvent, { type: 'portfolioUpdated' }>;
    const row = encodeState(s) as { portfolio: [number, unknown][] };
    // Compared as text: the keys' order too (a keyframe is the state's JSON, and rows are built field by field).
    expect(JSON.stringify(row.portfolio)).toBe(JSON.stringify([[700001, { ...fields, updatedAt: receivedAt }]]));
  });

  it('stamps each new state without changing the one before', () => {
    const s1 = reduceAll([first]);
    const before = JSON.stringify(encodeState(s1));
    const s2 = reduce(s1, second);
    expect(s2).not.toBe(s1);
    expect([s1.lastSeq, s2.lastSeq]).toEqual([first.seq, second.seq]);
    expect([s1.lastEventAt, s2.lastEventAt]).toEqual([first.receivedAt, second.receivedAt]);
    expect(JSON.stringify(encodeState(s1))).toBe(before);
    expect(reduce(s2, second)).toBe(s2);
  });
});
