// Several NATS servers in one --publish / --nats (a cluster's nodes): a dead one in the list is passed over.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { FleetRow } from '../../src/commands/fleet.js';
import { fleetCommand } from '../../src/commands/fleet.js';
import { connectionOptions } from '../../src/streams/nats/connect.js';
import { simulatorsPerTest } from '../support/sim-rig.js';
import { startNatsServer } from '../support/nats-server.js';
import { startPublishingGuard } from '../support/publishing-guard.js';

const root = mkdtempSync(join(tmpdir(), 'tws-risk-fleet-failover-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const sims = simulatorsPerTest();
const stops: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (stops.length) await stops.pop()!();
});

describe('a list of NATS servers', () => {
  it('is parsed into the client servers, credentials kept apart', () => {
    const o = connectionOptions({ url: 'nats://u:p@a.example:4222, nats://b.example:4223,nats://[::1]', env: {} });
    expect(o.servers).toEqual(['a.example:4222', 'b.example:4223', '[::1]:4222']);
    expect(o.noRandomize).toBe(true);
    expect(o.user).toBe('u');
    expect(o.pass).toBe('p');
  });

  it('publishes and reads the fleet when the first server listed is dead and the second alive', async () => {
    const nats = await startNatsServer();
    stops.push(() => nats.stop());
    // A server that is there but no NATS: it takes the connection and drops it, so we see that it was tried first.
    let tried = 0;
    const dud = createServer((s) => {
      tried++;
      s.destroy();
    });
    await new Promise<void>((r) => dud.listen(0, '127.0.0.1', () => r()));
    stops.push(() => new Promise((r) => dud.close(r)));
    const dead = (dud.address() as { port: number }).port;
    const list = `nats://127.0.0.1:${dead},${nats.url}`;
    const sim = await sims({ account: 'DU6666666', seed: 9 });
    const { h, lines } = await startPublishingGuard({ dir: join(root, 'guard'), port: sim.port, clientId: 66, publish: list });
    stops.push(() => h.stop('test over'));

    let rows: FleetRow[] = [];
    let code = -1;
    const err: string[] = [];
    for (const deadline = Date.now() + 60_000; !rows.some((r) => r.account === 'DU6666666' && r.health === 'ready');) {
      if (Date.now() > deadline) throw new Error(`no row for DU6666666; fleet said ${err.join('\n')}\nguard:\n${lines.join('\n')}`);
      const out: string[] = [];
      code = await fleetCommand({ nats: list, json: true }, { out: (l) => out.push(l), err: (l) => err.push(l) });
      rows = out.length ? (JSON.parse(out.join('\n')) as { rows: FleetRow[] }).rows : [];
      if (!rows.length) await new Promise((r) => setTimeout(r, 200));
    }
    expect([0, 5]).toContain(code);
    expect(lines.some((l) => l.includes('event=publish.start'))).toBe(true);
    expect(lines.some((l) => l.includes('publish.unavailable'))).toBe(false);
    // The order given is the order tried: the guard's and each fleet read's first attempt went to the dud.
    expect(tried).toBeGreaterThanOrEqual(2);
  }, 90_000);
});
