// A 1100 alert in a real terminal: raised while TWS has lost IB's servers, gone as the status bar turns READY on 1102.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { T0 } from '../sim/helpers.js';
import { controlChannel, type ControlChannel } from '../support/control.js';
import { hasTmux, tmuxSuite } from '../support/tmux.js';

const controls: ControlChannel[] = [];
const server = tmuxSuite('connectivity', 'test/e2e/connectivity-alert-tmux.test.ts', () => {
  for (const c of controls) c.close();
});
const { dir, freshUser, newSession, waitForScreen } = server;

const statusBar = (screen: string) => screen.split('\n')[0]!;
/** The console's own time, as its status bar shows it (the clock its alerts are judged by), in seconds of the day. */
const consoleTime = (screen: string): number => {
  const m = /market (?:\d{4}-\d\d-\d\d )?(\d\d):(\d\d):(\d\d)/.exec(statusBar(screen));
  if (!m) throw new Error(`no time in the status bar:\n${screen}`);
  return Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]);
};
const listed1100 = (screen: string) => /CRITICAL TWS lost its connection to IB's servers \(1100\)/.test(screen);

describe('the 1100 alert', () => {
  for (const [columns, rows] of [
    [200, 50],
    [80, 24],
  ] as const)
    it.skipIf(!hasTmux)(
      `${columns}x${rows}: clears as TWS says connectivity is restored (1102), within the evaluation that follows READY, not a cool-down later`,
      async () => {
        const s = `c${columns}`;
        const err = join(dir, `${s}-stderr.txt`);
        newSession(s, { columns, rows, env: freshUser(`${s}-data`) }, `node bin/tws-risk demo --start ${T0} --seed 7 --no-record 2>${err}`);
        await waitForScreen(s, (x) => /READY/.test(statusBar(x)) && /AAPL/.test(x), 'the ready console');
        const hello = /control channel (\d+)\)/.exec(readFileSync(err, 'utf8'));
        expect(hello, 'the demo names its control channel').not.toBeNull();
        const control = await controlChannel(Number(hello![1]));
        controls.push(control);
        // At 200x50 the Alerts pane is on screen; at 80x24 the status bar's count says it ("1 CRIT").
        const shown = (x: string) => (columns === 200 ? listed1100(x) : true) && /1 CRIT/.test(statusBar(x));

        await control.request({ incident: 'connectivity-lost' });
        const lost = await waitForScreen(s, shown, 'the 1100 alert raised');
        expect(statusBar(lost)).toMatch(/DEGRADED \(TWS lost its/);

        await control.request({ incident: 'connectivity-restored', dataLost: false });
        const ready = await waitForScreen(s, (x) => /READY/.test(statusBar(x)), 'READY again');
        const gone = await waitForScreen(s, (x) => !listed1100(x) && !/CRIT/.test(statusBar(x)), 'the 1100 alert cleared');
        if (columns === 200) expect(gone).toMatch(/1102 Connectivity between IB and Trader Workstation has been/);
        // By the console's clock (the alert engine's): at most a couple of its one-second ticks, not the 10 s cool-down.
        expect(consoleTime(gone) - consoleTime(ready)).toBeLessThanOrEqual(2);
      },
      120_000,
    );
});
