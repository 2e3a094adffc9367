// The remote kill switch over a real nats-server with the shipped credentials: an operator's command runs a guard's rule, nothing else does.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { fleetCommandCommand, type FleetCommandFlags } from '../../src/commands/fleet-command.js';
import type { GuardHandle } from '../../src/commands/guard.js';
import type { FeedEvent } from '../../src/model/events.js';
import type { Simulator } from '../../src/sim/index.js';
import { requestCommand } from '../../src/streams/nats/command.js';
import { readRecording } from '../../src/streams/recording/reader.js';
import { waitFor } from '../sim/helpers.js';
import { simulatorsPerTest } from '../support/sim-rig.js';
import { startNatsServer, type NatsServer } from '../support/nats-server.js';
import { isListening, startPublishingGuard, waitListed, type PublishingGuard } from '../support/publishing-guard.js';
import { QUICK_SOURCE } from '../support/sim-feed.js';

const root = mkdtempSync(join(tmpdir(), 'tws-risk-command-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const sims = simulatorsPerTest();
const stops: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (stops.length) await stops.pop()!();
});

const ACCOUNT = 'DU1234567';
/** A kill rule that its alert never raises in these tests: only the operator's command runs it. */
const POLICY = {
  rules: [
    { name: 'kill', when: { alert: 'excess.negative', severity: 'critical' }, do: 'globalCancel' },
    { name: 'say', when: { alert: 'connection.lost' }, do: 'notify' },
  ],
  limits: { maxActionsPerHour: 3, coolDownMs: 600_000, window: 'always' },
};
let n = 0;

async function shippedServer(): Promise<NatsServer> {
  const conf = readFileSync(join(import.meta.dirname, '../../deploy/nats/nats-server.conf'), 'utf8').replace(/^listen:.*$/m, '');
  const s = await startNatsServer({ config: conf.replace(/store_dir: .*/, 'store_dir: STORE') });
  stops.push(() => s.stop());
  return s;
}

const url = (s: NatsServer, user: string) => `nats://${user}:change-me-${user.startsWith('agent-') ? 'agent' : user}@127.0.0.1:${s.port}`;

async function publishingGuard(sim: Simulator, nats: NatsServer, trade: boolean): Promise<PublishingGuard> {
  const g = await startPublishingGuard({
    dir: join(root, `guard-${++n}`),
    port: sim.port,
    clientId: 61,
    publish: url(nats, `agent-${ACCOUNT}`),
    policy: POLICY,
    record: true,
    ...(trade ? { flags: { trade: true, 'confirm-account': ACCOUNT } } : {}),
    runtime: { actionTimeoutMs: 20_000, source: QUICK_SOURCE },
  });
  stops.push(() => g.h.stop('test over'));
  try {
    await waitFor(() => isListening(g), 30_000, 'a ready guard listening for commands');
    await waitListed(g, `127.0.0.1:${nats.port}`, { user: 'viewer', pass: 'change-me-viewer' });
  } catch (e) {
    throw new Error(`${(e as Error).message}\n${g.lines.join('\n')}`);
  }
  return g;
}

async function command(flags: FleetCommandFlags): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await fleetCommandCommand(
    { account: ACCOUNT, 'confirm-account': ACCOUNT, timeout: '60', ...flags },
    { out: (l) => out.push(l), err: (l) => err.push(l) },
  );
  return { code, out, err };
}

const restingOrder = {
  incident: 'foreign-order',
  clientId: 42,
  symbol: 'AAPL',
  secType: 'STK',
  action: 'SELL',
  quantity: '100',
  orderType: 'LMT',
  lmtPrice: 100_000,
} as const;
const openOrderClients = (sim: Simulator) =>
  sim
    .snapshot()
    .openOrders.map((o) => o.clientId)
    .sort((a, b) => a - b);
type AuditLine = { kind: string; type?: string; detail?: Record<string, unknown> };
const entries = (h: GuardHandle, type: string) =>
  readFileSync(h.auditFile, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as AuditLine)
    .filter((e) => e.kind === 'entry' && e.type === type);

