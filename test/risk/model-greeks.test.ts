// Lattice greeks where the engine prices an American option on its dividends, against an independent PDE reference.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { FeedEventBody } from '../../src/model/events.js';
import { dec } from '../../src/model/money.js';
import { bsmAmericanPrice } from '../../src/risk/pricing/american.js';
import { createStressRunner } from '../../src/session/stress-model.js';
import type { ConsoleSnapshot } from '../../src/views/store.js';
import { modelGreeksSource, paneDetail } from '../../src/views/rows/detail.js';
import { positionsVM } from '../../src/views/rows/positions.js';
import { initialUi } from '../../src/views/ui-state.js';
import { AAPL, ACCOUNT, bookState } from '../support/book.js';
import { option, portfolio } from '../support/events.js';

/*
 * The reference (fixtures/american-dividend-delta.py, Python, outside the project): Crank-Nicolson prices of an
 * American put at the spot and ±1%, and Black-Scholes delta on the escrowed spot, for the position below as the
 * engine sees it: AAPL at 228.50 (the book's mark), put 280 expiring 2027-02-19, vol 30%, USD 4%, valuation clock
 * 2026-11-23 14:00 UTC, AAPL's next dividend 0.26 with ex-date 2027-02-08 (as tick 59 reports it).
 */
const ref = JSON.parse(readFileSync(new URL('./fixtures/american-dividend-delta.json', import.meta.url), 'utf8')) as {
  inputs: { S: number; K: number; T: number; r: number; vol: number; dividends: { time: number; amount: number }[] };
  americanPrice: number;
  americanDelta: number;
  americanGamma: number;
  europeanDelta: number;
};

const NOW = Date.UTC(2026, 10, 23, 14);
const PUT = option(700009, 'AAPL', '20270219', '280', 'P');
/** What TWS sends for the put: its own (escrowed, European-like) delta, the reference's European one. */
const putEvents: FeedEventBody[] = [
  portfolio(ACCOUNT, PUT, '-2', '52.10', '50'),
  {
    type: 'optionComputed',
    conId: PUT.conId,
    kind: 'model',
    delayed: false,
    impliedVol: 0.3,
    delta: ref.europeanDelta,
    underlyingPrice: 228.5,
    pvDividend: 0.26,
  },
];
const tick59: FeedEventBody = {
  type: 'dividendsReceived',
  conId: AAPL.conId,
  past12Months: dec('1.02'),
  next12Months: dec('1.04'),
  nextExDate: '2027-02-08',
  nextAmount: dec('0.26'),
};

function run(extra: FeedEventBody[], params?: Parameters<typeof createStressRunner>[0]) {
  const state = bookState({ extra });
  const risk = createStressRunner(params)(state, NOW);
  if (!risk.ok) throw new Error(risk.error);
  return { state, risk, model: risk.model };
}

describe('the engine on a deep in-the-money American put of a dividend payer', () => {
  it("prices it on the lattice with TWS's next dividend: within 1% of the reference, below the escrowed BAW it replaces", () => {
    const { model } = run([...putEvents, tick59]);
    const g = model.modelGreeks.get(PUT.conId)!;
    expect(g.from).toBe('TWS');
    expect(g.dividends).toEqual([{ exDate: '2027-02-08', amount: 0.26 }]);
    expect(Math.abs(g.price - ref.americanPrice) / ref.americanPrice).toBeLessThan(0.01);
    // The escrowed model exercises on S − PV(div): it overvalues the put (docs/stress-model.md), the reference with it.
    const { S, K, T, r, vol, dividends } = ref.inputs;
    const escrowed = bsmAmericanPrice({ right: 'P', S, K, T, r, vol, pvDividend: dividends[0]!.amount * Math.exp(-r * dividends[0]!.time) });
    expect(ref.americanPrice).toBeLessThan(escrowed);
    expect(g.price).toBeLessThan(escrowed);
  });

  it('its delta is the American one, nearer −1 than the European (TWS) delta; gamma within 2% of the reference', () => {
    const { model } = run([...putEvents, tick59]);
    const g = model.modelGreeks.get(PUT.conId)!;
    expect(Math.abs(g.delta - ref.americanDelta)).toBeLessThan(0.005);
    expect(ref.americanDelta).toBeLessThan(ref.europeanDelta - 0.03);
    expect(g.delta).toBeLessThan(ref.europeanDelta - 0.03);
    expect(Math.abs(g.gamma - ref.americanGamma) / ref.americanGamma).toBeLessThan(0.02);
    // TWS's units: vega per vol point, theta per calendar day (a long put loses value as time passes... deep ITM
    // and American, it may not: only its sign-free size is bounded here).
    expect(g.vega).toBeGreaterThan(0);
    expect(g.vega).toBeLessThan(1);
    expect(Math.abs(g.theta)).toBeLessThan(0.1);
  });

  it('the settings win: a symbol they name uses their dividends, an empty list turns the lattice off', () => {
    const listed = run([...putEvents, tick59], { params: { dividends: { AAPL: [{ exDate: '2027-01-15', amount: 2 }] } } }).model.modelGreeks.get(PUT.conId)!;
    expect(listed.from).toBe('settings');
    expect(listed.dividends).toEqual([{ exDate: '2027-01-15', amount: 2 }]);
    expect(run([...putEvents, tick59], { params: { dividends: { AAPL: [] } } }).model.modelGreeks.has(PUT.conId)).toBe(false);
  });

  it("projects TWS's next dividend at the frequency its 12-month sum implies, up to expiry, and says which are projected", () => {
    // Four payments of 0.26 in the next year: one every quarter year after 2027-02-08 (00:00 UTC + 91.25 days).
    const june = option(700010, 'AAPL', '20270618', '280', 'P');
    const events: FeedEventBody[] = [
      portfolio(ACCOUNT, june, '-2', '54', '50'),
      { type: 'optionComputed', conId: june.conId, kind: 'model', delayed: false, impliedVol: 0.3, delta: -0.85, underlyingPrice: 228.5, pvDividend: 0.51 },
    ];
    const g = run([...events, tick59]).model.modelGreeks.get(june.conId)!;
    expect(g.dividends).toEqual([
      { exDate: '2027-02-08', amount: 0.26 },
      { exDate: '2027-05-10', amount: 0.26, projected: true },
    ]);
    expect(modelGreeksSource(g)).toBe('model (lattice, div 0.26 on 2027-02-08 + 0.26 on 2027-05-10 (projected))');
    // Without a 12-month sum nothing is projected, and the put, with one dividend less to come, is worth less.
    const { next12Months: _n, ...alone } = tick59 as Extract<FeedEventBody, { type: 'dividendsReceived' }>;
    const one = run([...events, alone]).model.modelGreeks.get(june.conId)!;
    expect(one.dividends).toEqual([{ exDate: '2027-02-08', amount: 0.26 }]);
    expect(one.price).toBeLessThan(g.price);
  });

  it('without a dividend before expiry it stays on the fast path: no model greeks', () => {
    expect(run(putEvents).model.modelGreeks.size).toBe(0);
    const late = { ...tick59, nextExDate: '2027-03-08' } as FeedEventBody;
    expect(run([...putEvents, late]).model.modelGreeks.size).toBe(0);
  });
});

