// What a user trial of the guard found: settings it cannot read, a status file another guard writes, guidance for an
// order left working, the audit log's link between an action and its execution plan, a refused port, dry-run repeats.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { guardStatusCommand, startGuard, type GuardFlags, type GuardHandle } from '../../src/commands/guard.js';
import { EXIT, type CommandIo } from '../../src/commands/io.js';
import { cancelCommand, planText, type CancelFlags } from '../../src/commands/trade.js';
import { DEFAULT_SETTINGS, type Settings } from '../../src/config/settings.js';
import type { Simulator } from '../../src/sim/index.js';
import { cancelAdvice, stillWorking } from '../../src/trading/execute.js';
import type { FlattenPlan } from '../../src/trading/types.js';
import { waitFor } from '../sim/helpers.js';
import { deadPort, simulatorsPerTest } from '../support/sim-rig.js';

const root = mkdtempSync(join(tmpdir(), 'tws-risk-guard-trial-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const sims = simulatorsPerTest();
const ACCOUNT = 'DU1234567';
const GUARD_CLIENT = 62;
let n = 0;

const running: GuardHandle[] = [];
afterEach(async () => {
  while (running.length) await running.pop()!.stop('test over');
});

interface Started {
  readonly code?: number;
  readonly h?: GuardHandle;
  readonly lines: string[];
  readonly dir: string;
}

/** Starts a guard as the daemon test does; `settings: null` reads the settings from `flags.config` instead. */
async function start(
  port: number,
  policy: unknown,
  o: { trade?: boolean; settings?: Settings | null; flags?: Partial<GuardFlags>; env?: Record<string, string>; actionTimeoutMs?: number } = {},
): Promise<Started> {
  const dir = join(root, `run-${++n}`);
  mkdirSync(dir, { recursive: true });
  const policyFile = join(dir, 'policy.json');
  writeFileSync(policyFile, JSON.stringify(policy));
  const lines: string[] = [];
  const io: CommandIo = { out: (l) => lines.push(l), err: (l) => lines.push(l) };
  const h = await startGuard(
    {
      policy: policyFile,
      port: String(port),
      'client-id': String(GUARD_CLIENT),
      record: join(dir, 'guard.jsonl'),
      'status-file': join(dir, 'status.json'),
      ...(o.trade ? { trade: true, 'confirm-account': ACCOUNT } : {}),
      ...o.flags,
    },
    io,
    {
      evalMs: 100,
      auditDir: join(dir, 'audit'),
      ...(o.settings === null ? {} : { settings: o.settings ?? DEFAULT_SETTINGS }),
      actionTimeoutMs: o.actionTimeoutMs ?? 20_000,
      env: { ...process.env, TWS_RISK_DATA_DIR: join(dir, 'data'), ...o.env },
      source: { heartbeatMs: 500, heartbeatTimeoutMs: 10_000, backoff: { initialMs: 100, maxMs: 400, jitter: 0.1 }, openOrdersPollMs: 300 },
    },
  );
  if (typeof h === 'number') return { code: h, lines, dir };
  running.push(h);
  return { h, lines, dir };
}

async function until<T>(r: Started, predicate: () => T | undefined | null | false, ms: number, what: string): Promise<T> {
  try {
    return await waitFor(predicate, ms, what);
  } catch (e) {
    throw new Error(`${(e as Error).message}\nguard log:\n${r.lines.join('\n')}\nstatus: ${JSON.stringify(r.h?.status(), null, 1)}`);
  }
}
const ready = (r: Started) => until(r, () => r.h!.status().connection.health === 'ready' && r.h!.status().blocked === null, 30_000, 'a ready guard');

type AuditLine = { kind: string; type?: string; detail?: Record<string, unknown> };
const entries = (r: Started, type: string): AuditLine[] =>
  readFileSync(r.h!.auditFile, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as AuditLine)
    .filter((e) => e.kind === 'entry' && e.type === type);

const restingOrder = (clientId: number) =>
  ({ incident: 'foreign-order', clientId, symbol: 'AAPL', secType: 'STK', action: 'SELL', quantity: '100', orderType: 'LMT', lmtPrice: 100_000 }) as const;
const openOrderClients = (sim: Simulator) =>
  sim
    .snapshot()
    .openOrders.map((o) => o.clientId)
    .sort((a, b) => a - b);
const FOREIGN = { rules: [{ when: { alert: 'foreign.client', severity: 'warning' }, do: 'cancelClient', clientIds: 'foreign' }], limits: { window: 'always' } };
/** Every line a guard prints, in its log format: under journald, the priority first. */
const LOG_LINE = /^<[2-6]>\d{4}-\d\d-\d\dT[\d:.]+Z level=(info|notice|warning|err|crit) event=[\w.]+( |$)/;

describe('the guard and its settings file', () => {
  const config = (text: string) => {
    const file = join(root, `config-${++n}.json`);
    writeFileSync(file, text);
    return file;
  };
  const EXPECTS_77 = '{"alerts":{"rules":{"foreign.client":{"expectedClientIds":[77]}}}}';

  it("with --trade, a settings file with a syntax error refuses the start (exit 2), naming the file and the problem: the trading engine's orders stay", async () => {
    const sim = await sims();
    await sim.trigger(restingOrder(77));
    const broken = config(EXPECTS_77.slice(0, -1));
    const r = await start(sim.port, FOREIGN, { trade: true, settings: null, flags: { config: broken }, env: { JOURNAL_STREAM: '8:1234' } });
    expect(r.code, r.lines.join('\n')).toBe(EXIT.usage);
    expect(r.lines).toContainEqual(expect.stringMatching(new RegExp(`^<3>\\S+Z level=err event=settings\\.problem file=${broken} msg=".*not valid JSON`)));
    expect(r.lines).toContainEqual(
      expect.stringMatching(/^<3>\S+Z level=err event=settings\.refused .*1 problem\(s\) in the settings; a trading guard does not start .*not started"$/),
    );
    for (const l of r.lines) expect(l).toMatch(LOG_LINE);
    expect(openOrderClients(sim)).toEqual([77]);
  });

  it('with --trade, a key that fails validation refuses the start too; the valid file starts and leaves the expected client alone', async () => {
    const sim = await sims();
    await sim.trigger(restingOrder(77));
    await sim.trigger(restingOrder(42));
    const invalid = config('{"alerts":{"rules":{"foreign.client":{"expectedClientIds":"77"}}}}');
    const bad = await start(sim.port, FOREIGN, { trade: true, settings: null, flags: { config: invalid } });
    expect(bad.code, bad.lines.join('\n')).toBe(EXIT.usage);
    expect(bad.lines).toContainEqual(expect.stringMatching(/level=err event=settings\.problem .*expectedClientIds/));
    const good = await start(sim.port, FOREIGN, { trade: true, settings: null, flags: { config: config(EXPECTS_77) } });
    expect(good.code).toBeUndefined();
    await ready(good);
    await until(good, () => good.h!.status().lastAction?.outcome === 'done', 30_000, "the foreign client's cancel");
    expect(openOrderClients(sim)).toEqual([77]);
  }, 120_000);

  it('with --trade, a settings file that $TWS_RISK_CONFIG names and that is not there refuses the start', async () => {
    const sim = await sims();
    const missing = join(root, `absent-${++n}.json`);
    const r = await start(sim.port, FOREIGN, { trade: true, settings: null, env: { TWS_RISK_CONFIG: missing } });
    expect(r.code, r.lines.join('\n')).toBe(EXIT.usage);
    expect(r.lines).toContainEqual(
      expect.stringMatching(new RegExp(`level=err event=settings\\.problem file=${missing} msg="${missing}: no such file \\(named by \\$TWS_RISK_CONFIG\\)"`)),
    );
  });

  it('a dry run warns in its log format (a priority under journald) and goes on', async () => {
    const sim = await sims();
    const broken = config(EXPECTS_77.slice(0, -1));
    const r = await start(sim.port, FOREIGN, { settings: null, flags: { config: broken }, env: { JOURNAL_STREAM: '8:1234' } });
    expect(r.code).toBeUndefined();
    await ready(r);
    expect(r.lines).toContainEqual(expect.stringMatching(new RegExp(`^<4>\\S+Z level=warning event=settings\\.problem file=${broken} msg=".*not valid JSON`)));
    expect(r.lines).toContainEqual(expect.stringMatching(/^<4>\S+Z level=warning event=settings\.defaults .*with --trade the guard would not start/));
    for (const l of r.lines) expect(l).toMatch(LOG_LINE);
  }, 60_000);
});

describe("the guard's status file", () => {
  const statusBy = (file: string, pid: number | undefined, updatedAgoMs: number, actions: { at: string; severity: string }[] = []) =>
    writeFileSync(
      file,
      JSON.stringify({
        format: 'tws-risk-guard-status',
        pid,
        updatedAt: new Date(Date.now() - updatedAgoMs).toISOString(),
        stopped: false,
        mode: 'trade',
        actions,
        actionTimes: actions.map((a) => a.at),
        lastActionAt: actions[0]?.at ?? null,
      }),
    );

  it("refuses to share a live guard's status file (exit 2, naming its pid); takes over a stale one, or a dead process's, restoring its limits", async () => {
    const sim = await sims();
    // Another process, alive: the guard that writes the file.
    const other = spawn('sleep', ['600'], { stdio: 'ignore' });
    const gone = new Promise((r) => other.on('exit', r));
    try {
      const file = join(root, `shared-${++n}.json`);
      const at = new Date(Date.now() - 18_000).toISOString();
      statusBy(file, other.pid, 1_000, [{ at, severity: 'critical' }]);
      const refused = await start(sim.port, FOREIGN, { flags: { 'status-file': file } });
      expect(refused.code, refused.lines.join('\n')).toBe(EXIT.usage);
      expect(refused.lines).toContainEqual(
        expect.stringMatching(
          new RegExp(`^\\S+Z level=err event=status\\.inUse file=${file} pid=${other.pid} msg="another guard \\(pid ${other.pid}, trading, `),
        ),
      );
      expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ pid: other.pid });
      // The same process, its status 60 s old: stuck or gone, and taken over.
      statusBy(file, other.pid, 60_000, [{ at, severity: 'critical' }]);
      const stale = await start(sim.port, FOREIGN, { trade: true, flags: { 'status-file': file } });
      expect(stale.code, stale.lines.join('\n')).toBeUndefined();
      expect(stale.lines).toContainEqual(expect.stringMatching(/level=notice event=limits\.restored .*actionsLastHour=1/));
      expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ pid: process.pid });
      await stale.h!.stop('test over');
      // A dead process's file, written a second ago (a crash, restarted at once): taken over, its limits restored.
      other.kill();
      await gone;
      statusBy(file, other.pid, 1_000, [{ at, severity: 'critical' }]);
      const restarted = await start(sim.port, FOREIGN, { trade: true, flags: { 'status-file': file } });
      expect(restarted.code, restarted.lines.join('\n')).toBeUndefined();
      expect(restarted.lines).toContainEqual(expect.stringMatching(/level=notice event=limits\.restored .*actionsLastHour=1/));
      expect(restarted.h!.status().actionsLastHour).toBe(1);
    } finally {
      other.kill();
    }
  }, 60_000);

  it("the lock beside the status file is the claim: a guard that holds it and has not written yet is not raced; a dead holder's lock is taken over", async () => {
    const sim = await sims();
    // The instant two guards start together: the other has claimed the file (its lock) but written no status yet.
    const other = spawn('sleep', ['600'], { stdio: 'ignore' });
    const gone = new Promise((r) => other.on('exit', r));
    const file = join(root, `locked-${++n}.json`);
    const lock = `${file}.lock`;
    try {
      writeFileSync(lock, JSON.stringify({ pid: other.pid }), { mode: 0o600 });
      const refused = await start(sim.port, FOREIGN, { flags: { 'status-file': file } });
      expect(refused.code, refused.lines.join('\n')).toBe(EXIT.usage);
      expect(refused.lines).toContainEqual(
        expect.stringMatching(
          new RegExp(
            `^\\S+Z level=err event=status\\.inUse file=${file} pid=${other.pid} msg="another guard \\(pid ${other.pid}\\) holds ${lock} and has not written`,
          ),
        ),
      );
      expect(existsSync(file)).toBe(false);
      expect(JSON.parse(readFileSync(lock, 'utf8'))).toEqual({ pid: other.pid });
      // Its holder gone (a crash): taken over, the lock naming this process, private.
      other.kill();
      await gone;
      const took = await start(sim.port, FOREIGN, { flags: { 'status-file': file } });
      expect(took.code, took.lines.join('\n')).toBeUndefined();
      expect(JSON.parse(readFileSync(lock, 'utf8'))).toMatchObject({ pid: process.pid });
      expect(statSync(lock).mode & 0o777).toBe(0o600);
      // A second guard of this same process is refused as well: the pid alone does not tell them apart.
      const twin = await start(sim.port, FOREIGN, { flags: { 'status-file': file, 'client-id': '66' } });
      expect(twin.code, twin.lines.join('\n')).toBe(EXIT.usage);
      expect(twin.lines).toContainEqual(expect.stringMatching(new RegExp(`level=err event=status\\.inUse file=${file} pid=${process.pid} `)));
      await took.h!.stop('test over');
      expect(existsSync(lock)).toBe(false);
      // A lock that names no one (a power loss can leave it empty) is taken over too.
      writeFileSync(lock, '');
      const again = await start(sim.port, FOREIGN, { flags: { 'status-file': file } });
      expect(again.code, again.lines.join('\n')).toBeUndefined();
      expect(JSON.parse(readFileSync(lock, 'utf8'))).toMatchObject({ pid: process.pid });
    } finally {
      other.kill();
    }
  }, 60_000);
});

