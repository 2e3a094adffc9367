// IB Dividends (generic tick 456 → tick 59) from the wire to the state, the recording and the risk engine.
import { afterEach, describe, expect, it } from 'vitest';
import { decodeEvent, encodeEvent } from '../../src/model/codec.js';
import type { FeedEvent } from '../../src/model/events.js';
import { dec } from '../../src/model/money.js';
import { reduceAll } from '../../src/model/reducer.js';
import { createStressRunner } from '../../src/session/stress-model.js';
import { startSimulator, type Simulator } from '../../src/sim/index.js';
import type { Feed } from '../../src/streams/feed.js';
import { dividendsBody } from '../../src/streams/tws/map.js';
import { T0, waitFor } from '../sim/helpers.js';
import { startFrameProxy } from '../support/hostile-peer.js';
import { connectFeed } from '../support/sim-feed.js';

const AAPL = 265598;
const TSLA = 76792991;
const AAPL_CALL = 734559211;
const AAPL_PUT = 734559377;

describe('dividendsBody: the value of tick 59', () => {
  it('reads "past12Months,next12Months,YYYYMMDD,amount" into Decimals and an ISO ex-date', () => {
    expect(dividendsBody(5, '0.83,0.92,20130219,0.23')).toEqual({
      body: { type: 'dividendsReceived', conId: 5, past12Months: dec('0.83'), next12Months: dec('0.92'), nextExDate: '2013-02-19', nextAmount: dec('0.23') },
    });
  });

  it('a payer with nothing announced has no next dividend; empty sums are left out', () => {
    expect(dividendsBody(5, '0.83,0.92,,')).toEqual({ body: { type: 'dividendsReceived', conId: 5, past12Months: dec('0.83'), next12Months: dec('0.92') } });
    expect(dividendsBody(5, ',,20130219,0.23')).toEqual({ body: { type: 'dividendsReceived', conId: 5, nextExDate: '2013-02-19', nextAmount: dec('0.23') } });
  });

  it.each([
    ['', /4 comma-separated fields/],
    ['0.83,0.92,20130219', /4 comma-separated fields/],
    ['0.83,0.92,20130219,0.23,1', /4 comma-separated fields/],
    ['-0.83,0.92,20130219,0.23', /past12Months "-0.83"/],
    ['0.83,0.92,20130219,-0.23', /nextDividendAmount "-0.23"/],
    ['0.83,abc,20130219,0.23', /next12Months "abc"/],
    ['0.83,0.92,20130230,0.23', /nextDividendDate "20130230"/],
    ['0.83,0.92,2013-02-19,0.23', /nextDividendDate "2013-02-19"/],
    ['0.83,0.92,20130219,', /both a date and an amount/],
    ['0.83,0.92,,0.23', /both a date and an amount/],
    ['0.83,0.92,20130219,0', /amount is 0/],
    ['0.83,0.92,20130219,1e3', /nextDividendAmount "1e3"/],
  ])('refuses %j, saying why', (value, why) => {
    const r = dividendsBody(5, value);
    expect('problem' in r && r.problem).toMatch(why);
  });
});

const open: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (open.length) await open.pop()!();
});

async function sim(): Promise<Simulator> {
  const s = await startSimulator({ port: 0, controlPort: null, seed: 3, speed: 20, startTime: T0, log: false });
  open.push(() => s.close());
  return s;
}

function live(port: number): { feed: Feed; events: FeedEvent[] } {
  const { feed, events, close } = connectFeed(port, 23, { heartbeatMs: 300, openOrdersPollMs: 0 });
  open.push(close);
  return { feed, events };
}

describe('the live source and IB Dividends', () => {
  it('asks for tick 456 on stock lines and keeps what tick 59 says per stock, recorded so a replay folds the same', async () => {
    const s = await sim();
    const { feed, events } = live(s.port);
    await waitFor(() => feed.state.dividends.get(AAPL), 30_000, "AAPL's dividends in state");
    // The simulator started 2026-03-02; AAPL's next ex-date is 10 May at 0.29 (docs/simulator.md).
    const row = feed.state.dividends.get(AAPL)!;
    expect(row.nextExDate).toBe('2026-05-10');
    expect(row.nextAmount?.toString()).toBe('0.29');
    expect(row.past12Months?.toString()).toBe('1.16');
    expect(row.next12Months?.toString()).toBe('1.16');
    // TSLA pays nothing: its line ticks, but no dividends row.
    await waitFor(() => feed.state.prices.get(TSLA), 30_000, 'TSLA prices');
    expect(feed.state.dividends.has(TSLA)).toBe(false);
    // Options' lines do not ask for it (456 is for stocks).
    expect(feed.state.dividends.has(AAPL_CALL)).toBe(false);
    // Recorded: the events as the recorder writes them fold to the same dividends.
    const recorded = events.map((e) => decodeEvent(JSON.parse(encodeEvent(e))));
    expect(recorded.some((e) => e.type === 'dividendsReceived' && e.conId === AAPL)).toBe(true);
    expect(reduceAll(recorded).dividends.get(AAPL)).toEqual(reduceAll(events).dividends.get(AAPL));
  });

  it("the risk engine prices AAPL's American options on the lattice with TWS's next dividend, and says so", async () => {
    const s = await sim();
    const { feed } = live(s.port);
    await waitFor(
      () => feed.state.dividends.get(AAPL) && feed.state.options.get(AAPL_PUT)?.impliedVol && feed.state.options.get(AAPL_CALL)?.impliedVol,
      30_000,
      'dividends and option greeks',
    );
    await waitFor(() => feed.state.complete.positions && feed.state.complete.accountDownload, 30_000, 'the snapshots');
    const risk = createStressRunner()(feed.state, Date.parse(T0));
    expect(risk.ok).toBe(true);
    if (!risk.ok) return;
    for (const conId of [AAPL_CALL, AAPL_PUT]) {
      const g = risk.model.modelGreeks.get(conId);
      expect(g?.from).toBe('TWS');
      expect(g?.dividends).toEqual([{ exDate: '2026-05-10', amount: 0.29 }]);
    }
    // With the settings naming AAPL (no dividends), they win: the fast path, TWS's greeks.
    const quiet = createStressRunner({ params: { dividends: { AAPL: [] } } })(feed.state, Date.parse(T0));
    expect(quiet.ok && quiet.model.modelGreeks.size).toBe(0);
  });

  it('a malformed tick 59 is ignored with a warning naming it, control characters shown, and the feed goes on', async () => {
    const s = await sim();
    // A TWS whose dividends value is broken: an impossible date with an escape sequence in it.
    const proxy = await startFrameProxy(s.port, (f) => (f[0] === '46' && f[3] === '59' ? [...f.slice(0, 4), '0.83,0.92,2026\x1b[2J0230,0.23'] : f));
    open.push(() => proxy.close());
    const { feed, events } = live(proxy.port);
    const warned = () => events.find((e) => e.type === 'brokerMessage' && e.message.includes('IB Dividends tick (59)'));
    await waitFor(warned, 30_000, 'the warning');
    const w = warned()!;
    expect(w.type === 'brokerMessage' && w.class).toBe('data');
    expect(w.type === 'brokerMessage' && w.message).toMatch(/conId 265598 ignored: nextDividendDate/);
    expect(w.type === 'brokerMessage' && w.message).not.toContain('\x1b');
    await waitFor(() => feed.state.prices.get(AAPL) && feed.state.health === 'ready', 30_000, 'prices after it');
    expect(feed.state.dividends.size).toBe(0);
    expect(events.some((e) => e.type === 'dividendsReceived')).toBe(false);
  });
});
