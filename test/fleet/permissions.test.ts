// The shipped nats-server configuration, run by a real server: a viewer cannot publish a command, an operator can, an agent publishes only its account.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterEach, describe, expect, it } from 'vitest';
import { fleetCommand } from '../../src/commands/fleet.js';
import { NatsPublisher } from '../../src/streams/nats/publisher.js';
import { commandSubject } from '../../src/streams/nats/subjects.js';
import { startNatsServer, type NatsServer } from '../support/nats-server.js';

const stops: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (stops.length) await stops.pop()!();
});

/** The shipped file with its store moved into the test's temp dir and the listen line left to the command line. */
async function shippedServer(): Promise<NatsServer> {
  const conf = readFileSync(join(import.meta.dirname, '../../deploy/nats/nats-server.conf'), 'utf8').replace(/^listen:.*$/m, '');
  const s = await startNatsServer({ config: conf.replace(/store_dir: .*/, 'store_dir: STORE') });
  return s;
}

/** Publishes and flushes; resolves with the server's permission error for that subject, if any. */
async function publishRefusal(nc: NatsConnection, subject: string): Promise<string | undefined> {
  const errors: string[] = [];
  const watch = (async () => {
    for await (const st of nc.status()) if (st.type === 'error') errors.push(String(st.error));
  })();
  void watch;
  nc.publish(subject, 'flatten please');
  await nc.flush();
  // The server reports the violation asynchronously, before the flush's pong: one more round trip makes sure.
  await nc.flush();
  return errors.find((e) => /permissions? violation/i.test(e));
}

describe('deploy/nats/nats-server.conf', () => {
  it('refuses a viewer publishing a command; lets the operator; the agent publishes its own account only and the viewer reads the fleet', async () => {
    const server = await shippedServer();
    stops.push(() => server.stop());
    const at = (user: string, pass: string) => `nats://${user}:${pass}@127.0.0.1:${server.port}`;

    const viewer = await connect({ servers: `127.0.0.1:${server.port}`, user: 'viewer', pass: 'change-me-viewer' });
    stops.push(() => viewer.close());
    const refused = await publishRefusal(viewer, commandSubject('DU1234567'));
    expect(refused).toMatch(/Permissions Violation for Publish to "tws-risk\.DU1234567\.command"/i);

    const operator = await connect({ servers: `127.0.0.1:${server.port}`, user: 'operator', pass: 'change-me-operator' });
    stops.push(() => operator.close());
    const got = viewer.subscribe(commandSubject('DU1234567'), { max: 1 });
    await viewer.flush();
    expect(await publishRefusal(operator, commandSubject('DU1234567'))).toBeUndefined();
    for await (const m of got) expect(m.string()).toBe('flatten please');

    // The agent creates the stream and publishes its account's summary; another account's subject is refused.
    const p = await NatsPublisher.start({ url: at('agent-DU1234567', 'change-me-agent'), host: 'h1', session: 's1' });
    p.summary({
      format: 'tws-risk-summary',
      account: 'DU1234567',
      host: 'h1',
      session: 's1',
      role: 'guard',
      at: Date.now(),
      lastSeq: 1,
      lastEventAt: null,
      health: 'ready',
      baseCurrency: 'USD',
      netLiquidation: '100',
      excessLiquidity: '50',
      cushion: '0.5',
      worstStress: null,
      alerts: { critical: 0, warning: 0, info: 0 },
      armed: false,
      mode: 'readOnly',
      publishing: { behind: 0, dropped: 0 },
    });
    await p.close();
    const agent = await connect({ servers: `127.0.0.1:${server.port}`, user: 'agent-DU1234567', pass: 'change-me-agent' });
    stops.push(() => agent.close());
    expect(await publishRefusal(agent, 'tws-risk.DU9999999.events')).toMatch(/Permissions Violation for Publish/i);
    // The agent listens for its own account's commands (its guard answers them) but may not send one, even to itself.
    expect(await publishRefusal(agent, commandSubject('DU1234567'))).toMatch(/Permissions Violation for Publish to "tws-risk\.DU1234567\.command"/i);
    const own = agent.subscribe(commandSubject('DU1234567'), { max: 1 });
    const other = agent.subscribe(commandSubject('DU9999999'), { max: 1 });
    await agent.flush();
    operator.publish(commandSubject('DU1234567'), 'cancel please');
    for await (const m of own) expect(m.string()).toBe('cancel please');
    // nats.js resolves a subscription's `closed` with the server's refusal.
    expect(String(await other.closed)).toMatch(/Permissions Violation for Subscription to "tws-risk\.DU9999999\.command"/i);

    const out: string[] = [];
    const code = await fleetCommand({ nats: at('viewer', 'change-me-viewer'), json: true }, { out: (l) => out.push(l), err: (l) => out.push(l) });
    expect(code).toBe(0);
    expect((JSON.parse(out.join('\n')) as { rows: { account: string; netLiquidation: string }[] }).rows.map((r) => [r.account, r.netLiquidation])).toEqual([
      ['DU1234567', '100'],
    ]);
  }, 60_000);
});
