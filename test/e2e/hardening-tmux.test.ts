// The console in a real terminal under outside trouble (issue 14): `kill -INT` from another shell, a disk that
// fills up under a gzip recording. The built CLI runs in a private tmux server, as a user runs it.
import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { verifyRecording } from '../../src/streams/recording/reader.js';
import { hasTmux, tmuxSuite } from '../support/tmux.js';
import { fillUp, mountTmpfs, type Tmpfs } from '../support/tmpfs.js';

const server = tmuxSuite('harden', 'test/e2e/hardening-tmux.test.ts', () => {
  // The hooks' escaped sleepers are outside every group the console kills: end them by the pids they wrote (one a
  // hook run: the crash's alerts queue behind maxRunning 1 and each runs).
  if (existsSync(escapedPid)) {
    for (const pid of readFileSync(escapedPid, 'utf8').trim().split('\n')) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  }
  if (typeof disk !== 'string') disk.unmount();
});
const { dir, tmux, newSession, waitForScreen, press } = server;
let disk: Tmpfs | string = 'not mounted';
const escapedPid = join(dir, 'escaped.pid');

// The simulator's calendar is pinned: nothing on screen depends on today's date.
const scenario = join(dir, 'pinned.json');
writeFileSync(scenario, JSON.stringify({ name: 'pinned', startTime: '2026-03-02T14:30:00Z', seed: 7 }));

beforeAll(() => {
  if (!hasTmux) return;
  disk = mountTmpfs('e2e-full', 1024);
  if (typeof disk === 'string') console.warn(`test/e2e/hardening-tmux.test.ts: full-disk test skipped: ${disk}`);
});

/** Starts the demo console; `exec` makes the pane's process the CLI itself, so a signal reaches it directly. */
function startDemo(session: string, args: string): void {
  newSession(session, { columns: 100, rows: 30 }, `exec node bin/tws-risk demo --scenario ${scenario} ${args}`);
}

