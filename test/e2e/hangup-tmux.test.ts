// The console ended from outside (a hangup, a kill, a terminal gone without a signal) says so: the recording's
// footer, its last event, the replay marker and the exit line name the cause instead of "operator quit".
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FeedEvent } from '../../src/model/events.js';
import { readRecording, verifyRecording } from '../../src/streams/recording/reader.js';
import { markerOf, newMarkerMemory, type Marker } from '../../src/streams/replay/markers.js';
import { ensureBuilt, hasTmux, ROOT, tmuxServer } from '../support/tmux.js';

const server = tmuxServer('hangup');
const { dir, tmux, newSession, waitForScreen } = server;
if (!hasTmux) console.warn('test/e2e/hangup-tmux.test.ts: skipped because tmux is not installed (on PATH); .ci/run installs it with apt-get');

// The simulator's calendar is pinned: nothing recorded depends on today's date.
const scenario = join(dir, 'pinned.json');
writeFileSync(scenario, JSON.stringify({ name: 'pinned', startTime: '2026-03-02T14:30:00Z', seed: 7 }));
const pidFiles: string[] = [];

beforeAll(() => ensureBuilt(), 120_000);

afterAll(() => {
  // A console that outlived its terminal (the bug) is ended here, by the pid it wrote, not left running.
  for (const f of pidFiles) {
    try {
      if (existsSync(f)) process.kill(Number(readFileSync(f, 'utf8').trim()), 'SIGKILL');
    } catch {
      // Already gone: the expected case.
    }
  }
  if (hasTmux) server.kill();
  rmSync(dir, { recursive: true, force: true });
});

const demo = (record: string) => `node bin/tws-risk demo --scenario ${scenario} --record ${record} --config ${join(dir, 'none.json')}`;

/** Starts the demo console; `exec` makes the pane's process the CLI itself, so a signal reaches it directly. */
async function startDemo(session: string, command: string): Promise<void> {
  newSession(session, { columns: 100, rows: 30 }, command);
  await waitForScreen(session, (s) => /READY/.test(s) && /AAPL/.test(s), 'the ready console');
}

/** The sealed recording's footer reason, its last event and the last replay marker, read once it is sealed. */
async function ending(record: string): Promise<{ reason: string | undefined; last: FeedEvent; marker: Marker | undefined }> {
  await until(async () => {
    const v = await verifyRecording(record);
    return v.ok && v.summary.sealed;
  }, `${record} sealed`);
  const v = await verifyRecording(record);
  const events: FeedEvent[] = [];
  for await (const item of readRecording(record, { skipKeyframeStates: true })) if (item.kind === 'event') events.push(item.event);
  const mem = newMarkerMemory();
  const markers = events.map((e) => markerOf(e, mem, 'USD')).filter((m) => m !== undefined);
  return { reason: v.ok ? v.summary.footer?.reason : undefined, last: events.at(-1)!, marker: markers.at(-1) };
}

/** Polls `done` until it holds; fails past a generous deadline (a hang is the bug, never a timing figure). */
async function until(done: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !(await done());) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs / 1000} s: ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function gone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch {
    return true;
  }
}

describe('a console ended from outside names the cause', () => {
  for (const [signal, text] of [
    ['SIGHUP', 'terminal closed (SIGHUP)'],
    ['SIGTERM', 'terminated (SIGTERM)'],
  ] as const) {
    it.skipIf(!hasTmux)(
      `${signal}: footer, last event, replay marker and exit line say "${text}", not the operator's quit`,
      async () => {
        const session = signal.toLowerCase();
        const record = join(dir, `${session}.jsonl`);
        await startDemo(session, `exec ${demo(record)}`);
        const pid = Number(tmux('display-message', '-p', '-t', session, '#{pane_pid}').trim());
        process.kill(pid, signal);
        const after = await waitForScreen(session, (s) => /tws-risk demo: .* recorded to /.test(s), `the session summary after ${signal}`);
        expect(after).toContain(`ended: ${text}`);
        const e = await ending(record);
        expect(e.reason).toBe(text);
        expect(e.last).toMatchObject({ type: 'healthChanged', health: 'disconnected', cause: 'operatorStop', reason: text });
        expect(e.marker?.label).toBe(`session ended: ${text}`);
      },
      60_000,
    );
  }

  it.skipIf(!hasTmux)(
    'tmux kill-session (the terminal closes: hangup and end of input at once) is a closed terminal, not a quit',
    async () => {
      const record = join(dir, 'kill-session.jsonl');
      await startDemo('killed', `exec ${demo(record)}`);
      tmux('kill-session', '-t', 'killed');
      const e = await ending(record);
      // Which of the two news arrives first is the kernel's race; both are the terminal closing.
      expect(e.reason).toMatch(/^terminal closed \((SIGHUP|its input ended)\)$/);
      expect(e.last).toMatchObject({ type: 'healthChanged', cause: 'operatorStop', reason: e.reason });
      expect(e.marker?.label).toBe(`session ended: ${e.reason}`);
    },
    60_000,
  );

  it.skipIf(!hasTmux)(
    'a terminal gone without a SIGHUP reaching the console (its own session) ends it when its input ends',
    async () => {
      const record = join(dir, 'no-hup.jsonl');
      const pidFile = join(dir, 'no-hup.pid');
      pidFiles.push(pidFile);
      // setsid: the console runs in a session of its own on the pane's terminal, so the hangup the kernel and tmux
      // send to the pane's session never reaches it; only its input ends.
      await startDemo('nohup', `setsid -w sh -c 'echo $$ > ${pidFile}; exec ${demo(record)}'`);
      const pid = Number(readFileSync(pidFile, 'utf8').trim());
      tmux('kill-session', '-t', 'nohup');
      const e = await ending(record);
      expect(e.reason).toBe('terminal closed (its input ended)');
      expect(e.last).toMatchObject({ type: 'healthChanged', cause: 'operatorStop', reason: 'terminal closed (its input ended)' });
      await until(() => gone(pid), 'the console process gone');
    },
    60_000,
  );
});

describe('demo without the console (stdin not a terminal)', () => {
  it('SIGTERM is named in the footer and the exit line; Ctrl-C (SIGINT) stays the quit it is documented as', async () => {
    for (const [signal, reason, line] of [
      ['SIGTERM', 'terminated (SIGTERM)', '; ended: terminated (SIGTERM)'],
      ['SIGINT', 'operator quit', undefined],
    ] as const) {
      const record = join(dir, `text-${signal}.jsonl`);
      const args = ['demo', '--scenario', scenario, '--record', record, '--config', join(dir, 'none.json')];
      const child = spawn(process.execPath, [join(ROOT, 'bin', 'tws-risk'), ...args], {
        cwd: ROOT,
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let err = '';
      child.stderr.on('data', (b: Buffer) => (err += b.toString()));
      const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
      try {
        await until(() => existsSync(record) && /Ctrl-C to quit/.test(err), 'the demo started, recording');
        child.kill(signal);
        expect(await exited).toBe(0);
      } finally {
        child.kill('SIGKILL');
      }
      const e = await ending(record);
      expect(e.reason).toBe(reason);
      if (line) expect(err).toContain(`session recorded to ${record} (check it with: `);
      if (line) expect(err).toContain(line);
      else expect(err).not.toContain('ended:');
    }
  }, 90_000);
});
