// A replay command that works clears the error a refused one left on the hint line: it must not read as failed too.
import { afterEach, describe, expect, it } from 'vitest';
import { ReplayPlayer } from '../../src/streams/replay/player.js';
import { AccountSession } from '../../src/session/session.js';
import { createStressRunner } from '../../src/session/stress-model.js';
import { ConsoleStore } from '../../src/views/store.js';
import { renderApp, type Tui } from '../support/render-tui.js';

const FILE = 'recordings/quiet-day.jsonl.gz';
const close: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (close.length) await close.pop()!();
});

async function replayConsole(): Promise<{ player: ReplayPlayer; tui: Tui }> {
  const player = await ReplayPlayer.open(FILE);
  close.push(() => player.close());
  await player.scanned();
  const session = new AccountSession(player, { risk: createStressRunner() });
  const store = new ConsoleStore(player, { displayNow: () => player.clock(), replay: () => player.status(), throttleMs: 20, session });
  close.push(() => store.dispose());
  store.publish();
  const tui = renderApp(store, { columns: 120, rows: 40 }, { mode: 'replay', trading: 'replay', replay: player });
  close.push(() => tui.unmount());
  await tui.waitForFrame((f) => / REPLAY /.test(f), 'the replay bar');
  return { player, tui };
}

describe('replay: the error flash of a refused command', () => {
  it('is gone once a goto that works has landed', async () => {
    const { player, tui } = await replayConsole();
    await tui.write(':replay.goto 99:99\r');
    await tui.waitForFrame((f) => f.includes('not a time of day'), 'the refused goto');
    const s = player.status();
    const target = new Date(s.firstAt + (s.lastAt! - s.firstAt) / 2).toISOString();
    await tui.write(`:replay.goto ${target}\r`);
    // The bar at the recording's middle: the goto has landed (from #0, at 0%).
    const frame = await tui.waitForFrame((f) => / #[\d,]+\/[\d,]+ (49|50|51)%/.test(f), 'the bar half way through');
    expect(frame).not.toContain('not a time of day');
  });

  it('a goto outside the recording names the span it has, in the clock goto takes', async () => {
    const { player, tui } = await replayConsole();
    const s = player.status();
    const hhmmss = (ms: number) => new Date(ms).toISOString().slice(11, 19);
    const before = new Date(s.firstAt - 3_600_000).toISOString();
    await tui.write(`:replay.goto ${before}\r`);
    const frame = await tui.waitForFrame((f) => f.includes('outside the recording'), 'the refused goto');
    // The flash may wrap on the hint lines: read it as one line.
    expect(frame.replace(/\s+/g, ' ')).toContain(`outside the recording (${hhmmss(s.firstAt)}-${hhmmss(s.lastAt!)} UTC, the recording console's clock`);
  });

  it('is gone once a speed that exists follows one that does not', async () => {
    const { tui } = await replayConsole();
    await tui.write(':replay.speed 0.1\r');
    await tui.waitForFrame((f) => f.includes('speed "0.1": expected one of'), 'the refused speed');
    await tui.write(':replay.speed 64\r');
    const frame = await tui.waitForFrame((f) => f.includes('64×'), 'speed 64 on the bar');
    expect(frame).not.toContain('speed "0.1"');
  });
});
