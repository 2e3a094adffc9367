// A TWS that sends a NaN quantity and a junk Cushion, through the real client, source and feed (issue 14 item 10).
import { afterEach, describe, expect, it } from 'vitest';
import { startSimulator } from '../../src/sim/index.js';
import { accountVM } from '../../src/views/rows/account.js';
import { positionsVM } from '../../src/views/rows/positions.js';
import { initialUi } from '../../src/views/ui-state.js';
import { T0, waitFor } from '../sim/helpers.js';
import { startFrameProxy } from '../support/hostile-peer.js';
import { connectFeed, simInstrument } from '../support/sim-feed.js';

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

describe('a TWS sending quantities and values that are not numbers', () => {
  it('keeps the position on screen as unknown and never calls the Cushion OK', async () => {
    const aapl = simInstrument((i) => i.symbol === 'AAPL' && i.secType === 'STK');
    const sim = await startSimulator({ port: 0, controlPort: null, seed: 3, speed: 20, startTime: T0, log: false });
    cleanup.push(() => sim.close());
    // POSITION (61) carries the quantity at field 14, PORTFOLIO_VALUE (7) at 13 (src/sim/messages.ts); ACCT_VALUE (6) the value at 3.
    const proxy = await startFrameProxy(sim.port, (f) => {
      if (f[0] === '61' && f[3] === String(aapl.conId)) return Object.assign([...f], { 14: 'NaN' });
      if (f[0] === '7' && f[2] === String(aapl.conId)) return Object.assign([...f], { 13: 'NaN' });
      if (f[0] === '6' && f[2] === 'Cushion') return Object.assign([...f], { 3: 'abc' });
      return f;
    });
    cleanup.push(() => proxy.close());
    const { feed, close } = connectFeed(proxy.port, 61, { openOrdersPollMs: 0 });
    cleanup.push(close);
    await waitFor(
      () => {
        const s = feed.state;
        return s.complete.positions && s.complete.accountDownload && s.unknownQuantities.size >= 2 && s.accountValues.get('Cushion|') !== undefined;
      },
      20_000,
      'the snapshots with AAPL unknown',
    );
    const s = feed.state;
    expect(s.unknownQuantities.get(`positions:${aapl.conId}`)).toMatchObject({ sent: 'NaN' });
    expect(s.unknownQuantities.get(`portfolio:${aapl.conId}`)).toMatchObject({ sent: 'NaN' });
    expect(s.positions.get(aapl.conId)).toBeUndefined();
    expect(s.portfolio.get(aapl.conId)).toBeUndefined();
    // The simulator still holds the position: it did not vanish, its size is unknown here.
    expect(sim.snapshot().positions.some((p) => p.conId === aapl.conId)).toBe(true);
    const rows = positionsVM(s, undefined, initialUi().lists.positions, 'class', 140, 60).rows;
    expect(rows.find((r) => r.id === `unknown:${aapl.conId}`)?.cells.flag?.text).toBe('UNKNOWN QTY');
    const account = accountVM(s, undefined, 100, Date.now());
    expect(account.cushion).toBe('? unknown');
    expect(account.band).not.toBe('ok');
  });
});
