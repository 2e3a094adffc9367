// The Stress pane's adapter over the risk engine: incremental equals fresh, shares of the worst loss, curves, errors.
import { EMPTY } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { INITIAL_STATE } from '../../src/model/state.js';
import type { PortfolioState } from '../../src/model/state.js';
import type { LiquidationDistance } from '../../src/risk/liquidation.js';
import type { StressReport } from '../../src/risk/report.js';
import { createAlertRunner } from '../../src/session/alert-runner.js';
import { AccountSession } from '../../src/session/session.js';
import { CURVE_SHOCKS, createStressRunner, type RiskResult, type StressModel } from '../../src/session/stress-model.js';
import { Decimal } from '../../src/model/money.js';
import { reduce, reduceAll } from '../../src/model/reducer.js';
import { bookScenarios } from '../../src/risk/alerts/scenarios.js';
import { DEFAULT_ALERT_CONFIG, parseAlertConfig } from '../../src/risk/alerts/config.js';
import { distanceLimitsOf, stressRules } from '../../src/risk/alerts/rules/stress.js';
import { ACCOUNT, bookState } from '../support/book.js';
import { EventLog, option, portfolio, stock } from '../support/events.js';
import { NOW, av, contract, greeks, holding } from '../risk/stress-fixtures.js';

function model(r: ReturnType<ReturnType<typeof createStressRunner>>): StressModel {
  if (!r.ok) throw new Error(r.error);
  return r.model;
}

