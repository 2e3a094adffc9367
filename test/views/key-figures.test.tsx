// NetLiquidation, ExcessLiquidity, Cushion and the worst stress result (with BREACH) on screen at every size and focus.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountValue } from '../../src/model/account-values.js';
import type { PortfolioState } from '../../src/model/state.js';
import { bookScenarios } from '../../src/risk/alerts/index.js';
import { parseScenario } from '../../src/risk/scenario-text.js';
import { AccountSession } from '../../src/session/session.js';
import { createAlertRunner } from '../../src/session/alert-runner.js';
import { createStressRunner } from '../../src/session/stress-model.js';
import { ConsoleStore } from '../../src/views/store.js';
import { renderApp } from '../support/render-tui.js';
import { startSimFeed, type SimFeed } from '../support/sim-feed.js';

let live: SimFeed;

beforeAll(async () => {
  live = await startSimFeed({ orders: true });
}, 60_000);

afterAll(async () => {
  await live?.close();
});

/** A crash the simulated book cannot survive (stocks nearly gone, futures halved), beside the usual scenarios. */
function withCrash(state: PortfolioState) {
  const r = parseScenario('px:STK=-99%,px:FUT=-50%', { label: 'Doomsday', baseCurrency: state.baseCurrency ?? 'USD' });
  if (!r.ok) throw new Error('the test scenario does not parse');
  return [...bookScenarios(state), r.scenario];
}

/** "559,110", "559k", "1.23M", "-157,258" as a number. */
function figure(text: string): number {
  const m = /^(-?)([\d,.]+)([kMB]?)$/.exec(text.replace('−', '-'));
  if (!m) throw new Error(`not a figure: ${text}`);
  const scale = m[3] === 'k' ? 1e3 : m[3] === 'M' ? 1e6 : m[3] === 'B' ? 1e9 : 1;
  return (m[1] ? -1 : 1) * Number(m[2]!.replace(/,/g, '')) * scale;
}

/** Whole amounts exactly (to the unit), compact ones to their three significant digits. */
function near(shown: number, expected: number): boolean {
  return Math.abs(shown - expected) <= Math.max(1, Math.abs(expected) * 0.006);
}

const SIZES = [
  [80, 24],
  [120, 30],
  [200, 50],
] as const;
const PANES = ['1', '2', '3', '4', '5', '6'];

describe.each(SIZES)('at %ix%i', (columns, rows) => {
  it('shows the key figures under the status bar with every pane focused, BREACH included', async () => {
    const store = new ConsoleStore(live.feed, {
      throttleMs: 100,
      session: new AccountSession(live.feed, { risk: createStressRunner({ scenarios: withCrash }), alerts: createAlertRunner() }),
    });
    const tui = renderApp(store, { columns, rows });
    try {
      await tui.waitForFrame((f) => /BREACH/.test(f.split('\n')[1] ?? ''), 'the figures line with the stress result');
      // Frozen, the panes and the figures hold one picture, so the expected values can be read from it.
      store.setFrozen(true);
      const snap = store.getSnapshot();
      const base = snap.state.baseCurrency!;
      const value = (tag: string, ccy: string) => accountValue(snap.state, tag, ccy)!.value!.toNumber();
      const model = snap.risk?.ok ? snap.risk.model : undefined;
      expect(model?.worst?.label).toBe('Doomsday');
      const breaches = model!.scenarios.filter((s) => s.breach).length;
      expect(breaches).toBeGreaterThan(0);
      for (const key of PANES) {
        tui.write(key);
        const frame = await tui.waitForFrame((f) => f.includes(`▶${key} `), `pane ${key} focused`);
        const lines = frame.split('\n');
        expect(lines).toHaveLength(rows);
        const line = lines[1]!;
        expect(line.length).toBeLessThanOrEqual(columns);
        // In full the scenario's name comes before the loss; shortened, the loss comes first (its name may be cut).
        const full = /^Net liq (\S+) Excess liq (\S+) Cushion (\d+\.\d)% Worst (.+?) (\S+?)(?: [A-Z]{3})?\s+BREACH (\d+) scenarios?$/.exec(line.trim());
        const short = /^NLV (\S+) XL (\S+) Cush (\d+\.\d)% Worst (-\S+) (.+?)\s+BREACH (\d+) scenarios?$/.exec(line.trim());
        const m = full ?? (short ? [short[0], short[1], short[2], short[3], short[5], short[4], short[6]] : null);
        expect(m, `figures line at ${columns}x${rows}, pane ${key}: ${line}`).not.toBeNull();
        expect(near(figure(m![1]!), value('NetLiquidation', base)), `NetLiquidation ${m![1]}`).toBe(true);
        expect(near(figure(m![2]!), value('ExcessLiquidity', base)), `ExcessLiquidity ${m![2]}`).toBe(true);
        expect(Math.abs(Number(m![3]) - value('Cushion', '') * 100)).toBeLessThanOrEqual(0.05);
        expect('Doomsday'.startsWith(m![4]!.replace(/…$/, ''))).toBe(true);
        expect(near(figure(m![5]!), model!.worst!.total.toNumber()), `worst ${m![5]}`).toBe(true);
        expect(Number(m![6])).toBe(breaches);
      }
    } finally {
      tui.unmount();
      store.dispose();
    }
  }, 60_000);
});
