// Alert rules, one family at a time, on states built from FeedEvents, with hand-computed expectations.
import { describe, expect, it } from 'vitest';
import type { FeedEventBody, FeedEventOf, OrderInfo } from '../../../src/model/events.js';
import type { OrderStatus } from '../../../src/model/orders.js';
import { dec } from '../../../src/model/money.js';
import { reduce } from '../../../src/model/reducer.js';
import { INITIAL_STATE, type PortfolioState } from '../../../src/model/state.js';
import { DEFAULT_ALERT_CONFIG, parseAlertConfig, type AlertConfig } from '../../../src/risk/alerts/config.js';
import { accountRules } from '../../../src/risk/alerts/rules/account.js';
import { activityRules } from '../../../src/risk/alerts/rules/activity.js';
import { alertTitleAt, connectionRule, staleRule, twsCodeRule, unstableRule } from '../../../src/risk/alerts/rules/connection.js';
import type { RuleContext } from '../../../src/risk/alerts/rules/context.js';
import { evaluateAlerts, runRules, unlessSame, type Evaluation } from '../../../src/risk/alerts/engine.js';
import { exposureRules } from '../../../src/risk/alerts/rules/exposure.js';
import { marginJumpRule } from '../../../src/risk/alerts/rules/margin-jump.js';
import { positionsRule } from '../../../src/risk/alerts/rules/positions.js';
import { stressRules } from '../../../src/risk/alerts/rules/stress.js';
import { INITIAL_ALERT_STATE, type Finding, type MarginMemory, type PositionsMemory, type UnstableMemory } from '../../../src/risk/alerts/types.js';
import { buildStressReport, type StressReport } from '../../../src/risk/report.js';
import { parseScenario } from '../../../src/risk/scenario-text.js';
import { EventLog, acct, option, portfolio, stock } from '../../support/events.js';

const ACC = 'DU1234567';
const T0 = Date.UTC(2026, 2, 2, 15, 0); // Monday 10:00 in New York (EST)
const AAPL = stock(265598, 'AAPL', 'USD');
const MSFT = stock(272093, 'MSFT', 'USD');
const SAP = stock(14204, 'SAP', 'EUR');

/** A state folded event by event, with a clock the test moves. */
class Book {
  readonly log = new EventLog(T0 - 60_000);
  state: PortfolioState = INITIAL_STATE;
  push(body: FeedEventBody, at?: number): this {
    this.state = reduce(this.state, this.log.push(body, at));
    return this;
  }
  pushAll(bodies: readonly FeedEventBody[], at?: number): this {
    for (const b of bodies) this.push(b, at);
    return this;
  }
}

const av = (key: string, value: string, currency = 'USD') => acct(ACC, key, value, currency);
const ready = (clientId = 21): FeedEventBody => ({ type: 'healthChanged', health: 'ready', reason: 'ok', host: '127.0.0.1', port: 7497, clientId });
const posEnd: FeedEventBody = { type: 'positionsEnded' };
const position = (contract: typeof AAPL, qty: string): FeedEventBody => ({ type: 'positionUpdated', account: ACC, contract, position: dec(qty) });

function stateOf(bodies: readonly FeedEventBody[]): PortfolioState {
  return new Book().pushAll(bodies).state;
}

function ctx(state: PortfolioState, o: Partial<RuleContext> = {}): RuleContext {
  return { state, config: DEFAULT_ALERT_CONFIG, now: T0, marketOpen: true, ...o };
}

function config(rules: Record<string, unknown>): AlertConfig {
  const { config: c, problems } = parseAlertConfig({ rules }, 'test');
  expect(problems).toEqual([]);
  return c;
}

const ids = (fs: readonly Finding[]) => fs.map((f) => `${f.id} ${f.severity}`);

describe('account rules (reported values)', () => {
  it("Cushion 5% is below the 10% warning band but not the 5% critical one; ELV 100,000 ≤ 1.1 × 95,000 is IBKR's warning", () => {
    const s = stateOf([
      av('NetLiquidation', '100000'),
      av('EquityWithLoanValue', '100000'),
      av('MaintMarginReq', '95000'),
      av('ExcessLiquidity', '5000'),
      av('Cushion', '0.05', ''),
    ]);
    const f = accountRules(ctx(s));
    expect(ids(f)).toEqual(['margin.warning warning', 'cushion.band warning']);
    expect(f[0]!.title).toBe("EquityWithLoanValue 100,000 USD is within 10% of the maintenance requirement 95,000 USD (1.053×): IBKR's margin warning line");
    expect(f[1]!.title).toBe('Cushion is 5.0%, below the 10% warning band: ExcessLiquidity 5,000 USD on NetLiquidation 100,000 USD');
    expect(f[1]!.reduction).toEqual({ kind: 'cushion', min: 0.1 });
    expect(f[0]!.reduction).toEqual({ kind: 'equityToMaint', min: 1.1 });
  });

  it('the title names the band as configured: 61.8%, not a rounded 62% nobody set', () => {
    const s = stateOf([av('NetLiquidation', '100000'), av('EquityWithLoanValue', '100000'), av('MaintMarginReq', '10000'), av('Cushion', '0.615', '')]);
    const f = accountRules(ctx(s, { config: config({ 'cushion.band': { below: { warning: 0.618 } } }) }));
    expect(ids(f)).toEqual(['cushion.band warning']);
    expect(f[0]!.title).toMatch(/^Cushion is 61\.5%, below the 61\.8% warning band:/);
  });

  it('ExcessLiquidity below zero is critical: IBKR is liquidating; the Cushion is computed when TWS sent none', () => {
    const s = stateOf([av('NetLiquidation', '100000'), av('EquityWithLoanValue', '98000'), av('MaintMarginReq', '100000')]);
    const f = accountRules(ctx(s));
    expect(ids(f)).toEqual(['excess.negative critical', 'margin.warning warning', 'cushion.band critical']);
    expect(f[0]!.title).toMatch(/^ExcessLiquidity is -2,000 USD: IBKR liquidates positions in real time/);
    expect(f[2]!.title).toMatch(/^Cushion is -2\.0%, below the 5% critical band/);
  });

  it('says nothing for a healthy account, or when a rule is disabled', () => {
    const healthy = stateOf([av('NetLiquidation', '100000'), av('EquityWithLoanValue', '100000'), av('MaintMarginReq', '40000'), av('Cushion', '0.6', '')]);
    expect(accountRules(ctx(healthy))).toEqual([]);
    const bad = stateOf([av('NetLiquidation', '100000'), av('EquityWithLoanValue', '98000'), av('MaintMarginReq', '100000')]);
    const c = config({ 'excess.negative': { enabled: false }, 'margin.warning': { enabled: false }, 'cushion.band': { enabled: false } });
    expect(accountRules(ctx(bad, { config: c }))).toEqual([]);
  });
});

