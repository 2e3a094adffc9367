// `tws-risk demo` in a real terminal (tmux) at 80x24 and 160x48: keys pressed, screens captured, exit summary checked.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { verifyRecording } from '../../src/streams/recording/reader.js';
import { verifyAuditLog } from '../../src/trading/audit.js';
import { DATA_DIR_ENV } from '../../src/config/load.js';
import { T0 } from '../sim/helpers.js';
import { hasTmux, tmuxSuite } from '../support/tmux.js';

const server = tmuxSuite('e2e', 'test/e2e/console-tmux.test.ts');
const { dir, tmux, newSession, waitForScreen, press, arm } = server;

function startDemo(session: string, columns: number, rows: number, record: string): void {
  newSession(session, { columns, rows }, `node bin/tws-risk demo --start ${T0} --speed 5 --record ${record}`);
}

describe('tws-risk demo in tmux', () => {
  it.skipIf(!hasTmux)('works at 80x24: tabs, focus, help, filter, freeze, and quits with a one-line summary', async () => {
    const record = join(dir, 'small.jsonl');
    startDemo('small', 80, 24, record);
    const first = await waitForScreen('small', (s) => /READY/.test(s) && /AAPL/.test(s), 'the ready console with positions');
    const lines = first.split('\n');
    expect(lines[0]).toMatch(/^ DEMO .*DU1234567 USD READY data \d+s READ-ONLY/);
    expect(lines[1]).toMatch(/^(Net liq|NLV) \S+ (Excess liq|XL) \S+ (Cushion|Cush) \d+\.\d% Worst /);
    expect(lines[2]).toMatch(/\[2 Positions\]/);
    expect(first).toMatch(/▶2 Positions/);

    await press('small', '3');
    await waitForScreen('small', (s) => /▶3 Stress/.test(s) && /Equities −30%/.test(s), 'the Stress pane');
    await press('small', 'Tab');
    await waitForScreen('small', (s) => /▶4 Orders/.test(s), 'Orders after Tab');
    await press('small', 'BTab', 'BTab');
    await waitForScreen('small', (s) => /▶2 Positions/.test(s), 'Positions after two Shift-Tabs');

    await press('small', '?');
    await waitForScreen('small', (s) => /Keys for Positions/.test(s), 'the help overlay');
    await press('small', 'Escape');
    await waitForScreen('small', (s) => !/Keys for Positions/.test(s) && /▶2 Positions/.test(s), 'help closed by Esc');

    await press('small', '/', 'N', 'E', 'S', 'N', 'Enter');
    const filtered = await waitForScreen(
      'small',
      (s) => / FILTER NESN /.test(s) && !/\bSAP\s+300\b/.test(s),
      'positions filtered to NESN, the filter line closed',
    );
    expect(filtered).toMatch(/NESN\s+1,000/);
    await press('small', 'Escape');
    await waitForScreen('small', (s) => !/filter NESN/.test(s) && /\bSAP\s+300\b/.test(s), 'filter cleared');

    await press('small', 'Space');
    await waitForScreen('small', (s) => /FROZEN/.test(s), 'FROZEN in the status bar');
    await press('small', 'Space');
    await waitForScreen('small', (s) => !/FROZEN/.test(s), 'thawed');

    await press('small', 'Down', 'Down', 'j');
    await press('small', 'q');
    const after = await waitForScreen('small', (s) => /tws-risk demo: .* recorded to /.test(s), 'the session summary after quitting');
    expect(after).not.toMatch(/▶2 Positions/); // the alternate screen is gone
    expect(after).toContain(`recorded to ${record}`);
    const v = await verifyRecording(record);
    expect(v.ok && v.summary.sealed).toBe(true);
  });

  it.skipIf(!hasTmux)('works at 160x48: positions beside account and alerts, follows focus, quits cleanly', async () => {
    const record = join(dir, 'large.jsonl');
    startDemo('large', 160, 48, record);
    const screen = await waitForScreen('large', (s) => /READY/.test(s) && /AAPL/.test(s) && /Net liquidation/.test(s), 'the sidebar layout with data');
    expect(screen).toMatch(/▶2 Positions/);
    expect(screen).toMatch(/1 Account +cushion \d+\.\d%/);
    expect(screen).toMatch(/6 Alerts and log/);
    expect(screen).toMatch(/Delta +IV/); // wide enough for the option columns
    for (const l of screen.split('\n')) expect(l.length).toBeLessThanOrEqual(160);

    await press('large', '3');
    const stress = await waitForScreen('large', (s) => /▶3 Stress/.test(s) && /P&L \(USD\) vs Equities shock/.test(s), 'Stress with its chart');
    // Under load the search can trail the report: its line then says when it searched (rows/stress.ts distancesAsOf).
    expect(stress).toMatch(/Liquidation at( \(searched [\d:]+\))?:/);
    await press('large', ']');
    await waitForScreen('large', (s) => /vs Futures shock/.test(s), 'the chart on the next subject');
    await press('large', '1');
    await waitForScreen('large', (s) => /▶1 Account/.test(s), 'Account focused in the sidebar');

    tmux('resize-window', '-t', 'large', '-x', '80', '-y', '24');
    await waitForScreen('large', (s) => /\[1 Account\]/.test(s), 'tabs after shrinking to 80x24');

    await press('large', 'C-c');
    await waitForScreen('large', (s) => /tws-risk demo: .* recorded to /.test(s), 'the summary after Ctrl-C');
  });

  it.skipIf(!hasTmux)(
    'demo --trade: arms from the palette, flattens the selected position with X then y, and it leaves Positions',
    async () => {
      const data = join(dir, 'data');
      newSession('trade', { columns: 120, rows: 40, env: [`${DATA_DIR_ENV}=${data}`] }, `node bin/tws-risk demo --start ${T0} --trade --speed 5 --no-record`);
      const first = await waitForScreen('trade', (s) => /READY/.test(s) && /NESN/.test(s), 'the ready console');
      expect(first.split('\n')[0]).toContain('TRADE disarmed');

      await arm('trade', '4567');

      await press('trade', '/', 'NESN', 'Enter');
      // The filter line closed (its Enter read), not only applied: a key read with that Enter would be dropped.
      await waitForScreen('trade', (s) => /^›NESN\s+1,000/m.test(s) && / FILTER NESN /.test(s), 'NESN selected, the filter line closed');
      await press('trade', 'X');
      const dialog = await waitForScreen('trade', (s) => /Flatten NESN\?/.test(s) && /y sends/.test(s), 'the flatten dialog');
      expect(dialog).toMatch(/SELL 1,000 NESN LMT [\d.]+ ~[\d,]+ USD/);
      await press('trade', 'y');
      await waitForScreen('trade', (s) => /FLAT: every position in scope reads zero/.test(s), 'the progress view saying flat', 40_000);
      await press('trade', 'Escape');
      await waitForScreen('trade', (s) => /filter NESN/.test(s) && !/^[› ]NESN\s+[\d,]/m.test(s), 'NESN gone from Positions');

      await press('trade', 'q');
      await waitForScreen('trade', (s) => /Quit while trading is ARMED/.test(s), 'the quit dialog');
      await press('trade', 'y');
      const after = await waitForScreen('trade', (s) => /trading audit log: \S+/.test(s), 'the summary with the audit log');
      const file = /trading audit log: (\S+)/.exec(after.replace(/\n/g, ''))![1]!;
      const v = await verifyAuditLog(file);
      expect(v).toMatchObject({ ok: true, sealed: true });
    },
    90_000,
  );
});
