// A recorded flatten-all dialog in the replay strip: the now/after rows and their worst losses stay, order lines give way.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createConsoleTrading } from '../../src/commands/console-trading.js';
import { startSimulator } from '../../src/sim/index.js';
import { Feed } from '../../src/streams/feed.js';
import { FlightRecorder } from '../../src/streams/recorder.js';
import { RecordingWriter } from '../../src/streams/recording/writer.js';
import { ReplayPlayer } from '../../src/streams/replay/player.js';
import { TwsSource } from '../../src/streams/tws/source.js';
import { AccountSession } from '../../src/session/session.js';
import { createStressRunner } from '../../src/session/stress-model.js';
import { ConsoleStore } from '../../src/views/store.js';
import type { PreviewPlan } from '../../src/views/trading-actions.js';
import { T0, waitFor } from '../sim/helpers.js';
import { PinnedClock } from '../support/pinned-clock.js';
import { boxRows, renderApp } from '../support/render-tui.js';
import { QUICK_SOURCE, syncedWithGreeks } from '../support/sim-feed.js';
import { ticksKnown } from '../support/trading-console.js';

const CLIENT = 57;

/**
 * `demo --trade`, arm, flatten all, as the console does it: the real trading actions on the simulator through the
 * real source, every event into a flight recording, which is sealed with the dialog still open.
 */
async function recordFlattenAll(dir: string): Promise<{ file: string; plan: PreviewPlan }> {
  const sim = await startSimulator({ port: 0, controlPort: null, seed: 3, speed: 20, startTime: T0, log: false });
  const clock = new PinnedClock(Date.parse(T0));
  const source = new TwsSource({ host: '127.0.0.1', port: sim.port, clientId: CLIENT, ...QUICK_SOURCE });
  const file = join(dir, 'flatten-all.jsonl');
  const writer = new RecordingWriter({ file, appVersion: '0.0.0-test', source: 'live', account: null, baseCurrency: null, startedAtMs: clock.now() });
  const feed = new Feed(source.events$, { sink: new FlightRecorder(writer), now: clock.now });
  source.start();
  const trading = createConsoleTrading({ mode: 'trade', feed, source, clientId: CLIENT, auditDir: dir, clock, watchMs: 200 });
  try {
    await waitFor(() => syncedWithGreeks(feed.state), 20_000, 'a synchronised feed with greeks');
    const armed = trading.arm('4567');
    expect(armed.ok).toBe(true);
    await ticksKnown(trading.session, feed.state.positions.keys());
    const plan = trading.preview('trade.flattenScope', { arg: 'all' });
    if (typeof plan === 'string') throw new Error(plan);
    return { file, plan };
  } finally {
    trading.close('recorded');
    source.stop();
    await feed.close('recorded');
    await sim.close();
  }
}

let recorded: { file: string; plan: PreviewPlan };

beforeAll(async () => {
  recorded = await recordFlattenAll(mkdtempSync(join(tmpdir(), 'tws-risk-strip-')));
}, 60_000);

/** The replay at the dialog: the console as `tws-risk replay FILE` wires it, seeked to the recorded dialogShown. */
async function replayAt(size: { columns: number; rows: number }) {
  const player = await ReplayPlayer.open(recorded.file);
  await player.scanned();
  const session = new AccountSession(player, { risk: createStressRunner() });
  const store = new ConsoleStore(player, { displayNow: () => player.clock(), replay: () => player.status(), throttleMs: 20, session });
  player.onChange((kind) => (kind === 'replaced' ? store.replaced() : store.publish()));
  store.publish();
  const tui = renderApp(store, size, { mode: 'replay', trading: 'replay', replay: player });
  await tui.waitForFrame((f) => /Sealed and verified/.test(f), 'the recording info');
  await tui.write('\u001b');
  await tui.waitForFrame((f) => !/Sealed and verified/.test(f), 'the info closed');
  const shown = player.status().markers.find((m) => /operator dialogShown/.test(m.label))!;
  await player.seekTo({ seq: shown.seq });
  const frame = await tui.waitForFrame((f) => /REPLAY · FLATTEN all/.test(f), 'the replayed dialog');
  return {
    frame,
    async close() {
      tui.unmount();
      store.dispose();
      await player.close();
    },
  };
}

/** The plan's lines as the strip lays them out, one clause a row, and its parts by what they are. */
function planParts(plan: PreviewPlan) {
  const orders = plan.orderLines!;
  const figures = plan.lines.filter((l) => /^(now|after):/.test(l));
  return {
    head: plan.lines[0]!,
    orders: plan.lines.slice(1, orders),
    figures: figures.flatMap((l) => l.split('; ')),
    count: orders - 1,
    others: plan.lines.length - orders - figures.length,
  };
}

const SHOWN = 'Shown 14:30:00 UTC; the operator had not decided yet (read-only replay: nothing here can be answered)';

describe('a recorded flatten-all dialog in the replay strip', () => {
  it('at 80x24 keeps the figures now and after with their worst losses, whole, and says that every order is not shown', async () => {
    const p = planParts(recorded.plan);
    // The recording is what a flatten of the whole demo book shows: far more lines than the strip's rows.
    expect(p.count).toBe(14);
    expect(p.figures).toHaveLength(4);
    const r = await replayAt({ columns: 80, rows: 24 });
    try {
      expect(r.frame.split('\n')).toHaveLength(24);
      expect(boxRows(r.frame)).toEqual([
        'REPLAY · FLATTEN all?',
        // The heading is cut too: it counts among the other lines.
        `… 14 of 14 orders and ${p.others + 1} other line(s) not shown`,
        ...p.figures,
        `${SHOWN.slice(0, 75)}…`,
      ]);
      // The panes keep a third of the screen above it.
      expect(r.frame).toMatch(/▶2 Positions/);
    } finally {
      await r.close();
    }
  });

  it('at 200x50 keeps the heading and the first orders, then the figures now and after, and counts the orders cut', async () => {
    const p = planParts(recorded.plan);
    const r = await replayAt({ columns: 200, rows: 50 });
    try {
      expect(r.frame.split('\n')).toHaveLength(50);
      // A third of 50 rows is 16: border and title take 3, the figures 4, the notice and the last line 2; 7 are left.
      expect(boxRows(r.frame)).toEqual([
        'REPLAY · FLATTEN all?',
        p.head,
        ...p.orders.slice(0, 6),
        `… 8 of 14 orders and ${p.others} other line(s) not shown`,
        ...p.figures,
        SHOWN,
      ]);
    } finally {
      await r.close();
    }
  });
});
