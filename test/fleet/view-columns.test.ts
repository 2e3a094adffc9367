// The interactive fleet view fitted to its terminal: no number cut, the alert counts and the mode always drawn.
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fleetCommand } from '../../src/commands/fleet.js';
import type { CommandIo } from '../../src/commands/io.js';
import { ManualClock } from '../../src/model/clock.js';
import { readSummaries } from '../../src/streams/nats/fleet.js';
import { NatsPublisher } from '../../src/streams/nats/publisher.js';
import { DEFAULT_STREAM } from '../../src/streams/nats/subjects.js';
import { waitFor } from '../sim/helpers.js';
import { trialSummaries } from '../support/fleet-books.js';
import { Tty, TtyIn } from '../support/fake-tty.js';
import { strip } from '../support/render-tui.js';
import { startNatsServer, type NatsServer } from '../support/nats-server.js';

const START = Date.UTC(2026, 2, 2, 15, 0, 0);

let nats: NatsServer;
let nc: NatsConnection;
let publisher: NatsPublisher;
let second: NatsPublisher;
beforeAll(async () => {
  nats = await startNatsServer();
  nc = await connect({ servers: `127.0.0.1:${nats.port}` });
  publisher = await NatsPublisher.start({ url: nats.url, host: 'trader-1', session: 's1' });
  second = await NatsPublisher.start({ url: nats.url, host: 'desk-2', session: 's2' });
  const [first, other] = trialSummaries(START);
  publisher.summary(first);
  second.summary(other);
  await waitFor(async () => (await readSummaries(nc, DEFAULT_STREAM)).summaries.length === 2 || undefined, 20_000, 'both summaries in the stream');
});
afterAll(async () => {
  await publisher?.close();
  await second?.close();
  await nc?.close();
  await nats?.stop();
});

/** The view's table as drawn on a terminal `columns` wide: its header and rows, each the last time it was written. */
async function drawn(columns: number): Promise<string[]> {
  const stdout = new Tty(columns, 30);
  const stdin = new TtyIn();
  const io: CommandIo = { out: () => undefined, err: () => undefined };
  const done = fleetCommand({ nats: nats.url }, io, {
    clock: new ManualClock(START + 1_000),
    watch: true,
    streams: { stdout: stdout as unknown as NodeJS.WriteStream, stdin: stdin as unknown as NodeJS.ReadStream },
  });
  try {
    await waitFor(() => /DU2222222/.test(stdout.out), 20_000, 'the table').catch((e: unknown) => {
      throw new Error(`${(e as Error).message}\n${strip(stdout.out)}`);
    });
  } finally {
    stdin.type('q');
    expect(await done).toBe(0);
  }
  const lines = strip(stdout.out).split(/\r?\n/);
  const last = (re: RegExp) => lines.findLast((l) => re.test(l))!;
  return [last(/^ {2}ACCOUNT/), last(/^. DU1111111/), last(/^. DU2222222/)].map((l) => l.trimEnd());
}

describe('the fleet view at each width', () => {
  it('80 columns: the account, its HOST and NLV, the worst loss, health, ALERTS and MODE whole; the cushion and the name give way first', async () => {
    expect(await drawn(80)).toEqual([
      '  ACCOUNT   HOST     HEALTH NLV           WORST STRESS ALERTS C/W/I MODE',
      '▶ DU1111111 trader-1 READY  1,234,567 USD -178,432     2/1/0        ARMED',
      '  DU2222222 desk-2   READY  250,000 USD   -12,000      0/0/3        read-only',
    ]);
  });
  it('100 columns: the cushion and the name back before EXCESS LIQ, ROLE and AGE', async () => {
    expect(await drawn(100)).toEqual([
      '  ACCOUNT   HOST     HEALTH NLV           CUSHION WORST STRESS ALERTS C/W/I MODE      SCENARIO',
      '▶ DU1111111 trader-1 READY  1,234,567 USD 48.6%   -178,432     2/1/0        ARMED     Crash:…',
      '  DU2222222 desk-2   READY  250,000 USD   72.0%   -12,000      0/0/3        read-only Rates +100bp',
    ]);
  });
  const head = '  ACCOUNT   HOST     ROLE    HEALTH AGE   NLV           EXCESS LIQ CUSHION WORST STRESS ALERTS C/W/I MODE      SCENARIO';
  it('120 columns: every figure, ALERTS and MODE before the name, which is cut between words', async () => {
    expect(await drawn(120)).toEqual([
      head,
      '▶ DU1111111 trader-1 guard   READY  1s/1s 1,234,567 USD 600,123    48.6%   -178,432     2/1/0        ARMED     Crash:…',
      '  DU2222222 desk-2   console READY  1s/1s 250,000 USD   180,000    72.0%   -12,000      0/0/3        read-only Rates…',
    ]);
  });
  for (const columns of [160, 200])
    it(`${columns} columns: everything whole`, async () => {
      expect(await drawn(columns)).toEqual([
        head,
        '▶ DU1111111 trader-1 guard   READY  1s/1s 1,234,567 USD 600,123    48.6%   -178,432     2/1/0        ARMED     Crash: indexes -20%, vol up, credit wider',
        '  DU2222222 desk-2   console READY  1s/1s 250,000 USD   180,000    72.0%   -12,000      0/0/3        read-only Rates +100bp',
      ]);
    });
});