describe('stress rules (the stress report)', () => {
  // 1,000 AAPL at 100 on a 70,000 loan: NLV = ELV = 30,000, maintenance 25% = 25,000, EL 5,000 (Cushion 16.7%).
  // Under equities −s: NLV' = 30,000 − 100,000 s, maintenance' = 25,000 (1 − s), EL' = 5,000 − 75,000 s:
  // −5% leaves 1,250 on 25,000 (5%), −10% leaves −2,500 on 20,000 (−12.5%); EL' = 0 at s = 1/15 = 6.67%.
  const state = stateOf([
    av('NetLiquidation', '30000'),
    av('EquityWithLoanValue', '30000'),
    av('MaintMarginReq', '25000'),
    av('InitMarginReq', '50000'),
    av('ExcessLiquidity', '5000'),
    av('Cushion', '0.166667', ''),
    av('CashBalance', '-70000'),
    portfolio(ACC, AAPL, '1000', '100'),
  ]);
  const scenarios = ['base', 'px:STK=-5%', 'px:STK=-10%'].map((t) => {
    const r = parseScenario(t, { baseCurrency: 'USD' });
    if (!r.ok) throw new Error(r.problems.join());
    return r.scenario;
  });
  const report = buildStressReport(state, scenarios, { now: T0 });
  // Scenarios from text are the user's family; the rule judges the built-in families unless told otherwise.
  const withUser = config({ 'cushion.stressed': { families: ['base', 'asset', 'fx', 'crash', 'user'] } });

  it('the lowest stressed Cushion, −12.5% under equities −10%, is below the 5% level: the scenario would liquidate', () => {
    expect(stressRules(ctx(state, { stress: report })).find((x) => x.id === 'cushion.stressed')).toBeUndefined();
    const f = stressRules(ctx(state, { stress: report, config: withUser })).find((x) => x.id === 'cushion.stressed')!;
    expect(f.severity).toBe('warning');
    expect(f.title).toBe(
      '"Equities −10%" would liquidate this account: stressed ExcessLiquidity -2,500 USD (Cushion -12.5%), below the 5% stressed level; ' +
        '1 of 3 scenarios are below it',
    );
    // The reduction judges the scenarios the rule judged.
    expect(f.reduction).toEqual({ kind: 'stressedCushion', min: 0.05, families: ['base', 'asset', 'fx', 'crash', 'user'] });
  });

  it('equities −6.67% take ExcessLiquidity to zero: within the 10% warning limit, not the 5% critical one', () => {
    const f = stressRules(ctx(state, { stress: report })).find((x) => x.id === 'liquidation.px:STK')!;
    expect(f.severity).toBe('warning');
    expect((f.detail as { nearest: number }).nearest).toBeCloseTo(-1 / 15, 3);
    expect(f.title).toBe('Equities -6.7% would liquidate this account (ExcessLiquidity reaches 0): within the 10% warning limit');
    expect(f.reduction).toEqual({ kind: 'liquidationDistance', key: 'px:STK', min: 0.1 });
  });

  it('the engine judges each new report, and a report it judged again gives the same findings', () => {
    // The engine answers a rule again only when what it reads is another object (engine.ts unlessSame).
    const c = config({ 'liquidation.distance': { within: { px: { critical: 0.08 } } } });
    const milder = buildStressReport(
      stateOf([av('NetLiquidation', '30000'), av('EquityWithLoanValue', '30000'), av('MaintMarginReq', '5000'), portfolio(ACC, AAPL, '1000', '100')]),
      scenarios,
      { now: T0 },
    );
    const stressIds = (o: Partial<RuleContext>) => ids(runRules({}, ctx(state, o)).findings.filter((f) => f.rule === 'liquidation.distance'));
    expect(stressIds({ stress: report })).toEqual(['liquidation.px:STK warning', 'liquidation.crash warning']);
    expect(stressIds({ stress: report, now: T0 + 250 })).toEqual(['liquidation.px:STK warning', 'liquidation.crash warning']);
    expect(stressIds({ stress: report, config: c })).toEqual(['liquidation.px:STK critical', 'liquidation.crash warning']);
    expect(stressIds({ stress: milder, config: c })).toEqual(
      ids(stressRules(ctx(state, { stress: milder, config: c })).filter((f) => f.rule === 'liquidation.distance')),
    );
    expect(stressIds({ stress: milder, config: c })).not.toEqual(stressIds({ stress: report, config: c }));
    expect(stressIds({ config: c })).toEqual([]);
  });

  it('critical when the configured move is larger; silent without a report', () => {
    const c = config({ 'liquidation.distance': { within: { px: { critical: 0.08 } } } });
    // A stock-only book: the combined crash is the same move (its critical limit is 5%).
    expect(ids(stressRules(ctx(state, { stress: report, config: c })).filter((f) => f.rule === 'liquidation.distance'))).toEqual([
      'liquidation.px:STK critical',
      'liquidation.crash warning',
    ]);
    expect(stressRules(ctx(state))).toEqual([]);
  });
});

