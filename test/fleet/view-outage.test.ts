// The interactive fleet table during a NATS outage: the rows age and go STALE under a NATS DISCONNECTED banner, fitted as before.
import { afterAll, describe, expect, it } from 'vitest';
import { fleetCommand } from '../../src/commands/fleet.js';
import type { CommandIo } from '../../src/commands/io.js';
import { ManualClock } from '../../src/model/clock.js';
import { connect } from '@nats-io/transport-node';
import { readSummaries } from '../../src/streams/nats/fleet.js';
import { NatsPublisher } from '../../src/streams/nats/publisher.js';
import { DEFAULT_STREAM } from '../../src/streams/nats/subjects.js';
import { waitFor } from '../sim/helpers.js';
import { trialSummaries } from '../support/fleet-books.js';
import { Tty, TtyIn } from '../support/fake-tty.js';
import { strip } from '../support/render-tui.js';
import { startNatsServer } from '../support/nats-server.js';

const START = Date.UTC(2026, 11, 7, 18, 0, 0);
const stops: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  while (stops.length) await stops.pop()!();
});

describe('the fleet view when NATS goes away', () => {
  it('keeps the last rows, ageing them by the clock to STALE, says NATS DISCONNECTED above them, and keeps the columns whole', async () => {
    const nats = await startNatsServer();
    stops.push(() => nats.stop());
    const publisher = await NatsPublisher.start({ url: nats.url, host: 'trader-1', session: 's1' });
    stops.push(() => publisher.close());
    for (const s of trialSummaries(START)) publisher.summary(s);
    const nc = await connect({ servers: `127.0.0.1:${nats.port}` });
    await waitFor(async () => (await readSummaries(nc, DEFAULT_STREAM)).summaries.length === 2 || undefined, 20_000, 'both summaries in the stream');
    await nc.close();

    const clock = new ManualClock(START + 1_000);
    const stdout = new Tty(160, 30);
    const stdin = new TtyIn();
    const io: CommandIo = { out: () => undefined, err: () => undefined };
    const done = fleetCommand({ nats: nats.url }, io, {
      clock,
      watch: true,
      streams: { stdout: stdout as unknown as NodeJS.WriteStream, stdin: stdin as unknown as NodeJS.ReadStream },
    });
    const screen = () => strip(stdout.out).split(/\r?\n/);
    const lastRow = (re: RegExp) =>
      screen()
        .findLast((l) => re.test(l))
        ?.trimEnd();
    try {
      await waitFor(() => /DU2222222/.test(stdout.out), 20_000, 'the table');
      expect(lastRow(/DU1111111/)).toMatch(/guard +READY +1s\/1s /);

      await nats.stop();
      clock.advance(30_000);
      await waitFor(() => /NATS DISCONNECTED/.test(stdout.out) && /STALE/.test(lastRow(/DU1111111/) ?? ''), 20_000, 'the outage drawn').catch((e: unknown) => {
        throw new Error(`${(e as Error).message}\n${screen().slice(-12).join('\n')}`);
      });
      expect(lastRow(/NATS DISCONNECTED/)).toMatch(/NATS DISCONNECTED {2}last read 30s ago: the connection is lost/);
      // The same fitted columns as before (no cell cut by the edge), the ages grown with the clock.
      expect(lastRow(/DU1111111/)).toMatch(/^. DU1111111 trader-1 guard +STALE \(ready\) 31s\/31s 1,234,567 USD /);
      expect(lastRow(/DU2222222/)).toMatch(/^. DU2222222 desk-2 +console +STALE \(ready\) 31s\/31s 250,000 USD /);
      expect(lastRow(/ACCOUNT/)).toMatch(/ALERTS C\/W\/I MODE/);
    } finally {
      stdin.type('q');
      expect(await done).toBe(0);
    }
  }, 90_000);
});
