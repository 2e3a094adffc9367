// The guard daemon against the simulator's incidents: one action per episode, foreign orders only, no action when
// disconnected or stale, acting again after a 1101 without a restart, a dry run that sends nothing, a reduction that
// goes through to its fills, a flatten planned again when the market moves past it mid-way (at most MAX_REPLANS
// times; a reduction never), reloads that keep a good policy, and an audit log that verifies.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { guardStatusCommand, startGuard, type GuardFlags, type GuardHandle } from '../../src/commands/guard.js';
import { EXIT, type CommandIo } from '../../src/commands/io.js';
import { verifyCommand } from '../../src/commands/verify.js';
import { DEFAULT_SETTINGS, type Settings } from '../../src/config/settings.js';
import type { FeedEvent } from '../../src/model/events.js';
import type { Simulator } from '../../src/sim/index.js';
import { snapshotValue } from '../../src/sim/snapshot.js';
import { readRecording } from '../../src/streams/recording/reader.js';
import { TwsSource } from '../../src/streams/tws/source.js';
import { waitFor } from '../sim/helpers.js';
import { simulatorsPerTest } from '../support/sim-rig.js';

const root = mkdtempSync(join(tmpdir(), 'tws-risk-guard-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const sims = simulatorsPerTest();
const ACCOUNT = 'DU1234567';
const GUARD_CLIENT = 61;
let n = 0;

interface Run {
  readonly h: GuardHandle;
  readonly lines: string[];
  readonly dir: string;
  readonly policyFile: string;
  readonly recording: string;
}

const running: GuardHandle[] = [];
afterEach(async () => {
  while (running.length) await running.pop()!.stop('test over');
});

function writePolicy(file: string, policy: unknown): string {
  writeFileSync(file, `${JSON.stringify(policy, null, 2)}\n`);
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

async function guard(
  sim: Simulator,
  policy: unknown,
  o: { trade?: boolean; alerts?: Record<string, unknown>; flags?: Partial<GuardFlags> } = {},
): Promise<Run> {
  const dir = join(root, `run-${++n}`);
  const policyFile = join(dir, 'policy.json');
  const lines: string[] = [];
  const io: CommandIo = { out: (l) => lines.push(l), err: (l) => lines.push(l) };
  const { mkdirSync } = await import('node:fs');
  mkdirSync(dir, { recursive: true });
  writePolicy(policyFile, policy);
  const recording = join(dir, 'guard.jsonl');
  const settings: Settings = { ...DEFAULT_SETTINGS, alerts: { ...(o.alerts ?? {}) } };
  const h = await startGuard(
    {
      policy: policyFile,
      port: String(sim.port),
      'client-id': String(GUARD_CLIENT),
      record: recording,
      'status-file': join(dir, 'status.json'),
      ...(o.trade ? { trade: true, 'confirm-account': ACCOUNT } : {}),
      ...o.flags,
    },
    io,
    {
      evalMs: 100,
      auditDir: join(dir, 'audit'),
      settings,
      actionTimeoutMs: 20_000,
      env: { ...process.env, TWS_RISK_DATA_DIR: join(dir, 'data') },
      source: { heartbeatMs: 500, heartbeatTimeoutMs: 10_000, backoff: { initialMs: 100, maxMs: 400, jitter: 0.1 }, openOrdersPollMs: 300 },
    },
  );
  if (typeof h === 'number') throw new Error(`guard did not start (exit ${h}):\n${lines.join('\n')}`);
  running.push(h);
  return { h, lines, dir, policyFile, recording };
}

/** waitFor, with the guard's log as it is at the deadline (not as it was when the wait began). */
async function until<T>(r: Run, predicate: () => T | undefined | null | false, ms: number, what: string): Promise<T> {
  try {
    return await waitFor(predicate, ms, what);
  } catch (e) {
    throw new Error(`${(e as Error).message}\nguard log:\n${r.lines.join('\n')}\nstatus: ${JSON.stringify(r.h.status(), null, 1)}`);
  }
}

const ready = (r: Run) => until(r, () => r.h.status().connection.health === 'ready' && r.h.status().blocked === null, 30_000, 'a ready guard');

type AuditLine = { kind: string; type?: string; detail?: Record<string, unknown> };
const audit = (r: Run): AuditLine[] =>
  readFileSync(r.h.auditFile, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as AuditLine);
const entries = (r: Run, type: string) => audit(r).filter((e) => e.kind === 'entry' && e.type === type);

async function recorded(file: string): Promise<FeedEvent[]> {
  const out: FeedEvent[] = [];
  for await (const it of readRecording(file)) if (it.kind === 'event') out.push(it.event);
  return out;
}

async function verifies(file: string): Promise<string> {
  const out: string[] = [];
  const code = await verifyCommand(file, { strict: true, json: false }, { out: (l) => out.push(l), err: (l) => out.push(l) });
  expect(code, out.join('\n')).toBe(0);
  return out[0]!;
}

const restingOrder = (clientId: number) =>
  ({ incident: 'foreign-order', clientId, symbol: 'AAPL', secType: 'STK', action: 'SELL', quantity: '100', orderType: 'LMT', lmtPrice: 100_000 }) as const;
const openOrderClients = (sim: Simulator) =>
  sim
    .snapshot()
    .openOrders.map((o) => o.clientId)
    .sort((a, b) => a - b);

const EXCESS_GLOBAL = {
  rules: [{ when: { alert: 'excess.negative', severity: 'critical' }, do: 'globalCancel' }],
  limits: { maxActionsPerHour: 3, coolDownMs: 600_000, window: 'always' },
};

describe('tws-risk guard on the simulator', () => {
  it('a margin spike that makes ExcessLiquidity negative triggers exactly one action; the audit log and recording verify and show it', async () => {
    const sim = await sims();
    await sim.trigger(restingOrder(42));
    const r = await guard(sim, EXCESS_GLOBAL, { trade: true });
    const hash = createHash('sha256').update(readFileSync(r.policyFile)).digest('hex');
    await ready(r);
    expect(openOrderClients(sim)).toEqual([42]);
    await sim.trigger({ incident: 'margin-spike', factor: 3, secTypes: ['ALL'] });
    await until(r, () => r.h.status().lastAction?.outcome === 'done', 30_000, `the action`);
    // Evaluated again after its action, the rule stays done for this episode.
    await until(r, () => r.h.status().wouldDo.some((v) => v.alert === 'excess.negative' && v.state === 'done'), 20_000, 'a later evaluation');
    expect(openOrderClients(sim)).toEqual([]);
    expect(await r.h.stop('test over')).toBe(0);

    const decisions = entries(r, 'guardDecision');
    expect(decisions).toHaveLength(1);
    expect(decisions[0]!.detail).toMatchObject({
      policyHash: hash,
      rule: 'rules[0]',
      action: 'globalCancel',
      alert: { id: 'excess.negative', severity: 'critical' },
      dryRun: false,
    });
    expect(entries(r, 'globalCancelSent')).toHaveLength(1);
    expect(entries(r, 'guardResult').map((e) => e.detail!.outcome)).toEqual(['done']);
    expect(entries(r, 'policy')[0]!.detail).toMatchObject({ outcome: 'loaded', hash });
    expect(await verifies(r.h.auditFile)).toMatch(/^VALID audit log/);
    expect(await verifies(r.recording)).toMatch(/^VALID/);
    const guardEvents = (await recorded(r.recording)).filter((e) => e.type === 'guardActed');
    expect(guardEvents.map((e) => (e.type === 'guardActed' ? e.step : ''))).toEqual(['policyLoaded', 'decided', 'result']);
    expect(guardEvents[1]).toMatchObject({ action: 'globalCancel', alert: { id: 'excess.negative' }, dryRun: false, policyHash: hash });
    expect(r.lines.some((l) => /^\S+Z level=crit event=action\.decided .*action=globalCancel alert=excess\.negative/.test(l))).toBe(true);
  }, 120_000);

  it("cancelClient foreign cancels a foreign client's orders and not an expected client's", async () => {
    const sim = await sims();
    await sim.trigger(restingOrder(42));
    await sim.trigger(restingOrder(7));
    const r = await guard(
      sim,
      {
        rules: [{ when: { alert: 'foreign.client', severity: 'warning' }, do: 'cancelClient', clientIds: 'foreign' }],
        limits: { window: 'always' },
      },
      { trade: true, alerts: { rules: { 'foreign.client': { expectedClientIds: [7] } } } },
    );
    await ready(r);
    await until(r, () => r.h.status().lastAction?.outcome === 'done', 30_000, `the cancel`);
    expect(openOrderClients(sim)).toEqual([7]);
    await r.h.stop('test over');
    const decisions = entries(r, 'guardDecision');
    expect(decisions.map((d) => (d.detail!.alert as { id: string }).id)).toEqual(['foreign.client:42']);
    expect(entries(r, 'cancelSent').length).toBeGreaterThan(0);
    expect(await verifies(r.h.auditFile)).toMatch(/^VALID audit log/);
  }, 120_000);

  it('escalates, and does not retry, when the foreign client is still connected (TWS refuses its id)', async () => {
    const sim = await sims();
    await sim.trigger(restingOrder(42));
    // Client 42 is connected: TWS lets only it cancel its orders, and refuses a second connection with its id.
    const other = new TwsSource({ host: '127.0.0.1', port: sim.port, clientId: 42 });
    other.start();
    try {
      const hookOut = join(root, `hook-${n + 1}.jsonl`);
      const hook = join(root, `hook-${n + 1}.sh`);
      writeFileSync(hook, '#!/bin/sh\ncat >> "$1"\n', { mode: 0o755 });
      const r = await guard(
        sim,
        {
          rules: [{ when: { alert: 'foreign.client' }, do: 'cancelClient', clientIds: [42] }],
          limits: { window: 'always', coolDownMs: 0 },
        },
        { trade: true, alerts: { hook: { command: [hook, hookOut] } } },
      );
      await ready(r);
      await until(r, () => r.h.status().lastAction?.outcome === 'failed', 40_000, `the failed action`);
      await until(r, () => r.h.status().wouldDo.some((v) => v.state === 'done' && v.why?.startsWith('failed')), 20_000, 'a later evaluation');
      expect(openOrderClients(sim)).toEqual([42]);
      expect(r.lines.some((l) => /Z level=crit event=action\.escalated /.test(l))).toBe(true);
      await r.h.stop('test over');
      expect(entries(r, 'guardDecision')).toHaveLength(1);
      expect(entries(r, 'guardResult')[0]!.detail).toMatchObject({ outcome: 'failed' });
      expect(String((entries(r, 'guardResult')[0]!.detail!.lines as string[])[0])).toMatch(/API client 42: cannot connect as it/);
      const hookLines = readFileSync(hookOut, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { kind: string; action?: string; outcome?: string });
      expect(hookLines.filter((l) => l.kind === 'guardAction')).toEqual([expect.objectContaining({ action: 'cancelClient', outcome: 'failed' })]);
    } finally {
      other.stop();
    }
  }, 120_000);

  it('logs a failed hook at err, so journalctl -p err sees a dead pager', async () => {
    const sim = await sims();
    await sim.trigger(restingOrder(42));
    const hook = join(root, `hook-fails-${n + 1}.sh`);
    writeFileSync(hook, '#!/bin/sh\necho pager down >&2\nexit 3\n', { mode: 0o755 });
    const r = await guard(
      sim,
      { rules: [{ when: { alert: 'foreign.client' }, do: 'notify' }], limits: { window: 'always' } },
      { alerts: { hook: { command: [hook] } } },
    );
    await ready(r);
    const line = await until(r, () => r.lines.find((l) => / event=hook\.note /.test(l)), 30_000, 'the hook note');
    expect(line).toMatch(/^\S+Z level=err event=hook\.note outcome=failed msg=".*exited with code 3.*pager down/);
  }, 120_000);

  it('warns at start of a hook program that is not there, and logs its failed start at err', async () => {
    const sim = await sims();
    await sim.trigger(restingOrder(42));
    const missing = join(root, 'no-such-pager');
    const r = await guard(
      sim,
      { rules: [{ when: { alert: 'foreign.client' }, do: 'notify' }], limits: { window: 'always' } },
      { alerts: { hook: { command: [missing] } } },
    );
    expect(r.lines.find((l) => / event=settings\.hookProgram /.test(l))).toMatch(
      new RegExp(`^\\S+Z level=warning event=settings\\.hookProgram .*the hook program \\\\"${missing}\\\\" does not exist`),
    );
    await ready(r);
    const line = await until(r, () => r.lines.find((l) => / event=hook\.note /.test(l)), 30_000, 'the hook note');
    expect(line).toMatch(/^\S+Z level=err event=hook\.note outcome=spawnError msg=".*could not start/);
  }, 120_000);

  it('a flapping condition acts once within the cool-down', async () => {
    const sim = await sims();
    await sim.trigger(restingOrder(42));
    const r = await guard(sim, EXCESS_GLOBAL, { trade: true, alerts: { coolDownMs: 200 } });
    await ready(r);
    for (let i = 0; i < 3; i++) {
      await sim.trigger({ incident: 'margin-spike', factor: 3, secTypes: ['ALL'] });
      const want = i === 0 ? 'done' : 'held';
      await until(r, () => r.h.status().wouldDo.some((v) => v.alert === 'excess.negative' && v.state === want), 30_000, `flap ${i}: ${want}`);
      if (i > 0)
        expect(r.h.status().wouldDo.find((v) => v.alert === 'excess.negative')!.why).toMatch(
          /^cool-down: \d+ s left of limits\.coolDownMs \(after an action on a critical alert\)$/,
        );
      await sim.trigger({ incident: 'margin-spike', factor: 1, secTypes: ['ALL'] });
      await until(r, () => r.h.status().wouldDo.length === 0, 30_000, `flap ${i}: cleared`);
    }
    await r.h.stop('test over');
    expect(entries(r, 'guardDecision')).toHaveLength(1);
  }, 120_000);

  it('a disconnect causes no action (and the notify rule still says so)', async () => {
    const sim = await sims();
    await sim.trigger(restingOrder(42));
    const r = await guard(
      sim,
      {
        rules: [
          { when: { alert: 'excess.negative', severity: 'critical', forMs: 2_000 }, do: 'globalCancel' },
          { when: { alert: 'connection.lost' }, do: 'notify' },
        ],
        limits: { window: 'always' },
      },
      { trade: true },
    );
    await ready(r);
    await sim.trigger({ incident: 'margin-spike', factor: 3, secTypes: ['ALL'] });
    await until(r, () => r.h.status().wouldDo.some((v) => v.alert === 'excess.negative' && v.state === 'waiting'), 30_000, 'the rule waiting for forMs');
    // TWS goes away for an hour of its (frozen) time: it does not come back during the test.
    await sim.trigger({ incident: 'restart', downSeconds: 3600 });
    await until(r, () => r.h.status().wouldDo.some((v) => v.alert === 'excess.negative' && v.state === 'held'), 30_000, `held`);
    expect(r.h.status().blocked).toMatch(/NOT_READY|not ready|disconnected|connecting/i);
    await until(r, () => r.h.status().lastAction?.action === 'notify', 30_000, 'the notification');
    await r.h.stop('test over');
    const decided = entries(r, 'guardDecision').map((d) => d.detail!.action);
    expect(decided).toEqual(['notify']);
    expect(entries(r, 'globalCancelSent')).toEqual([]);
  }, 120_000);

  it('a market data farm outage (2103) holds even the cancels, saying what lifts the hold; farm OK (2104) lets them act', async () => {
    const sim = await sims();
    await sim.trigger(restingOrder(42));
    const r = await guard(sim, EXCESS_GLOBAL, { trade: true });
    await ready(r);
    await sim.trigger({ incident: 'farm', code: 2103, farm: 'usfarm' });
    await until(r, () => r.h.status().blocked?.includes('usfarm'), 30_000, 'blocked by the farm');
    expect(r.h.status().blocked).toBe(
      'Refused: the connection is not ready (market data farm down: usfarm) (NOT_READY health=degraded): every trading action, cancels included, ' +
        'waits until TWS says that farm is connected again (2104, 2106 or 2158: data farm connection is OK) and the marks are fresh',
    );
    await sim.trigger({ incident: 'margin-spike', factor: 3, secTypes: ['ALL'] });
    await until(r, () => r.h.status().wouldDo.some((v) => v.alert === 'excess.negative' && v.state === 'held' && v.why?.includes('usfarm')), 30_000, 'held');
    expect(openOrderClients(sim)).toEqual([42]);
    await sim.trigger({ incident: 'farm', code: 2104, farm: 'usfarm' });
    await until(r, () => r.h.status().lastAction?.outcome === 'done', 30_000, 'the globalCancel once the farm is back');
    expect(openOrderClients(sim)).toEqual([]);
  }, 120_000);

  it('a restart keeps the severities of the actions it restores: a critical one holds the kill switch, a warning one does not', async () => {
    const sim = await sims();
    await sim.trigger(restingOrder(42));
    await sim.trigger({ incident: 'margin-spike', factor: 3, secTypes: ['ALL'] });
    // The status file a guard with --trade left 18 s ago (the guard reads the host's clock; the cool-down is 600 s).
    const statusOf = (severity: string) => {
      const file = join(root, `restart-${severity}-${++n}.json`);
      const at = new Date(Date.now() - 18_000).toISOString();
      writeFileSync(file, JSON.stringify({ format: 'tws-risk-guard-status', mode: 'trade', actionTimes: [at], lastActionAt: at, actions: [{ at, severity }] }));
      return file;
    };
    const held = await guard(sim, EXCESS_GLOBAL, { trade: true, flags: { 'status-file': statusOf('critical') } });
    expect(held.lines).toContainEqual(expect.stringMatching(/^\S+Z level=notice event=limits\.restored .*actionsLastHour=1/));
    await until(
      held,
      () =>
        held.h
          .status()
          .wouldDo.some((v) => v.state === 'held' && /^cool-down: \d+ s left of limits\.coolDownMs \(after an action on a critical alert\)$/.test(v.why ?? '')),
      30_000,
      'held by the restored critical action',
    );
    await held.h.stop('test over');
    expect(openOrderClients(sim)).toEqual([42]);
    const acts = await guard(sim, EXCESS_GLOBAL, { trade: true, flags: { 'status-file': statusOf('warning') } });
    expect(acts.lines).toContainEqual(expect.stringMatching(/^\S+Z level=notice event=limits\.restored /));
    await until(acts, () => acts.h.status().lastAction?.outcome === 'done', 30_000, 'the globalCancel, not held by a warning');
    expect(openOrderClients(sim)).toEqual([]);
    expect(acts.h.status().actions?.map((a) => a.severity)).toEqual(['warning', 'critical']);
  }, 120_000);

  it('after 1101 (connectivity restored, data lost) the guard asks for its data again and can act, without a restart', async () => {
    const sim = await sims();
    await sim.trigger(restingOrder(42));
    const r = await guard(sim, EXCESS_GLOBAL, { trade: true });
    await ready(r);
    const ours = () => sim.snapshot().sessions.find((x) => x.clientId === GUARD_CLIENT)!;
    // One line per position, each asked for as its position arrives.
    const book = sim.snapshot().positions.length;
    expect(book).toBeGreaterThan(1);
    await until(r, () => ours().marketData === book, 30_000, 'a line per position');
    const before = ours();
    await sim.trigger({ incident: 'connectivity-lost' });
    await until(r, () => r.h.status().connection.health === 'degraded', 30_000, 'degraded by 1100');
    await sim.trigger({ incident: 'connectivity-restored', dataLost: true });
    // TWS dropped every subscription; the sim counts the guard's again, on the same socket.
    await until(
      r,
      () => ours().marketData === before.marketData && ours().summaries === before.summaries && ours().pnl === before.pnl && ours().account,
      30_000,
      'the guard resubscribed',
    );
    expect(ours().remote).toBe(before.remote);
    await ready(r);
    await sim.trigger({ incident: 'margin-spike', factor: 3, secTypes: ['ALL'] });
    await until(r, () => r.h.status().wouldDo.some((v) => v.alert === 'excess.negative' && v.state === 'done'), 30_000, 'the action after 1101');
    await until(r, () => openOrderClients(sim).length === 0, 30_000, 'the foreign order cancelled');
    await r.h.stop('test over');
    expect(entries(r, 'guardDecision')).toHaveLength(1);
  }, 120_000);

  it('stale data causes no action', async () => {
    const sim = await sims();
    const r = await guard(
      sim,
      {
        rules: [{ when: { alert: 'excess.negative', severity: 'critical', forMs: 1_500 }, do: 'globalCancel' }],
        limits: { window: 'always', maxDataAgeMs: 1_000 },
      },
      { trade: true },
    );
    // The simulated clock is frozen: nothing is pushed after the first snapshot, so the data ages past 1 s.
    await waitFor(
      () => /^stale data: (accountValues|portfolio) last updated \d+ s ago \(limits\.maxDataAgeMs 1000\)$/.test(r.h.status().blocked ?? ''),
      30_000,
      `stale`,
    );
    await sim.trigger({ incident: 'margin-spike', factor: 3, secTypes: ['ALL'] });
    await until(
      r,
      () => r.h.status().wouldDo.some((v) => v.alert === 'excess.negative' && v.state === 'held' && v.why?.startsWith('stale data')),
      30_000,
      `held as stale`,
    );
    await r.h.stop('test over');
    expect(entries(r, 'guardDecision')).toEqual([]);
  }, 120_000);

  it('exits 1 for an --account the login does not manage, naming those it does, as report and flatten do (not 3)', async () => {
    const sim = await sims();
    const r = await guard(sim, EXCESS_GLOBAL, { flags: { account: 'DU999' } });
    const code = await r.h.done;
    expect(code, r.lines.join('\n')).toBe(EXIT.invalid);
    const line = r.lines.find((l) => l.includes('event=account.notManaged'));
    expect(line, r.lines.join('\n')).toContain('DU999 is not managed by this login');
    expect(line).toContain(ACCOUNT);
    expect(line).toContain('choose one of them with --account');
    expect(r.lines.join('\n')).not.toContain('event=connection.fatal');
  });

  it("the dry run sends nothing, says so in its status, and a warning's dry action does not hold the critical kill switch", async () => {
    const sim = await sims();
    // The shipped example's limits (a 300 s cool-down, 3 an hour) at any hour.
    const example = JSON.parse(readFileSync('deploy/systemd/guard-policy.example.json', 'utf8')) as { rules: unknown[]; limits: object };
    const r = await guard(sim, { rules: example.rules, limits: { ...example.limits, window: 'always' } });
    await ready(r);
    await sim.trigger(restingOrder(42));
    // rules[2] answers the warning first: a dry cancelClient, counted as the live guard would count it.
    await until(r, () => r.h.status().lastAction?.rule === 'rules[2]', 30_000, 'the dry cancelClient');
    expect(r.lines).toContainEqual(expect.stringContaining('title="API client 42, neither the guard (61) nor an expected one, is trading this account'));
    await sim.trigger({ incident: 'margin-spike', factor: 3, secTypes: ['ALL'] });
    // Then the critical excess.negative: rules[0] acts within the cool-down of the warning's action, not 300 s later.
    await until(r, () => r.h.status().lastAction?.rule === 'rules[0]', 30_000, 'the dry globalCancel, not held by the cool-down');
    expect(r.lines.filter((l) => l.includes('event=action.held') && l.includes('rules[0]'))).toEqual([]);
    await until(r, () => r.h.status().wouldDo.filter((v) => v.state === 'dryRun').length === 2, 30_000, `both dry actions`);
    expect(openOrderClients(sim)).toEqual([42]);
    expect(r.lines).toContainEqual(
      expect.stringMatching(
        /^\S+Z level=notice event=action\.dryRun .*msg="would globalCancel for excess\.negative: GLOBAL CANCEL: 1 open order\(s\), 1 of them from other API clients/,
      ),
    );
    expect(r.lines).toContainEqual(
      expect.stringMatching(
        /^\S+Z level=notice event=action\.dryRun .*msg="would cancelClient for foreign\.client:42: cancel 1 open order\(s\) of API client 42/,
      ),
    );
    // `guard status` says the dry actions were not sent, never "done".
    const out: string[] = [];
    guardStatusCommand({ 'status-file': join(r.dir, 'status.json') }, { out: (l) => out.push(l), err: (l) => out.push(l) });
    expect(out).toContain(
      'would do now: rules[2] cancelClient for foreign.client:42: not sent (dry run) (planned only, nothing went to TWS; the guard acts with --trade --confirm-account ACCOUNT)',
    );
    expect(out.filter((l) => l.startsWith('would do now:') && l.includes(': done'))).toEqual([]);
    expect(out).toContainEqual(expect.stringMatching(/^last action: \S+ globalCancel for excess\.negative \(rules\[0\]\): not sent \(dry run\)$/));
    await r.h.stop('test over');
    expect(entries(r, 'guardResult').map((e) => e.detail!.outcome)).toEqual(['dryRun', 'dryRun']);
    for (const sent of ['orderSent', 'cancelSent', 'globalCancelSent', 'armed']) expect(entries(r, sent)).toEqual([]);
    expect(
      (await recorded(r.recording))
        .filter((e) => e.type === 'guardActed' && e.step === 'decided')
        .every((e) => e.type === 'guardActed' && e.step === 'decided' && e.dryRun),
    ).toBe(true);
    // The dry run's actions sent nothing: a guard started with --trade on the same status file does not inherit them.
    const live = await guard(sim, EXCESS_GLOBAL, { trade: true, flags: { 'status-file': join(r.dir, 'status.json') } });
    await ready(live);
    expect(live.lines.filter((l) => l.includes('event=limits.restored'))).toEqual([]);
    expect(live.h.status().actionsLastHour).toBe(0);
    await until(live, () => live.h.status().lastAction?.outcome === 'done', 30_000, 'the live globalCancel, not held by the dry run');
    expect(openOrderClients(sim)).toEqual([]);
  }, 180_000);

  it('a reduction that cannot go through is refused and escalated, and gives its place in the limits to the next rule', async () => {
    const sim = await sims();
    await sim.trigger(restingOrder(42));
    const r = await guard(
      sim,
      {
        rules: [
          { when: { alert: 'margin.warning', severity: 'warning' }, do: 'reduce', maxReductionPct: 25 },
          { when: { alert: 'margin.warning', severity: 'warning' }, do: 'globalCancel' },
        ],
        limits: { window: 'always', coolDownMs: 600_000, maxActionsPerHour: 1 },
      },
      { trade: true },
    );
    await ready(r);
    // 2.6 times the margin on everything: the warning line (ELV under 110% of maintenance, crossed past ×2.51 now that
    // the simulator pairs the demo's SPX puts as a debit vertical) is crossed, ExcessLiquidity stays positive. Selling AAPL releases the most margin, but client
    // 42's resting AAPL order is open on it, so the plan is refused until a global cancel clears it. (Seen once: the
    // guard acted on a half-applied spike, whose proposal trimmed only one-lot positions, below one unit at 25%.)
    await sim.trigger({ incident: 'margin-spike', factor: 2.6, secTypes: ['ALL'] });
    await until(
      r,
      () => r.h.status().lastAction?.action === 'globalCancel' && r.h.status().lastAction?.outcome === 'done',
      60_000,
      'the global cancel after the refused reduction',
    );
    await r.h.stop('test over');
    expect(entries(r, 'guardResult').map((e) => [e.detail!.action, e.detail!.outcome])).toEqual([
      ['reduce', 'refused'],
      ['globalCancel', 'done'],
    ]);
    expect(String((entries(r, 'guardResult')[0]!.detail!.lines as string[])[0])).toMatch(
      /^Refused: orders of other clients are open on these positions .*\(FOREIGN_ORDERS_OPEN\)$|^every trim is below one unit at maxReductionPct 25$/,
    );
    expect(r.lines).toContainEqual(expect.stringMatching(/^\S+Z level=crit event=action\.escalated .*msg="reduce for margin\.warning refused; not retried/));
    expect(entries(r, 'orderSent')).toEqual([]);
    expect(openOrderClients(sim)).toEqual([]);
  }, 120_000);

  it('a reduction that goes through: sent at the limits it was sized on, filled, and the account back inside the warning line at TWS', async () => {
    const sim = await sims();
    const r = await guard(
      sim,
      { rules: [{ when: { alert: 'margin.warning', severity: 'warning' }, do: 'reduce' }], limits: { window: 'always', coolDownMs: 600_000 } },
      { trade: true },
    );
    await ready(r);
    const ratio = () => {
      const snap = sim.snapshot();
      return Number(snapshotValue(snap, 'EquityWithLoanValue')) / Number(snapshotValue(snap, 'MaintMarginReq'));
    };
    // The same spike as the refused reduction's, with no other client's order in the way: the warning line is crossed.
    await sim.trigger({ incident: 'margin-spike', factor: 2.6, secTypes: ['ALL'] });
    expect(ratio()).toBeLessThanOrEqual(1.1);
    // Manual clock: the simulator acknowledges and fills the trims as the test advances it.
    await until(
      r,
      () => {
        sim.advance(250);
        return r.h.status().lastAction !== null;
      },
      90_000,
      'the reduction to end',
    );
    expect(r.h.status().lastAction).toMatchObject({ action: 'reduce', alert: 'margin.warning', outcome: 'done' });
    const decision = entries(r, 'guardDecision').map((e) => e.detail!);
    expect(decision).toEqual([expect.objectContaining({ action: 'reduce', alert: expect.objectContaining({ id: 'margin.warning' }), dryRun: false })]);
    // The audit log holds the plan as it was shown and confirmed, and the orders that carry its id.
    const shown = entries(r, 'planShown').map((e) => e.detail!);
    expect(shown).toHaveLength(1);
    const planId = String(shown[0]!.executionPlanId);
    expect(planId).toMatch(/^reduce-/);
    const planLines = shown[0]!.plan as string[];
    expect(planLines[0]).toMatch(/^reduce conids:\S+ on DU1234567 \(a partial reduction, not a flatten\): 0 cancel\(s\), \d+ reducing order\(s\)$/);
    const sent = entries(r, 'orderSent').map((e) => e.detail!);
    expect(sent.length).toBeGreaterThan(0);
    for (const o of sent) {
      expect(o).toMatchObject({ planId, action: 'SELL', orderType: 'LMT' });
      // Each order goes out at the limit the plan shows (the one the reduction was sized on).
      expect(
        planLines.some((l) => new RegExp(`^  SELL +${o.quantity} .* LMT ${String(o.limitPrice).replace('.', '\\.')} `).test(l)),
        planLines.join('\n'),
      ).toBe(true);
    }
    expect(entries(r, 'orderStatus').map((e) => [e.detail!.planId, e.detail!.outcome])).toEqual(sent.map(() => [planId, 'filled']));
    expect(entries(r, 'guardResult').map((e) => [e.detail!.action, e.detail!.outcome, e.detail!.executionPlanIds])).toEqual([['reduce', 'done', [planId]]]);
    // What the simulator (TWS) reports after the fills: EquityWithLoanValue at or above 110% of maintenance.
    expect(ratio()).toBeGreaterThanOrEqual(1.1);
    // And had every trim filled at its limit rather than at the better price it got, as the reduction was sized: the
    // line holds at the worst fills the plan accepts (TWS's numbers less what the better fills gave). Stock, in USD.
    const snap = sim.snapshot();
    const fills = snap.executions.filter((x) => x.clientId === GUARD_CLIENT);
    expect(fills.length).toBeGreaterThan(0);
    let gaveBack = 0;
    for (const x of fills) {
      const o = sent.find((s) => s.orderId === x.orderId)!;
      expect(snap.positions.find((p) => p.conId === x.conId)).toMatchObject({ secType: 'STK', currency: 'USD' });
      gaveBack += (Number(x.price) - Number(o.limitPrice)) * Number(x.shares) * (x.side === 'SLD' ? 1 : -1);
    }
    expect(gaveBack).toBeGreaterThanOrEqual(0);
    const atLimits = (Number(snapshotValue(snap, 'EquityWithLoanValue')) - gaveBack) / Number(snapshotValue(snap, 'MaintMarginReq'));
    expect(atLimits, `ratio ${ratio()}, at the limits ${atLimits}`).toBeGreaterThanOrEqual(1.1);
    expect(r.lines.some((l) => /event=action\.escalated/.test(l))).toBe(false);
    await r.h.stop('test over');
    expect(await verifies(r.h.auditFile)).toMatch(/^VALID audit log/);
  }, 150_000);

  it('a flatten whose future the market moved past while its option was filling plans again and closes the future (MARK_MOVED)', async () => {
    // Manual clock: orders are acknowledged and filled only when the test advances it. The fall comes while the
    // option (a short ES call, bought back first) waits: it stays marketable (the call gets cheaper), and the future's
    // SELL limit, 2% under the mark it was planned on, ends 8% over the market. The ticks of the fall are on the
    // socket before the option's fill, so the guard has read them when it checks the future's leg.
    const ESC = 741231107;
    const ES = 637533641;
    const sim = await sims();
    const r = await guard(
      sim,
      {
        rules: [{ when: { alert: 'excess.negative', severity: 'critical' }, do: 'flatten', scope: 'underlying:ES' }],
        limits: { maxActionsPerHour: 3, coolDownMs: 600_000, window: 'always' },
      },
      { trade: true },
    );
    await ready(r);
    await sim.trigger({ incident: 'margin-spike', factor: 3, secTypes: ['ALL'] });
    const ours = () => sim.snapshot().openOrders.filter((o) => o.clientId === GUARD_CLIENT);
    await until(r, () => ours().length === 1, 60_000, "the guard's option order at the simulator");
    expect(entries(r, 'orderSent').map((e) => e.detail!.conId)).toEqual([ESC]);
    await sim.trigger({ incident: 'move', factor: 'SPX', pct: -10 });
    await until(
      r,
      () => {
        sim.advance(250);
        return r.h.status().lastAction !== null;
      },
      60_000,
      'the action to end',
    );
    expect(r.h.status().lastAction?.outcome).toBe('done');
    const book = sim.snapshot().positions;
    for (const conId of [ES, ESC]) expect(book.find((p) => p.conId === conId)?.position ?? '0').toBe('0');
    const sent = entries(r, 'orderSent').map((e) => e.detail!);
    expect(sent.map((d) => d.conId)).toEqual([ESC, ES]);
    const denials = entries(r, 'denied').map((e) => e.detail!);
    expect(denials.map((d) => d.code)).toEqual(['MARK_MOVED']);
    expect(denials[0]!.conId).toBe(ES);
    // The future went out once, on the plan of now: under the market that fell, not at the refused limit.
    const refusedLimit = Number(/ LMT ([\d.]+) /.exec(String(denials[0]!.message))?.[1]);
    const futureLimit = Number(sent[1]!.limitPrice);
    expect(futureLimit).toBeLessThan(refusedLimit * 0.93);
    const decisions = entries(r, 'guardDecision').map((e) => e.detail!);
    expect(decisions.map((d) => [d.actionId === decisions[0]!.actionId ? 'first' : d.replanOf, d.after ?? null])).toEqual([
      ['first', null],
      [decisions[0]!.actionId, 'MARK_MOVED'],
    ]);
    expect(r.lines).toContainEqual(expect.stringMatching(/^\S+Z level=crit event=action\.replanned .*after=MARK_MOVED/));
    expect(r.lines.some((l) => /event=action\.escalated/.test(l))).toBe(false);
  }, 120_000);

  it('a flatten the market outruns on every plan stops after MAX_REPLANS re-plans: failed, escalated, nothing sent after the last refusal', async () => {
    // The previous test's rig, run three times over. Each plan's option leg (the short ES call, bought back first)
    // waits on the manual clock while SPX falls 10% past its future's limit, so every plan's future leg is refused
    // (MARK_MOVED). For a re-plan to hold an option leg to wait on again, client 42 sells calls while the guard's
    // buy fills (one contract per execution): the guard's last execution lands after them, so the position it plans
    // on next is short again. A foreign order is placed and filled in one synchronous step of the clock: the guard
    // never lists it as open (it would refuse a plan beside another client's order).
    const ESC = 741231107;
    const ES = 637533641;
    const sim = await sims({ orders: { maxFillSize: { FOP: '1' } } });
    const r = await guard(
      sim,
      {
        rules: [{ when: { alert: 'excess.negative', severity: 'critical' }, do: 'flatten', scope: 'underlying:ES' }],
        limits: { maxActionsPerHour: 3, coolDownMs: 600_000, window: 'always' },
      },
      { trade: true },
    );
    await ready(r);
    await sim.trigger({ incident: 'margin-spike', factor: 3, secTypes: ['ALL'] });
    const ours = () => sim.snapshot().openOrders.filter((o) => o.clientId === GUARD_CLIENT);
    const seen: number[] = [];
    // The calls each plan buys back (3, then 2, then 1) and what client 42 sells meanwhile: 2 calls sell in two
    // executions (+200 and +600 ms), before the guard's third (+1000 ms); 1 call at +200 ms, before the guard's second.
    const foreign = [{ quantity: '2', ms: 800 }, { quantity: '1', ms: 400 }, undefined];
    for (const [k, f] of foreign.entries()) {
      // Checked before the clock moves on, so the order is caught before it is acknowledged or filled.
      const o = await until(
        r,
        () => {
          const next = ours().find((x) => !seen.includes(x.orderId));
          if (next || r.h.status().lastAction !== null) return next ?? 'ended';
          sim.advance(250);
          return undefined;
        },
        60_000,
        `plan ${k}'s option order at the simulator`,
      );
      if (o === 'ended') throw new Error(`the action ended before plan ${k}'s option order went out:\n${r.lines.join('\n')}`);
      seen.push(o.orderId);
      expect(o.conId).toBe(ESC);
      // The spike made the alert; without it client 42's sells pass the simulator's margin check.
      if (k === 0) await sim.trigger({ incident: 'margin-spike', factor: 1, secTypes: ['ALL'] });
      await sim.trigger({ incident: 'move', factor: 'SPX', pct: -10 });
      if (f) {
        await sim.trigger({ incident: 'foreign-order', clientId: 42, conId: ESC, action: 'SELL', quantity: f.quantity, orderType: 'MKT' });
        sim.advance(f.ms);
      }
    }
    await until(
      r,
      () => {
        sim.advance(250);
        return r.h.status().lastAction !== null;
      },
      60_000,
      'the action to end',
    );
    expect(r.h.status().lastAction?.outcome).toBe('failed');
    const sent = entries(r, 'orderSent').map((e) => e.detail!);
    expect(sent.map((d) => d.conId)).toEqual([ESC, ESC, ESC]);
    const denials = entries(r, 'denied').map((e) => e.detail!);
    expect(denials.map((d) => [d.code, d.conId])).toEqual([
      ['MARK_MOVED', ES],
      ['MARK_MOVED', ES],
      ['MARK_MOVED', ES],
    ]);
    const decisions = entries(r, 'guardDecision').map((e) => e.detail!);
    const first = String(decisions[0]!.actionId);
    expect(decisions.map((d) => [d.actionId, d.replanOf ?? null, d.after ?? null])).toEqual([
      [first, null, null],
      [`${first}-replan1`, first, 'MARK_MOVED'],
      [`${first}-replan2`, first, 'MARK_MOVED'],
    ]);
    expect(r.lines.filter((l) => /event=action\.replanned /.test(l))).toHaveLength(2);
    expect(r.lines).toContainEqual(expect.stringMatching(/^\S+Z level=crit event=action\.escalated .*msg="flatten for excess\.negative failed; not retried/));
    expect(entries(r, 'guardResult').map((e) => [e.detail!.outcome, (e.detail!.executionPlanIds as string[]).length])).toEqual([['failed', 3]]);
    // Nothing goes out after the last refusal: the future is still held, the calls are back to none, and by the time
    // the guard has stopped it has sent no other order and has none at the simulator.
    const held = (conId: number) => sim.snapshot().positions.find((p) => p.conId === conId)?.position ?? '0';
    expect([held(ES), held(ESC)]).toEqual(['2', '0']);
    sim.advance(5_000);
    await r.h.stop('test over');
    expect(entries(r, 'orderSent')).toHaveLength(3);
    expect(sim.snapshot().executions.filter((x) => x.clientId === GUARD_CLIENT && x.conId === ES)).toEqual([]);
    expect(ours()).toEqual([]);
  }, 150_000);

  it('a reduction the market moves past is not planned again (MARK_MOVED): one decision, failed and escalated', async () => {
    // A re-planned reduction would be proposed and capped on what is left, compounding its maxReductionPct: the guard
    // re-plans a flatten only. Margin ×8 on futures and futures options crosses the warning line; the reduction trims
    // options (sent first, waiting on the manual clock) and stocks, the first of them Toyota (7203). Toyota falls 10%
    // while the options wait, so its SELL limit is past the market when its turn comes.
    const TOYOTA = 13905;
    const sim = await sims();
    const r = await guard(
      sim,
      { rules: [{ when: { alert: 'margin.warning', severity: 'warning' }, do: 'reduce' }], limits: { window: 'always', coolDownMs: 600_000 } },
      { trade: true },
    );
    await ready(r);
    await sim.trigger({ incident: 'margin-spike', factor: 8, secTypes: ['FOP', 'FUT'] });
    const ours = () => sim.snapshot().openOrders.filter((o) => o.clientId === GUARD_CLIENT);
    await until(r, () => entries(r, 'planShown').length > 0, 60_000, 'the reduction plan');
    const plan = entries(r, 'planShown').map((e) => e.detail!.plan as string[]);
    expect(plan).toHaveLength(1);
    // The options go first; Toyota is the first leg of the second stage.
    const legs = plan[0]!.filter((l) => /^ {2}(BUY|SELL) /.test(l));
    const firstStock = legs.findIndex((l) => !/ [CP] +LMT /.test(l));
    expect(firstStock).toBeGreaterThan(0);
    expect(legs[firstStock]).toMatch(/^ {2}SELL +[\d,]+ 7203 /);
    // Every option order at the simulator (none filled: the clock has not moved) before Toyota falls.
    await until(r, () => ours().length === firstStock, 60_000, "the reduction's option orders at the simulator");
    await sim.trigger({ incident: 'move', factor: '7203', pct: -10 });
    await until(
      r,
      () => {
        sim.advance(250);
        return r.h.status().lastAction !== null;
      },
      60_000,
      'the reduction to end',
    );
    expect(r.h.status().lastAction).toMatchObject({ action: 'reduce', outcome: 'failed' });
    const denials = entries(r, 'denied').map((e) => e.detail!);
    expect(denials.map((d) => [d.code, d.conId])).toEqual([['MARK_MOVED', TOYOTA]]);
    // Only the options went out: nothing of a second plan.
    expect(entries(r, 'orderSent')).toHaveLength(firstStock);
    const decisions = entries(r, 'guardDecision').map((e) => e.detail!);
    expect(decisions).toEqual([expect.objectContaining({ action: 'reduce', dryRun: false })]);
    expect(decisions[0]!.replanOf).toBeUndefined();
    expect(entries(r, 'planShown')).toHaveLength(1);
    expect(r.lines.some((l) => /event=action\.replanned/.test(l))).toBe(false);
    expect(r.lines).toContainEqual(expect.stringMatching(/^\S+Z level=crit event=action\.escalated .*msg="reduce for margin\.warning failed; not retried/));
    expect(entries(r, 'guardResult').map((e) => [e.detail!.action, e.detail!.outcome])).toEqual([['reduce', 'failed']]);
  }, 150_000);

  it('a reload with a bad policy keeps the old one and says so; a good one replaces it', async () => {
    const sim = await sims();
    const r = await guard(sim, EXCESS_GLOBAL);
    const first = r.h.status().policy.hash;
    writeFileSync(r.policyFile, JSON.stringify({ rules: [{ when: { alert: 'excess.negative' }, do: 'sell everything' }], limits: { window: 'weekends' } }));
    expect(r.h.reload()).toBe(false);
    expect(r.h.status().policy.hash).toBe(first);
    expect(r.lines).toContainEqual(expect.stringContaining('event=policy.problem msg="' + r.policyFile + ': error at rules[0].do: expected one of'));
    expect(r.lines).toContainEqual(expect.stringContaining('error at limits.window: expected one of \\"market\\", \\"always\\", got \\"weekends\\"'));
    expect(r.lines).toContainEqual(expect.stringMatching(new RegExp(`^\\S+Z level=err event=policy\\.rejected .*kept=${first}`)));
    const second = writePolicy(r.policyFile, { rules: [{ when: { alert: 'excess.negative' }, do: 'notify' }] });
    expect(r.h.reload()).toBe(true);
    expect(r.h.status().policy.hash).toBe(second);
    await r.h.stop('test over');
    expect(entries(r, 'policy').map((e) => [e.detail!.outcome, e.detail!.hash ?? e.detail!.kept])).toEqual([
      ['loaded', first],
      ['rejected', first],
      ['reloaded', second],
    ]);
  }, 120_000);
});
