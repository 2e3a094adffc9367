// A guard that cannot start or stop cleanly ends with a non-zero exit and says why: an unwritable place refused before connecting, a failure once connected, a full disk at stop.
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startGuard, type GuardFlags, type GuardHandle, type GuardRuntime } from '../../src/commands/guard.js';
import { EXIT, type CommandIo } from '../../src/commands/io.js';
import { verifyAuditLog } from '../../src/trading/audit.js';
import { DEFAULT_SETTINGS } from '../../src/config/settings.js';
import { systemClock, type Clock } from '../../src/model/clock.js';
import { waitFor } from '../sim/helpers.js';
import { simulatorsPerTest } from '../support/sim-rig.js';
import { fillUp, mountTmpfs, type Tmpfs } from '../support/tmpfs.js';

const root = mkdtempSync(join(tmpdir(), 'tws-risk-guard-start-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const sims = simulatorsPerTest();
const running: GuardHandle[] = [];
afterEach(async () => {
  while (running.length) await running.pop()!.stop('test over');
});
let n = 0;

/*
 * The tests run as root here, where a 0500 directory is writable all the same: an unwritable place is a path under
 * a regular FILE instead (mkdir answers ENOTDIR), which refuses everyone, root included.
 */
function place(): { dir: string; blocked: string } {
  const dir = join(root, `run-${++n}`);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'a-file');
  writeFileSync(file, 'not a directory\n');
  writeFileSync(join(dir, 'policy.json'), JSON.stringify({ rules: [{ when: { alert: 'excess.negative' }, do: 'notify' }] }));
  return { dir, blocked: join(file, 'sub') };
}

async function start(port: number, dir: string, flags: Partial<GuardFlags>, rt: GuardRuntime = {}) {
  const lines: string[] = [];
  const io: CommandIo = { out: (l) => lines.push(l), err: (l) => lines.push(l) };
  const h = await startGuard(
    { policy: join(dir, 'policy.json'), port: String(port), 'client-id': '71', 'status-file': join(dir, 'status.json'), ...flags },
    io,
    {
      evalMs: 100,
      auditDir: join(dir, 'audit'),
      settings: DEFAULT_SETTINGS,
      env: { ...process.env, TWS_RISK_DATA_DIR: join(dir, 'data') },
      source: { heartbeatMs: 500, heartbeatTimeoutMs: 10_000, backoff: { initialMs: 100, maxMs: 400, jitter: 0.1 } },
      ...rt,
    },
  );
  if (typeof h !== 'number') running.push(h);
  return { h, lines };
}

describe('a guard that cannot write where it must', () => {
  it('refuses with exit 2 before connecting, naming the place and the error: audit log, status file, recording', async () => {
    const sim = await sims();
    const cases: [string, (p: ReturnType<typeof place>) => { flags: Partial<GuardFlags>; rt: GuardRuntime }][] = [
      ['the audit log', (p) => ({ flags: { 'no-record': true }, rt: { auditDir: join(p.blocked, 'audit') } })],
      ['the status file', (p) => ({ flags: { 'no-record': true, 'status-file': join(p.blocked, 'status.json') }, rt: {} })],
      ['the recording', (p) => ({ flags: { record: join(p.blocked, 'guard.jsonl') }, rt: {} })],
    ];
    for (const [what, make] of cases) {
      const p = place();
      const { flags, rt } = make(p);
      const r = await start(sim.port, p.dir, { trade: true, 'confirm-account': 'DU1234567', ...flags }, rt);
      expect(r.h, `${what}:\n${r.lines.join('\n')}`).toBe(EXIT.usage);
      const dir = what === 'the audit log' ? join(p.blocked, 'audit') : p.blocked;
      expect(r.lines.join('\n')).toMatch(
        new RegExp(
          `level=err event=guard\\.unwritable dir=\\S+ msg="tws-risk guard: cannot write ${what} under ${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(ENOTDIR: not a directory, mkdir '[^']+'\\); not started"`,
        ),
      );
      // Refused before connecting: nothing reached TWS.
      expect(sim.snapshot().sessions.filter((s) => s.clientId === 71)).toEqual([]);
      expect(r.lines.some((l) => l.includes('event=guard.start '))).toBe(false);
    }
    // The last case's audit directory was made (checked first, and writable), and holds nothing; no status file either.
    expect(readdirSync(join(root, `run-${n}`)).sort()).toEqual(['a-file', 'audit', 'policy.json']);
    expect(readdirSync(join(root, `run-${n}`, 'audit'))).toEqual([]);
  }, 60_000);
});

describe('a guard that fails once connected', () => {
  it('disconnects and returns a non-zero exit: its client id is free for the next guard at once', async () => {
    const sim = await sims();
    const p = place();
    // A clock past the range of a Date: naming the audit file throws, after the connection was opened (the seam stands
    // in for any start-up failure that the checks above do not foresee).
    const broken: Clock = { ...systemClock, now: () => 8.64e15 + 1 };
    const r = await start(sim.port, p.dir, { 'no-record': true }, { clock: broken });
    expect(r.h, r.lines.join('\n')).toBe(EXIT.invalid);
    expect(r.lines).toContainEqual(expect.stringMatching(/^tws-risk guard: could not start: Invalid time value; disconnecting, not started$/));
    // Left connected, the first guard would hold client id 71, and TWS (the simulator) would refuse this one with 326.
    const next = await start(sim.port, place().dir, { 'no-record': true });
    if (typeof next.h === 'number') throw new Error(`the second guard did not start (exit ${next.h}):\n${next.lines.join('\n')}`);
    const h = next.h;
    await waitFor(() => h.status().connection.health === 'ready', 30_000, `a ready second guard:\n${next.lines.join('\n')}`);
    expect(sim.snapshot().sessions.filter((s) => s.clientId === 71)).toHaveLength(1);
  }, 60_000);
});

describe('a guard whose disk is full when it stops', () => {
  let fs: Tmpfs | string;
  beforeAll(() => {
    fs = mountTmpfs('guard-full', 1024);
  });
  afterAll(() => {
    if (typeof fs !== 'string') fs.unmount();
  });

  it('says the audit log could not be sealed (crit, naming the file), with no stack trace, and exits 1', async (ctx) => {
    if (typeof fs === 'string') return ctx.skip();
    const sim = await sims();
    const p = place();
    const r = await start(sim.port, p.dir, { 'no-record': true }, { auditDir: join(fs.dir, 'audit') });
    if (typeof r.h === 'number') throw new Error(`the guard did not start (exit ${r.h}):\n${r.lines.join('\n')}`);
    const h = r.h;
    await waitFor(() => h.status().connection.health === 'ready', 30_000, `a ready guard:\n${r.lines.join('\n')}`);
    // A real full disk. The audit file's last page may still hold a footer, so entries are appended to it (each
    // reload audits the policy) until one finds no room, which is said, not thrown (from SIGHUP it ended the daemon);
    // the footer the close writes then finds none either.
    fillUp(fs.dir);
    const full = () => r.lines.some((l) => /level=crit event=audit\.appendFailed .*ENOSPC/.test(l));
    for (let i = 0; i < 100 && !full(); i++) h.reload();
    expect(full(), r.lines.join('\n')).toBe(true);
    expect(await h.stop('SIGTERM')).toBe(EXIT.invalid);
    expect(await h.done).toBe(EXIT.invalid);
    const file = h.auditFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    expect(r.lines).toContainEqual(
      expect.stringMatching(
        new RegExp(`level=crit event=audit\\.closeFailed file=${file} msg="ENOSPC: no space left on device, \\w+: the audit log is not sealed`),
      ),
    );
    expect(r.lines).toContainEqual(expect.stringMatching(/level=notice event=guard\.stopped reason=SIGTERM audit=\S+ exit=1$/));
    expect(r.lines.filter((l) => /^\s+at /.test(l) || l.includes('Error:'))).toEqual([]);
    // Unsealed: verify names the torn last line (the entry that found the disk full), the chain intact before it.
    const v = await verifyAuditLog(h.auditFile);
    expect(v.ok, JSON.stringify(v)).toBe(false);
  }, 60_000);
});