describe('an order the guard leaves working, and the audit log', () => {
  it("the result names the command that cancels it (not the console's key), which works once the guard has stopped; the ids link in the audit log", async () => {
    const sim = await sims();
    const r = await start(
      sim.port,
      { rules: [{ when: { alert: 'excess.negative', severity: 'critical' }, do: 'flatten', scope: 'conid:265598' }], limits: { window: 'always' } },
      { trade: true, actionTimeoutMs: 3_000 },
    );
    await ready(r);
    await sim.trigger({ incident: 'margin-spike', factor: 3, secTypes: ['ALL'] });
    const ours = () => sim.snapshot().openOrders.filter((o) => o.clientId === GUARD_CLIENT);
    await until(r, () => ours().length === 1, 60_000, "the guard's stock order at the simulator");
    // The market falls under the SELL limit before the simulator matches it: acknowledged, it rests.
    await sim.trigger({ incident: 'move', factor: 'AAPL', pct: -10 });
    sim.advance(1_000);
    await until(r, () => r.h!.status().lastAction !== null, 30_000, 'the action to time out');
    const orderId = ours()[0]!.orderId;
    const result = r.lines.find((l) => l.includes('event=action.result'))!;
    const command = `tws-risk cancel --order ${orderId} --port ${sim.port} --client-id ${GUARD_CLIENT} --trade --confirm-account ${ACCOUNT}`;
    expect(result).toContain(`timed out, still working at LMT `);
    expect(result).toContain(`: cancel it in TWS, or with \`${command}\` once client ${GUARD_CLIENT} is free (TWS refuses a second connection`);
    expect(result).not.toContain('x in Orders');

    // The audit log: the action's plan shown and its result both name the execution plan its orders carry.
    await r.h!.stop('test over');
    const actionId = r.h!.status().lastAction!.actionId;
    const shown = entries(r, 'planShown').map((e) => e.detail!);
    expect(shown.map((d) => d.planId)).toEqual([actionId]);
    const planId = shown[0]!.executionPlanId as string;
    expect(planId).toMatch(/^flat-/);
    expect(entries(r, 'orderSent').map((e) => e.detail!.planId)).toEqual([planId]);
    expect(entries(r, 'result').map((e) => e.detail!.planId)).toEqual([planId]);
    expect(entries(r, 'guardResult').map((e) => [e.detail!.actionId, e.detail!.executionPlanIds])).toEqual([[actionId, [planId]]]);

    // The command said works, the guard stopped (it held client 62).
    const out: string[] = [];
    const argv = command.split(' ').slice(2);
    const flags = Object.fromEntries(
      argv.flatMap((a, i) => (a.startsWith('--') ? [[a.slice(2), argv[i + 1] === undefined || argv[i + 1]!.startsWith('--') ? true : argv[i + 1]!]] : [])),
    ) as CancelFlags;
    // Its audit log in this test's directory, not the user's (the headless commands read $TWS_RISK_DATA_DIR).
    const saved = { data: process.env.TWS_RISK_DATA_DIR, config: process.env.TWS_RISK_CONFIG };
    process.env.TWS_RISK_DATA_DIR = join(r.dir, 'cancel-data');
    // The defaults, as a file: a $TWS_RISK_CONFIG naming none is refused by --trade, as the guard refuses it.
    writeFileSync(join(r.dir, 'empty-settings.json'), '{}');
    process.env.TWS_RISK_CONFIG = join(r.dir, 'empty-settings.json');
    let code: number | undefined;
    try {
      void cancelCommand({ ...flags, 'no-record': true }, { out: (l) => out.push(l), err: (l) => out.push(l) }).then((c) => (code = c));
      await waitFor(
        () => {
          sim.advance(250);
          return code !== undefined;
        },
        30_000,
        'the cancel',
      );
    } finally {
      for (const [k, v] of [
        ['TWS_RISK_DATA_DIR', saved.data],
        ['TWS_RISK_CONFIG', saved.config],
      ] as const)
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
    }
    expect(code, out.join('\n')).toBe(EXIT.ok);
    expect(ours()).toEqual([]);
  }, 120_000);
});

