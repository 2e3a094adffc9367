// What a user trial found on screen, each in a real terminal: the figures line with no TWS, a clean redirected stderr.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { T0, waitFor } from '../sim/helpers.js';
import { deadPort } from '../support/sim-rig.js';
import { exitStatus, hasTmux, tmuxSuite } from '../support/tmux.js';

const server = tmuxSuite('trial', 'test/e2e/trial-fixes-tmux.test.ts');
const { dir, tmux, newSession, freshUser, waitForScreen, press, arm } = server;

/** Starts the CLI in its own tmux session, stderr to `err`, its exit code to a file; returns that file's path. */
function start(session: string, columns: number, rows: number, args: string, err: string, env: readonly string[] = []): string {
  const exitFile = join(dir, `${session}.exit`);
  newSession(session, { columns, rows, env: [...freshUser(`${session}-data`), ...env], exitFile }, `node bin/tws-risk ${args} 2>${err}`);
  return exitFile;
}

/**
 * The pane's text once the exit line is in it, joined into one line: read with its history, as the line wraps and its
 * start may have scrolled off the visible rows (the exit file can be written before tmux has drawn the last output).
 */
async function exitLine(session: string): Promise<string> {
  const text = () => tmux('capture-pane', '-p', '-J', '-S', '-200', '-t', session).replace(/\n/g, '');
  return waitFor(() => (/tws-risk demo: .*last health \S+;/.test(text()) ? text() : undefined), 30_000, `the exit line in ${session}`);
}

