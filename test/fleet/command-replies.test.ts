// fleet command prints every answer it gets: one from a guard it did not ask (an older guard that ignores the aim) is shown, and never exits 0.
import { connect } from '@nats-io/transport-node';
import { afterAll, describe, expect, it } from 'vitest';
import { fleetCommandCommand } from '../../src/commands/fleet-command.js';
import type { CommandRequest } from '../../src/streams/nats/command.js';
import { readSummaries } from '../../src/streams/nats/fleet.js';
import { NatsPublisher } from '../../src/streams/nats/publisher.js';
import { commandSubject, DEFAULT_STREAM } from '../../src/streams/nats/subjects.js';
import { waitFor } from '../sim/helpers.js';
import { trialSummaries } from '../support/fleet-books.js';
import { startNatsServer } from '../support/nats-server.js';

const ACCOUNT = 'DU1234567';
const stops: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  while (stops.length) await stops.pop()!();
});

describe('fleet command and the answers it gets', () => {
  it('asks the listed guard (aimed, with the rule as listed); a second guard that acted too is printed and makes exit 6', async () => {
    const nats = await startNatsServer();
    stops.push(() => nats.stop());
    const publisher = await NatsPublisher.start({ url: nats.url, host: 'vm', session: 'vm-1' });
    stops.push(() => publisher.close());
    const nc = await connect({ servers: `127.0.0.1:${nats.port}` });
    stops.push(() => nc.close());
    const [guard] = trialSummaries(Date.now());
    publisher.summary({
      ...guard,
      account: ACCOUNT,
      host: 'vm',
      session: 'vm-1',
      instance: 'c4801',
      at: Date.now(),
      commands: [{ name: 'kill', action: 'globalCancel' }],
    });
    await waitFor(async () => (await readSummaries(nc, DEFAULT_STREAM)).summaries.length === 1 || undefined, 20_000, 'the summary in the stream');

    // The guard asked, and an older guard beside it that answers whatever it hears (it would have acted).
    const asked: CommandRequest[] = [];
    const reply = (req: CommandRequest, guard?: { host: string; session: string }) =>
      JSON.stringify({
        format: 'tws-risk-command-reply',
        id: req.id,
        account: ACCOUNT,
        outcome: 'done',
        rule: 'kill',
        action: 'globalCancel',
        actionId: guard ? 'guard-20261207T184150-c4801-p10-1' : 'guard-20261207T184150-1',
        dryRun: false,
        plan: ['GLOBAL CANCEL: 1 open order(s)'],
        lines: ['cancelled'],
        ...(guard ? { guard } : {}),
      });
    nc.subscribe(commandSubject(ACCOUNT), {
      callback: (_e, m) => {
        const req = JSON.parse(m.string()) as CommandRequest;
        asked.push(req);
        m.respond(reply(req, { host: 'vm', session: 'vm-1' }));
      },
    });
    nc.subscribe(commandSubject(ACCOUNT), { callback: (_e, m) => void setTimeout(() => m.respond(reply(JSON.parse(m.string()) as CommandRequest)), 200) });
    await nc.flush();

    const out: string[] = [];
    const err: string[] = [];
    const code = await fleetCommandCommand(
      { nats: nats.url, account: ACCOUNT, 'confirm-account': ACCOUNT, rule: 'kill', operator: 'desk', timeout: '20' },
      { out: (l) => out.push(l), err: (l) => err.push(l) },
    );
    expect(asked).toHaveLength(1);
    expect(asked[0]).toMatchObject({ target: { host: 'vm', session: 'vm-1' }, expect: { name: 'kill', action: 'globalCancel' } });
    expect(code, `${out.join('\n')}\n${err.join('\n')}`).toBe(6);
    expect(out[0]).toBe(`${ACCOUNT}: kill (globalCancel): DONE`);
    expect(out).toContain('  answered by guard vm/vm-1');
    const other = out.indexOf('ANOTHER GUARD ANSWERED (not the one asked):');
    expect(other).toBeGreaterThan(0);
    expect(out[other + 1]).toBe(`  ${ACCOUNT}: kill (globalCancel): DONE`);
    expect(out.slice(other).join('\n')).toMatch(/action guard-20261207T184150-1 in the guard's log/);
    expect(err).toEqual([
      'asking guard vm/vm-1 (trading; rules: kill)',
      'tws-risk fleet command: a guard that was not asked answered with an action: check every guard of the account',
    ]);
  }, 60_000);
});
