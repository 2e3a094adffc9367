// `tws-risk replay FILE` in a real terminal (tmux): opens a sample, seeks, steps, jumps between markers, refuses to trade.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { hasTmux, tmuxSuite } from '../support/tmux.js';

const server = tmuxSuite('replay-e2e', 'test/e2e/replay-tmux.test.ts');
const { dir, tmux, newSession, waitForScreen, press } = server;

/** The recorded time (UTC) of a gzip recording's last event, read from its raw lines. */
function lastEventClock(file: string): string {
  const lines = gunzipSync(readFileSync(file)).toString('utf8').trim().split('\n');
  const last = lines.map((l) => JSON.parse(l) as { kind: string; event?: { receivedAt: number } }).findLast((o) => o.kind === 'event');
  return new Date(last!.event!.receivedAt).toISOString().slice(11, 19);
}

/** The replay bar's position: "#452/1,020" as numbers. */
function position(screen: string): { seq: number; last: number } {
  const m = /#([\d,]+)\/([\d,]+)/.exec(screen);
  if (!m) throw new Error(`no position on screen:\n${screen}`);
  return { seq: Number(m[1]!.replaceAll(',', '')), last: Number(m[2]!.replaceAll(',', '')) };
}

describe('tws-risk replay in tmux', () => {
  it.skipIf(!hasTmux)(
    'opens flatten-disconnect at 80x24 with its verification, seeks, steps, jumps between markers and never trades',
    async () => {
      const s = 'rp';
      newSession(s, { columns: 80, rows: 24 }, 'node bin/tws-risk replay recordings/flatten-disconnect.jsonl.gz');
      const opened = await waitForScreen(s, (x) => /Sealed and verified: 1,020 events/.test(x), 'the recording info with its verification');
      expect(opened).toMatch(/^ REPLAY /);
      expect(opened).toMatch(/‖ paused 1×\s+14:30:00 UTC #0\/1,020/);
      expect(opened).toMatch(/Markers\s+5 operator · 2 disconnect/);

      // :goto a recorded time (UTC): the clock and the position move there, the panes show the account then.
      await press(s, ':', 'g', 'o', 't', 'o', 'Space', '1', '4', ':', '3', '0', ':', '0', '3', 'Enter');
      const at = await waitForScreen(s, (x) => /14:30:03 UTC #/.test(x) && /AAPL/.test(x), 'the seek to 14:30:03');
      const mid = position(at);
      expect(mid.seq).toBeGreaterThan(0);
      expect(mid.seq).toBeLessThan(mid.last);

      // `.` plays exactly one event.
      await press(s, '.');
      await waitForScreen(s, (x) => position(x).seq === mid.seq + 1, 'one step');
      await press(s, '.');
      await waitForScreen(s, (x) => position(x).seq === mid.seq + 2, 'a second step');

      // ] goes to the next marker: the operator's flatten dialog as recorded, in a strip under the panes (which stay),
      // open until the recorded decision, which closes it.
      await press(s, ']');
      await waitForScreen(s, (x) => /Marker operator: operator armed/.test(x), 'the arming marker');
      await press(s, ']');
      const dialog = await waitForScreen(
        s,
        (x) => /REPLAY · FLATTEN underlying:AAPL\?/.test(x) && /had not decided yet/.test(x),
        'the replayed flatten dialog',
      );
      expect(dialog).toMatch(/SELL 500 AAPL STK/);
      expect(dialog).toMatch(/Positions/);
      const atShown = position(dialog).seq;
      await press(s, ']');
      const decided = await waitForScreen(s, (x) => /Marker operator: operator decision confirm/.test(x), 'the decision marker');
      expect(decided).not.toMatch(/REPLAY · FLATTEN/);
      await press(s, '[');
      await waitForScreen(s, (x) => position(x).seq === atShown && /had not decided yet/.test(x), 'back to the dialog before the decision');

      // Trading keys explain themselves and do nothing. (No Escape first: on a busy machine Escape and the next key can
      // reach the console in one read, which a terminal means as Alt-2.)
      await press(s, '2', 'X');
      await waitForScreen(s, (x) => /A replay never trades/.test(x), 'the refusal to trade');

      // G goes to the end, g back to the start.
      await press(s, 'G');
      const end = await waitForScreen(s, (x) => /■ end/.test(x) && position(x).seq === 1020, 'the end');
      // The clock at the end is the last event's time (it read 00:00:00 once the end was reached by a seek).
      expect(end).toContain(`■ end 1×  ${lastEventClock('recordings/flatten-disconnect.jsonl.gz')} UTC #1,020/1,020 100%`);
      await press(s, 'g');
      await waitForScreen(s, (x) => position(x).seq === 0, 'the start');

      // Space plays at the chosen speed; q quits with a one-line summary on the normal screen.
      await press(s, '+', '+', '+', '+', '+', '+', '+', '+', '+', 'Space');
      await waitForScreen(s, (x) => /■ end/.test(x), 'playing to the end at max speed', 60_000);
      await press(s, 'q');
      await waitForScreen(s, (x) => /replayed recordings\/flatten-disconnect\.jsonl\.gz \(read-only\)/.test(x), 'the exit summary');
      // The summary is one long line; read it with the scrollback in case its start scrolled up.
      const done = tmux('capture-pane', '-p', '-J', '-S', '-100', '-t', s);
      expect(done).toMatch(/tws-risk replay: .*1,020 events, account DU1234567 \(USD\)/);
      expect(done).not.toMatch(/Error|at .*\.js:\d+/);
    },
    180_000,
  );

  it.skipIf(!hasTmux)(
    'at 80x24, a tampered copy opens with the whole reason on its page, wrapped, not cut',
    async () => {
      // One character changed inside line 300 of a sample: the hash chain breaks there.
      const lines = gunzipSync(readFileSync('recordings/flatten-disconnect.jsonl.gz')).toString('utf8').split('\n');
      lines[299] = lines[299]!.replace(/"receivedAt":(\d)/, (_m, d: string) => `"receivedAt":${d === '9' ? '8' : Number(d) + 1}`);
      const file = join(dir, 'tampered.jsonl');
      writeFileSync(file, lines.join('\n'));
      const s = 'tp';
      newSession(s, { columns: 80, rows: 24 }, `node bin/tws-risk replay ${file}`);
      const page = await waitForScreen(s, (x) => /TAMPERED at line 300/.test(x) && /Playback stops/.test(x), 'the tampered recording page');
      // The reason, joined across its wrapped lines (border and padding stripped), reads whole.
      const text = page
        .split('\n')
        .map((l) => l.replace(/^║\s*/, '').replace(/\s*║$/, ''))
        .join(' ')
        .replace(/\s+/g, ' ');
      expect(text).toContain('TAMPERED at line 300: line breaks the hash chain (edited, inserted or removed lines); readable up to line 299');
      expect(page).not.toMatch(/TAMPERED[^\n]*…/);
      await press(s, 'Escape', 'q');
    },
    150_000,
  );
});
