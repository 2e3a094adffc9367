// The demo's text summary (stdout not a terminal) runs the alert engine as the console does: judged, printed, hooked, recorded.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
