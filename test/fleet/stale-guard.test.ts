// The fleet view on a guard gone silent: its row says STALE and X offers no command, says why, and asks nothing.
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fleetCommand } from '../../src/commands/fleet.js';
import type { CommandIo } from '../../src/commands/io.js';
import { DATA_DIR_ENV } from '../../src/config/load.js';
import { ManualClock } from '../../src/model/clock.js';
import { readSummaries } from '../../src/streams/nats/fleet.js';
import { NatsPublisher } from '../../src/streams/nats/publisher.js';
import { commandSubject, DEFAULT_STREAM } from '../../src/streams/nats/subjects.js';
import type { RiskSummary } from '../../src/streams/nats/summary.js';
import { waitFor } from '../sim/helpers.js';
import { Tty, TtyIn } from '../support/fake-tty.js';
import { startNatsServer, type NatsServer } from '../support/nats-server.js';

const ACCOUNT = 'DU7654321';
const START = Date.UTC(2026, 2, 2, 15, 0, 0);
const STALE_AFTER_S = 5;

let nats: NatsServer;
let nc: NatsConnection;
let publisher: NatsPublisher;
const dir = mkdtempSync(join(tmpdir(), 'tws-risk-stale-guard-'));
beforeAll(async () => {
  nats = await startNatsServer();
  nc = await connect({ servers: `127.0.0.1:${nats.port}` });
  publisher = await NatsPublisher.start({ url: nats.url, host: 'trader-1', session: 's1' });
});
afterAll(async () => {
  await publisher?.close();
  await nc?.close();
  await nats?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** A guard's summary that lists a rule it would run on request, as a guard with --listen publishes it. */
const summary: RiskSummary = {
  format: 'tws-risk-summary',
  account: ACCOUNT,
  host: 'trader-1',
  session: 's1',
  role: 'guard',
  at: START,
  lastSeq: 10,
  lastEventAt: START,
  health: 'ready',
  baseCurrency: 'USD',
  netLiquidation: '100000',
  excessLiquidity: '50000',
  cushion: '0.5',
  worstStress: null,
  alerts: { critical: 0, warning: 0, info: 0 },
  armed: false,
  mode: 'trade',
  publishing: { behind: 0, dropped: 0 },
  commands: [{ name: 'kill', action: 'globalCancel' }],
};

describe('the fleet view on a stale guard', () => {
  it('shows the row STALE and, on X, says the guard would not answer instead of arming; nothing reaches the command subject', async () => {
    publisher.summary(summary);
    await waitFor(async () => (await readSummaries(nc, DEFAULT_STREAM)).summaries.length > 0 || undefined, 20_000, 'the summary in the stream');
    const asked: string[] = [];
    const sub = nc.subscribe(commandSubject(ACCOUNT), { callback: (_e, m) => void asked.push(m.string()) });

    const clock = new ManualClock(START + 1_000);
    const stdout = new Tty(160, 40);
    const stdin = new TtyIn();
    const err: string[] = [];
    const io: CommandIo = { out: () => undefined, err: (l) => err.push(l) };
    const done = fleetCommand({ nats: nats.url, trade: true, 'stale-after': String(STALE_AFTER_S) }, io, {
      clock,
      watch: true,
      env: { ...process.env, [DATA_DIR_ENV]: dir },
      streams: { stdout: stdout as unknown as NodeJS.WriteStream, stdin: stdin as unknown as NodeJS.ReadStream },
    });
    /** What the view wrote since `from` (Ink rewrites only what changed, so a new line is in the new output). */
    const since = (from: number) => stdout.out.slice(from);
    try {
      // Fresh (1 s old): the row is READY and X opens the arming dialog for that guard.
      await waitFor(() => /DU7654321\s+trader-1\s+guard\s+READY/.test(stdout.out), 20_000, 'the fresh guard row');
      expect(stdout.out).toContain('X ask its guard');
      let mark = stdout.out.length;
      stdin.type('X');
      await waitFor(() => since(mark).includes(`Arm remote commands to ${ACCOUNT}`), 20_000, 'the arming dialog on a fresh guard');
      stdin.type('\u001b');
      await waitFor(() => !/Arm remote commands/.test(since(stdout.out.lastIndexOf('ask its guard'))), 20_000, 'the dialog closed');

      // Silent past --stale-after: the next read (every 2 s) marks the row stale.
      mark = stdout.out.length;
      clock.advance(STALE_AFTER_S * 1000 + 4_000);
      await waitFor(() => /DU7654321\s+trader-1\s+guard\s+STALE \(ready\)\s+10s/.test(since(mark)), 20_000, 'the row marked STALE');
      mark = stdout.out.length;
      stdin.type('X');
      await waitFor(() => since(mark).includes('would not answer'), 20_000, 'the reason X offers nothing');
      expect(since(mark).replace(/\s+/g, ' ')).toContain(
        `${ACCOUNT}'s guard on trader-1 has been silent for 10s: it would not answer; wait until its row is fresh again`,
      );
      expect(since(mark)).not.toContain('Arm remote commands');
      // Nothing was asked: a round trip through the server after the key has been handled, then the subject is empty.
      await nc.flush();
      expect(asked).toEqual([]);
    } finally {
      // A dialog left open (the test failing) is closed first: q quits from the table. (Only then: an escape followed by
      // q at once would read as Alt-q.)
      const dialogOpen = () => /Arm remote commands|which of its rules/.test(stdout.out.slice(stdout.out.lastIndexOf('ask its guard')));
      if (dialogOpen()) {
        stdin.type('\u001b');
        await waitFor(() => !dialogOpen(), 5_000, 'the dialog closed').catch(() => undefined);
      }
      stdin.type('q');
      expect(await done).toBe(0);
      sub.unsubscribe();
    }
    expect(err.filter((l) => !/remote commands audit log/.test(l))).toEqual([]);
  });
});
