// The dividends a stock's tick 59 reports: one row per stock, replaced whole, unchanged repeats keep its identity.
import { describe, expect, it } from 'vitest';
import { decodeState, encodeState } from '../../src/model/codec.js';
import type { FeedEventBody } from '../../src/model/events.js';
import { dec } from '../../src/model/money.js';
import { reduce, reduceAll } from '../../src/model/reducer.js';
import { INITIAL_STATE } from '../../src/model/state.js';
import { EventLog } from '../support/events.js';

const announced: FeedEventBody = {
  type: 'dividendsReceived',
  conId: 265598,
  past12Months: dec('1.00'),
  next12Months: dec('1.04'),
  nextExDate: '2027-02-08',
  nextAmount: dec('0.26'),
};

describe('dividendsReceived', () => {
  it('keeps the row per stock and stamps market data as updated', () => {
    const log = new EventLog();
    const s = reduceAll(log.pushAll([announced]));
    expect(s.dividends.get(265598)).toEqual({
      conId: 265598,
      past12Months: dec('1.00'),
      next12Months: dec('1.04'),
      nextExDate: '2027-02-08',
      nextAmount: dec('0.26'),
      updatedAt: log.events[0]!.receivedAt,
    });
    expect(s.lastUpdate.marketData).toBe(log.events[0]!.receivedAt);
  });

  it('an unchanged repeat (1.0 as 1.00 too) keeps the same row and map, so the risk engine skips it', () => {
    const log = new EventLog();
    const s1 = reduceAll(log.pushAll([announced]));
    const s2 = reduce(s1, log.push({ ...announced, past12Months: dec('1.0') } as FeedEventBody));
    expect(s2.dividends).toBe(s1.dividends);
  });

  it('a tick with no next dividend replaces the row whole: the paid one is gone', () => {
    const log = new EventLog();
    const s = reduceAll(log.pushAll([announced, { type: 'dividendsReceived', conId: 265598, past12Months: dec('1.04') }]));
    const row = s.dividends.get(265598)!;
    expect(row.nextExDate).toBeUndefined();
    expect(row.nextAmount).toBeUndefined();
    expect(row.past12Months).toEqual(dec('1.04'));
  });

  it('survives a keyframe with its Decimals, and a state without any leaves keyframes as they were', () => {
    const log = new EventLog();
    const s = reduceAll(log.pushAll([announced]));
    const back = decodeState(JSON.parse(JSON.stringify(encodeState(s))));
    expect(back.dividends.get(265598)?.nextAmount?.equals(dec('0.26'))).toBe(true);
    expect(back.dividends.get(265598)?.nextExDate).toBe('2027-02-08');
    expect(Object.keys(encodeState(INITIAL_STATE) as object)).not.toContain('dividends');
    expect(decodeState(JSON.parse(JSON.stringify(encodeState(INITIAL_STATE)))).dividends.size).toBe(0);
  });
});
