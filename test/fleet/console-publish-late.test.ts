// A console started while NATS cannot be reached (a reboot that starts it before nats-server) joins the fleet once NATS answers.
import { connect } from '@nats-io/transport-node';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { readEvents, readSummaries } from '../../src/streams/nats/fleet.js';
import { DEFAULT_STREAM } from '../../src/streams/nats/subjects.js';
import { waitFor } from '../sim/helpers.js';
import { startNatsServer, startRelay } from '../support/nats-server.js';
import { startPublishingConsole } from '../support/publishing-console.js';
import { simulatorsPerTest } from '../support/sim-rig.js';

const stops: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  while (stops.length) await stops.pop()!();
});
const sims = simulatorsPerTest();

describe('a console started while NATS is down', () => {
  it('says in its log it cannot publish yet, keeps trying, says when it connects, and publishes its session from seq 1', async () => {
    const nats = await startNatsServer();
    stops.push(() => nats.stop());
    const relay = await startRelay(nats.port);
    stops.push(() => relay.cut());
    await relay.cut();
    const sim = await sims({ account: 'DU5555556' });
    const c = startPublishingConsole({ port: sim.port, clientId: 4217, publish: `nats://127.0.0.1:${relay.port}` });
    stops.push(() => c.quit());
    await waitFor(() => c.notes.some((n) => n.startsWith('Publishing: ')), 30_000, 'the console saying NATS is unreachable');
    expect(c.notes.find((n) => n.startsWith('Publishing: '))).toMatch(/the console runs without publishing for now and tries again in 1 s/);
    // The console runs meanwhile, and its retries after the first are quiet (the log is not given a line a minute).
    await waitFor(() => c.stdout.out.includes('DU5555556'), 30_000, 'the console drawing its account meanwhile');

    await relay.mend();
    await waitFor(() => c.notes.some((n) => n.includes('connected to NATS')), 60_000, 'the console publishing').catch((e: unknown) => {
      throw new Error(`${(e as Error).message}\n${c.notes.join('\n')}`);
    });
    expect(c.notes.find((n) => n.includes('connected to NATS'))).toMatch(/^Publishing: connected to NATS after \d+ failed attempt\(s\)$/);
    expect(c.notes.filter((n) => n.includes('tries again'))).toHaveLength(1);
    const nc = await connect({ servers: `127.0.0.1:${nats.port}` });
    stops.push(() => nc.close());
    const summary = await vi.waitFor(
      async () => {
        const s = (await readSummaries(nc, DEFAULT_STREAM)).summaries.find((x) => x.account === 'DU5555556' && x.role === 'console');
        if (!s) throw new Error("no console's summary in the stream yet");
        return s;
      },
      { timeout: 30_000, interval: 100 },
    );
    expect(summary.instance).toBe('c4217');
    // The events stamped while NATS was away were held and go first: the stream has the session whole.
    // (Sent first, though a summary may overtake their acknowledgements: read once the stream has the first.)
    const seqs = await vi.waitFor(
      async () => {
        const got = (await readEvents(nc, DEFAULT_STREAM, 'DU5555556', summary.session)).map((e) => e.seq);
        if (got[0] !== 1) throw new Error(`the stream starts at seq ${got[0]}`);
        return got;
      },
      { timeout: 30_000, interval: 200 },
    );
    expect(seqs.slice(0, 3)).toEqual([1, 2, 3]);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
    expect(await c.quit()).toBe(0);
  }, 120_000);
});
