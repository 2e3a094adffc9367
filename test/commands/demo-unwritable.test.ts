// `tws-risk demo` as a user runs it (the built CLI in its own process) with a recording directory it cannot write
// (issue 14 item 4): it starts anyway, says it is not recording, and exits with its ports closed.
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, ROOT } from '../support/tmux.js';
import { mountTmpfs, type Tmpfs } from '../support/tmpfs.js';

const dir = mkdtempSync(join(tmpdir(), 'tws-risk-unwritable-'));
let ro: Tmpfs | undefined;
/** A directory nobody here can create files in: a read-only tmpfs as root (root ignores modes), else mode 0500. */
let locked: string;

beforeAll(() => {
  ensureBuilt();
  const m = mountTmpfs('ro', 64, true);
  if (typeof m === 'string') {
    locked = join(dir, 'locked');
    mkdirSync(locked);
    chmodSync(locked, 0o500);
  } else {
    ro = m;
    locked = m.dir;
  }
}, 120_000);

afterAll(() => {
  ro?.unmount();
  rmSync(dir, { recursive: true, force: true });
});

// The simulator's calendar is pinned, so what it shows never depends on today's date.
const scenario = join(dir, 'pinned.json');
writeFileSync(scenario, JSON.stringify({ name: 'pinned', startTime: '2026-03-02T14:30:00Z', seed: 7, speed: 10 }));
// The defaults, from a file that exists: a --config naming no file is refused.
writeFileSync(join(dir, 'none.json'), '{}');

/** Runs the built CLI to its exit (killed and failed past a generous deadline: a hang is the bug). */
function cli(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'tws-risk'), ...args], {
      cwd: dir,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    const deadline = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`tws-risk ${args.join(' ')} did not exit within 60 s; stderr:\n${err}`));
    }, 60_000);
    child.on('close', (code) => {
      clearTimeout(deadline);
      resolve({ code, out, err });
    });
  });
}

/** `demo --once` with the settings file `name` naming `target` as its recording directory. */
function demoRecordingIn(target: string, name: string): ReturnType<typeof cli> {
  const config = join(dir, name);
  writeFileSync(config, JSON.stringify({ recorder: { dir: target } }));
  return cli(['demo', '--once', '--scenario', scenario, '--config', config], { TWS_RISK_DATA_DIR: join(dir, 'data') });
}

describe('demo with an unwritable recording directory', () => {
  it('starts anyway from the settings directory, says it is not recording, and exits', async () => {
    const target = join(locked, 'recordings');
    const r = await demoRecordingIn(target, 'settings.json');
    expect(r.err).not.toMatch(/unexpected error/);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/account DU1234567 {2}base USD {2}health READY/);
    expect(r.err).toMatch(new RegExp(`demo: not recording: cannot record in ${target}: (EACCES|EROFS|ENOENT)`));
    expect(r.err).toMatch(new RegExp(`session not recorded \\(cannot record in ${target}: (EACCES|EROFS|ENOENT)`));
  }, 90_000);

  it('starts anyway with --record FILE in a directory it cannot write', async () => {
    const file = join(locked, 'session.jsonl');
    const r = await cli(['demo', '--once', '--scenario', scenario, '--record', file, '--config', join(dir, 'none.json')], {
      TWS_RISK_DATA_DIR: join(dir, 'data'),
    });
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/health READY/);
    expect(r.err).toMatch(new RegExp(`demo: not recording: cannot record in ${locked}: (EACCES|EROFS|ENOENT)`));
  }, 90_000);

  // /proc exists and refuses new entries with ENOENT, which Node's recursive mkdir retried forever (deaf to SIGTERM).
  it('starts anyway with a recording directory under /proc, naming it, instead of hanging', async () => {
    const target = '/proc/tws-risk-nope/recordings';
    const r = await demoRecordingIn(target, 'settings-proc.json');
    expect(r.err).not.toMatch(/unexpected error/);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/account DU1234567 {2}base USD {2}health READY/);
    expect(r.err).toContain(`demo: not recording: cannot record in ${target}: ENOENT`);
  }, 90_000);
});