describe('margin.jump', () => {
  /** A fake report carrying only our zero-shock estimates (what the rule reads). */
  const est = (maint: number, init = maint * 2): StressReport =>
    ({
      margin: {
        calibration: {
          maint: [{ scope: 'total', mode: 'scaled', estimated: dec(maint), estimatedFloat: maint, reportedFloat: 0 }],
          init: [{ scope: 'total', mode: 'scaled', estimated: dec(init), estimatedFloat: init, reportedFloat: 0 }],
        },
      },
    }) as unknown as StressReport;

  /** Runs the rule over (time, events, estimate) steps, returning the findings of each step. */
  function run(steps: readonly { at: number; events?: readonly FeedEventBody[]; stress?: StressReport; config?: AlertConfig }[]): Finding[][] {
    const b = new Book().pushAll(
      [av('NetLiquidation', '500000'), ready(), position(AAPL, '100'), posEnd, av('MaintMarginReq', '10000'), av('InitMarginReq', '20000')],
      T0,
    );
    let mem: MarginMemory | undefined;
    return steps.map((s) => {
      if (s.events) b.pushAll(s.events, s.at);
      const r = marginJumpRule(mem, ctx(b.state, { now: s.at, ...(s.stress ? { stress: s.stress } : {}), ...(s.config ? { config: s.config } : {}) }));
      mem = r.memory;
      return r.findings;
    });
  }
  const MIN = 60_000;

  it('without a stress report, +20% is tolerated and +40% is unexplained (the 30% limit is said)', () => {
    const out = run([
      { at: T0 },
      { at: T0 + MIN + 10_000 },
      { at: T0 + MIN + 20_000, events: [av('MaintMarginReq', '12000')] },
      { at: T0 + MIN + 30_000, events: [av('MaintMarginReq', '14000')] },
    ]);
    expect(out.slice(0, 3).flat()).toEqual([]);
    expect(out[3]!.map((f) => f.id)).toEqual(['margin.jump']);
    expect(out[3]![0]!.title).toBe(
      'Maintenance margin rose +40.0% (10,000 USD → 14,000 USD) with no trade or position change; ' +
        'no stress estimate to compare with, so the limit is 30%, as a house-margin change would',
    );
  });

  it('with our estimate: +30% reported against +25% estimated is explained by prices; against 0% it is a house change', () => {
    const explained = run([
      { at: T0, stress: est(10_000) },
      { at: T0 + MIN + 10_000, stress: est(10_000) },
      { at: T0 + MIN + 20_000, stress: est(12_500), events: [av('MaintMarginReq', '13000')] },
    ]);
    expect(explained.flat()).toEqual([]);
    const house = run([
      { at: T0, stress: est(10_000) },
      { at: T0 + MIN + 10_000, stress: est(10_000) },
      { at: T0 + MIN + 20_000, stress: est(10_000), events: [av('MaintMarginReq', '13000')] },
    ]);
    expect(house[2]![0]!.title).toMatch(
      /^Maintenance margin rose \+30\.0% \(10,000 USD → 13,000 USD\).*our estimate moved 0\.0%, leaving \+30\.0% unexplained/,
    );
  });

  it('compares with the estimate as it was when the reported row arrived (prices moved back since)', () => {
    const out = run([
      { at: T0, stress: est(10_000) },
      { at: T0 + MIN + 10_000, stress: est(10_000) },
      { at: T0 + MIN + 20_000, stress: est(12_500), events: [av('MaintMarginReq', '13000')] },
      { at: T0 + MIN + 30_000, stress: est(10_000) },
    ]);
    expect(out.flat()).toEqual([]);
  });

  it('a position change re-anchors: a doubled requirement after buying is not a jump', () => {
    const out = run([
      { at: T0 },
      { at: T0 + MIN + 10_000 },
      { at: T0 + MIN + 20_000, events: [position(AAPL, '200')] },
      { at: T0 + MIN + 25_000, events: [av('MaintMarginReq', '20000')] },
      { at: T0 + 3 * MIN, events: [] },
    ]);
    expect(out.flat()).toEqual([]);
  });

  it('an unexplained level is accepted as the new baseline after holdMs', () => {
    const c = config({ 'margin.jump': { holdMs: 120_000 } });
    const out = run([
      { at: T0, config: c },
      { at: T0 + MIN + 10_000, config: c },
      { at: T0 + MIN + 20_000, config: c, events: [av('MaintMarginReq', '15000')] },
      { at: T0 + MIN + 20_000 + 119_000, config: c },
      { at: T0 + MIN + 20_000 + 120_000, config: c },
      { at: T0 + MIN + 20_000 + 130_000, config: c },
    ]);
    expect(out.map((f) => f.length)).toEqual([0, 0, 1, 1, 0, 0]);
  });

  describe('in one look: a requirement far above our estimate (the calibration factor)', () => {
    /** A report whose calibration says: TWS reports `reported` where our rules estimate `estimated` (one segment). */
    const cal = (reported: number, estimated: number): StressReport =>
      ({
        margin: {
          calibration: {
            maint: [
              {
                scope: 'C',
                mode: 'scaled',
                reported: dec(reported),
                estimated: dec(estimated),
                factor: dec(reported).div(estimated),
                estimatedFloat: estimated,
                reportedFloat: reported,
              },
            ],
            init: [],
          },
        },
      }) as unknown as StressReport;
    const look = (stress: StressReport, c: AlertConfig = DEFAULT_ALERT_CONFIG) => {
      const state = new Book().pushAll([av('NetLiquidation', '500000'), ready(), position(AAPL, '100'), posEnd, av('MaintMarginReq', '10000')], T0).state;
      return marginJumpRule(undefined, ctx(state, { stress, config: c })).findings;
    };

    it('with no baseline, 2.2× the estimate is a warning by default, naming the segment and the numbers', () => {
      const f = look(cal(188_000, 85_500));
      expect(ids(f)).toEqual(['margin.jump warning']);
      expect(f[0]!.title).toBe(
        'Maintenance margin (commodities) 188,000 USD is 2.20× our rules-based estimate 85,500 USD (limit 2×): ' +
          'a house-margin or concentration charge our rules do not know',
      );
      expect(f[0]!.detail).toMatchObject({ jump: null, factor: { kind: 'Maintenance', scope: 'C', factor: 188_000 / 85_500, threshold: 2 } });
    });

    it('stays silent below the factor, and for a small segment (less than factorMinShare of NetLiquidation above the estimate)', () => {
      expect(look(cal(170_000, 85_500))).toEqual([]); // 1.99×
      expect(look(cal(9_000, 3_000))).toEqual([]); // 3×, but 6,000 above is 1.2% of 500,000
      expect(ids(look(cal(9_000, 3_000), config({ 'margin.jump': { factorMinShare: 0.01 } })))).toEqual(['margin.jump warning']);
    });

    it('a critical level is opt-in, and null turns the view off', () => {
      expect(ids(look(cal(188_000, 85_500), config({ 'margin.jump': { factorAbove: { critical: 2 } } })))).toEqual(['margin.jump critical']);
      expect(look(cal(188_000, 85_500), config({ 'margin.jump': { factorAbove: { warning: null } } }))).toEqual([]);
    });
  });

  it('a change TWS announced (LookAheadMaintMarginReq) is scheduled, not a house change', () => {
    const out = run([
      { at: T0, events: [av('LookAheadMaintMarginReq', '15000')] },
      { at: T0 + MIN + 10_000 },
      { at: T0 + MIN + 20_000, events: [av('MaintMarginReq', '15000')] },
    ]);
    expect(out.flat()).toEqual([]);
  });
});

