// The Account pane's "In base" column: each balance in the base currency drawn whole, its currency code included.
import { afterEach, describe, expect, it } from 'vitest';
import type { FeedEventBody } from '../../src/model/events.js';
import { createStressRunner } from '../../src/session/stress-model.js';
import { ACCOUNT, bookState } from '../support/book.js';
import { acct } from '../support/events.js';
import { renderApp, TestStore, type Tui } from '../support/render-tui.js';

/** The demo's balances (docs/simulator.md) at the user trial's rates: CHF gave "-282,440 US", GBP "12,723 US". */
const CASH: readonly (readonly [string, string, string])[] = [
  ['CHF', '-250000', '1.12976'],
  ['GBP', '10000', '1.2723'],
  ['JPY', '-3000000', '0.0067018'],
];
const cash: FeedEventBody[] = CASH.flatMap(([c, balance, rate]) => [acct(ACCOUNT, 'ExchangeRate', rate, c), acct(ACCOUNT, 'CashBalance', balance, c)]);

let tui: Tui | undefined;
afterEach(() => tui?.unmount());

describe('the cash table In base column', () => {
  for (const size of [
    { columns: 200, rows: 50 },
    { columns: 80, rows: 24 },
  ])
    it(`shows every balance in base whole at ${size.columns}x${size.rows}`, async () => {
      const state = bookState({ extra: cash });
      tui = renderApp(new TestStore(state, createStressRunner()(state, state.lastEventAt)), size, { initialFocus: 'account' });
      const frame = await tui.waitForFrame((f) => /Cushion \d/.test(f) && /\sJPY\s/.test(f), 'the cash table');
      for (const [c, base] of [
        ['CHF', '-282,440 USD'],
        ['GBP', '12,723 USD'],
        ['JPY', '-20,105 USD'],
        ['EUR', '-22,000 USD'],
      ] as const) {
        const row = frame.split('\n').find((l) => new RegExp(`^\\S?\\s*${c}\\s+-?[\\d,]+\\.\\d\\d\\s`).test(l.slice(size.columns === 200 ? 117 : 0)));
        expect(row, `${c} in ${frame}`).toBeDefined();
        expect(row!.trimEnd().endsWith(` ${base}`), `${c}: ${row}`).toBe(true);
        expect(row!.length).toBeLessThanOrEqual(size.columns);
      }
    });
});