describe('fleet command: the remote kill switch', () => {
  it("the operator runs the guard's globalCancel rule; a viewer is refused by the server, an unknown rule and a wrong account by the guard", async () => {
    const nats = await shippedServer();
    const sim = await sims({ account: ACCOUNT });
    await sim.trigger(restingOrder);
    const g = await publishingGuard(sim, nats, true);
    expect(openOrderClients(sim)).toEqual([42]);

    // The viewer's credential may not publish on the command subject: the server refuses, the guard never hears it.
    const viewer = await command({ nats: url(nats, 'viewer'), rule: 'kill', operator: 'intruder' });
    expect(viewer.code, viewer.err.join('\n')).toBe(1);
    expect(viewer.err.join('\n')).toMatch(/the NATS server refused the command: .*Permissions Violation for Publish to "tws-risk\.DU1234567\.command"/i);

    // The confirmation must be the account: checked before anything is sent.
    const typo = await command({ nats: url(nats, 'operator'), rule: 'kill', 'confirm-account': 'DU1234576' });
    expect(typo.code).toBe(2);
    expect(typo.err.join('\n')).toMatch(/--confirm-account "DU1234576" is not --account "DU1234567"; nothing was sent/);

    const unknown = await command({ nats: url(nats, 'operator'), rule: 'sell-everything', operator: 'risk-manager' });
    expect(unknown.code, unknown.err.join('\n')).toBe(1);
    expect(unknown.out[0]).toBe('DU1234567: sell-everything: REFUSED');
    expect(unknown.out.join('\n')).toMatch(
      /no rule "sell-everything" in the policy [0-9a-f]{12} \(rules: kill, say\); a command runs only the policy's own actions/,
    );

    // A request made by hand on this account's subject that confirms another account is refused by the guard itself.
    const started = g.lines.find((l) => l.includes('event=publish.start'))!;
    const op = await connect({ servers: `127.0.0.1:${nats.port}`, user: 'operator', pass: 'change-me-operator' });
    stops.push(() => op.close());
    const wrong = await requestCommand(
      op,
      ACCOUNT,
      {
        format: 'tws-risk-command',
        id: 'r-wrong',
        rule: 'kill',
        trigger: 'operator',
        operator: 'risk-manager',
        from: 'desk',
        account: 'DU9999999',
        at: 0,
        target: { host: /\bhost=(\S+)/.exec(started)![1]!, session: /\bsession=(\S+)/.exec(started)![1]! },
      },
      30_000,
    );
    expect(wrong).toMatchObject({
      id: 'r-wrong',
      account: ACCOUNT,
      outcome: 'refused',
      actionId: null,
      lines: ['the command confirms account DU9999999; this guard follows DU1234567'],
    });
    expect(openOrderClients(sim)).toEqual([42]);
    expect(g.lines.some((l) => l.includes('event=command.accepted'))).toBe(false);

    const kill = await command({ nats: url(nats, 'operator'), rule: 'kill', operator: 'risk-manager' });
    expect(kill.code, `${kill.out.join('\n')}\n${kill.err.join('\n')}\n${g.lines.join('\n')}`).toBe(0);
    expect(kill.out[0]).toBe('DU1234567: kill (globalCancel): DONE');
    expect(kill.out.join('\n')).toMatch(/plan: GLOBAL CANCEL: 1 open order\(s\), 1 of them from other API clients/);
    await waitFor(() => openOrderClients(sim).length === 0, 20_000, "the simulator's open order cancelled");
    expect(g.h.status().lastAction).toMatchObject({ rule: 'kill', action: 'globalCancel', alert: 'operator', outcome: 'done' });
    // The command counts in the policy's hourly cap like an alert's action (engine.test.ts tests what it passes).
    expect(g.h.status().actionsLastHour).toBe(1);
    await g.h.stop('test over');

    expect(entries(g.h, 'guardCommand').map((e) => [e.detail!.operator ?? null, e.detail!.outcome, String(e.detail!.why).slice(0, 30)])).toEqual([
      ['risk-manager', 'refused', 'no rule "sell-everything" in t'],
      ['risk-manager', 'refused', 'the command confirms account D'],
    ]);
    const decided = entries(g.h, 'guardDecision');
    expect(decided).toHaveLength(1);
    expect(decided[0]!.detail).toMatchObject({
      rule: 'kill',
      action: 'globalCancel',
      dryRun: false,
      operator: { name: 'risk-manager', requestId: expect.stringMatching(/^[0-9a-f]{16}$/) },
    });
    expect(entries(g.h, 'globalCancelSent')).toHaveLength(1);
    expect(entries(g.h, 'guardResult').map((e) => e.detail!.outcome)).toEqual(['done']);
    const events: FeedEvent[] = [];
    for await (const it of readRecording(g.recording!)) if (it.kind === 'event') events.push(it.event);
    const acted = events.filter((e) => e.type === 'guardActed' && e.step === 'decided');
    expect(acted).toEqual([expect.objectContaining({ rule: 'kill', action: 'globalCancel', operator: expect.objectContaining({ name: 'risk-manager' }) })]);
  }, 150_000);

  it('a dry-run guard answers what it would do and sends nothing', async () => {
    const nats = await shippedServer();
    const sim = await sims({ account: ACCOUNT });
    await sim.trigger(restingOrder);
    const g = await publishingGuard(sim, nats, false);
    const r = await command({ nats: url(nats, 'operator'), rule: '0', operator: 'risk-manager', json: true });
    expect(r.code, r.err.join('\n')).toBe(0);
    const reply = JSON.parse(r.out.join('\n')) as Record<string, unknown>;
    expect(reply).toMatchObject({ format: 'tws-risk-command-reply', account: ACCOUNT, outcome: 'dryRun', dryRun: true, rule: 'kill', action: 'globalCancel' });
    expect((reply.plan as string[])[0]).toMatch(/^GLOBAL CANCEL: 1 open order\(s\)/);
    await g.h.stop('test over');
    expect(openOrderClients(sim)).toEqual([42]);
    expect(entries(g.h, 'globalCancelSent')).toEqual([]);
    expect(entries(g.h, 'guardResult').map((e) => e.detail!.outcome)).toEqual(['dryRun']);
  }, 150_000);
});