describe('position.unexplained', () => {
  const exec = (execId: string, side: 'BOT' | 'SLD', shares: string, clientId = 21): FeedEventBody => ({
    type: 'executionReceived',
    reqId: -1,
    execId,
    orderId: 5,
    clientId,
    permId: 77,
    account: ACC,
    contract: AAPL,
    side,
    shares: dec(shares),
    price: dec('100'),
    cumQty: dec(shares),
    avgPrice: dec('100'),
    time: '20260302 10:00:00 US/Eastern',
  });
  function run(steps: readonly { at: number; events?: readonly FeedEventBody[] }[], start: readonly FeedEventBody[] = []): Finding[][] {
    const b = new Book().pushAll([av('NetLiquidation', '500000'), ready(), position(AAPL, '400'), position(MSFT, '10'), posEnd, ...start], T0);
    let mem: PositionsMemory | undefined;
    return steps.map((s) => {
      if (s.events) b.pushAll(s.events, s.at);
      const r = positionsRule(mem, ctx(b.state, { now: s.at }));
      mem = r.memory;
      return r.findings;
    });
  }

  it('a change matched by executions moves the baseline; one without is reported after the 20 s grace', () => {
    const out = run([
      { at: T0 },
      { at: T0 + 1_000, events: [exec('e1', 'BOT', '100'), position(AAPL, '500')] },
      { at: T0 + 2_000, events: [position(AAPL, '200')] },
      { at: T0 + 21_000 },
      { at: T0 + 22_000 },
      { at: T0 + 23_000 },
    ]);
    expect(out.slice(0, 4).flat()).toEqual([]);
    expect(out[4]!.map((f) => f.id)).toEqual(['position.unexplained:265598']);
    expect(out[4]![0]!.title).toBe(
      'Position in AAPL changed by -300 with no execution seen (was 500, now 200): a trade in another session, a transfer, an exercise or an assignment',
    );
    expect(out[5]!.length).toBe(1);
  });

  it('a memory with nothing pending is handed back while positions and executions stay; a change after it is judged', () => {
    const b = new Book().pushAll([av('NetLiquidation', '500000'), ready(), position(AAPL, '400'), position(MSFT, '10'), posEnd], T0);
    const first = positionsRule(undefined, ctx(b.state, { now: T0 }));
    const again = positionsRule(first.memory, ctx(b.state, { now: T0 + 60_000 }));
    expect(again.memory).toBe(first.memory);
    expect(again.findings).toEqual([]);
    b.push(position(AAPL, '300'), T0 + 61_000);
    let mem = positionsRule(again.memory, ctx(b.state, { now: T0 + 61_000 })).memory;
    expect(mem!.since).toEqual({ '265598': T0 + 61_000 });
    // Pending: the same state is judged again on the clock, and reported after the grace.
    const later = positionsRule(mem, ctx(b.state, { now: T0 + 81_000 }));
    expect(later.findings.map((f) => f.id)).toEqual(['position.unexplained:265598']);
    mem = later.memory;
    expect(positionsRule(mem, ctx(b.state, { now: T0 + 82_000 })).findings.length).toBe(1);
  });

  it('a polled execution that arrives within the grace explains the change', () => {
    const out = run([
      { at: T0 },
      { at: T0 + 1_000, events: [position(AAPL, '100')] },
      { at: T0 + 6_000, events: [exec('e2', 'SLD', '300', 42)] },
      { at: T0 + 30_000 },
    ]);
    expect(out.flat()).toEqual([]);
  });

  it('an execution seen before its position update is no discrepancy', () => {
    const out = run([
      { at: T0 },
      { at: T0 + 1_000, events: [exec('e3', 'SLD', '100')] },
      { at: T0 + 1_200, events: [position(AAPL, '300')] },
      { at: T0 + 40_000 },
    ]);
    expect(out.flat()).toEqual([]);
  });

  it("the day's executions listed after start-up, with no position change, are absorbed once past the grace", () => {
    const out = run([
      { at: T0 },
      { at: T0 + 500, events: [exec('old1', 'BOT', '300'), exec('old2', 'SLD', '50')] },
      { at: T0 + 10_000 },
      { at: T0 + 25_000 },
      { at: T0 + 60_000 },
    ]);
    expect(out.flat()).toEqual([]);
  });

  it('an unexplained change stays listed for holdMs, then becomes the baseline; nothing is judged mid-snapshot', () => {
    const out = run([
      { at: T0 },
      { at: T0 + 1_000, events: [position(MSFT, '0')] },
      { at: T0 + 21_000 },
      { at: T0 + 1_000 + 20_000 + 900_000 },
      { at: T0 + 1_000 + 20_000 + 900_001 },
      { at: T0 + 1_000_000, events: [{ type: 'snapshotRequested', snapshot: 'positions' }, position(MSFT, '5')] },
    ]);
    expect(out.map((f) => f.length)).toEqual([0, 0, 1, 0, 0, 0]);
    expect(out[2]![0]!.title).toMatch(/^Position in MSFT changed by -10 with no execution seen \(was 10, now 0\)/);
  });
});