describe('the console under outside trouble', () => {
  it.skipIf(!hasTmux)(
    'seals the recording on kill -INT from outside, like SIGTERM and SIGHUP',
    async () => {
      const record = join(dir, 'int.jsonl');
      startDemo('int', `--record ${record} --config ${join(dir, 'none.json')}`);
      await waitForScreen('int', (s) => /READY/.test(s) && /AAPL/.test(s), 'the ready console');
      const pid = Number(tmux('display-message', '-p', '-t', 'int', '#{pane_pid}').trim());
      process.kill(pid, 'SIGINT');
      const after = await waitForScreen('int', (s) => /tws-risk demo: .* recorded to /.test(s), 'the session summary after SIGINT');
      expect(after).toContain(`recorded to ${record}`);
      // Ctrl-C in the console is a key (the quit); a SIGINT can only come from outside, and is named so.
      expect(after).toContain('ended: interrupted (SIGINT)');
      const v = await verifyRecording(record);
      expect(v.ok && v.summary.sealed).toBe(true);
      expect(v.ok && v.summary.footer?.reason).toBe('interrupted (SIGINT)');
    },
    60_000,
  );

  it.skipIf(!hasTmux)(
    'keeps running when the disk fills under a gzip recording, says so on screen and in the exit line',
    async (ctx) => {
      if (typeof disk === 'string') return ctx.skip();
      // The hook writes where the disk is not full: the stopped recording is an alert, and pages like any other.
      const hookOut = join(dir, 'full-hook.jsonl');
      const hook = join(dir, 'full-hook.sh');
      writeFileSync(hook, `#!/bin/sh\ncat >> "${hookOut}"\n`);
      chmodSync(hook, 0o755);
      const config = join(dir, 'gzip.json');
      writeFileSync(config, JSON.stringify({ recorder: { gzip: true }, alerts: { hook: { command: [hook], minSeverity: 'warning' } } }));
      const record = join(disk.dir, 'full.jsonl.gz');
      // Not exec'd: the shell prints the CLI's exit code after it.
      newSession(
        'full',
        { columns: 100, rows: 30 },
        `node bin/tws-risk demo --scenario ${scenario} --record ${record} --config ${config}; echo "exit=$?"; read x`,
      );
      await waitForScreen('full', (s) => /READY/.test(s) && /AAPL/.test(s), 'the ready console');
      fillUp(disk.dir);
      const stopped = await waitForScreen('full', (s) => /REC STOPPED/.test(s), 'REC STOPPED in the status bar');
      expect(stopped.split('\n')[0]).toMatch(/^ DEMO .*READY.*REC STOPPED.*READ-ONLY/);
      // Still alive and drawing after the failure: the Alerts pane (6) says why.
      await press('full', '6');
      const pane = await waitForScreen('full', (s) => /WARNING .*Recording STOPPED: .*ENOSPC/.test(s), 'the alert in the Alerts pane');
      // An alert now, listed once: the notice that said it before is not repeated beside it.
      expect(pane).not.toMatch(/NOTICE Recording STOPPED/);
      await waitForScreen(
        'full',
        () => existsSync(hookOut) && readFileSync(hookOut, 'utf8').includes('"recording.stopped"'),
        'the hook run for recording.stopped',
      );
      const paged = readFileSync(hookOut, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { kind: string; alert: { id: string; severity: string; title: string } })
        .find((l) => l.alert.id === 'recording.stopped');
      expect(paged).toMatchObject({ kind: 'raised', alert: { severity: 'warning', title: expect.stringMatching(/^Recording STOPPED: ENOSPC/) } });
      await press('full', 'q');
      const after = await waitForScreen('full', (s) => /tws-risk demo: .*recording STOPPED \(/.test(s), 'the session summary');
      // One file, or more when the session rotated (at midnight, on a run that crosses one) before the disk filled.
      expect(after).toMatch(/recording STOPPED \(ENOSPC[^)]*\); \S*full\.jsonl\.gz(, \S+)* holds? the session until then, unsealed/);
      expect(after).not.toContain('recorded to');
      // The session failed at what it was started for: exit 1 (README "Exit codes").
      expect(await waitForScreen('full', (s) => /^exit=\d+$/m.test(s), 'the exit code')).toMatch(/^exit=1$/m);
      rmSync(join(disk.dir, 'filler'));
      const v = await verifyRecording(record);
      expect(v.ok && !v.summary.sealed).toBe(true);
    },
    60_000,
  );

  it.skipIf(!hasTmux)(
    'exits within the hook bound although a hook left a setsid child holding its pipe (item 5)',
    async () => {
      const marker = join(dir, 'hook-ran');
      const hook = join(dir, 'escaping-hook.sh');
      writeFileSync(hook, `#!/bin/sh\ntouch "${marker}"\nsetsid sh -c 'echo $$ >> "${escapedPid}"; exec sleep 300' &\nsleep 300\n`);
      chmodSync(hook, 0o755);
      const config = join(dir, 'hook.json');
      writeFileSync(config, JSON.stringify({ alerts: { hook: { command: [hook], timeoutMs: 500, minSeverity: 'info', maxRunning: 1 } } }));
      // A crash a second in raises alerts (at speed 10: at once), and with them the hook.
      const crash = join(dir, 'crash.json');
      writeFileSync(
        crash,
        JSON.stringify({ name: 'crash', startTime: '2026-03-02T14:30:00Z', seed: 7, events: [{ at: '00:00:01', incident: 'crash', pct: -25, volJump: 0.8 }] }),
      );
      newSession('hook', { columns: 100, rows: 30 }, `exec node bin/tws-risk demo --scenario ${crash} --speed 10 --no-record --config ${config}`);
      await waitForScreen('hook', (s) => /READY/.test(s) && /AAPL/.test(s), 'the ready console');
      await waitForScreen('hook', () => existsSync(marker) && existsSync(escapedPid), 'the hook and its escaped child started');
      await press('hook', 'q');
      await waitForScreen('hook', (s) => /tws-risk demo: /.test(s), 'the session summary');
      const quitAt = Date.now();
      // The documented bound: the hook's timeout, then SIGKILL 2 s later (plenty of slack for a loaded machine). The
      // crash's other alerts queued behind maxRunning 1 run after it, each quick to be killed: its sleep obeys SIGTERM.
      await waitForScreen('hook', () => tmux('display-message', '-p', '-t', 'hook', '#{pane_dead}').trim() === '1', 'the console process gone', 15_000);
      expect(Date.now() - quitAt).toBeLessThan(500 + 2_000 + 10_000);
    },
    60_000,
  );
});
