// `tws-risk guard` as systemd runs it: a process that logs one line per event, reloads on SIGHUP (a bad policy is
// refused and the old one kept), stops on SIGTERM with its recording sealed, and answers `guard status` for monitors.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/commands/io.js';
import { verifyCommand } from '../../src/commands/verify.js';
import { verifyRecording } from '../../src/streams/recording/reader.js';
import { waitFor } from '../sim/helpers.js';
import { runCli } from '../support/cli.js';
import { simulatorsPerTest } from '../support/sim-rig.js';
import { fillUp, mountTmpfs } from '../support/tmpfs.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'tws-risk-guard-proc-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const sims = simulatorsPerTest();

function start(args: string[], env: Record<string, string> = {}): { child: ChildProcess; out: string[]; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'tws-risk'), ...args], {
    cwd: dir,
    env: { ...process.env, TWS_RISK_DATA_DIR: join(dir, 'data'), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out: string[] = [];
  let tail = '';
  const take = (b: Buffer) => {
    tail += b.toString('utf8');
    const parts = tail.split('\n');
    tail = parts.pop()!;
    out.push(...parts);
  };
  child.stdout!.on('data', take);
  child.stderr!.on('data', take);
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { child, out, exited };
}

describe('tws-risk guard, the process', () => {
  it('refuses a bad policy with exit 2, naming each problem, before connecting', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ rules: [{ when: { alert: 'cushion.bnad', forMs: 'long' }, do: 'reduce', scope: 'all' }], limits: { coolDownMs: -1 } }));
    // Port 1: nothing listens there, and nothing may be tried before the policy is good.
    const r = await runCli('guard', '--policy', bad, '--port', '1');
    expect(r.code).toBe(2);
    expect(r.err).toContain(`${bad}: error at rules[0].when.alert: no alert rule is called "cushion.bnad"`);
    expect(r.err).toContain(`${bad}: error at rules[0].when.forMs: expected a whole number from 0 to 86400000, got "long"`);
    expect(r.err).toContain(`${bad}: error at rules[0].scope: only a "flatten" rule takes scope`);
    expect(r.err).toContain(`${bad}: error at limits.coolDownMs: -1 is outside 0 to 86400000`);
    expect(r.err).toContain('tws-risk guard: 4 problem(s) in the policy; not started');
    expect((await runCli('guard', '--port', '1')).err).toContain('--policy FILE is required');
    expect((await runCli('guard', '--policy', bad, '--trade')).err).toContain('--trade and --confirm-account ACCOUNT go together');
    expect((await runCli('guard', 'stats')).err).toContain("unexpected argument 'stats' (the subcommands are status and check)");
    const checked = await runCli('guard', 'check', '--policy', bad);
    expect(checked.code).toBe(2);
    expect(checked.err).toContain('tws-risk guard check: 4 problem(s) in the policy');
    const good = join(dir, 'good.json');
    writeFileSync(
      good,
      JSON.stringify({
        rules: [{ when: { alert: 'foreign.client', severity: 'warning' }, do: 'cancelClient', clientIds: 'foreign' }],
        limits: { window: 'always' },
      }),
    );
    const ok = await runCli('guard', 'check', '--policy', good);
    expect(ok.code).toBe(0);
    expect(ok.out.split('\n')).toEqual([
      expect.stringMatching(new RegExp(`^${good.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: valid \\(sha256 [0-9a-f]{64}\\)$`)),
      '  rules[0]: when foreign.client is warning or worse for 0 ms do cancelClient clientIds=foreign',
      '  limits: at most 3 trading action(s) an hour, 300000 ms apart, at any time, on data younger than 200000 ms',
    ]);
  });

  it('reloads on SIGHUP (keeping the old policy when the new one is bad), reports its status, and seals on SIGTERM', async () => {
    const sim = await sims();
    const policy = join(dir, 'policy.json');
    writeFileSync(policy, JSON.stringify({ rules: [{ when: { alert: 'excess.negative', severity: 'critical' }, do: 'globalCancel' }] }));
    const status = join(dir, 'status.json');
    const recording = join(dir, 'guard.jsonl');
    const g = start(['guard', '--policy', policy, '--port', String(sim.port), '--client-id', '62', '--status-file', status, '--record', recording], {
      JOURNAL_STREAM: '8:1234',
    });
    try {
      await waitFor(() => g.out.some((l) => /^<5>\S+Z level=notice event=connection health=ready /.test(l)), 30_000, `ready; output:\n${g.out.join('\n')}`);
      // The status file follows the evaluation that saw the connection (the first one runs the whole stress grid).
      const statusSays = () => {
        try {
          return (JSON.parse(readFileSync(status, 'utf8')) as { connection: { health: string } }).connection.health === 'ready';
        } catch {
          return false;
        }
      };
      await waitFor(statusSays, 30_000, 'the status file saying ready');
      expect(g.out[0]).toMatch(/^<5>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z level=notice event=guard\.start version=\S+ mode=dry-run host=127\.0\.0\.1 /);
      const healthy = await runCli('guard', 'status', '--status-file', status);
      expect(healthy.code, `${healthy.text}\n${g.out.join('\n')}`).toBe(0);
      expect(healthy.out).toMatch(/^guard running \(pid \d+\), dry run, account DU1234567, status \d+ s old/);
      expect(healthy.out).toContain('would do now: nothing (no listed alert matches a rule)');
      expect(healthy.out).toContain('last action: none');

      writeFileSync(policy, JSON.stringify({ rules: [{ when: { alert: 'excess.negative' }, do: 'panic' }] }));
      g.child.kill('SIGHUP');
      await waitFor(() => g.out.some((l) => /^<3>\S+Z level=err event=policy\.rejected /.test(l)), 20_000, `rejected; output:\n${g.out.join('\n')}`);
      expect(g.out).toContainEqual(expect.stringMatching(/^<3>\S+Z level=err event=policy\.problem msg=".*error at rules\[0\]\.do: expected one of/));
      writeFileSync(policy, JSON.stringify({ rules: [{ when: { alert: 'excess.negative' }, do: 'notify' }] }));
      g.child.kill('SIGHUP');
      await waitFor(() => g.out.some((l) => /^<5>\S+Z level=notice event=policy\.reloaded /.test(l)), 20_000, `reloaded; output:\n${g.out.join('\n')}`);

      g.child.kill('SIGTERM');
      expect(await g.exited).toBe(0);
      // One signal, one reload: nothing in the process sends SIGHUP again (when-exit did, before the guard took it).
      expect(g.out.filter((l) => l.includes('event=policy.rejected '))).toHaveLength(1);
      expect(g.out.filter((l) => l.includes('event=policy.reloaded '))).toHaveLength(1);
      expect(g.out).toContainEqual(expect.stringMatching(/^<5>\S+Z level=notice event=guard\.stopped reason=SIGTERM recording=\S+guard\.jsonl audit=/));
      const out: string[] = [];
      expect(await verifyCommand(recording, { strict: true, json: false }, { out: (l) => out.push(l), err: (l) => out.push(l) })).toBe(0);
      const stopped = await runCli('guard', 'status', '--status-file', status);
      expect(stopped.code).toBe(1);
      expect(stopped.err).toContain('tws-risk guard status: the guard has stopped');
    } finally {
      g.child.kill('SIGKILL');
    }
  }, 90_000);

  it('with a data directory it cannot write, exits 2 naming the directory and the error, before connecting', async () => {
    const sim = await sims();
    const policy = join(dir, 'policy-unwritable.json');
    writeFileSync(policy, JSON.stringify({ rules: [{ when: { alert: 'excess.negative' }, do: 'notify' }] }));
    // Running as root, a 0500 directory is writable all the same: the data directory is under a regular file (ENOTDIR).
    const file = join(dir, 'a-file');
    writeFileSync(file, 'not a directory\n');
    const data = join(file, 'sub');
    const g = start(['guard', '--policy', policy, '--port', String(sim.port), '--trade', '--confirm-account', 'DU1234567'], {
      TWS_RISK_DATA_DIR: data,
    });
    try {
      // Once, this process printed an unexpected error and stayed connected as client 4218, doing nothing.
      expect(await g.exited, g.out.join('\n')).toBe(2);
      expect(g.out.join('\n')).toContain(
        `event=guard.unwritable dir=${join(data, 'audit')} msg="tws-risk guard: cannot write the audit log under ${join(data, 'audit')} (ENOTDIR: not a directory, mkdir '`,
      );
      expect(g.out.some((l) => l.includes('event=guard.start '))).toBe(false);
      expect(sim.snapshot().sessions).toEqual([]);
    } finally {
      g.child.kill('SIGKILL');
    }
  }, 60_000);

  it('on SIGTERM with its disk full, says the audit log could not be closed and exits 1, with no stack trace', async (ctx) => {
    const fs = mountTmpfs('guard-proc-full', 1024);
    if (typeof fs === 'string') return ctx.skip();
    try {
      const sim = await sims();
      const policy = join(dir, 'policy-full.json');
      writeFileSync(policy, JSON.stringify({ rules: [{ when: { alert: 'excess.negative' }, do: 'notify' }] }));
      const g = start(
        ['guard', '--policy', policy, '--port', String(sim.port), '--client-id', '64', '--status-file', join(dir, 'status-full.json'), '--no-record'],
        { TWS_RISK_DATA_DIR: fs.dir },
      );
      try {
        await waitFor(() => g.out.some((l) => /level=notice event=connection health=ready /.test(l)), 30_000, `ready; output:\n${g.out.join('\n')}`);
        fillUp(fs.dir);
        // Each SIGHUP audits the reloaded policy, until the audit file's last page has no room left.
        const full = () => g.out.some((l) => /level=crit event=audit\.appendFailed .*ENOSPC/.test(l));
        for (let i = 0; i < 100 && !full(); i++) {
          const reloads = g.out.filter((l) => l.includes('event=policy.reloaded ') || l.includes('event=audit.appendFailed ')).length;
          g.child.kill('SIGHUP');
          await waitFor(
            () => g.out.filter((l) => l.includes('event=policy.reloaded ') || l.includes('event=audit.appendFailed ')).length > reloads,
            10_000,
            `reload ${i}; output:\n${g.out.join('\n')}`,
          );
        }
        g.child.kill('SIGTERM');
        expect(await g.exited, g.out.join('\n')).toBe(1);
        expect(g.out).toContainEqual(
          expect.stringMatching(
            /level=crit event=audit\.closeFailed file=\S+-guard\.jsonl msg="ENOSPC: no space left on device, \w+: the audit log is not sealed/,
          ),
        );
        expect(g.out).toContainEqual(expect.stringMatching(/level=notice event=guard\.stopped reason=SIGTERM audit=\S+ exit=1$/));
        expect(
          g.out.filter((l) => /^\s+at /.test(l) || /^\w*Error\b/.test(l)),
          g.out.join('\n'),
        ).toEqual([]);
      } finally {
        g.child.kill('SIGKILL');
      }
    } finally {
      fs.unmount();
    }
  }, 90_000);

  it("stops with its recording sealed and exit 141 when its log's reader closes stdout", async () => {
    const sim = await sims();
    const policy = join(dir, 'policy-epipe.json');
    writeFileSync(policy, JSON.stringify({ rules: [{ when: { alert: 'excess.negative' }, do: 'notify' }] }));
    const recording = join(dir, 'guard-epipe.jsonl');
    const g = start([
      'guard',
      '--policy',
      policy,
      '--port',
      String(sim.port),
      '--client-id',
      '63',
      '--status-file',
      join(dir, 'status-epipe.json'),
      '--record',
      recording,
    ]);
    try {
      await waitFor(() => g.out.some((l) => /level=notice event=connection health=ready /.test(l)), 30_000, `ready; output:\n${g.out.join('\n')}`);
      // The reader goes (a log shipper that died); the next log line, the reload's, meets EPIPE.
      g.child.stdout!.destroy();
      g.child.kill('SIGHUP');
      expect(await g.exited, g.out.join('\n')).toBe(EXIT.outputClosed);
      const v = await verifyRecording(recording);
      expect(v.ok && v.summary.footer?.reason).toBe('guard stopped: output closed');
    } finally {
      g.child.kill('SIGKILL');
    }
  }, 90_000);

  it("a second guard on a live guard's status file refuses to start (exit 2, naming its pid); once that one stops, it takes the file over", async () => {
    const sim = await sims();
    const policy = join(dir, 'policy-shared.json');
    writeFileSync(policy, JSON.stringify({ rules: [{ when: { alert: 'excess.negative' }, do: 'notify' }] }));
    const status = join(dir, 'status-shared.json');
    const args = (clientId: string) => [
      'guard',
      '--policy',
      policy,
      '--port',
      String(sim.port),
      '--client-id',
      clientId,
      '--status-file',
      status,
      '--no-record',
    ];
    const first = start(args('64'));
    let second: ReturnType<typeof start> | undefined;
    try {
      await waitFor(() => g1Ready(), 30_000, `the first guard's status; output:\n${first.out.join('\n')}`);
      second = start(args('65'), { JOURNAL_STREAM: '8:1234' });
      expect(await second.exited, second.out.join('\n')).toBe(2);
      expect(second.out).toContainEqual(
        expect.stringMatching(
          new RegExp(
            `^<3>\\S+Z level=err event=status\\.inUse file=\\S+status-shared\\.json pid=${first.child.pid} msg="another guard \\(pid ${first.child.pid}, dry run, `,
          ),
        ),
      );
      expect(JSON.parse(readFileSync(status, 'utf8'))).toMatchObject({ pid: first.child.pid, stopped: false });
      first.child.kill('SIGTERM');
      expect(await first.exited).toBe(0);
      const third = start(args('65'));
      try {
        await waitFor(
          () => (JSON.parse(readFileSync(status, 'utf8')) as { pid: number }).pid === third.child.pid,
          30_000,
          `taken over; output:\n${third.out.join('\n')}`,
        );
      } finally {
        third.child.kill('SIGKILL');
      }
    } finally {
      first.child.kill('SIGKILL');
      second?.child.kill('SIGKILL');
    }
    function g1Ready(): boolean {
      try {
        return (JSON.parse(readFileSync(status, 'utf8')) as { pid: number }).pid === first.child.pid;
      } catch {
        return false;
      }
    }
  }, 90_000);

  it('two guards started in the same instant on one status file: exactly one runs, the other refuses naming it; the lock goes with the one that stops', async () => {
    const sim = await sims();
    const policy = join(dir, 'policy-twins.json');
    writeFileSync(policy, JSON.stringify({ rules: [{ when: { alert: 'excess.negative' }, do: 'notify' }] }));
    const status = join(dir, 'status-twins.json');
    const args = (clientId: string) => [
      'guard',
      '--policy',
      policy,
      '--port',
      String(sim.port),
      '--client-id',
      clientId,
      '--status-file',
      status,
      '--no-record',
    ];
    // Spawned in one tick. Node's start-up outlasts the gap between the status check and the first write, so this seldom
    // raced the check alone; the claimed-but-not-written instant itself is pinned in trial.test.ts with a held lock.
    const a = start(args('66'));
    const b = start(args('67'));
    try {
      const first = await Promise.race([a.exited.then(() => a), b.exited.then(() => b)]);
      const runner = first === a ? b : a;
      expect(await first.exited, first.out.join('\n')).toBe(2);
      expect(first.out).toContainEqual(
        expect.stringMatching(
          new RegExp(`level=err event=status\\.inUse file=\\S+status-twins\\.json pid=${runner.child.pid} msg="another guard \\(pid ${runner.child.pid}`),
        ),
      );
      await waitFor(
        () => runner.out.some((l) => /level=notice event=connection health=ready /.test(l)),
        30_000,
        `the other guard ready; output:\n${runner.out.join('\n')}`,
      );
      expect(runner.child.exitCode).toBeNull();
      expect(JSON.parse(readFileSync(`${status}.lock`, 'utf8'))).toMatchObject({ pid: runner.child.pid });
      expect(statSync(`${status}.lock`).mode & 0o777).toBe(0o600);
      runner.child.kill('SIGTERM');
      expect(await runner.exited).toBe(0);
      expect(existsSync(`${status}.lock`)).toBe(false);
    } finally {
      a.child.kill('SIGKILL');
      b.child.kill('SIGKILL');
    }
  }, 90_000);

  it('guard status says when there is no guard, or its status is too old', async () => {
    const none = await runCli('guard', 'status', '--status-file', join(dir, 'nothing.json'));
    expect(none.code).toBe(1);
    expect(none.err).toContain('no such file: is the guard running, with this --status-file?');
    const old = join(dir, 'old.json');
    writeFileSync(
      old,
      JSON.stringify({
        format: 'tws-risk-guard-status',
        pid: 1,
        startedAt: '2026-03-02T14:30:00.000Z',
        updatedAt: '2026-03-02T14:30:00.000Z',
        stopped: false,
        mode: 'trade',
        account: 'DU1234567',
        connection: { health: 'ready', reason: null },
        policy: { file: 'p.json', hash: 'ab'.repeat(32), rules: 1 },
        blocked: null,
        wouldDo: [],
        lastAction: null,
        actionsLastHour: 0,
        audit: 'a.jsonl',
        recording: null,
      }),
    );
    const r = await runCli('guard', 'status', '--status-file', old, '--json');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out)).toMatchObject({
      healthy: false,
      problems: [expect.stringMatching(/^the status is \d+ s old \(more than --max-age 15\): the guard is not running or is stuck$/)],
    });
  });
});
