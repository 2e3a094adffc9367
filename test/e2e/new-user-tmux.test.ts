// A new user's first trading session in a real terminal: demo, resize, palette, arm with a burst, flatten, global cancel, quit.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { verifyAuditLog } from '../../src/trading/audit.js';
import { T0 } from '../sim/helpers.js';
import { controlChannel, simSnapshot, type ControlChannel } from '../support/control.js';
import { exitStatus, hasTmux, tmuxSuite } from '../support/tmux.js';

const server = tmuxSuite('newuser', 'test/e2e/new-user-tmux.test.ts', () => control?.close());
const { dir, tmux, freshUser, newSession, waitForScreen, press } = server;
let control: ControlChannel | undefined;

/** The Orders pane's lines at the wide layout: from its title to the Executions pane's, in its own columns. */
function ordersPane(screen: string): string[] {
  const lines = screen.split('\n');
  const top = lines.findIndex((l) => /[ ▶]4 Orders/.test(l));
  if (top < 0) return [];
  const col = lines[top]!.search(/[ ▶]4 Orders/);
  const out: string[] = [];
  for (const l of lines.slice(top)) {
    const cell = l.slice(col).trimEnd();
    if (out.length > 0 && /5 Executions/.test(cell)) break;
    out.push(cell);
  }
  return out;
}

const qty = (q: string) => Number(q).toLocaleString('en-US');

describe('a new user in tmux', () => {
  it.skipIf(!hasTmux)(
    'demo at 80x24, resize to 200x50, arm from the palette with a burst, flatten, global cancel, an empty Orders pane, quit',
    async () => {
      const err = join(dir, 'stderr.txt');
      const exitFile = join(dir, 'exit.txt');
      // stderr goes to a file: the demo's first line names the control channel and the account, outside the console.
      newSession(
        'user',
        { columns: 80, rows: 24, env: freshUser(), exitFile },
        `node bin/tws-risk demo --trade --start ${T0} --seed 7 --speed 1 --no-record 2>${err}`,
      );
      const first = await waitForScreen('user', (s) => /READY/.test(s) && /NESN/.test(s), 'the ready console at 80x24');
      expect(first.split('\n')[0]).toContain('TRADE disarmed');
      const hello = /control channel (\d+)\), account (\S+)/.exec(readFileSync(err, 'utf8'));
      expect(hello, 'the demo names its control channel and account').not.toBeNull();
      control = await controlChannel(Number(hello![1]));
      const before = await simSnapshot(control);
      expect(before.account).toBe(hello![2]);
      const nesn = before.positions.find((p) => p.symbol === 'NESN' && p.secType === 'STK');
      expect(nesn && Number(nesn.position)).toBeGreaterThan(0);

      tmux('resize-window', '-t', 'user', '-x', '200', '-y', '50');
      const wide = await waitForScreen(
        'user',
        (s) => /1 Account +cushion/.test(s) && /4 Orders/.test(s) && /5 Executions/.test(s) && s.split('\n').length >= 50,
        'every pane at 200x50',
      );
      for (const l of wide.split('\n')) expect(l.length).toBeLessThanOrEqual(200);
      expect(wide).toMatch(new RegExp(`^[ ›]NESN\\s+STK\\s+CHF\\s+${qty(nesn!.position)}\\s`, 'm'));

      // Two resting orders from elsewhere: one typed into TWS by hand, one from another API client.
      await control.request({ incident: 'manual-order', symbol: 'AAPL', secType: 'STK', action: 'SELL', quantity: 1, orderType: 'LMT', lmtPrice: 9999 });
      await control.request({
        incident: 'foreign-order',
        clientId: 42,
        symbol: 'SAP',
        secType: 'STK',
        action: 'BUY',
        quantity: 5,
        orderType: 'LMT',
        lmtPrice: 1,
      });
      await waitForScreen('user', (s) => /2 open/.test(ordersPane(s)[0] ?? ''), 'both orders in the Orders pane');
      expect((await simSnapshot(control)).openOrders).toHaveLength(2);

      await press('user', ':');
      await waitForScreen('user', (s) => /^:/m.test(s), 'the palette line');
      await press('user', 'trade.arm', 'Enter');
      await waitForScreen('user', (s) => /Type the last four characters of the account id/.test(s), 'the arming dialog');
      // The code and Enter in one write, as a paste or a fast typist sends them.
      tmux('send-keys', '-t', 'user', before.account.slice(-4), 'Enter');
      await waitForScreen('user', (s) => / ARMED \d/.test(s.split('\n')[0]!), 'ARMED in the status bar');

      await press('user', '2', '/', 'NESN', 'Enter');
      // The filter line closed (its Enter read), not only applied: a key read with that Enter would be dropped.
      await waitForScreen('user', (s) => /^›NESN\s/m.test(s) && / FILTER NESN /.test(s), 'NESN selected, the filter line closed');
      await press('user', 'X');
      await waitForScreen('user', (s) => /Flatten NESN\?/.test(s) && /y sends/.test(s), 'the flatten confirmation');
      await press('user', 'y');
      await waitForScreen('user', (s) => /FLAT: every position in scope reads zero/.test(s), 'the flatten done', 40_000);
      await press('user', 'Escape');
      await waitForScreen('user', (s) => /filter NESN/.test(s) && !/^[› ]NESN\s+STK/m.test(s), 'NESN gone from Positions');
      expect((await simSnapshot(control)).positions.filter((p) => p.conId === nesn!.conId && Number(p.position) !== 0)).toEqual([]);

      await press('user', ':');
      await waitForScreen('user', (s) => /^:/m.test(s), 'the palette line again');
      await press('user', 'trade.globalCancel', 'Enter');
      const confirm = await waitForScreen('user', (s) => /GLOBAL CANCEL\?/.test(s) && /y sends/.test(s), 'the global cancel confirmation');
      expect(confirm).toMatch(/2 order\(s\)/);
      await press('user', 'y');
      await waitForScreen('user', (s) => /Done: every order reached a final state/.test(s), 'the global cancel done', 40_000);
      await press('user', 'Escape');
      const after = await waitForScreen('user', (s) => /0 open/.test(ordersPane(s)[0] ?? ''), 'no open order in the Orders pane');
      const pane = ordersPane(after);
      expect(pane.filter((l) => /Submitted|PreSubmitted|Pending/.test(l))).toEqual([]);
      expect((await simSnapshot(control)).openOrders).toEqual([]);

      await press('user', 'q');
      await waitForScreen('user', (s) => /Quit while trading is ARMED/.test(s), 'the quit confirmation');
      await press('user', 'y');
      expect(await exitStatus(exitFile)).toBe('exit 0');
      const gone = server.capture('user');
      const audit = /trading audit log: (\S+)/.exec(gone.replace(/\n/g, ''));
      expect(audit, 'the exit summary names the audit log').not.toBeNull();
      expect(await verifyAuditLog(audit![1]!)).toMatchObject({ ok: true, sealed: true });
    },
    150_000,
  );
});