describe('createStressRunner', () => {
  const state = bookState();

  it('builds the heat map for the account: built-in scenarios, currencies and classes held', () => {
    const m = model(createStressRunner()(state, state.lastEventAt));
    expect(m.scenarios[0]).toMatchObject({ label: 'No change', breach: false });
    expect(m.scenarios[0]!.total.isZero()).toBe(true);
    expect(m.currencies).toEqual(['EUR', 'USD']);
    expect(m.classes).toEqual(expect.arrayContaining(['STK', 'OPT']));
    expect(m.worst?.label).toBe('Equities −30%');
    expect([...m.unpriced.keys()]).toEqual([900001]);
  });

  it('attributes the worst loss to positions: the equity book carries all of an equity crash', () => {
    const m = model(createStressRunner()(state, state.lastEventAt));
    const shares = [...m.shareOfWorst.values()];
    expect(shares.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
    expect(m.shareOfWorst.get(265598)!).toBeGreaterThan(m.shareOfWorst.get(272093)!); // AAPL 114k > MSFT 41k
  });

  it('charts each class and currency from −30% to +30%, zero at no shock, with its liquidation distance', () => {
    const m = model(createStressRunner()(state, state.lastEventAt));
    const stk = m.subjects.find((s) => s.key === 'px:STK')!;
    expect(stk.label).toBe('Equities');
    expect(stk.curve.map((p) => p.shock)).toEqual(CURVE_SHOCKS);
    expect(stk.curve.find((p) => p.shock === 0)!.pnl).toBe(0);
    expect(stk.curve[0]!.pnl).toBeLessThan(0);
    expect(m.subjects.find((s) => s.key === 'fx:EUR')?.label).toBe('EUR vs USD');
    expect(m.subjects.find((s) => s.key === 'crash')?.curve).toEqual([]);
  });

  it("computes a subject's curve when it is read, once, from the book of its own pass", () => {
    const run = createStressRunner();
    const m = model(run(state, state.lastEventAt));
    const charted = m.subjects.filter((s) => s.charted);
    expect(charted.map((s) => s.key)).toEqual(m.subjects.filter((s) => s.kind !== 'crash').map((s) => s.key));
    expect(run.stats.curves).toBe(0);
    const stk = m.subjects.find((s) => s.key === 'px:STK')!;
    const fresh = model(createStressRunner()(state, state.lastEventAt)).subjects.find((s) => s.key === 'px:STK')!.curve;
    expect(stk.curve).toEqual(fresh);
    expect(stk.curve).toBe(stk.curve);
    expect(run.stats.curves).toBe(1);
    // The next drawn pass drops the unread curves of this one (no pane draws it any more).
    const moved = bookState({ prices: { aapl: '240', msft: '390' } });
    model(run(moved, moved.lastEventAt));
    expect(run.stats.curves).toBe(1);
  });

  it('computes the unread curves of the last drawn pass, on its own book, before a pass no pane draws moves the book', () => {
    // Frozen panes draw the last drawn pass, and may chart any of its subjects later: its curves are those of its book.
    const run = createStressRunner();
    const drawn = model(run(state, state.lastEventAt));
    const moved = bookState({ prices: { aapl: '240', msft: '390' } });
    model(run(moved, moved.lastEventAt, false));
    const charted = drawn.subjects.filter((s) => s.charted);
    expect(run.stats.curves).toBe(charted.length);
    const fresh = model(createStressRunner()(state, state.lastEventAt));
    const movedCurves = model(createStressRunner()(moved, moved.lastEventAt));
    for (const s of charted) {
      const own = fresh.subjects.find((x) => x.key === s.key)!.curve;
      expect(s.curve, s.key).toEqual(own);
      if (s.key === 'px:STK') expect(s.curve).not.toEqual(movedCurves.subjects.find((x) => x.key === s.key)!.curve);
    }
    expect(run.stats.curves).toBe(charted.length);
  });

  it('selects the scenarios the one selector gives for each state, as marks move and a contract in a new currency comes and goes', () => {
    // One log, so the account rows stay the same object while only positions change (the runner's cheap path).
    const log = new EventLog(NOW - 60_000);
    log.pushAll([
      av('NetLiquidation', '100000'),
      av('EquityWithLoanValue', '100000'),
      av('CashBalance', '50000', 'USD'),
      holding(stock(1, 'AAPL', 'USD'), '100', '200'),
      holding(stock(2, 'MSFT', 'USD'), '100', '300'),
    ]);
    const states = [reduceAll(log.events)];
    const next = (body: Parameters<typeof log.push>[0]) => states.push(reduce(states[states.length - 1]!, log.push(body)));
    next(holding(stock(1, 'AAPL', 'USD'), '100', '201'));
    next(holding(stock(5, 'BP', 'GBP'), '100', '5'));
    next(holding(stock(1, 'AAPL', 'USD'), '100', '202'));
    next(holding(stock(5, 'BP', 'GBP'), '0', '5'));
    expect(states.every((x) => x.accountValues === states[0]!.accountValues)).toBe(true);
    const run = createStressRunner();
    const seen = states.map((x) => {
      const labels = model(run(x, NOW)).scenarios.map((sc) => sc.label);
      expect(labels).toEqual(bookScenarios(x).map((sc) => sc.label));
      return labels;
    });
    expect(seen[1]!.some((l) => l.includes('GBP'))).toBe(false);
    expect(seen[2]!.some((l) => l.includes('GBP'))).toBe(true);
    expect(seen[4]!.some((l) => l.includes('GBP'))).toBe(false);
  });

  it('updates incrementally to the same numbers as a fresh build', () => {
    const run = createStressRunner();
    run(state, state.lastEventAt);
    const moved = bookState({ prices: { aapl: '240', msft: '390' } });
    const incremental = model(run(moved, moved.lastEventAt));
    const fresh = model(createStressRunner()(moved, moved.lastEventAt));
    expect(incremental.scenarios.map((s) => s.total.toString())).toEqual(fresh.scenarios.map((s) => s.total.toString()));
    expect(incremental.scenarios[1]!.total.toString()).not.toBe(model(createStressRunner()(state, state.lastEventAt)).scenarios[1]!.total.toString());
  });

  it('names the single-name jumps from the prices as they are now, not as they were when the positions arrived', () => {
    // AAPL 60,000, MSFT 30,000, KO 5,000, XOM 5,000 of stock, and 4 IBM puts whose underlying price comes later (with
    // TWS's option computation): until then IBM has no exposure; then 4 × 100 × 150 = 60,000 of it.
    const ibm = contract({
      conId: 6,
      symbol: 'IBM',
      secType: 'OPT',
      currency: 'USD',
      expiry: '20270115',
      strike: new Decimal(150),
      right: 'P',
      multiplier: new Decimal(100),
    });
    const log = new EventLog(NOW - 60_000);
    log.pushAll([
      av('NetLiquidation', '30000'),
      av('EquityWithLoanValue', '30000'),
      av('CashBalance', '-70000', 'USD'),
      holding(stock(1, 'AAPL', 'USD'), '300', '200'),
      holding(stock(2, 'MSFT', 'USD'), '100', '300'),
      holding(stock(3, 'KO', 'USD'), '100', '50'),
      holding(stock(4, 'XOM', 'USD'), '50', '100'),
      holding(ibm, '-4', '2'),
    ]);
    const before = reduceAll(log.events);
    const after = reduce(before, log.push(greeks(6, 0.25, 150)));
    // Only the option's computation changed: the positions and account rows are the same objects.
    expect(after.portfolio).toBe(before.portfolio);
    expect(after.accountValues).toBe(before.accountValues);
    const names = (r: RiskResult) => model(r).scenarios.flatMap((s) => (/single-name jump/.test(s.label) ? [s.label.split(' (')[0]] : []));
    const run = createStressRunner();
    expect(names(run(before, NOW))).toEqual(['AAPL −30%', 'AAPL +30%', 'MSFT −30%', 'MSFT +30%']);
    // Gross 160,000: AAPL 37.5%, IBM 37.5%, MSFT 18.75%; the one selector gives the same list to report and alerts.
    expect(names(run(after, NOW))).toEqual(['AAPL −30%', 'AAPL +30%', 'IBM −30%', 'IBM +30%', 'MSFT −30%', 'MSFT +30%']);
    expect(model(run(after, NOW)).scenarios.map((s) => s.label)).toEqual(bookScenarios(after).map((s) => s.label));
  });

  it('says what it waits for instead of throwing before the account arrives', () => {
    expect(createStressRunner()(INITIAL_STATE, 0)).toEqual({ ok: false, error: 'waiting for the account and its positions', waiting: true });
  });
});

function report(r: RiskResult): StressReport {
  if (!r.ok) throw new Error(r.error);
  return r.report;
}

const distanceOf = (r: StressReport, key: string): LiquidationDistance => r.liquidationDistance.find((d) => d.key === key)!;

/** Thin cushion: ExcessLiquidity 10,000 on 160,000, so an equity fall of about a tenth liquidates the account. */
const thin = (aapl: string): PortfolioState => bookState({ elv: '160000', maint: '150000', prices: { aapl } });

describe('the liquidation search', () => {
  const calm = thin('228.50');
  const t = calm.lastEventAt;

  it('runs once while only the clock ticks inside the valuation step, and again when the step turns', () => {
    const run = createStressRunner();
    const first = report(run(calm, t));
    let last = first;
    for (let s = 1; s <= 180; s++) last = report(run(calm, t + s * 1000));
    expect(run.stats.searches).toBe(1);
    expect(run.stats.unchanged).toBe(180);
    expect(last.liquidationDistance).toEqual(first.liquidationDistance);
    // The same book at a later time: the answer is that of the state as it is, not marked as of an earlier time.
    expect(last.liquidationAsOf).toBeUndefined();
    // The hour-long valuation step (option time) turned: time to expiry is an input, so the search runs again.
    report(run(calm, t + 3_600_000));
    expect(run.stats.searches).toBe(2);
  });

  it('confirms the last search with probes when a mark moves by a cent: a fresh search agrees to its tolerance', () => {
    const run = createStressRunner();
    // TWS's clock 5 minutes ahead of this machine's: the report tells times by the market's, the pane by ours.
    const ahead = (s: PortfolioState): PortfolioState => ({ ...s, brokerTimeOffsetMs: 300_000 });
    report(run(ahead(calm), t));
    const moved = thin('228.51');
    const result = run(ahead(moved), t + 1000);
    const r = report(result);
    expect(run.stats).toMatchObject({ searches: 1, confirmed: 1 });
    expect(r.liquidationAsOf).toBe(t + 300_000);
    expect(model(result).distancesAsOf).toBe(t);
    const fresh = report(createStressRunner()(moved, t + 1000));
    expect(fresh.liquidationAsOf).toBeUndefined();
    const all = (x: StressReport) => [...x.liquidationDistance, ...x.nameDistance];
    expect(all(r).map((d) => d.key)).toEqual(all(fresh).map((d) => d.key));
    all(fresh).forEach((d, i) => {
      const kept = all(r)[i]!;
      for (const side of ['down', 'up', 'nearest'] as const) {
        if (d[side] === null) expect(kept[side]).toBeNull();
        else expect(Math.abs(kept[side]! - d[side])).toBeLessThanOrEqual(1e-4);
      }
    });
  });

  it('follows a distance that moved by more than its tolerance along the ladder, to what a fresh search finds', () => {
    // 228.50 → 230 and → 227: every distance's bracket moves, no probe short of it breaches.
    for (const price of ['230', '227']) {
      const run = createStressRunner();
      report(run(calm, t));
      const moved = thin(price);
      const kept = report(run(moved, t + 1000));
      expect(run.stats).toMatchObject({ searches: 1, confirmed: 0, subjectsSearched: 0 });
      expect(run.stats.subjectsWalked).toBeGreaterThan(0);
      const fresh = report(createStressRunner()(moved, t + 1000));
      expect(distanceOf(kept, 'px:STK')).not.toEqual(distanceOf(report(createStressRunner()(calm, t)), 'px:STK'));
      expect(kept.liquidationDistance).toEqual(fresh.liquidationDistance);
      expect(kept.nameDistance).toEqual(fresh.nameDistance);
    }
  });

  it('searches again at most searchMaxAgeMs after the last search while the book keeps moving', () => {
    const run = createStressRunner({ searchMaxAgeMs: 10_000 });
    for (let s = 0; s <= 12; s++) report(run(thin(s % 2 === 0 ? '228.50' : '228.51'), t + s * 1000));
    expect(run.stats.searches).toBe(2);
    expect(run.stats.confirmed).toBe(11);
  });

  it('raises the liquidation alert on the passes that see a mark move bring the distance under its level', () => {
    const runner = createStressRunner();
    let state = thin('260');
    const session = new AccountSession(
      {
        get state() {
          return state;
        },
        events$: EMPTY,
      },
      { risk: runner, alerts: createAlertRunner() },
    );
    const ids = (at: number) => (session.evaluate(at, at).alerts ?? []).map((a) => a.id);
    // 260: equities −10.2% liquidate, just outside the 10% warning; the book moves by cents, the search is confirmed.
    for (let s = 0; s <= 5; s++) {
      state = thin(s % 2 === 0 ? '260' : '260.01');
      expect(ids(t + s * 1000)).not.toContain('liquidation.px:STK');
    }
    expect(runner.stats).toMatchObject({ searches: 1, confirmed: 5 });
    // 270: inside it. The first pass on it searches equities again (their probes disagree) and finds it under 10%...
    state = thin('270');
    const seen = session.evaluate(t + 6000, t + 6000).risk!;
    expect(runner.stats).toMatchObject({ searches: 1, confirmed: 5 });
    expect(runner.stats.subjectsSearched).toBeGreaterThan(0);
    expect(Math.abs(distanceOf(report(seen), 'px:STK').nearest!)).toBeLessThan(0.1);
    expect(distanceOf(report(seen), 'px:STK')).toEqual(distanceOf(report(createStressRunner()(state, t + 6000)), 'px:STK'));
    // ...and the alert is raised at the rules' debounce (2 evaluations over 1 s), as for any other finding.
    expect(ids(t + 7000)).toContain('liquidation.px:STK');
  });
});

describe('a pass only the alert rules read (frozen panes, another account shown)', () => {
  const limits = distanceLimitsOf(DEFAULT_ALERT_CONFIG);
  const t = thin('228.50').lastEventAt;
  const findings = (state: PortfolioState, r: StressReport) =>
    stressRules({ state, stress: r, config: DEFAULT_ALERT_CONFIG, now: t, marketOpen: true }).map((f) => `${f.id} ${f.severity} ${f.title}`);
  const details = (state: PortfolioState, r: StressReport) =>
    stressRules({ state, stress: r, config: DEFAULT_ALERT_CONFIG, now: t, marketOpen: true }).map((f) => f.detail);

  it('reads the levels of the rules in force: the farthest per kind, none when the rule is off', () => {
    expect(limits).toEqual({ px: 0.1, fx: 0.05, crash: 0.15 });
    const { config: off } = parseAlertConfig({ rules: { 'liquidation.distance': { enabled: false } } }, 'test');
    expect(distanceLimitsOf(off)).toEqual({ px: 0, fx: 0, crash: 0 });
    const { config: wider } = parseAlertConfig({ rules: { 'liquidation.distance': { within: { px: { info: 0.25 } } } } }, 'test');
    expect(distanceLimitsOf(wider).px).toBe(0.25);
  });

  it("searches only as far as the levels: a distance within one is a whole search's, the findings are the same", () => {
    let within = 0;
    let beyond = 0;
    // Equities −10.2%, just outside the 10% level; inside it at 270; far from it at 228.50; 20 short calls: +4% up
    // (inside) and −18.3% down (outside), both of which the alert's detail names.
    const CALL = option(700002, 'AAPL', '20270219', '250', 'C');
    const shortCalls = bookState({
      elv: '160000',
      maint: '150000',
      extra: [
        portfolio(ACCOUNT, CALL, '-20', '6', '6'),
        { type: 'optionComputed', conId: CALL.conId, kind: 'model', delayed: false, impliedVol: 0.27, delta: 0.3, underlyingPrice: 228.5, pvDividend: 0.5 },
      ],
    });
    for (const state of [thin('228.50'), thin('260'), thin('270'), shortCalls]) {
      const run = createStressRunner({ alertLimits: limits });
      const limited = report(run(state, t, false));
      const whole = report(createStressRunner()(state, t));
      expect(run.stats).toMatchObject({ searches: 1, limitedSearches: 1 });
      expect(limited.nameDistance).toEqual([]);
      expect(limited.liquidationDistance.map((d) => d.key)).toEqual(whole.liquidationDistance.map((d) => d.key));
      whole.liquidationDistance.forEach((w, i) => {
        const d = limited.liquidationDistance[i]!;
        if (d.within === undefined) {
          within++;
          expect(d).toEqual(w);
        } else {
          beyond++;
          expect(d).toMatchObject({ down: null, up: null, nearest: null, within: limits[w.kind] });
          expect(w.nearest === null || Math.abs(w.nearest) > limits[w.kind]).toBe(true);
        }
      });
      expect(findings(state, limited)).toEqual(findings(state, whole));
      expect(details(state, limited)).toEqual(details(state, whole));
    }
    const both = distanceOf(report(createStressRunner({ alertLimits: limits })(shortCalls, t, false)), 'px:STK');
    expect(both.up).toBeLessThan(0.1);
    expect(both.down).toBeLessThan(-0.1);
    expect(within).toBeGreaterThan(0);
    expect(beyond).toBeGreaterThan(0);
    expect(findings(thin('270'), report(createStressRunner()(thin('270'), t)))).toContainEqual(expect.stringMatching(/^liquidation\.px:STK warning/));
  });

  it('with the rule off, searches nothing at all on such a pass, and keeps saying so as marks move', () => {
    const { config: off } = parseAlertConfig({ rules: { 'liquidation.distance': { enabled: false } } }, 'test');
    const run = createStressRunner({ alertLimits: distanceLimitsOf(off) });
    for (let s = 0; s <= 3; s++) {
      const r = report(run(thin(s % 2 === 0 ? '270' : '270.01'), t + s * 1000, false));
      for (const d of r.liquidationDistance) expect(d).toMatchObject({ down: null, up: null, nearest: null, within: 0 });
    }
    expect(run.stats).toMatchObject({ searches: 1, limitedSearches: 1, confirmed: 3 });
  });

  it('a drawn pass after them searches in full, as a runner that never limited', () => {
    const run = createStressRunner({ alertLimits: limits });
    for (let s = 0; s <= 3; s++) report(run(thin(s % 2 === 0 ? '228.50' : '228.51'), t + s * 1000, false));
    expect(run.stats).toMatchObject({ searches: 1, limitedSearches: 1, confirmed: 3 });
    const drawn = report(run(thin('229'), t + 4000));
    const fresh = report(createStressRunner()(thin('229'), t + 4000));
    expect(drawn.liquidationDistance).toEqual(fresh.liquidationDistance);
    expect(drawn.nameDistance).toEqual(fresh.nameDistance);
    expect(drawn.liquidationDistance.some((d) => d.within !== undefined)).toBe(false);
  });

  it('raises the liquidation alert on the pass that crosses its level, frozen as drawn', () => {
    const raisedAt = (alertLimits?: typeof limits) => {
      const runner = createStressRunner(alertLimits ? { alertLimits } : {});
      let state = thin('260');
      const session = new AccountSession(
        {
          get state() {
            return state;
          },
          events$: EMPTY,
        },
        { risk: runner, alerts: createAlertRunner() },
      );
      const out: string[][] = [];
      for (let s = 0; s <= 9; s++) {
        state = thin(s < 5 ? (s % 2 === 0 ? '260' : '260.01') : '270');
        out.push((session.evaluate(t + s * 1000, t + s * 1000, 1000, alertLimits === undefined).alerts ?? []).map((a) => `${a.id} ${a.title}`));
      }
      return { out, stats: runner.stats };
    };
    const frozen = raisedAt(limits);
    const drawn = raisedAt();
    expect(frozen.out).toEqual(drawn.out);
    expect(frozen.out[4]).not.toContainEqual(expect.stringMatching(/^liquidation\.px:STK /));
    expect(frozen.out[9]).toContainEqual(expect.stringMatching(/^liquidation\.px:STK /));
    // Confirmed by probes within the levels between the crossings, searched once only as far as them.
    expect(frozen.stats).toMatchObject({ limitedSearches: 1 });
    expect(frozen.stats.confirmed).toBeGreaterThan(0);
  });
});
