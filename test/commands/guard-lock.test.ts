// The status lock between real processes: of several guards that find a dead guard's lock at once, exactly one takes it over.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { waitFor } from '../sim/helpers.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'tws-risk-guard-lock-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// The built module (the process tests run the built CLI too): each child claims on "go" and holds until its stdin ends.
const CHILD = `
import { claimStatusLock } from ${JSON.stringify(join(ROOT, 'dist', 'src', 'commands', 'guard-lock.js'))};
process.stdout.write('ready\\n');
let buf = '';
process.stdin.on('data', (b) => {
  buf += b;
  if (buf.includes('go\\n') && !buf.includes('claimed')) {
    buf += 'claimed';
    const c = claimStatusLock(process.argv[1]);
    process.stdout.write(JSON.stringify({ ok: c.ok, holder: c.ok ? undefined : c.holder, why: c.ok ? undefined : c.why }) + '\\n');
  }
});
`;

interface Claimant {
  readonly child: ChildProcess;
  readonly out: string[];
}

function claimant(status: string): Claimant {
  const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD, status], { stdio: ['pipe', 'pipe', 'inherit'] });
  const out: string[] = [];
  child.stdout!.on('data', (b: Buffer) => out.push(...b.toString('utf8').split('\n').filter(Boolean)));
  return { child, out };
}

async function deadPid(): Promise<number> {
  const p = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
  await new Promise((r) => p.on('exit', r));
  return p.pid!;
}

describe('the status lock, between processes', () => {
  it("four processes released together on a dead holder's lock: one takes it over, the others are refused, nothing is left but its lock", async () => {
    // Twenty rounds: a takeover that removes the stale lock without the takeover lock and the second read let two win
    // within a few rounds every time it was tried (the race is real-time, so one round alone proves little).
    for (let round = 0; round < 20; round++) {
      const status = join(dir, `status-${round}.json`);
      const lock = `${status}.lock`;
      writeFileSync(lock, JSON.stringify({ pid: await deadPid() }), { mode: 0o600 });
      const cs = [0, 1, 2, 3].map(() => claimant(status));
      try {
        await waitFor(() => cs.every((c) => c.out.includes('ready')), 30_000, 'the claimants ready');
        for (const c of cs) c.child.stdin!.write('go\n');
        await waitFor(() => cs.every((c) => c.out.length === 2), 30_000, `every claim answered: ${JSON.stringify(cs.map((c) => c.out))}`);
        const results = cs.map((c) => JSON.parse(c.out[1]!) as { ok: boolean; holder?: number; why?: string });
        const winners = cs.filter((_, i) => results[i]!.ok);
        expect(winners, JSON.stringify(results)).toHaveLength(1);
        const winner = winners[0]!.child.pid;
        expect(JSON.parse(readFileSync(lock, 'utf8'))).toMatchObject({ pid: winner });
        expect(statSync(lock).mode & 0o777).toBe(0o600);
        for (const r of results.filter((x) => !x.ok)) expect(r.holder === winner || /is taking the lock over/.test(r.why ?? ''), JSON.stringify(r)).toBe(true);
        expect(existsSync(`${lock}.takeover`)).toBe(false);
      } finally {
        for (const c of cs) c.child.kill('SIGKILL');
      }
    }
  }, 120_000);
});
