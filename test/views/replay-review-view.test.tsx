// Replay as a review tool in the console (issue 16 item 13): `i` lists every marker and jumps to the one picked, and
// `]` lands where the pane shows what the marker names. The real player on the recorded samples, the real store.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Marker } from '../../src/streams/replay/markers.js';
import { ReplayPlayer } from '../../src/streams/replay/player.js';
import { readRecording } from '../../src/streams/recording/reader.js';
import { AccountSession } from '../../src/session/session.js';
import { createStressRunner } from '../../src/session/stress-model.js';
import { ConsoleStore } from '../../src/views/store.js';
import { renderApp, type Tui } from '../support/render-tui.js';
import type { SampleEntry } from '../../scripts/sim-recordings.js';

const manifest = JSON.parse(readFileSync('recordings/manifest.json', 'utf8')) as SampleEntry[];
const sample = (name: string) => join('recordings', manifest.find((m) => m.scenario === name)!.file);

interface Rig {
  player: ReplayPlayer;
  store: ConsoleStore;
  tui: Tui;
  markers: readonly Marker[];
}

let rig: Rig | undefined;

afterEach(async () => {
  if (!rig) return;
  rig.tui.unmount();
  rig.store.dispose();
  await rig.player.close();
  rig = undefined;
});

/** The console as `tws-risk replay FILE` wires it (src/commands/console.ts), with the scan done. */
async function open(name: string, size: { columns: number; rows: number }): Promise<Rig> {
  const player = await ReplayPlayer.open(sample(name));
  await player.scanned();
  const session = new AccountSession(player, { risk: createStressRunner() });
  const store = new ConsoleStore(player, { displayNow: () => player.clock(), replay: () => player.status(), throttleMs: 20, session });
  player.onChange((kind) => (kind === 'replaced' ? store.replaced() : store.publish()));
  store.publish();
  const tui = renderApp(store, size, { mode: 'replay', trading: 'replay', replay: player });
  rig = { player, store, tui, markers: player.status().markers };
  await tui.waitForFrame((f) => /Sealed and verified/.test(f), 'the recording info');
  return rig;
}

/** "14:30:05" for a recorded time, as the reference for what the list shows (not the code under test's helper). */
const hhmmss = (ms: number) => {
  const d = new Date(ms);
  return [d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
};

/** The marker line the info shows selected (▶), as [time, kind]. */
function selectedLine(frame: string): string | undefined {
  return /▶ (\d\d:\d\d:\d\d) {2}(\w+)/.exec(frame)?.slice(1, 3).join(' ');
}

describe('`i` lists every marker with its time and jumps to the one picked', () => {
  it('lists each marker of flatten-disconnect with its UTC time, kind and text; j j Enter seeks there and closes the list', async () => {
    const r = await open('flatten-disconnect', { columns: 120, rows: 40 });
    expect(r.markers.length).toBeGreaterThanOrEqual(5);
    const frame = r.tui.lastFrame();
    for (const m of r.markers) expect(frame).toContain(`${hhmmss(m.at)}  ${m.kind.padEnd(10)} ${m.label}`.slice(0, 60));
    // At the start the selection is the first marker; two down is the third.
    expect(selectedLine(frame)).toBe(`${hhmmss(r.markers[0]!.at)} ${r.markers[0]!.kind}`);
    await r.tui.write('j');
    await r.tui.write('j');
    const third = r.markers[2]!;
    await r.tui.waitForFrame(
      (f) =>
        selectedLine(f) === `${hhmmss(third.at)} ${third.kind}` && f.includes(`▶ ${hhmmss(third.at)}  ${third.kind.padEnd(10)} ${third.label}`.slice(0, 50)),
      'the third marker selected',
    );
    await r.tui.write('k');
    await r.tui.write('j');
    await r.tui.write('\r');
    const landed = await r.tui.waitForFrame(
      (f) => f.includes(`Marker ${third.kind}: ${third.label}`.slice(0, 40)) && !/Sealed and verified/.test(f),
      'the jump',
    );
    expect(r.player.status().seq).toBe(third.seq);
    expect(r.player.status().paused).toBe(true);
    expect(landed).toContain(`${hhmmss(third.at)} UTC #${third.seq.toLocaleString('en-US')}/`);
    // `i` again opens the list at the next marker after where the player now stands.
    await r.tui.write('i');
    const next = r.markers[3]!;
    await r.tui.waitForFrame((f) => selectedLine(f) === `${hhmmss(next.at)} ${next.kind}`, 'the list reopened at the next marker');
    // Esc closes it without moving the player.
    await r.tui.write('\u001b');
    await r.tui.waitForFrame((f) => !/Sealed and verified/.test(f), 'the list closed');
    expect(r.player.status().seq).toBe(third.seq);
  });

  it('a list longer than the terminal scrolls: the selection stays on screen and Enter jumps to the marker far down', async () => {
    const r = await open('margin-spike', { columns: 100, rows: 24 });
    const first = await r.tui.waitForFrame((f) => /of \d+\)/.test(f), 'a list cut to the terminal');
    const m = /\((\d+)–(\d+) of (\d+)\)/.exec(first)!;
    const shown = Number(m[2]) - Number(m[1]) + 1;
    expect(Number(m[3])).toBe(r.markers.length);
    expect(shown).toBeLessThan(r.markers.length);
    // Past the last row shown: the window follows the selection.
    const target = Math.min(r.markers.length - 1, shown + 2);
    for (let k = 0; k < target; k++) await r.tui.write('j');
    const want = r.markers[target]!;
    const scrolled = await r.tui.waitForFrame((f) => selectedLine(f) === `${hhmmss(want.at)} ${want.kind}`, 'the selection scrolled into view');
    expect(scrolled).not.toContain(`(1–${shown} of`);
    await r.tui.write('\r');
    await r.tui.waitForFrame((f) => !/Sealed and verified/.test(f), 'the jump');
    await expect.poll(() => r.player.status().seq, { timeout: 15_000 }).toBe(want.seq);
  });
});

