// The demo's text summary (stdout not a terminal) runs the alert engine as the console does: judged, printed, hooked, recorded.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, constants, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readRecording } from '../../src/streams/recording/reader.js';
import { T0, waitFor } from '../sim/helpers.js';
import { mountTmpfs } from '../support/tmpfs.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'tws-risk-demo-text-alerts-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('demo in text mode', () => {
  it('through the margin spike raises the margin alert: printed under the summary, its hook run, recorded as alertChanged', async () => {
    const file = join(dir, 'demo.jsonl');
    const hookOut = join(dir, 'hook.jsonl');
    // The hook appends the payload it reads to a file (hooks run without a shell: the program and its arguments).
    const hook = join(dir, 'hook.mjs');
    writeFileSync(hook, `import { appendFileSync, readFileSync } from 'node:fs';\nappendFileSync(process.argv[2], readFileSync(0, 'utf8'));\n`);
    const settings = join(dir, 'settings.json');
    writeFileSync(settings, JSON.stringify({ alerts: { hook: { command: [process.execPath, hook, hookOut], minSeverity: 'warning' } } }));
    // The scenario's spike comes two simulated minutes in: at 60× two seconds after the start.
    const child = spawn(
      process.execPath,
      [
        join(ROOT, 'bin', 'tws-risk'),
        'demo',
        '--scenario',
        'margin-spike',
        '--start',
        T0,
        '--seed',
        '7',
        '--speed',
        '60',
        '--record',
        file,
        '--config',
        settings,
      ],
      { cwd: dir, env: { ...process.env, TWS_RISK_DATA_DIR: join(dir, 'data') }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString('utf8')));
    child.stderr.on('data', (b: Buffer) => (err += b.toString('utf8')));
    const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    try {
      await waitFor(() => /^alerts:\n {2}(WARNING|CRITICAL) +.*margin/im.test(out), 60_000, 'a margin alert under the summary');
      await waitFor(() => existsSync(hookOut) && readFileSync(hookOut, 'utf8').includes('"kind":"raised"'), 30_000, 'the hook to run for the raised alert');
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
    const payload = JSON.parse(readFileSync(hookOut, 'utf8').trim().split('\n')[0]!) as { kind: string; account: string };
    expect(payload).toMatchObject({ kind: 'raised', account: 'DU1234567' });
    const raised: string[] = [];
    for await (const it of readRecording(file, { skipKeyframeStates: true }))
      if (it.kind === 'event' && it.event.type === 'alertChanged' && it.event.kind === 'raised') raised.push(String(it.event.alert.id));
    expect(raised.some((id) => id.startsWith('margin.'))).toBe(true);
  }, 120_000);

  it('at Ctrl-C waits for a running hook as the console does: said on stderr with the bound; Ctrl-C again kills it', async () => {
    const sub = join(dir, 'quit-wait');
    mkdirSync(sub);
    // The hook says it started, then blocks on a FIFO nobody writes: it runs until it is killed.
    const started = join(sub, 'started');
    const fifo = join(sub, 'never');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const hook = join(sub, 'page-me');
    writeFileSync(hook, `#!/bin/sh\necho $$ >> "${started}"\nread x < "${fifo}"\n`, { mode: 0o755 });
    const settings = join(sub, 'settings.json');
    writeFileSync(settings, JSON.stringify({ alerts: { hook: { command: [hook], minSeverity: 'warning', timeoutMs: 60_000 } } }));
    const child = spawn(
      process.execPath,
      [join(ROOT, 'bin', 'tws-risk'), 'demo', '--scenario', 'margin-spike', '--start', T0, '--seed', '7', '--speed', '60', '--no-record', '--config', settings],
      { cwd: sub, env: { ...process.env, TWS_RISK_DATA_DIR: join(sub, 'data') }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let err = '';
    child.stdout.resume();
    child.stderr.on('data', (b: Buffer) => (err += b.toString('utf8')));
    const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    // The hooks still alive, by the pids they wrote (probing the FIFO would end their read).
    const alive = (): number[] =>
      (existsSync(started) ? readFileSync(started, 'utf8').trim().split('\n').map(Number) : []).filter((pid) => {
        try {
          process.kill(pid, 0);
          return true;
        } catch {
          return false;
        }
      });
    try {
      await waitFor(() => alive().length > 0, 60_000, 'the hook running, blocked on its FIFO');
      child.kill('SIGINT');
      await waitFor(() => err.includes('waiting up to'), 20_000, 'the quit saying what it waits for');
      // After the session's last line, what holds the exit: the hook(s), since when, and the bound (60 s + 2 s grace).
      expect(err).toMatch(
        /session not recorded.*\ntws-risk: waiting up to (6[0-2]|5\d) s for (the alert hook|\d+ alert hooks) \(.*page-me for .*\); Ctrl-C again stops waiting and kills (it|them)\n/,
      );
      expect(alive().length).toBeGreaterThan(0);
      child.kill('SIGINT');
      expect(await exited).toBe(0);
      expect(err).toMatch(/tws-risk: alert hook .*page-me killed \(Ctrl-C at quit\) for /);
      // Killed (reaped by the demo, or by init once it has exited): none left.
      await waitFor(() => alive().length === 0, 10_000, 'the hooks gone');
    } finally {
      child.kill('SIGKILL');
      // A failed run must not leave a hook blocked: a writer that opens and closes the FIFO ends its read.
      for (let i = 0; i < 8; i++)
        try {
          closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
        } catch {
          // No reader left.
        }
    }
  }, 120_000);

  const disk = mountTmpfs('demo-text-full', 48);
  afterAll(() => (typeof disk === 'string' ? undefined : disk.unmount()));
  it.skipIf(typeof disk === 'string')(
    'on a full disk lists recording.stopped under the summary and exits 1 (it went to stderr alone)',
    async () => {
      // Room for the start of the recording, not for long: the writer meets ENOSPC within seconds at 10×.
      const d = disk as Exclude<typeof disk, string>;
      const child = spawn(
        process.execPath,
        [join(ROOT, 'bin', 'tws-risk'), 'demo', '--start', T0, '--seed', '7', '--speed', '10', '--record', join(d.dir, 'demo.jsonl')],
        {
          cwd: dir,
          env: { ...process.env, TWS_RISK_DATA_DIR: join(dir, 'data-full'), TWS_RISK_CONFIG: join(dir, 'none.json') },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let out = '';
      child.stdout.on('data', (b: Buffer) => (out += b.toString('utf8')));
      const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
      try {
        await waitFor(() => /^alerts:\n {2}WARNING +Recording STOPPED: ENOSPC/m.test(out), 60_000, 'recording.stopped under the summary');
      } finally {
        child.kill('SIGINT');
      }
      expect(await exited).toBe(1);
    },
    120_000,
  );
});
