// What a user trying the demo at 120x30 under LANG=C tripped over, in a real terminal: clock, cash lines, Worst%, cut marker.
import { describe, expect, it } from 'vitest';
import { hasTmux, tmuxSuite } from '../support/tmux.js';

const server = tmuxSuite('trying', 'test/e2e/trying-demo-tmux.test.ts');
const { newSession, freshUser, waitForScreen } = server;

// The demo's start, pinned; the wall clock is whatever today is, never this.
const START = '2026-03-02T14:30:00Z';
// The demo account's cash balances (docs/simulator.md: USD, EUR, CHF, JPY, GBP).
const CURRENCIES = ['CHF', 'EUR', 'GBP', 'JPY', 'USD'];
/** A cash row in ASCII: currency, balance with cents, then the rate ("x1.12998"; the base currency "x1"). */
const cashRow = (ccy: string) => new RegExp(`(^|\\s)${ccy}\\s+-?[\\d,]+\\.\\d\\d\\s+x\\d+(\\.\\d{3,})?(\\s|$)`, 'm');

describe('trying tws-risk demo at 120x30 under LANG=C', () => {
  it.skipIf(!hasTmux)(
    'the clock is the market one, every cash balance is listed with its rate, Worst% stays, and a cut reads "..." (never "~")',
    async () => {
      newSession(
        'c',
        {
          columns: 120,
          rows: 30,
          // The market clock is drawn in local time: UTC here, so the expected text does not depend on the machine.
          env: [...freshUser(), 'LANG=C', 'LC_ALL=', 'LC_CTYPE=', 'TZ=UTC'],
        },
        `node bin/tws-risk demo --start ${START} --seed 7 --speed 0 --no-record`,
      );
      const screen = await waitForScreen(
        'c',
        (s) => /READY/.test(s) && /Cushion \d/.test(s) && CURRENCIES.every((c) => cashRow(c).test(s)) && /data farm/.test(s) && /market 2026/.test(s),
        'the ASCII demo with its account, log and market clock',
        60_000,
      );
      const lines = screen.split('\n').map((l) => l.trimEnd());
      // Speed 0: the simulated market stands at its start, so the clock reads it, labelled, with its date.
      // Beside it the console's own clock (its log's times), named (ASCII: '|' for the middle dot).
      expect(lines[0]).toMatch(/ market 2026-03-02 14:30:0\d \| console \d\d:\d\d:\d\d$/);
      // The sidebar's Account pane lists every balance: none is left to a "not shown" line.
      expect(screen).not.toMatch(/not shown/);
      // The Positions pane keeps the worst-case loss at this width.
      expect(lines.find((l) => l.startsWith(' Position '))).toMatch(/ Worst% /);
      // The log's messages are cut to the side column: "...", and no cut marked "~" anywhere.
      expect(screen).toMatch(/data farm con\w*\.\.\./);
      expect(screen).not.toMatch(/~ *$/m);
    },
    120_000,
  );
});