describe('foreign.client and manual.order', () => {
  const order = (clientId: number, orderId: number, permId: number, status: OrderStatus, extra: Partial<OrderInfo> = {}): FeedEventBody => ({
    type: 'openOrderUpdated',
    order: {
      orderId,
      clientId,
      permId,
      account: ACC,
      contract: AAPL,
      action: 'SELL',
      totalQuantity: dec('300'),
      orderType: 'LMT',
      limitPrice: dec('250'),
      status,
      ...extra,
    },
  });
  const fill = (execId: string, clientId: number, orderId: number, permId: number): FeedEventBody => ({
    type: 'executionReceived',
    reqId: -1,
    execId,
    orderId,
    clientId,
    permId,
    account: ACC,
    contract: MSFT,
    side: 'BOT',
    shares: dec('10'),
    price: dec('400.5'),
    cumQty: dec('10'),
    avgPrice: dec('400.5'),
    time: '20260302 10:01:00 US/Eastern',
  });
  const b = new Book().pushAll(
    [
      av('NetLiquidation', '500000'),
      ready(21),
      order(21, 1_000_001, 11, 'Submitted'), // ours
      order(42, 7, 12, 'Submitted'), // foreign, open
      order(77, 3, 13, 'Submitted'), // expected
      order(0, -5, 555, 'PreSubmitted', { action: 'BUY', totalQuantity: dec('1'), orderType: 'MKT' }), // manual
      order(43, 9, 14, 'Filled'), // foreign, done long ago (see below)
    ],
    T0 - 2_000_000,
  );
  b.pushAll([fill('x1', 42, 8, 15), fill('x2', 0, 0, 556)], T0 - 1_000);

  it('one alert per foreign client id and per manual order; ours, expected and old finished ones are left out', () => {
    const f = activityRules(ctx(b.state, { expectedClientIds: [77] }));
    expect(ids(f)).toEqual(['foreign.client:42 warning', 'manual.order:perm:555 warning', 'manual.order:perm:556 warning']);
    expect(f[0]!.title).toBe(
      'API client 42, neither this console (21) nor an expected one, is trading this account: a fill (last: bought 10 MSFT at 400.50, ' +
        'TWS time 20260302 10:01:00 US/Eastern) and an open order (SELL 300 AAPL LMT at 250.00 (Submitted))',
    );
    expect(f[1]!.title).toBe('An order was entered by hand in TWS: BUY 1 AAPL MKT (PreSubmitted)');
    expect(f[2]!.title).toMatch(/^An order was entered by hand in TWS: a fill \(last: bought 10 MSFT at 400\.50,/);
  });

  it('writes prices and quantities as the panes do: the contract tick, grouped thousands, the limit as sent', () => {
    const big = new Book().pushAll([av('NetLiquidation', '500000'), ready(21)], T0 - 2_000);
    big.pushAll(
      [
        order(42, 7, 12, 'Submitted', { totalQuantity: dec('2000'), limitPrice: dec('2888.5') }),
        {
          ...(fill('x9', 42, 8, 15) as Omit<FeedEventOf<'executionReceived'>, 'seq' | 'receivedAt'>),
          side: 'SLD',
          shares: dec('1500'),
          price: dec('2888.125'),
        },
      ],
      T0 - 1_000,
    );
    const [f] = activityRules(ctx(big.state));
    expect(f!.title).toContain('sold 1,500 MSFT at 2,888.125,');
    expect(f!.title).toContain('SELL 2,000 AAPL LMT at 2,888.50 (Submitted)');
  });

  it('expected client ids also come from the config; a fill older than holdMs is no longer listed', () => {
    const c = config({ 'foreign.client': { expectedClientIds: [42, 77] } });
    expect(ids(activityRules(ctx(b.state, { config: c })))).toEqual(['manual.order:perm:555 warning', 'manual.order:perm:556 warning']);
    const later = activityRules(ctx(b.state, { now: T0 + 900_000, expectedClientIds: [77] }));
    // The foreign order is still open (listed); the manual fill is older than 15 minutes.
    expect(ids(later)).toEqual(['foreign.client:42 warning', 'manual.order:perm:555 warning']);
  });
});

describe('connection.lost, stream.stale, tws.code', () => {
  it('a lost connection is critical in market hours and a warning outside; the first cause stays in the title', () => {
    const down = stateOf([
      av('NetLiquidation', '1'),
      { type: 'healthChanged', health: 'disconnected', reason: 'TWS did not answer the heartbeat within 5000 ms' },
    ]);
    const first = connectionRule(undefined, ctx(down, { marketOpen: true }));
    expect(ids(first.findings)).toEqual(['connection.lost critical']);
    expect(first.findings[0]!.title).toBe(
      'Connection to TWS lost 0s ago (disconnected: TWS did not answer the heartbeat within 5000 ms); nothing shown is current and the market is open',
    );
    const connecting = stateOf([av('NetLiquidation', '1'), { type: 'healthChanged', health: 'connecting', reason: 'opening the socket and handshake' }]);
    const next = connectionRule(first.memory, ctx(connecting, { now: T0 + 65_000, marketOpen: false }));
    expect(next.findings[0]!.severity).toBe('warning');
    expect(next.findings[0]!.title).toBe(
      'Connection to TWS lost 1m05s ago (TWS did not answer the heartbeat within 5000 ms; now connecting: opening the socket and handshake); nothing shown is current',
    );
    const back = connectionRule(next.memory, ctx(stateOf([ready()]), { now: T0 + 70_000 }));
    expect(back).toEqual({ memory: undefined, findings: [] });
  });

  it('the operator stopping the session is not a lost connection: no connection.lost, whatever the sentence says', () => {
    const stopped = stateOf([
      av('NetLiquidation', '1'),
      { type: 'healthChanged', health: 'disconnected', reason: 'connection lost (stopped)', cause: 'operatorStop' },
    ]);
    expect(connectionRule(undefined, ctx(stopped, { marketOpen: true }))).toEqual({ memory: undefined, findings: [] });
    // The same sentence with a cause that is a loss still alerts: the cause decides, not the words.
    const lost = stateOf([
      av('NetLiquidation', '1'),
      { type: 'healthChanged', health: 'disconnected', reason: 'connection lost (stopped)', cause: 'socketClosed' },
    ]);
    expect(ids(connectionRule(undefined, ctx(lost, { marketOpen: true })).findings)).toEqual(['connection.lost critical']);
    // A recording made before causes were typed has none; its stop carries the sentence the source always wrote for it,
    // which is read as the operator's stop (the end of every recording is not a lost connection).
    const old = stateOf([av('NetLiquidation', '1'), { type: 'healthChanged', health: 'disconnected', reason: 'stopped by the operator' }]);
    expect(connectionRule(undefined, ctx(old, { marketOpen: true }))).toEqual({ memory: undefined, findings: [] });
    // Any other sentence without a cause is a loss, as before.
    const oldLoss = stateOf([av('NetLiquidation', '1'), { type: 'healthChanged', health: 'disconnected', reason: 'the connection to TWS closed' }]);
    expect(ids(connectionRule(undefined, ctx(oldLoss, { marketOpen: true })).findings)).toEqual(['connection.lost critical']);
  });

  it('connection.unstable: three drops in ten minutes, each back within seconds (no connection.lost), is a warning; it clears as they age out', () => {
    // Evaluated as the console and the guard do, at each health change: up, down, up again.
    const up = stateOf([ready(), av('NetLiquidation', '1')]);
    const down = stateOf([
      av('NetLiquidation', '1'),
      { type: 'healthChanged', health: 'disconnected', reason: 'the connection to TWS closed', cause: 'socketClosed' },
    ]);
    const look = (m: UnstableMemory | undefined, s: PortfolioState, now: number, c = DEFAULT_ALERT_CONFIG) => unstableRule(m, ctx(s, { now, config: c }));
    let m: UnstableMemory | undefined;
    for (const t of [T0 + 10_000, T0 + 70_000]) {
      m = look(m, up, t - 1_000).memory;
      m = look(m, down, t).memory;
    }
    const two = look(m, up, T0 + 71_000);
    expect(two.findings).toEqual([]);
    m = look(two.memory, down, T0 + 130_000).memory;
    // Back within a second: connection.lost (3 s debounce) would never be raised for any of the three.
    const back = look(m, up, T0 + 131_000);
    expect(ids(back.findings)).toEqual(['connection.unstable warning']);
    expect(look(back.memory, up, T0 + 135_000).findings[0]!.title).toBe(
      'Connection to TWS dropped 3 times in the last 10 min (last 5s ago): data is downloaded again after each, so figures may have gaps; check the network and TWS',
    );
    // The first drop leaves the ten-minute window at +10 s + 10 min: two are left, below three.
    expect(ids(look(back.memory, up, T0 + 10_000 + 600_000 - 1).findings)).toEqual(['connection.unstable warning']);
    expect(look(back.memory, up, T0 + 10_000 + 600_000).findings).toEqual([]);
    // Configurable: two drops in two minutes (those at +70 s and +130 s).
    const tight = config({ 'connection.unstable': { drops: 2, windowMs: 120_000 } });
    expect(ids(look(back.memory, up, T0 + 135_000, tight).findings)).toEqual(['connection.unstable warning']);
  });

  it('connection.unstable through the engine: three quick drops raise it, with connection.lost never raised', () => {
    const up = stateOf([ready(), av('NetLiquidation', '1')]);
    const down = stateOf([av('NetLiquidation', '1'), { type: 'healthChanged', health: 'disconnected', reason: 'closed', cause: 'socketClosed' }]);
    let e = evaluateAlerts(INITIAL_ALERT_STATE, { state: up, config: DEFAULT_ALERT_CONFIG, now: T0 });
    for (const t of [T0 + 10_000, T0 + 20_000, T0 + 30_000]) {
      e = evaluateAlerts(e.state, { state: down, config: DEFAULT_ALERT_CONFIG, now: t });
      e = evaluateAlerts(e.state, { state: up, config: DEFAULT_ALERT_CONFIG, now: t + 1_000 });
    }
    expect(Object.keys(e.state.alerts)).toEqual(['connection.unstable']);
  });

  it('connection.unstable counts losses of a usable connection only: failed reconnects, or the operator stopping, are not drops', () => {
    const up = stateOf([ready(), av('NetLiquidation', '1')]);
    const refused = stateOf([av('NetLiquidation', '1'), { type: 'healthChanged', health: 'disconnected', reason: 'refused', cause: 'cannotConnect' }]);
    const connecting = stateOf([av('NetLiquidation', '1'), { type: 'healthChanged', health: 'connecting', reason: 'opening the socket and handshake' }]);
    const stopped = stateOf([
      av('NetLiquidation', '1'),
      { type: 'healthChanged', health: 'disconnected', reason: 'connection lost (stopped)', cause: 'operatorStop' },
    ]);
    const c = config({ 'connection.unstable': { drops: 2 } });
    let m = unstableRule(undefined, ctx(up, { now: T0, config: c })).memory;
    // One loss, then a connect that keeps failing: one drop (connection.lost says the rest), not one per attempt.
    for (let i = 1; i <= 6; i++) m = unstableRule(m, ctx(i % 2 ? refused : connecting, { now: T0 + i * 1_000, config: c })).memory;
    m = unstableRule(m, ctx(up, { now: T0 + 8_000, config: c })).memory;
    expect(m?.drops).toEqual([T0 + 1_000]);
    const end = unstableRule(m, ctx(stopped, { now: T0 + 9_000, config: c }));
    expect(end.memory?.drops).toEqual([T0 + 1_000]);
    expect(end.findings).toEqual([]);
  });

  it('a stream older than its limit is stale while connected; quotes only in market hours; not just after a reconnect', () => {
    const b = new Book().pushAll([ready(), av('NetLiquidation', '1')], T0);
    b.push({ type: 'priceTicked', conId: 1, field: 'last', price: dec('10'), delayed: false }, T0 + 1_000);
    const at = T0 + 1_000 + 61_000;
    const f = staleRule(ctx(b.state, { now: at }));
    expect(ids(f)).toEqual(['stream.stale:marketData warning']);
    expect(f[0]!.title).toBe('Market data stale: last update 1m01s ago (limit 1m00s)');
    expect(staleRule(ctx(b.state, { now: at, marketOpen: false }))).toEqual([]);
    expect(staleRule(ctx(b.state, { now: T0 + 30_000 }))).toEqual([]);
    // Account values are always expected: never arrived 7 minutes after connecting.
    const noValues = new Book().push(ready(), T0).state;
    expect(staleRule(ctx(noValues, { now: T0 + 401_000 })).map((x) => x.title)).toEqual(['Account values never arrived: connected 6m41s ago (limit 6m40s)']);
  });

  it('an age in a title follows the time it is shown at (a replay lists the title its raise recorded), prefix kept', () => {
    const down = stateOf([av('NetLiquidation', '1'), { type: 'healthChanged', health: 'disconnected', reason: 'the connection to TWS closed' }]);
    const lost = connectionRule({ since: T0 - 3_000 }, ctx(down, { marketOpen: true })).findings[0]!;
    // As recorded at the raise (lastSeenAt T0), then shown 62 s later by the player's clock.
    const raised = { ...lost, lastSeenAt: T0 };
    expect(raised.title).toMatch(/^Connection to TWS lost 3s ago /);
    expect(alertTitleAt(raised, T0)).toBe(raised.title);
    expect(alertTitleAt(raised, T0 + 62_000)).toBe(raised.title.replace('lost 3s ago', 'lost 1m05s ago'));
    // A multi-account console's title names the account first: kept.
    expect(alertTitleAt({ ...raised, title: `DU7654321: ${raised.title}` }, T0 + 7_000)).toBe(`DU7654321: ${raised.title.replace('3s', '10s')}`);
    // No data yet: no age in it; and a title in other words (an older version's) as recorded.
    const never = connectionRule(undefined, ctx(stateOf([{ type: 'healthChanged', health: 'connecting', reason: 'opening' }]), { marketOpen: true }))
      .findings[0]!;
    expect(alertTitleAt({ ...never, lastSeenAt: T0 }, T0 + 9_000)).toBe(never.title);
    expect(alertTitleAt({ ...raised, title: 'Connection lost 3s ago' }, T0 + 9_000)).toBe('Connection lost 3s ago');
    // stream.stale counts from the last update (or the connection), as recorded in ageMs at lastSeenAt.
    const b = new Book().pushAll([ready(), av('NetLiquidation', '1')], T0);
    b.push({ type: 'priceTicked', conId: 1, field: 'last', price: dec('10'), delayed: false }, T0 + 1_000);
    const stale = staleRule(ctx(b.state, { now: T0 + 62_000 }))[0]!;
    expect(alertTitleAt({ ...stale, lastSeenAt: T0 + 62_000 }, T0 + 121_000)).toBe('Market data stale: last update 2m00s ago (limit 1m00s)');
    const noValues = staleRule(ctx(new Book().push(ready(), T0).state, { now: T0 + 401_000 }))[0]!;
    expect(alertTitleAt({ ...noValues, lastSeenAt: T0 + 401_000 }, T0 + 461_000)).toBe('Account values never arrived: connected 7m41s ago (limit 6m40s)');
  });

  it('1100 lasts until 1101/1102 (or health ready); 10197 is an event listed for holdMs; 326 is critical in market hours', () => {
    const msg = (code: number, message = 'x'): FeedEventBody => ({ type: 'brokerMessage', id: -1, code, message, class: 'connection' });
    const lost = new Book().pushAll(
      [{ type: 'healthChanged', health: 'degraded', reason: '1100' }, msg(1100, 'Connectivity between IB and Trader Workstation has been lost.')],
      T0,
    ).state;
    const f = twsCodeRule(ctx(lost));
    expect(ids(f)).toEqual(['tws.code:1100 critical']);
    expect(f[0]!.title).toBe("TWS lost its connection to IB's servers (1100): data is not updating and orders wait");
    expect(twsCodeRule(ctx(lost, { marketOpen: false }))[0]!.severity).toBe('warning');
    // Scrolled out of the bounded message history: health's cause still says 1100, in any words.
    const scrolled = new Book().push({ type: 'healthChanged', health: 'degraded', reason: 'TWS cannot reach IB', cause: 'connectivityLost' }, T0).state;
    expect(ids(twsCodeRule(ctx(scrolled)))).toEqual(['tws.code:1100 critical']);
    const farm = new Book().push({ type: 'healthChanged', health: 'degraded', reason: 'farm down (1100 is not it)', cause: null }, T0).state;
    expect(twsCodeRule(ctx(farm))).toEqual([]);
    // An old recording's sentence is read as it was.
    const oldRecording = new Book().push(
      { type: 'healthChanged', health: 'degraded', reason: 'TWS lost its connection to IB (1100): data is not updating' },
      T0,
    ).state;
    expect(ids(twsCodeRule(ctx(oldRecording)))).toEqual(['tws.code:1100 critical']);
    const restored = new Book().pushAll([msg(1100), msg(1102)], T0).state;
    expect(twsCodeRule(ctx(restored))).toEqual([]);
    const events = new Book().pushAll([msg(10197), msg(326), msg(2104)], T0).state;
    expect(ids(twsCodeRule(ctx(events, { now: T0 + 1_000 })))).toEqual(['tws.code:326 critical', 'tws.code:10197 warning']);
    expect(twsCodeRule(ctx(events, { now: T0 + 300_001 }))).toEqual([]);
  });

  it('a history read before answers again for the message that arrives next and for other codes', () => {
    const msg = (code: number): FeedEventBody => ({ type: 'brokerMessage', id: -1, code, message: 'x', class: 'connection' });
    const book = new Book().pushAll([msg(2104), msg(10197)], T0);
    const before = book.state;
    expect(ids(twsCodeRule(ctx(before, { now: T0 + 1_000 })))).toEqual(['tws.code:10197 warning']);
    book.push(msg(321), T0 + 2_000);
    expect(ids(twsCodeRule(ctx(book.state, { now: T0 + 3_000 })))).toEqual(['tws.code:321 warning', 'tws.code:10197 warning']);
    // The same history, with the codes of another config: 2104 watched too.
    const watching = config({ 'tws.code': { codes: { '2104': 'info' } } });
    expect(ids(twsCodeRule(ctx(before, { now: T0 + 1_000, config: watching })))).toEqual(['tws.code:2104 info', 'tws.code:10197 warning']);
    expect(ids(twsCodeRule(ctx(before, { now: T0 + 1_000 })))).toEqual(['tws.code:10197 warning']);
  });
});

describe('exposure.ccy and concentration.und', () => {
  // NLV 100,000 USD. EUR: 50,000 × 1.10 = 55,000 (55%); CHF: −20,000 × 1.13 = −22,600 (22.6%).
  // Gross (futures left out): AAPL 20,000 + AAPL option 1,000 = 21,000; MSFT 3,000; SAP 10,000 EUR = 11,000 → 35,000.
  const s = stateOf([
    av('NetLiquidation', '100000'),
    av('ExchangeRate', '1.10', 'EUR'),
    av('ExchangeRate', '1.13', 'CHF'),
    av('NetLiquidationByCurrency', '50000', 'EUR'),
    av('NetLiquidationByCurrency', '-20000', 'CHF'),
    av('CashBalance', '-20000', 'CHF'),
    portfolio(ACC, AAPL, '100', '200'),
    portfolio(ACC, option(700001, 'AAPL', '20261218', '200', 'C'), '2', '5'),
    portfolio(ACC, MSFT, '10', '300'),
    portfolio(ACC, SAP, '100', '100'),
    portfolio(ACC, { conId: 637533641, symbol: 'ES', secType: 'FUT', currency: 'USD', multiplier: dec('50') }, '2', '6000'),
  ]);

  it('EUR at 55% of NetLiquidation is above the 40% limit; CHF at 22.6% is not, unless its own limit is 20%', () => {
    const f = exposureRules(ctx(s)).filter((x) => x.rule === 'exposure.ccy');
    expect(ids(f)).toEqual(['exposure.ccy:EUR warning']);
    expect(f[0]!.title).toBe('EUR exposure is 55,000 USD (long), 55.0% of NetLiquidation 100,000 USD: above the 40% limit');
    const c = config({ 'exposure.ccy': { perCurrency: { CHF: { warning: 0.2 } } } });
    const g = exposureRules(ctx(s, { config: c })).filter((x) => x.rule === 'exposure.ccy');
    expect(g.map((x) => x.title)).toContain('CHF exposure is -22,600 USD (short), 22.6% of NetLiquidation 100,000 USD: above the 20% limit');
  });

  it('the engine judges each change of what the rules read: a rate, a mark, the account rows, the config', () => {
    // The engine answers these rules again only when what they read is another object (engine.ts unlessSame): every
    // step changes one of those alone, and the findings follow it as the rules called directly say.
    const exposureIds = (st: PortfolioState, o: Partial<RuleContext> = {}) => {
      const got = ids(runRules({}, ctx(st, o)).findings.filter((f) => f.rule === 'exposure.ccy' || f.rule === 'concentration.und'));
      expect(got).toEqual(ids(exposureRules(ctx(st, o))));
      return got;
    };
    const b = new Book().pushAll([
      av('NetLiquidation', '100000'),
      av('ExchangeRate', '1.10', 'EUR'),
      av('NetLiquidationByCurrency', '50000', 'EUR'),
      portfolio(ACC, AAPL, '100', '200'),
      portfolio(ACC, MSFT, '10', '300'),
      portfolio(ACC, SAP, '100', '100'),
    ]);
    // EUR 55,000 of 100,000; gross AAPL 20,000, MSFT 3,000, SAP 11,000 (AAPL 58.8%).
    expect(exposureIds(b.state)).toEqual(['exposure.ccy:EUR warning', 'concentration.und:AAPL warning']);
    expect(exposureIds(b.state, { now: T0 + 250 })).toEqual(['exposure.ccy:EUR warning', 'concentration.und:AAPL warning']);
    // The franc's rate alone: EUR 35,000 (35%); SAP 7,000, AAPL 66.7%.
    b.push(av('ExchangeRate', '0.70', 'EUR'));
    expect(exposureIds(b.state)).toEqual(['concentration.und:AAPL warning']);
    // A mark alone: MSFT 100 × 300 = 30,000 of 57,000.
    b.push(portfolio(ACC, MSFT, '100', '300'));
    expect(exposureIds(b.state)).toEqual(['concentration.und:MSFT warning']);
    // An account row alone: NetLiquidationByCurrency EUR 90,000 × 0.70 = 63,000.
    b.push(av('NetLiquidationByCurrency', '90000', 'EUR'));
    expect(exposureIds(b.state)).toEqual(['exposure.ccy:EUR warning', 'concentration.und:MSFT warning']);
    // The config alone.
    expect(exposureIds(b.state, { config: config({ 'concentration.und': { enabled: false } }) })).toEqual(['exposure.ccy:EUR warning']);
    // The account rules read the account rows: the Cushion alone.
    const cushion = () => ids(runRules({}, ctx(b.state)).findings.filter((f) => f.rule === 'cushion.band'));
    expect(cushion()).toEqual([]);
    b.push(av('Cushion', '0.04', ''));
    expect(cushion()).toEqual(['cushion.band critical']);
  });

  it('AAPL with its option is 60% of gross position value (21,000 of 35,000); futures are left out', () => {
    const f = exposureRules(ctx(s)).filter((x) => x.rule === 'concentration.und');
    expect(ids(f)).toEqual(['concentration.und:AAPL warning']);
    expect(f[0]!.title).toBe('AAPL is 60.0% of gross position value (21,000 USD of 35,000 USD): above the 40% limit');
    expect(f[0]!.reduction).toEqual({ kind: 'concentration', underlying: 'AAPL', max: 0.4 });
  });
});

describe('unlessSame (the rules answered again only when what they read changed)', () => {
  it('runs the rule once while every object it reads is the same, and again when one of them is another object', () => {
    const state = stateOf([ready(), av('NetLiquidation', '100000')]);
    let runs = 0;
    const rule = unlessSame(
      () => {
        runs++;
        return [];
      },
      (c) => [c.config, c.state.accountValues],
    );
    const first = rule(undefined, ctx(state));
    expect(rule(first.memory, ctx(state, { now: T0 + 60_000 })).findings).toBe(first.findings);
    expect(runs).toBe(1);
    const other = rule(first.memory, ctx(stateOf([ready(), av('NetLiquidation', '100000')])));
    expect(runs).toBe(2);
    rule(other.memory, ctx(state, { config: { ...DEFAULT_ALERT_CONFIG } }));
    expect(runs).toBe(3);
  });

  it('two sessions taking turns (two accounts in one process) each keep their own answer', () => {
    const a = stateOf([ready(), av('NetLiquidation', '100000')]);
    const b = stateOf([ready(), acct('DU7654321', 'NetLiquidation', '50000', 'USD')]);
    const runs: string[] = [];
    const rule = unlessSame(
      (c) => {
        const who = c.state === a ? 'A' : 'B';
        runs.push(who);
        return [{ id: `account:${who}`, rule: 'margin.warning', severity: 'info', title: who, detail: {} }];
      },
      (c) => [c.config, c.state.accountValues],
    );
    let memA = rule(undefined, ctx(a)).memory;
    let memB = rule(undefined, ctx(b)).memory;
    for (let i = 1; i <= 3; i++) {
      const ra = rule(memA, ctx(a, { now: T0 + i * 250 }));
      const rb = rule(memB, ctx(b, { now: T0 + i * 250 }));
      expect(ids(ra.findings)).toEqual(['account:A info']);
      expect(ids(rb.findings)).toEqual(['account:B info']);
      memA = ra.memory;
      memB = rb.memory;
    }
    expect(runs).toEqual(['A', 'B']);
  });

  it("two engines taking turns each keep their rules' answers in their own state", () => {
    const a = stateOf([ready(), av('NetLiquidation', '100000'), av('ExcessLiquidity', '5000'), av('Cushion', '0.05', '')]);
    const b = stateOf([ready(), av('NetLiquidation', '100000'), av('ExcessLiquidity', '4000'), av('Cushion', '0.04', '')]);
    const cushion = (e: Evaluation) => ids(e.findings.filter((f) => f.rule === 'cushion.band'));
    let ea = evaluateAlerts(INITIAL_ALERT_STATE, { state: a, config: DEFAULT_ALERT_CONFIG, now: T0 });
    let eb = evaluateAlerts(INITIAL_ALERT_STATE, { state: b, config: DEFAULT_ALERT_CONFIG, now: T0 });
    for (let i = 1; i <= 3; i++) {
      const na = evaluateAlerts(ea.state, { state: a, config: DEFAULT_ALERT_CONFIG, now: T0 + i * 250 });
      const nb = evaluateAlerts(eb.state, { state: b, config: DEFAULT_ALERT_CONFIG, now: T0 + i * 250 });
      expect(cushion(na)).toEqual(['cushion.band warning']);
      expect(cushion(nb)).toEqual(['cushion.band critical']);
      // The account rules were not run again: each engine handed back its own last answer.
      expect(na.state.memory.answers?.['account']).toBe(ea.state.memory.answers?.['account']);
      expect(nb.state.memory.answers?.['account']).toBe(eb.state.memory.answers?.['account']);
      ea = na;
      eb = nb;
    }
    expect(ea.state.memory.answers?.['account']).not.toBe(eb.state.memory.answers?.['account']);
  });
});