describe('a replayed trading dialog', () => {
  it('shows beside the panes, never over them, and closes exactly at the recorded decision', async () => {
    const r = await open('flatten-disconnect', { columns: 120, rows: 40 });
    const shown = r.markers.find((m) => /operator dialogShown/.test(m.label))!;
    const decision = r.markers.find((m) => m.seq > shown.seq && /operator decision/.test(m.label))!;
    expect(shown).toBeDefined();
    expect(decision).toBeDefined();
    await r.tui.write('\u001b');
    await r.tui.waitForFrame((f) => !/Sealed and verified/.test(f), 'the info closed');
    await r.player.seekTo({ seq: shown.seq });
    const open1 = await r.tui.waitForFrame((f) => /REPLAY · FLATTEN/.test(f), 'the replayed dialog');
    expect(open1).toMatch(/had not decided yet/);
    // The panes stay on screen above it: Positions with its AAPL stock row, the Account pane beside.
    expect(open1).toMatch(/▶2 Positions/);
    // AAPL 500 at 228.50: its value (the sidebar's Positions drops the Mark before Worst%).
    expect(open1).toMatch(/AAPL\s+500\s+114,250/);
    expect(open1).toMatch(/Net liquidation\s+554,301/);
    expect(open1.indexOf('REPLAY · FLATTEN')).toBeGreaterThan(open1.indexOf('AAPL  '));
    // Still open one event before the decision, however much recorded time passed…
    await r.player.seekTo({ seq: decision.seq - 1 });
    await r.tui.waitForFrame(
      (f) => f.includes(`#${(decision.seq - 1).toLocaleString('en-US')}/`) && /REPLAY · FLATTEN/.test(f),
      'the dialog just before the decision',
    );
    // …and gone at the decision itself (one step), the panes keeping the whole body.
    await r.tui.write('.');
    const closed = await r.tui.waitForFrame((f) => f.includes(`#${decision.seq.toLocaleString('en-US')}/`), 'the decision');
    expect(closed).not.toMatch(/REPLAY · FLATTEN/);
    expect(closed).toMatch(/AAPL\s+500\s+114,250/);
  });
});

describe('`]` lands after the marked event', () => {
  it('on margin-spike, `]` onto each alert marker leaves the Alerts pane listing the alert it names', async () => {
    const r = await open('margin-spike', { columns: 200, rows: 50 });
    const alerts = r.markers.filter((m) => m.kind === 'alert');
    expect(alerts.length).toBeGreaterThanOrEqual(1);
    // The reference: the alert each marked event raised, read from the file itself.
    const titles = new Map<number, string>();
    for await (const item of readRecording(sample('margin-spike'), { skipKeyframeStates: true })) {
      if (item.kind === 'event' && item.event.type === 'alertChanged' && alerts.some((m) => m.seq === item.event.seq))
        titles.set(item.event.seq, String(item.event.alert.title));
    }
    expect(titles.size).toBe(alerts.length);
    await r.tui.write('\u001b');
    await r.tui.waitForFrame((f) => !/Sealed and verified/.test(f), 'the info closed');
    // The Alerts pane's own rows: from its title's column, on the lines below it, without the hint line (its flash
    // names the marker too).
    const alertsPane = (f: string) => {
      const lines = f.split('\n').slice(0, -1);
      const row = lines.findIndex((l) => l.includes('6 Alerts and log'));
      const col = lines[row]!.indexOf('6 Alerts and log');
      return lines
        .slice(row)
        .map((l) => l.slice(col))
        .join('\n');
    };
    for (const m of r.markers) {
      if (m.seq > alerts[alerts.length - 1]!.seq) break;
      await r.tui.write(']');
      const f = await r.tui.waitForFrame((x) => x.includes(`#${m.seq.toLocaleString('en-US')}/`) && x.includes(`Marker ${m.kind}`), `the marker at #${m.seq}`);
      if (m.kind !== 'alert') continue;
      const title = titles.get(m.seq)!;
      expect(r.player.state.alerts.size).toBeGreaterThan(0);
      expect(alertsPane(f)).toContain(`WARNING ${title.slice(0, 40)}`);
      if (m !== alerts[0]) continue;
      // Where a seek that stopped short of the marked event would leave it: the alert is not listed yet.
      await r.player.seekTo({ seq: m.seq - 1 });
      const before = await r.tui.waitForFrame((x) => x.includes(`#${(m.seq - 1).toLocaleString('en-US')}/`), 'one event before the marker');
      expect(alertsPane(before)).not.toContain(title.slice(0, 40));
      await r.player.seekTo({ seq: m.seq });
      await r.tui.waitForFrame((x) => alertsPane(x).includes(`WARNING ${title.slice(0, 40)}`), 'back on the marker');
    }
  });
});
