// Two consoles of one account on one host (two TWS client ids) publish on a summary subject each: two fleet rows, never one alternating.
import { connect } from '@nats-io/transport-node';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { fleetColumns, fleetRows } from '../../src/commands/fleet.js';
import { readSummaries } from '../../src/streams/nats/fleet.js';
import { DEFAULT_STREAM, summarySubject } from '../../src/streams/nats/subjects.js';
import { startNatsServer } from '../support/nats-server.js';
import { startPublishingConsole } from '../support/publishing-console.js';
import { simulatorsPerTest } from '../support/sim-rig.js';

const stops: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  while (stops.length) await stops.pop()!();
});
const sims = simulatorsPerTest();

describe('two consoles of one account on one host', () => {
  it('are two rows of the fleet, ROLE naming each by its client id', async () => {
    const nats = await startNatsServer();
    stops.push(() => nats.stop());
    const sim = await sims({ account: 'DU5555557' });
    for (const clientId of [4217, 4218]) {
      const c = startPublishingConsole({ port: sim.port, clientId, publish: nats.url });
      stops.push(() => c.quit());
    }
    const nc = await connect({ servers: nats.url });
    stops.push(() => nc.close());
    const summaries = await vi.waitFor(
      async () => {
        const got = (await readSummaries(nc, DEFAULT_STREAM)).summaries.filter((s) => s.account === 'DU5555557');
        if (got.length < 2) throw new Error(`${got.length} summaries of the account in the stream`);
        return got;
      },
      { timeout: 60_000, interval: 200 },
    );
    expect(summaries.map((s) => s.instance).sort()).toEqual(['c4217', 'c4218']);
    expect(new Set(summaries.map((s) => summarySubject(s.account, s.host, s.role, s.instance))).size).toBe(2);
    const { specs, rows } = fleetColumns(fleetRows(summaries, Math.max(...summaries.map((s) => s.at)), 60_000));
    const role = specs.findIndex((s) => s.id === 'role');
    expect(rows.map((r) => r[role]).sort()).toEqual(['console c4217', 'console c4218']);
  }, 120_000);
});