describe('what the user trial found', () => {
  it.skipIf(!hasTmux)(
    'live with nothing listening on its port says the figures wait for TWS, not that they are being computed',
    async () => {
      const port = await deadPort();
      const exitFile = start('nolisten', 80, 24, `live --port ${port} --no-record`, join(dir, 'nolisten.err'));
      const screen = await waitForScreen('nolisten', (s) => /Worst waiting for TWS/.test(s), 'the figures line waiting for TWS', 60_000);
      expect(screen).not.toContain('computing');
      await press('nolisten', 'q');
      await exitStatus(exitFile);
    },
    120_000,
  );

  it.skipIf(!hasTmux)(
    "demo with stderr redirected to a file: the file gets the demo's own lines and no control code at exit",
    async () => {
      const err = join(dir, 'demo.err');
      const exitFile = start('redirect', 80, 24, `demo --start ${T0} --seed 7 --speed 0 --no-record`, err);
      await waitForScreen('redirect', (s) => /READY/.test(s) && /NESN/.test(s), 'the ready demo');
      await press('redirect', 'q');
      expect(await exitStatus(exitFile)).toBe('exit 0');
      const text = readFileSync(err, 'utf8');
      // Our own diagnostics still reach the file: only the terminal's control code is kept out.
      expect(text).toMatch(/control channel \d+\), account \S+/);
      expect(JSON.stringify(text)).not.toContain('\\u001b');
    },
    120_000,
  );

  it.skipIf(!hasTmux)(
    'under LANG=C the sort direction and the rows below are words, not arrows swapped for letters, and cuts fall between words and whole facts',
    async () => {
      const exitFile = start('ascii', 80, 24, `demo --start ${T0} --seed 7 --speed 0 --no-record`, join(dir, 'ascii.err'), ['LANG=C', 'LC_ALL=', 'LC_CTYPE=']);
      const screen = await waitForScreen(
        'ascii',
        (s) => /READY/.test(s) && /NESN/.test(s) && /sort [a-z ]+ (desc|asc)/.test(s) && / Worst -[\d.]+k /.test(s),
        'the ASCII demo with its sort spelled out',
      );
      expect(screen).toMatch(/\d+ more below/);
      expect(screen).not.toMatch(/sort [a-z]+[v^](\s|$)/);
      // The worst scenario's name is cut between words: "at least 10%...", never "at least 1..." (a threshold of 1).
      const figures = screen
        .split('\n')
        .find((l) => l.includes(' Worst -'))!
        .trimEnd();
      expect(figures).toMatch(/ Worst -[\d.]+k \S/);
      expect(figures).not.toMatch(/\d\.\.\.$/);
      // The liquidation line ends on a whole fact or the count of those not shown, never "Equities none +/-...".
      await press('ascii', '3');
      const stress = await waitForScreen('ascii', (s) => /^Liquidation at/m.test(s), 'the Stress pane with its liquidation line');
      const liquidation = stress
        .split('\n')
        .find((l) => l.startsWith('Liquidation at'))!
        .trimEnd();
      expect(liquidation).toMatch(/(none \+\/-\d+%|[+-]\d+\.\d%|\+\d+ more)$/);
      await press('ascii', 'q');
      await exitStatus(exitFile);
    },
    120_000,
  );

  it.skipIf(!hasTmux)(
    "the exit line's event count is the recording's, the quit's disarm and disconnect included",
    async () => {
      const exitFile = start('count', 120, 40, `demo --start ${T0} --seed 7 --speed 0 --trade`, join(dir, 'count.err'));
      await waitForScreen('count', (s) => /READY/.test(s) && /NESN/.test(s), 'the ready demo');
      await arm('count', '4567');
      await press('count', 'q');
      await waitForScreen('count', (s) => /Quit while trading is ARMED/.test(s), 'the quit dialog');
      await press('count', 'y');
      await exitStatus(exitFile);
      const screen = await exitLine('count');
      const shown = Number(/tws-risk demo: \S+, ([\d,]+) events,/.exec(screen)![1]!.replaceAll(',', ''));
      const file = /recorded to (\S+?\.jsonl(?:\.gz)?) /.exec(screen)![1]!;
      expect(file.startsWith(join(dir, 'count-data'))).toBe(true);
      // The recording's events, read off its lines (not through the reader): all of the session's, from seq 1.
      const raw = readFileSync(file);
      const events = (file.endsWith('.gz') ? gunzipSync(raw) : raw)
        .toString('utf8')
        .split('\n')
        .filter((l) => l.startsWith('{"kind":"event"'))
        .map((l) => (JSON.parse(l) as { event: { type: string; action?: string; health?: string } }).event);
      expect(events.some((e) => e.type === 'operatorActed' && e.action === 'disarmed')).toBe(true);
      expect(events.at(-1)).toMatchObject({ type: 'healthChanged', health: 'disconnected' });
      expect(shown).toBe(events.length);
    },
    120_000,
  );

  it.skipIf(!hasTmux)(
    'at 120 columns the refusal on the Accounts pane\'s "all" row is on screen whole, wrapped under itself, not cut',
    async () => {
      const exitFile = start('refusal', 120, 40, `demo --account all --start ${T0} --speed 0 --trade --no-record`, join(dir, 'refusal.err'));
      await waitForScreen('refusal', (s) => /all \(4\)/.test(s) && /DU2000003/.test(s), 'the Accounts pane with four accounts', 60_000);
      await press('refusal', '7', 'G', 'Enter');
      await waitForScreen('refusal', (s) => /ALL 4 accounts/.test(s.split('\n')[0]!), 'the aggregate selected');
      await press('refusal', ':', 't', 'r', 'a', 'd', 'e', '.', 'a', 'r', 'm', 'Enter');
      const flat = (s: string) => s.replace(/\s+/g, ' ');
      const screen = await waitForScreen('refusal', (s) => /Refused: the aggregate row/.test(s), 'arming refused on the aggregate');
      // The bottom rows: the refusal's start, and its end with what to do, which a one-line flash cut at 120 columns.
      const bottom = screen.trimEnd().split('\n').slice(-3).join('\n');
      expect(flat(bottom)).toContain(
        'Refused: the aggregate row "all" is selected, and trading always targets exactly one account. Select that account in the Accounts pane (7, then Enter) first',
      );
      expect(bottom).not.toContain('…');
      for (const line of screen.split('\n')) expect(line.length).toBeLessThanOrEqual(120);
      await press('refusal', 'q');
      await exitStatus(exitFile);
      // The exit line counts the connection's events and each account's own (its notes are in its feed only).
      const exit = await exitLine('refusal');
      const line = /tws-risk demo: \S+, ([\d,]+) events on the connection, accounts (.*?), last health/.exec(exit);
      expect(line, exit).not.toBeNull();
      const perAccount = [...line![2]!.matchAll(/(DU\d+) \(([\d,]+) events?\)/g)];
      expect(perAccount.map((m) => m[1])).toHaveLength(4);
      for (const m of perAccount) expect(Number(m[2]!.replaceAll(',', ''))).toBeGreaterThan(0);
    },
    120_000,
  );
});
