// A replayed connection.lost alert in a real terminal: the age in its title follows the player's clock, not the raise's.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FeedEvent, FeedEventBody } from '../../src/model/events.js';
import { reduce } from '../../src/model/reducer.js';
import { INITIAL_STATE, type PortfolioState } from '../../src/model/state.js';
import { parseAlertConfig } from '../../src/risk/alerts/config.js';
import { alertChangedBody, evaluateAlerts, INITIAL_ALERT_STATE, RULE_NAMES, type AlertState } from '../../src/risk/alerts/index.js';
import { RecordingWriter } from '../../src/streams/recording/writer.js';
import { ACCOUNT, T0, accountEvents } from '../support/book.js';
import { hasTmux, tmuxSuite } from '../support/tmux.js';

const server = tmuxSuite('replay-age', 'test/e2e/replay-alert-age-tmux.test.ts');
const { dir, newSession, waitForScreen, press } = server;

/**
 * A session of a minute from T0 (2026-11-23 14:30 UTC, market hours), made by the real reducer and alert engine (only
 * connection.lost on): ready with the account, the connection lost at +10 s, an account value each second after, back
 * at +45 s. Alerts are recorded at their transitions only, so the raise's title ("lost 3s ago") is all the file has.
 */
async function recording(): Promise<string> {
  const file = join(dir, 'lost.jsonl');
  const writer = new RecordingWriter({ file, appVersion: '0.0.0-test', source: 'live', account: ACCOUNT, baseCurrency: 'USD', startedAtMs: T0 });
  const rules = Object.fromEntries(RULE_NAMES.map((r) => [r, { enabled: r === 'connection.lost' }]));
  const { config, problems } = parseAlertConfig({ rules }, 'test');
  expect(problems).toEqual([]);
  let state: PortfolioState = INITIAL_STATE;
  let alerts: AlertState = INITIAL_ALERT_STATE;
  let seq = 0;
  const push = (body: FeedEventBody, at: number) => {
    const ev = { ...body, seq: ++seq, receivedAt: at } as FeedEvent;
    state = reduce(state, ev);
    writer.append(ev);
  };
  const tick = (at: number) => {
    const r = evaluateAlerts(alerts, { state, config, now: at });
    alerts = r.state;
    for (const t of r.transitions) push(alertChangedBody(t), at);
  };
  push({ type: 'healthChanged', health: 'ready', reason: 'connected, nextValidId seen, heartbeat answered', host: '127.0.0.1', port: 7497, clientId: 1 }, T0);
  for (const b of accountEvents()) push(b, T0);
  push({ type: 'healthChanged', health: 'disconnected', reason: 'the connection to TWS closed', cause: 'socketClosed' }, T0 + 10_000);
  for (let s = 10; s <= 60; s++) {
    if (s === 45)
      push(
        { type: 'healthChanged', health: 'ready', reason: 'connected, nextValidId seen, heartbeat answered', host: '127.0.0.1', port: 7497, clientId: 1 },
        T0 + s * 1000,
      );
    else if (s > 10) push({ type: 'accountValueUpdated', account: ACCOUNT, key: 'NetLiquidation', value: String(500_000 + s), currency: 'USD' }, T0 + s * 1000);
    tick(T0 + s * 1000);
  }
  await writer.close('test over', T0 + 61_000);
  return file;
}

const clock = (offsetS: number) => new Date(T0 + offsetS * 1000).toISOString().slice(11, 19);

describe('a replayed alert', () => {
  it.skipIf(!hasTmux)(
    "counts its title's age on the player's clock: lost 3s ago at the raise, 23s ago twenty seconds on (200x50 and 80x24)",
    async () => {
      const file = await recording();
      for (const [columns, rows] of [
        [200, 50],
        [80, 24],
      ] as const) {
        const s = `r${columns}`;
        newSession(s, { columns, rows }, `node bin/tws-risk replay ${file}`);
        await waitForScreen(s, (x) => /Sealed and verified/.test(x), 'the recording info');
        await press(s, 'Escape');
        await waitForScreen(s, (x) => !/Sealed and verified/.test(x), 'the info closed');
        // At 80x24 the Alerts pane is a tab of its own.
        if (columns === 80) await press(s, '6');
        for (const [at, age] of [
          [13, '3s'],
          [33, '23s'],
          [44, '34s'],
        ] as const) {
          await press(
            s,
            ':',
            ...`goto ${clock(at)}`
              .replace(' ', '\u0000')
              .split('')
              .map((c) => (c === '\u0000' ? 'Space' : c)),
            'Enter',
          );
          const screen = await waitForScreen(s, (x) => x.includes(`${clock(at)} UTC #`), `the replay at ${clock(at)}`);
          expect(screen, `at ${clock(at)}`).toMatch(new RegExp(`CRITICAL Connection to TWS lost ${age} ago \\(`));
        }
        await press(s, 'q');
      }
    },
    120_000,
  );
});
