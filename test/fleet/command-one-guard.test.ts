// Several guards of one account (the user trial: two trading guards and a dry run): one `fleet command` is run by one guard, never by each.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { afterAll, describe, expect, it } from 'vitest';
import { commandRequest, fleetCommandCommand, type FleetCommandFlags } from '../../src/commands/fleet-command.js';
import { fleetRows } from '../../src/commands/fleet.js';
import type { Simulator } from '../../src/sim/index.js';
import { requestCommandAll } from '../../src/streams/nats/command.js';
import { readSummaries } from '../../src/streams/nats/fleet.js';
import { DEFAULT_STREAM } from '../../src/streams/nats/subjects.js';
import { waitFor } from '../sim/helpers.js';
import { startNatsServer } from '../support/nats-server.js';
import { isListening, startPublishingGuard, type PublishingGuard } from '../support/publishing-guard.js';
import { simulatorsPerTest } from '../support/sim-rig.js';
import { QUICK_SOURCE } from '../support/sim-feed.js';

const root = mkdtempSync(join(tmpdir(), 'tws-risk-one-guard-'));
const stops: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  while (stops.length) await stops.pop()!();
  rmSync(root, { recursive: true, force: true });
});
const sims = simulatorsPerTest();

const ACCOUNT = 'DU1234567';
const POLICY = {
  rules: [{ name: 'kill', when: { alert: 'excess.negative', severity: 'critical' }, do: 'globalCancel' }],
  limits: { maxActionsPerHour: 5, coolDownMs: 0, window: 'always' },
};
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
const openOrders = (sim: Simulator) => sim.snapshot().openOrders.length;

/** host/session from the guard's publish.start log line (what its summaries name). */
function nameOf(g: PublishingGuard): string {
  const line = g.lines.find((l) => l.includes('event=publish.start'))!;
  return `${/\bhost=(\S+)/.exec(line)![1]!}/${/\bsession=(\S+)/.exec(line)![1]!}`;
}
const decided = (g: PublishingGuard) =>
  readFileSync(g.h.auditFile, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { kind: string; type?: string; detail?: Record<string, unknown> })
    .filter((e) => e.kind === 'entry' && e.type === 'guardDecision');

describe('fleet command with several guards of one account', () => {
  it('refuses to choose among trading guards, runs on the one named by --guard only; every guard refuses an unaimed request', async () => {
    const nats = await startNatsServer();
    stops.push(() => nats.stop());
    const sim = await sims({ account: ACCOUNT });
    await sim.trigger(restingOrder);
    const guard = async (name: string, clientId: number, trade: boolean) => {
      const g = await startPublishingGuard({
        dir: join(root, name),
        port: sim.port,
        clientId,
        publish: nats.url,
        policy: POLICY,
        ...(trade ? { flags: { trade: true, 'confirm-account': ACCOUNT } } : {}),
        runtime: { actionTimeoutMs: 20_000, source: QUICK_SOURCE },
      });
      stops.push(() => g.h.stop('test over'));
      return g;
    };
    const a = await guard('a', 4801, true);
    const b = await guard('b', 4802, true);
    const dry = await guard('dry', 4803, false);
    await waitFor(() => isListening(a) && isListening(b) && isListening(dry), 60_000, 'three guards listening');
    const nc = await connect({ servers: `127.0.0.1:${nats.port}` });
    stops.push(() => nc.close());
    // One host, one account, one role: three rows all the same (one subject each), each listing its rules.
    await waitFor(
      async () => {
        const rows = fleetRows((await readSummaries(nc, DEFAULT_STREAM)).summaries, Date.now(), 5_000);
        return rows.filter((r) => r.account === ACCOUNT && r.role === 'guard' && (r.commands?.length ?? 0) > 0).length === 3 || undefined;
      },
      30_000,
      'three listening guards in the summaries',
    );

    const run = async (flags: Partial<FleetCommandFlags>) => {
      const out: string[] = [];
      const err: string[] = [];
      const code = await fleetCommandCommand(
        { nats: nats.url, account: ACCOUNT, 'confirm-account': ACCOUNT, rule: 'kill', operator: 'desk', timeout: '60', ...flags },
        { out: (l) => out.push(l), err: (l) => err.push(l) },
      );
      return { code, out, err };
    };

    // Two trading guards: the command names none of them for the operator, and lists them; nothing is sent.
    const ambiguous = await run({});
    expect(ambiguous.code, ambiguous.err.join('\n')).toBe(2);
    expect(ambiguous.err[0]).toBe(
      `tws-risk fleet command: 3 guards of account ${ACCOUNT} listen for commands (2 trading): a command is run by one guard; name it with --guard HOST/SESSION; nothing was sent`,
    );
    expect(ambiguous.err.slice(1).sort()).toEqual(
      [`  ${nameOf(a)} (trading; rules: kill)`, `  ${nameOf(b)} (trading; rules: kill)`, `  ${nameOf(dry)} (dry run; rules: kill)`].sort(),
    );

    // A request that names no guard (as `fleet command` sent before): every guard hears it, every one refuses it.
    const unaimed = await requestCommandAll(nc, ACCOUNT, commandRequest(ACCOUNT, 'kill', 'desk', Date.now()), 30_000);
    expect(unaimed).toHaveLength(3);
    for (const r of unaimed) expect(r).toMatchObject({ outcome: 'refused', actionId: null, lines: [expect.stringMatching(/^the command names no guard/)] });
    expect([a, b, dry].map((g) => decided(g).length)).toEqual([0, 0, 0]);
    expect(openOrders(sim)).toBe(1);

    // Named: that guard alone decides and acts; its answer says which guard it was and its action id is its own.
    const named = await run({ guard: nameOf(b) });
    expect(named.code, `${named.out.join('\n')}\n${named.err.join('\n')}`).toBe(0);
    expect(named.err[0]).toBe(`asking guard ${nameOf(b)} (trading; rules: kill)`);
    expect(named.out[0]).toBe(`${ACCOUNT}: kill (globalCancel): DONE`);
    expect(named.out).toContain(`  answered by guard ${nameOf(b)}`);
    expect(named.out.join('\n')).toMatch(/action guard-\d{8}T\d{6}-c4802-p\d+-1 in the guard's log/);
    expect(named.out.join('\n')).not.toMatch(/ANOTHER GUARD/);
    await waitFor(() => openOrders(sim) === 0, 20_000, 'the resting order cancelled');
    expect([a, b, dry].map((g) => decided(g).length)).toEqual([0, 1, 0]);
    expect(a.lines.some((l) => l.includes('event=command.otherGuard'))).toBe(true);

    // With one trading guard left listening, it is the one asked without --guard (the dry run is listed, not asked).
    await a.h.stop('test over');
    await waitFor(
      async () => {
        const rows = fleetRows((await readSummaries(nc, DEFAULT_STREAM)).summaries, Date.now(), 5_000);
        return rows.filter((r) => r.account === ACCOUNT && !r.stale && (r.commands?.length ?? 0) > 0).length === 2 || undefined;
      },
      30_000,
      "the stopped guard's row gone stale",
    );
    const one = await run({});
    expect(one.code, `${one.out.join('\n')}\n${one.err.join('\n')}`).toBe(0);
    expect(one.err).toEqual([`asking guard ${nameOf(b)} (trading; rules: kill)`, `  not asked: ${nameOf(dry)} (dry run; rules: kill)`]);
    expect(one.out[0]).toBe(`${ACCOUNT}: kill (globalCancel): NOTHING TO DO`);
    expect([b, dry].map((g) => decided(g).length)).toEqual([2, 0]);
  }, 180_000);
});