describe('the panes', () => {
  const ui = initialUi().lists.positions;

  it("the Positions row shows the model's delta marked m, TWS's where the fast path prices", () => {
    const { state, model } = run([...putEvents, tick59]);
    const row = positionsVM(state, model, ui, 'class', 200, 40).rows.find((r) => r.id === String(PUT.conId))!;
    const text = row.cells.delta!.text;
    expect(text).toMatch(/^-0\.\d\dm$/);
    expect(Math.abs(parseFloat(text) - ref.americanDelta)).toBeLessThanOrEqual(0.006);
    const plain = run(putEvents);
    const twsRow = positionsVM(plain.state, plain.model, ui, 'class', 200, 40).rows.find((r) => r.id === String(PUT.conId))!;
    expect(twsRow.cells.delta!.text).toBe(ref.europeanDelta.toFixed(2));
  });

  it('Enter on it shows delta, gamma, vega and theta from the lattice, labelled with the dividend, and TWS delta beside', () => {
    const { state, risk, model } = run([...putEvents, tick59]);
    const list = positionsVM(state, model, { ...ui, selectedId: String(PUT.conId) }, 'class', 200, 40);
    const snapshot = { state, live: state, risk, now: NOW, version: 1 } as ConsoleSnapshot;
    const d = paneDetail({ kind: 'list', pane: 'positions', info: '', list: { ...list, selectedId: String(PUT.conId) } }, snapshot)!;
    // The row's own cells come first (Delta "-0.93m" among them), the Greeks section after them.
    const field = (label: string) => d.lines.findLast((l) => l.label === label)?.text;
    expect(field('Source')).toBe('model (lattice, div 0.26 on 2027-02-08)');
    expect(Math.abs(Number(field('Delta')) - ref.americanDelta)).toBeLessThan(0.005);
    expect(Math.abs(Number(field('Gamma')) - ref.americanGamma) / ref.americanGamma).toBeLessThan(0.02);
    expect(field('Vega')).toMatch(/^\d\.\d{4} per vol point$/);
    expect(field('Theta')).toMatch(/^-?\d\.\d{4} per day$/);
    expect(field('TWS delta')).toBe(`${ref.europeanDelta.toFixed(4)} (TWS, escrowed dividends)`);
    // The fast path's detail names TWS as the source.
    const plain = run(putEvents);
    const plainList = positionsVM(plain.state, plain.model, { ...ui, selectedId: String(PUT.conId) }, 'class', 200, 40);
    const p = paneDetail({ kind: 'list', pane: 'positions', info: '', list: { ...plainList, selectedId: String(PUT.conId) } }, {
      state: plain.state,
      live: plain.state,
      risk: plain.risk,
      now: NOW,
      version: 1,
    } as ConsoleSnapshot)!;
    expect(p.lines.find((l) => l.label === 'Source')?.text).toBe('TWS');
    expect(p.lines.findLast((l) => l.label === 'Delta')?.text).toBe(ref.europeanDelta.toFixed(4));
  });
});
