// The Stress pane never drops a breakdown column silently: what is shown adds up, and what is hidden is announced.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStressRunner, type StressModel, type RiskResult } from '../../src/session/stress-model.js';
import { stressVM } from '../../src/views/rows/stress.js';
import { setAsciiText, textWidth, toAscii } from '../../src/views/format.js';
import { initialUi } from '../../src/views/ui-state.js';
import { startSimFeed, type SimFeed } from '../support/sim-feed.js';

let live: SimFeed;
let risk: RiskResult;
let model: StressModel;

beforeAll(async () => {
  live = await startSimFeed();
  risk = createStressRunner()(live.feed.state, live.sim.now());
  if (!risk.ok) throw new Error(risk.error);
  model = risk.model;
}, 60_000);

afterAll(async () => {
  await live?.close();
});

/** A heat-map cell ("+21,265", "-118k", "1.23M", "") as a number and how far its rounding can be off. */
function cell(text: string): { v: number; err: number } {
  if (text.trim() === '') return { v: 0, err: 0 };
  const m = /^([+-]?)([\d,.]+)([kMB]?)$/.exec(text.trim());
  if (!m) throw new Error(`not an amount: ${text}`);
  const scale = m[3] === 'k' ? 1e3 : m[3] === 'M' ? 1e6 : m[3] === 'B' ? 1e9 : 1;
  const dp = m[2]!.includes('.') ? m[2]!.split('.')[1]!.length : 0;
  return { v: (m[1] === '-' ? -1 : 1) * Number(m[2]!.replace(/,/g, '')) * scale, err: (0.5 * scale) / 10 ** dp };
}

const ui = initialUi().lists.stress;

describe('the stress breakdown', () => {
  it('has several currencies and classes to lay out (the simulated book)', () => {
    expect(model.currencies.length).toBeGreaterThanOrEqual(4);
    expect(model.classes.length).toBeGreaterThanOrEqual(4);
  });

  for (const prefer of ['currency', 'class'] as const) {
    it(`adds up to the total at every width from 80 to 320 (by ${prefer}), and says how many columns are not shown`, () => {
      const seen = new Set<string>();
      for (let width = 80; width <= 320; width += 10) {
        const vm = stressVM(risk, ui, prefer, undefined, width, 30);
        const ids = vm.list.columns.map((c) => c.id);
        let notShown = 0;
        for (const [kind, keys] of [
          ['ccy', model.currencies],
          ['cls', model.classes],
        ] as const) {
          const single = ids.filter((id) => id.startsWith(`${kind}:`)).map((id) => id.slice(4));
          const other = vm.list.columns.find((c) => c.id === `rest:${kind}`);
          // The first columns of the group, in order; an Other column names how many it sums.
          expect(single, `${kind} at ${width}`).toEqual(keys.slice(0, single.length));
          const summed = other ? Number(/^Other (\d+)$/.exec(other.header)?.[1]) : 0;
          if (single.length === 0 && !other) {
            notShown += keys.length;
            continue;
          }
          expect(single.length + summed, `${kind} at ${width}`).toBe(keys.length);
          notShown += summed;
          seen.add(other ? 'partial' : 'whole');
          for (const row of vm.list.rows) {
            const total = cell(row.cells!.total!.text);
            const parts = [...single.map((k) => row.cells![`${kind}:${k}`]!.text), ...(other ? [row.cells![`rest:${kind}`]!.text] : [])].map(cell);
            const sum = parts.reduce((a, p) => a + p.v, 0);
            const slack = total.err + parts.reduce((a, p) => a + p.err, 0);
            expect(Math.abs(sum - total.v), `${row.id} ${kind} at ${width}: ${parts.map((p) => p.v).join(' + ')} vs ${total.v}`).toBeLessThanOrEqual(slack);
          }
        }
        if (notShown > 0) expect(vm.list.info, `at ${width}`).toContain(`+${notShown} column`);
        else expect(vm.list.info, `at ${width}`).not.toMatch(/\+\d+ column/);
      }
      // The widths tried show a breakdown in part (with Other) and whole.
      expect([...seen].sort()).toEqual(['partial', 'whole']);
    });
  }

  it('lists finite liquidation distances first, nearest first, then those with none in range', () => {
    const vm = stressVM(risk, ui, 'currency', undefined, 320, 30);
    const texts = vm.distances.slice(1).map((c) => c.text);
    const finite = model.subjects.filter((s) => s.distance.nearest !== null);
    expect(finite.length).toBeGreaterThan(0);
    const rank = (t: string) =>
      / none ±/.test(t) ? Infinity : / BREACH now$/.test(t) ? 0 : Math.abs(Number(/([+−-]?\d+(\.\d+)?)%$/.exec(t)![1]!.replace('−', '-')));
    expect(
      texts.slice(0, finite.length).every((t) => rank(t) < Infinity),
      texts.join(' · '),
    ).toBe(true);
    const ranks = texts.map(rank);
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
  });

  it('keeps whole liquidation facts in the line, in any locale, and counts those that do not fit', () => {
    const full = stressVM(risk, ui, 'currency', undefined, 10_000, 30).distances.slice(1);
    expect(full.length).toBeGreaterThan(4);
    for (const ascii of [false, true]) {
      setAsciiText(ascii);
      try {
        const all = stressVM(risk, ui, 'currency', undefined, 10_000, 30)
          .distances.slice(1)
          .map((c) => c.text);
        const counts = new Set<number>();
        for (let width = 60; width <= 420; width += 9) {
          const cells = stressVM(risk, ui, 'currency', undefined, width, 30).distances;
          // Joined as StressPane draws it, then as the terminal gets it (render-console.tsx: toAscii, cell for cell).
          const line = toAscii(cells.map((c, i) => (i === 0 ? c.text : `${i === 1 ? ' ' : ' · '}${c.text}`)).join(''));
          expect(textWidth(line), `${ascii} at ${width}: ${line}`).toBeLessThanOrEqual(width);
          const facts = cells.slice(1).map((c) => c.text);
          const last = /^\+(\d+) more$/.exec(facts[facts.length - 1] ?? '');
          const shown = last ? facts.slice(0, -1) : facts;
          // Each fact whole and in order (the nearest first); the rest counted, not cut ("Equities none +/-...").
          expect(shown, `${ascii} at ${width}`).toEqual(all.slice(0, shown.length));
          expect(Number(last?.[1] ?? 0), `${ascii} at ${width}`).toBe(all.length - shown.length);
          counts.add(shown.length);
        }
        expect(counts.size, `${ascii}`).toBeGreaterThan(2);
        expect(counts).toContain(all.length);
      } finally {
        setAsciiText(false);
      }
    }
  });

  it('says when the distances were searched when the runner reused an earlier search', () => {
    const heading = (r: RiskResult) => stressVM(r, ui, 'currency', undefined, 320, 30).distances[0]!.text;
    expect(heading(risk)).toBe('Liquidation at:');
    const reused = { ...risk, model: { ...model, distancesAsOf: model.asOf - 4000 } } as RiskResult;
    expect(heading(reused)).toMatch(/^Liquidation at \(searched \d\d:\d\d:\d\d\):$/);
  });

  it('announces scenario rows below the window', () => {
    const vm = stressVM(risk, ui, 'currency', undefined, 120, 12);
    const below = model.scenarios.length - vm.list.rows.length;
    expect(below).toBeGreaterThan(0);
    expect(vm.list.info).toContain(`↓ ${below} more`);
  });
});
