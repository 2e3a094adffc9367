// The fleet view in a real 80x24 terminal: which columns it keeps, and that an ASCII-only terminal (LANG=C) gets ASCII.
import { describe, expect, it } from 'vitest';
import { readSummaries } from '../../src/streams/nats/fleet.js';
import { NatsPublisher } from '../../src/streams/nats/publisher.js';
import { DEFAULT_STREAM } from '../../src/streams/nats/subjects.js';
import { connect } from '@nats-io/transport-node';
import { waitFor } from '../sim/helpers.js';
import { trialSummaries } from '../support/fleet-books.js';
import { startNatsServer, type NatsServer } from '../support/nats-server.js';
import { hasTmux, tmuxSuite } from '../support/tmux.js';

const START = Date.UTC(2026, 2, 2, 15, 0, 0);
let nats: NatsServer | undefined;
const publishers: NatsPublisher[] = [];
const server = tmuxSuite('fleet-narrow', 'test/e2e/fleet-narrow-tmux.test.ts', async () => {
  for (const p of publishers) await p.close();
  await nats?.stop();
});
const { newSession, waitForScreen, freshUser } = server;

/** The user trial's two summaries (test/support/fleet-books.ts) in a nats-server of the test's own; its URL. */
async function publish(): Promise<string> {
  nats = await startNatsServer();
  const a = await NatsPublisher.start({ url: nats.url, host: 'trader-1', session: 's1' });
  const b = await NatsPublisher.start({ url: nats.url, host: 'desk-2', session: 's2' });
  publishers.push(a, b);
  const [first, other] = trialSummaries(START);
  a.summary(first);
  b.summary(other);
  const nc = await connect({ servers: `127.0.0.1:${nats.port}` });
  await waitFor(async () => (await readSummaries(nc, DEFAULT_STREAM)).summaries.length === 2 || undefined, 20_000, 'both summaries');
  await nc.close();
  return nats.url;
}

/** The fleet view of the two published accounts in a `columns`x`rows` terminal under `lang`, once both rows are drawn. */
async function view(name: string, columns: number, rows: number, lang: string): Promise<string> {
  const url = nats ? nats.url : await publish();
  // Never stale, whatever today's date: the rows keep their health, and only AGE (dropped below 120 columns) reads the clock.
  newSession(
    name,
    { columns, rows, env: [...freshUser(), `LANG=${lang}`, 'LC_ALL=', 'LC_CTYPE='] },
    `node bin/tws-risk fleet --nats ${url} --stale-after 4000000000`,
  );
  return await waitForScreen(name, (x) => /DU1111111/.test(x) && /DU2222222/.test(x), `both rows at ${columns}x${rows}`);
}

const rowsOf = (screen: string) =>
  screen
    .split('\n')
    .filter((l) => /^ {2}ACCOUNT|^. DU\d/.test(l))
    .map((l) => l.trimEnd());

describe('the fleet view in tmux', () => {
  it.skipIf(!hasTmux)(
    '80x24: the account, HOST, NLV, health, worst loss, alert counts and mode kept; at 200x50 every column',
    async () => {
      expect(rowsOf(await view('u80', 80, 24, 'C.UTF-8'))).toEqual([
        '  ACCOUNT   HOST     HEALTH NLV           WORST STRESS ALERTS C/W/I MODE',
        '▶ DU1111111 trader-1 READY  1,234,567 USD -178,432     2/1/0        ARMED',
        '  DU2222222 desk-2   READY  250,000 USD   -12,000      0/0/3        read-only',
      ]);
      const wide = rowsOf(await view('u200', 200, 50, 'C.UTF-8'));
      expect(wide[0]).toMatch(/^ {2}ACCOUNT {3}HOST {5}ROLE {4}HEALTH AGE +NLV {11}EXCESS LIQ CUSHION WORST STRESS ALERTS C\/W\/I MODE {6}SCENARIO$/);
      expect(wide[1]).toMatch(
        /^▶ DU1111111 trader-1 guard {3}READY {2}\S+ +1,234,567 USD 600,123 {4}48\.6% {3}-178,432 {5}2\/1\/0 {8}ARMED {5}Crash: indexes -20%, vol up, credit wider$/,
      );
    },
    120_000,
  );

  it.skipIf(!hasTmux)(
    'LANG=C: nothing but ASCII on screen, and the scenario name cut between words with "...", not over its last letters',
    async () => {
      const narrow = await view('a80', 80, 24, 'C');
      expect(narrow).not.toMatch(/[^\x00-\x7f]/);
      expect(rowsOf(narrow)[1]).toBe('> DU1111111 trader-1 READY  1,234,567 USD -178,432     2/1/0        ARMED');
      const mid = await view('a100', 100, 30, 'C');
      expect(mid).not.toMatch(/[^\x00-\x7f]/);
      expect(mid).toMatch(/^tws-risk fleet \| nats:\/\/127\.0\.0\.1:\d+ \| stream TWS_RISK$/m);
      expect(rowsOf(mid)).toEqual([
        '  ACCOUNT   HOST     HEALTH NLV           CUSHION WORST STRESS ALERTS C/W/I MODE      SCENARIO',
        '> DU1111111 trader-1 READY  1,234,567 USD 48.6%   -178,432     2/1/0        ARMED     Crash:...',
        '  DU2222222 desk-2   READY  250,000 USD   72.0%   -12,000      0/0/3        read-only Rates +100bp',
      ]);
    },
    120_000,
  );
});
