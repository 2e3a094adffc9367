// A guard started while NATS cannot be reached (a reboot that starts it before nats-server) joins the fleet once NATS answers.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { readEvents, readSummaries } from '../../src/streams/nats/fleet.js';
import { DEFAULT_STREAM } from '../../src/streams/nats/subjects.js';
import { waitFor } from '../sim/helpers.js';
import { startNatsServer, startRelay } from '../support/nats-server.js';
import { startPublishingGuard } from '../support/publishing-guard.js';
import { simulatorsPerTest } from '../support/sim-rig.js';

const root = mkdtempSync(join(tmpdir(), 'tws-risk-late-'));
const stops: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  while (stops.length) await stops.pop()!();
  rmSync(root, { recursive: true, force: true });
});
const sims = simulatorsPerTest();

describe('a guard started while NATS is down', () => {
  it('says it cannot publish yet, keeps trying, and publishes (summaries, events from seq 1) once NATS answers', async () => {
    const nats = await startNatsServer();
    stops.push(() => nats.stop());
    const relay = await startRelay(nats.port);
    stops.push(() => relay.cut());
    await relay.cut();
    const sim = await sims({ account: 'DU5555555' });
    const g = await startPublishingGuard({ dir: join(root, 'g'), port: sim.port, clientId: 91, publish: `nats://127.0.0.1:${relay.port}` });
    stops.push(() => g.h.stop('test over'));
    await waitFor(() => g.lines.some((l) => l.includes('event=publish.unavailable')), 30_000, 'the guard saying NATS is unreachable');
    const first = g.lines.find((l) => l.includes('event=publish.unavailable'))!;
    expect(first).toMatch(/level=err .*the guard runs without publishing for now and tries again in 1 s/);
    await waitFor(() => g.h.status().connection.health === 'ready', 30_000, 'the guard ready meanwhile');

    await relay.mend();
    await waitFor(() => g.lines.some((l) => l.includes('event=publish.start')), 60_000, 'the guard publishing').catch((e: unknown) => {
      throw new Error(`${(e as Error).message}\n${g.lines.join('\n')}`);
    });
    expect(g.lines.find((l) => l.includes('event=publish.start'))).toMatch(/connected after \d+ failed attempt\(s\)/);
    const nc = await connect({ servers: `127.0.0.1:${nats.port}` });
    stops.push(() => nc.close());
    // vi.waitFor awaits the check (waitFor would take its promise as the answer at once).
    await vi.waitFor(
      async () => {
        const { summaries } = await readSummaries(nc, DEFAULT_STREAM);
        if (!summaries.some((s) => s.account === 'DU5555555' && s.role === 'guard')) throw new Error("no guard's summary in the stream yet");
      },
      { timeout: 30_000, interval: 200 },
    );
    // The events stamped while NATS was away were held and go first: the stream has the session whole.
    const session = /\bsession=(\S+)/.exec(g.lines.find((l) => l.includes('event=publish.start'))!)![1]!;
    // Sent first, though a summary may overtake their acknowledgements: read once the stream has the first.
    const seqs = await vi.waitFor(
      async () => {
        const got = (await readEvents(nc, DEFAULT_STREAM, 'DU5555555', session)).map((e) => e.seq);
        if (got[0] !== 1) throw new Error(`the stream starts at seq ${got[0]}`);
        return got;
      },
      { timeout: 30_000, interval: 200 },
    );
    expect(seqs.slice(0, 3)).toEqual([1, 2, 3]);
  }, 120_000);
});
