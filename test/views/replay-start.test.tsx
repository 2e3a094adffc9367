// A replay at its start (#0, before any event): nothing waits for TWS, and the bar names the recording's account.
import { afterEach, describe, expect, it } from 'vitest';
import { ReplayPlayer } from '../../src/streams/replay/player.js';
import { readRecording } from '../../src/streams/recording/reader.js';
import { AccountSession } from '../../src/session/session.js';
import { createStressRunner } from '../../src/session/stress-model.js';
import { ConsoleStore } from '../../src/views/store.js';
import { renderApp, type Tui } from '../support/render-tui.js';

const FILE = 'recordings/quiet-day.jsonl.gz';
const close: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (close.length) await close.pop()!();
});

/** The recording's account and base currency, as its first account value names them (the reader, not the player). */
async function recorded(): Promise<{ account: string; base: string }> {
  for await (const item of readRecording(FILE)) {
    if (item.kind !== 'event') continue;
    const e = item.event;
    if (e.type === 'accountValueUpdated' && e.key === 'NetLiquidation' && e.currency !== 'BASE') return { account: e.account, base: e.currency };
  }
  throw new Error('no NetLiquidation in the recording');
}

describe('a replay at #0', () => {
  it('says there is no risk yet, not that it waits for TWS, and shows the account being replayed', async () => {
    const want = await recorded();
    const player = await ReplayPlayer.open(FILE);
    close.push(() => player.close());
    await player.scanned();
    expect(player.status().seq).toBe(0);
    const session = new AccountSession(player, { risk: createStressRunner() });
    const store = new ConsoleStore(player, { displayNow: () => player.clock(), replay: () => player.status(), throttleMs: 20, session });
    close.push(() => store.dispose());
    store.publish();
    const tui: Tui = renderApp(store, { columns: 120, rows: 40 }, { mode: 'replay', trading: 'replay', replay: player });
    close.push(() => tui.unmount());
    const frame = await tui.waitForFrame((f) => /Worst /.test(f), 'the figures line');
    expect(frame).toContain('Worst no risk yet (replay at its start)');
    expect(frame).not.toContain('waiting for TWS');
    expect(frame).not.toContain('account ?');
    expect(frame).toMatch(new RegExp(` REPLAY\\s+${want.account} ${want.base} `));
  });
});
