// A remote command aimed at one guard of an account (the fleet view's): only that guard answers and acts, and only on the rule confirmed.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { afterAll, describe, expect, it } from 'vitest';
import { commandRequest } from '../../src/commands/fleet-command.js';
import { requestCommand } from '../../src/streams/nats/command.js';
import { waitFor } from '../sim/helpers.js';
import { startNatsServer } from '../support/nats-server.js';
import { isListening, startPublishingGuard, type PublishingGuard } from '../support/publishing-guard.js';
import { simulatorsPerTest } from '../support/sim-rig.js';

const root = mkdtempSync(join(tmpdir(), 'tws-risk-aim-'));
const stops: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  while (stops.length) await stops.pop()!();
  rmSync(root, { recursive: true, force: true });
});
const sims = simulatorsPerTest();

const ACCOUNT = 'DU1234567';
const POLICY = {
  rules: [
    { name: 'say', when: { alert: 'connection.lost' }, do: 'notify' },
    { name: 'kill', when: { alert: 'excess.negative', severity: 'critical' }, do: 'globalCancel' },
  ],
  limits: { maxActionsPerHour: 5, coolDownMs: 0, window: 'always' },
};

/** host and session from the guard's publish.start log line (what its summaries name). */
function aimOf(g: PublishingGuard): { host: string; session: string } {
  const line = g.lines.find((l) => l.includes('event=publish.start'))!;
  return { host: /\bhost=(\S+)/.exec(line)![1]!, session: /\bsession=(\S+)/.exec(line)![1]! };
}
const decisions = (g: PublishingGuard) =>
  readFileSync(g.h.auditFile, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { kind: string; type?: string; detail?: Record<string, unknown> })
    .filter((e) => e.kind === 'entry' && (e.type === 'guardDecision' || e.type === 'guardCommand'));

describe('a command aimed at one guard', () => {
  it('is answered and run by that guard alone; a rule that is no longer the one confirmed is refused', async () => {
    const nats = await startNatsServer();
    stops.push(() => nats.stop());
    const sim = await sims({ account: ACCOUNT });
    // Two guards of one account (a dry run each: the decision is what is looked at), e.g. two hosts, or a restart.
    const a = await startPublishingGuard({ dir: join(root, 'a'), port: sim.port, clientId: 81, publish: nats.url, policy: POLICY });
    stops.push(() => a.h.stop('test over'));
    const b = await startPublishingGuard({ dir: join(root, 'b'), port: sim.port, clientId: 82, publish: nats.url, policy: POLICY });
    stops.push(() => b.h.stop('test over'));
    await waitFor(() => isListening(a) && isListening(b), 30_000, 'two guards listening');
    const nc = await connect({ servers: `127.0.0.1:${nats.port}` });
    stops.push(() => nc.close());

    const target = aimOf(b);
    expect(target.session).not.toBe(aimOf(a).session);
    const req = commandRequest(ACCOUNT, 1, 'desk', Date.UTC(2026, 2, 2), { target, expect: { name: 'kill', action: 'globalCancel' } });
    const r = await requestCommand(nc, ACCOUNT, req, 30_000);
    expect(r).toMatchObject({ id: req.id, outcome: expect.stringMatching(/^(dryRun|nothingToDo)$/), rule: 'kill', action: 'globalCancel' });
    await waitFor(() => a.lines.some((l) => l.includes('event=command.otherGuard') && l.includes(req.id)), 10_000, 'the other guard passing it over');
    expect(decisions(b).map((e) => e.type)).toEqual(['guardDecision']);
    expect(decisions(a)).toEqual([]);

    // The operator confirmed "kill (globalCancel)" at place 1; the policy there says otherwise: refused, nothing run.
    const stale = commandRequest(ACCOUNT, 1, 'desk', Date.UTC(2026, 2, 2), { target, expect: { name: 'kill', action: 'flatten' } });
    const refused = await requestCommand(nc, ACCOUNT, stale, 30_000);
    expect(refused).toMatchObject({ outcome: 'refused', actionId: null });
    expect(typeof refused !== 'string' && refused.lines[0]).toMatch(
      /^the policy changed: the operator confirmed kill \(flatten\), the policy [0-9a-f]{12} has kill \(globalCancel\) there; nothing was done$/,
    );
    expect(decisions(b).map((e) => e.type)).toEqual(['guardDecision', 'guardCommand']);
    expect(decisions(a)).toEqual([]);
  }, 90_000);
});