describe('a refused connection', () => {
  it('is retried, not an exit; guard status says it is not connected and why', async () => {
    const port = await deadPort();
    const r = await start(port, FOREIGN);
    await until(r, () => /refused/i.test(r.h!.status().connection.reason ?? ''), 20_000, 'the refusal');
    const stopped = await Promise.race([r.h!.done.then(() => 'stopped'), new Promise((res) => setTimeout(res, 1_500, 'running'))]);
    expect(stopped).toBe('running');
    const out: string[] = [];
    const code = guardStatusCommand({ 'status-file': join(r.dir, 'status.json') }, { out: (l) => out.push(l), err: (l) => out.push(l) });
    expect(code).toBe(EXIT.invalid);
    expect(out).toContainEqual(expect.stringMatching(/^tws-risk guard status: not connected: \w+ \(.*refused/i));
    expect(r.lines.some((l) => l.includes('event=connection.fatal'))).toBe(false);
  }, 60_000);
});

describe('a dry run', () => {
  it('plans each foreign order once, as the live guard cancels it once: a later alert finds nothing left to plan', async () => {
    const sim = await sims();
    for (const id of [4801, 4802, 77]) await sim.trigger(restingOrder(id));
    const r = await start(sim.port, { ...FOREIGN, limits: { window: 'always', coolDownMs: 0, maxActionsPerHour: 10 } });
    await ready(r);
    await until(r, () => r.h!.status().wouldDo.filter((v) => v.state === 'dryRun' || v.state === 'nothingToDo').length === 3, 30_000, 'three decisions');
    // The status says what became of the ones that found nothing left: not "done", as if they had cancelled something.
    const said: string[] = [];
    guardStatusCommand({ 'status-file': join(r.dir, 'status.json') }, { out: (l) => said.push(l), err: (l) => said.push(l) });
    const nothing = said.filter((l) => l.startsWith('would do now: ') && l.includes(': nothing to do, nothing sent ('));
    expect(nothing.length, said.join('\n')).toBeGreaterThanOrEqual(1);
    expect(nothing[0]).toMatch(
      / \(no open order of a foreign client .*; nothing went to TWS, and the rule acts again only when the alert clears and is raised again\)$/,
    );
    expect(
      said.filter((l) => /^would do now: .*: done/.test(l)),
      said.join('\n'),
    ).toEqual([]);
    await r.h!.stop('test over');
    const plans = entries(r, 'guardDecision').map((e) => e.detail!.plan as string[]);
    expect(plans).toHaveLength(3);
    for (const id of [77, 4801, 4802]) expect(plans.flat().filter((l) => l.startsWith(`cancel 1 open order(s) of API client ${id} `))).toHaveLength(1);
    const outcomes = entries(r, 'guardResult').map((e) => e.detail!.outcome);
    expect(outcomes.filter((o) => o === 'dryRun').length).toBeGreaterThanOrEqual(1);
    expect(outcomes.filter((o) => o === 'nothingToDo').length).toBeGreaterThanOrEqual(1);
    expect(plans.flat()).toContainEqual(
      expect.stringMatching(/^\d open order\(s\) left out: planned by guard-\S+ in this dry run, which a live guard would have cancelled then$/),
    );
    expect(openOrderClients(sim)).toEqual([77, 4801, 4802]);
  }, 60_000);
});

describe("a reduction's plan", () => {
  it('is headed as a reduction, not a flatten', () => {
    const plan: FlattenPlan = {
      id: 'reduce-1',
      scope: { kind: 'conids', conIds: [265598, 38709539] },
      account: ACCOUNT,
      cancels: [],
      legs: [],
      baseCurrency: 'USD',
      fingerprint: '',
      positionsPrint: '',
      notes: [],
      partial: true,
    };
    expect(planText(plan)[0]).toMatch(
      /^reduce conids:265598,38709539 on DU1234567 \(a partial reduction, not a flatten\): 0 cancel\(s\), 0 reducing order\(s\)$/,
    );
    expect(planText({ ...plan, id: 'flat-1', partial: false })[0]).toMatch(/^flatten /);
  });
});

describe('the advice for an order left working', () => {
  it("names the cancel command for the headless commands and the guard, and keeps the console's key for the console", () => {
    const leg = {
      conId: 265598,
      orderId: 12,
      label: 'SELL 500 AAPL',
      outcome: 'timedOut',
      filled: '0',
      working: { orderType: 'LMT', limitPrice: '190.47', remaining: '500' },
    } as const;
    expect(stillWorking(leg, cancelAdvice({ host: '192.0.2.10', port: 7496, clientId: 4217, account: 'U1234567' }))).toBe(
      ', still working at LMT 190.47 (500 left): cancel it in TWS, or with `tws-risk cancel --order 12 --host 192.0.2.10 --port 7496 --client-id 4217 --trade --confirm-account U1234567`; or flatten again',
    );
    expect(stillWorking(leg)).toBe(', still working at LMT 190.47 (500 left): cancel it (x in Orders) or re-flatten');
  });
});
