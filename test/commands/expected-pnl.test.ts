// The dialog's line builders on a fixed book: expected realized P&L, what gets worse after the flatten, fill prices.
import { describe, expect, it } from 'vitest';
import { afterFlatten, afterLines, worseAfter } from '../../src/commands/after-flatten.js';
import { fillText, outcomeLine, planMarks } from '../../src/commands/console-trading.js';
import { expectedRealized, realizedLines, signedMoney } from '../../src/commands/expected-pnl.js';
import type { FeedEventBody } from '../../src/model/events.js';
import { dec } from '../../src/model/money.js';
import { planFlatten, staleMarkDenial } from '../../src/trading/plan.js';
import { formatDenial, type FlattenPlan } from '../../src/trading/types.js';
import { WORSE_MARK } from '../../src/views/trading-actions.js';
import { reduce, reduceAll } from '../../src/model/reducer.js';
import { AAPL, ACCOUNT, accountEvents, bookState, positionEvents, SAP, T0 } from '../support/book.js';
import { acct, EventLog, portfolio } from '../support/events.js';

/** The book with its positions stream too (planFlatten reads POSITION rows; their average cost carries the multiplier). */
function book(extra: FeedEventBody[] = []) {
  return bookState({
    extra: [
      { type: 'positionUpdated', account: ACCOUNT, contract: AAPL, position: dec(500), averageCost: dec(190) },
      { type: 'positionUpdated', account: ACCOUNT, contract: SAP, position: dec(300), averageCost: dec(200) },
      ...extra,
    ],
  });
}

const opts = {
  clientId: 7,
  orderType: 'LMT' as const,
  collar: 0.02,
  priceGrids: new Map([
    [AAPL.conId, 0.01],
    [SAP.conId, 0.01],
  ]),
  now: T0,
};

function plan(conId: number, state = book()): FlattenPlan {
  const p = planFlatten(state, { kind: 'conid', conId }, opts);
  if ('code' in p) throw new Error(formatDenial(p));
  return p;
}

describe('expected realized P&L', () => {
  it('is the average cost against the mark and the limit, per leg and in base, in Decimal', () => {
    const state = book();
    // AAPL 500 bought at 190, marked 228.50; the limit is the mark less 2% on the tick: 223.93.
    const p = plan(AAPL.conId, state);
    expect(p.legs[0]!.limitPrice!.toString()).toBe('223.93');
    const x = expectedRealized(state, p);
    expect(x.legs[0]!.atMark!.toString()).toBe('19250');
    expect(x.legs[0]!.atLimit!.toString()).toBe('16965');
    expect(x.totalBase!.toString()).toBe('16965');
    expect(realizedLines(x, 'USD')).toEqual([
      'realized AAPL: +19,250.00 USD at the mark, +16,965.00 USD at the limit',
      'Expected realized P&L +16,965.00 USD at the planned limits (if filled, before commissions)',
    ]);
    // The trading dialog starts a new line at each '; ' (view-model tradeDialog): a line here must read whole.
    for (const l of realizedLines(x, 'USD')) expect(l).not.toContain('; ');
  });

  it('converts a leg in another currency to base, and says so on the line', () => {
    const state = book();
    // SAP 300 bought at 200 EUR, marked 234; limit 229.32; EUR at 1.10 USD.
    const x = expectedRealized(state, plan(SAP.conId, state));
    expect(x.legs[0]!.atLimit!.toString()).toBe('8796');
    expect(x.totalBase!.toString()).toBe('9675.6');
    expect(realizedLines(x, 'USD')[0]).toBe('realized SAP: +10,200.00 EUR at the mark, +8,796.00 EUR at the limit (+9,675.60 USD)');
  });

  it('a short closed above its cost loses, and money keeps its sign and grouping', () => {
    expect(signedMoney(dec('-1234567.891'))).toBe('-1,234,567.89');
    expect(signedMoney(dec('-0.001'))).toBe('+0.00');
    const state = book();
    const p = plan(AAPL.conId, state);
    const short: FlattenPlan = { ...p, legs: [{ ...p.legs[0]!, position: dec(-500), action: 'BUY', limitPrice: dec('233.07') }] };
    expect(expectedRealized(state, short).legs[0]!.atLimit!.toString()).toBe('-21535');
  });

  it('says when TWS gave no average cost rather than guess', () => {
    const state = book();
    const p = plan(AAPL.conId, state);
    const row = state.portfolio.get(AAPL.conId)!;
    const noCost = {
      ...state,
      positions: state.positions.set(AAPL.conId, { ...state.positions.get(AAPL.conId)!, averageCost: undefined }),
      portfolio: state.portfolio.set(AAPL.conId, { ...row, averageCost: undefined, unrealizedPnl: undefined }),
    } as typeof state;
    const x = expectedRealized(noCost, p);
    expect(x.totalBase).toBeUndefined();
    expect(realizedLines(x, 'USD')).toEqual(['realized AAPL: unknown (TWS gave no average cost)', 'Expected realized P&L: not known for every leg']);
  });
});

describe("a bond's expected realized P&L", () => {
  // 50,000 face of a Treasury bought at 98.40 (percent of par), marked 97.8458; TWS's price is per 100, multiplier 0.01.
  const UST = { conId: 563840112, symbol: 'US-T', secType: 'BOND', currency: 'USD', multiplier: dec('0.01') };
  const bondPlan = (state: ReturnType<typeof bookState>) => {
    const p = planFlatten(state, { kind: 'conid', conId: UST.conId }, { ...opts, priceGrids: new Map([[UST.conId, 0.0001]]) });
    if ('code' in p) throw new Error(formatDenial(p));
    return p;
  };
  // Worked by hand: (97.8458 − 98.40) / 100 × 50,000 = −277.10 at the mark.
  it("is TWS's own basis (market value less unrealized P&L), never a percent price taken as the unit cost", () => {
    const state = bookState({
      extra: [
        {
          type: 'portfolioUpdated',
          account: ACCOUNT,
          contract: UST,
          position: dec(50_000),
          marketPrice: dec('97.8458'),
          marketValue: dec('48922.90'),
          averageCost: dec('98.40'),
          unrealizedPnl: dec('-277.10'),
          realizedPnl: dec(0),
        },
        { type: 'positionUpdated', account: ACCOUNT, contract: UST, position: dec(50_000), averageCost: dec('98.40') },
      ],
    });
    const x = expectedRealized(state, bondPlan(state));
    expect(x.legs[0]!.atMark!.toString()).toBe('-277.1');
  });
  it('without the portfolio figures, the average cost is a price for a bond (times the multiplier), as for a stock', () => {
    const state = bookState({
      extra: [{ type: 'positionUpdated', account: ACCOUNT, contract: UST, position: dec(50_000), averageCost: dec('98.40') }],
    });
    const withMark = {
      ...state,
      portfolio: state.portfolio.set(UST.conId, {
        account: ACCOUNT,
        contract: UST,
        position: dec(50_000),
        marketPrice: dec('97.8458'),
        updatedAt: T0,
      }),
    } as typeof state;
    const x = expectedRealized(withMark, bondPlan(withMark));
    expect(x.legs[0]!.atMark!.toString()).toBe('-277.1');
  });
});

describe('marks and their freshness', () => {
  it('each leg keeps its mark and when it arrived; older than its limit refuses with MARK_STALE', () => {
    const state = book();
    const p = plan(AAPL.conId, state);
    const at = state.portfolio.get(AAPL.conId)!.updatedAt;
    expect(planMarks(p)).toEqual([{ conId: AAPL.conId, label: 'AAPL', price: '228.5', at, limitMs: 200_000 }]);
    expect(staleMarkDenial(p, at + 200_000)).toBeUndefined();
    const d = staleMarkDenial(p, at + 200_001);
    expect(d).toEqual({ code: 'MARK_STALE', conId: AAPL.conId, label: 'AAPL', ageMs: 200_001, limitMs: 200_000 });
    expect(formatDenial(d!)).toMatch(/^Refused: the mark of AAPL is 200 s old, older than 200 s; .*\(MARK_STALE conId=265598\)$/);
  });
});

describe('after the flatten: what gets worse', () => {
  it('selling a long stock flags neither the margin nor a down move as worse; any line it flags carries the WORSE word', () => {
    const state = book();
    const x = afterFlatten(state, plan(AAPL.conId, state), T0);
    expect(x).toBeDefined();
    // Selling a long stock lowers every down-move loss: no scenario loses more, the margin falls.
    expect(x!.worse.filter((l) => /maint margin|down/.test(l))).toEqual([]);
    for (const l of x!.worse) expect(l.startsWith(WORSE_MARK)).toBe(true);
  });

  it('a dialog lists four scenarios that lose more and counts the rest, which the picture (its audit entry) holds whole', () => {
    const state = book();
    const x = afterFlatten(state, plan(AAPL.conId, state), T0)!;
    const scenarios = Array.from({ length: 6 }, (_, i) => `${WORSE_MARK}scenario S${i} loses more -${i} -> -${i + 10} USD`);
    const many = { ...x, worse: [`${WORSE_MARK}cushion falls 50.0% -> 40.0%`, ...scenarios] };
    const dialog = afterLines(many, 'USD');
    expect(dialog.slice(-6)).toEqual([
      `${WORSE_MARK}cushion falls 50.0% -> 40.0%`,
      ...scenarios.slice(0, 4),
      `${WORSE_MARK}2 more scenario(s) lose more (in the audit log)`,
    ]);
    const all = afterLines(many, 'USD', { allScenarios: true });
    expect(all.slice(-7)).toEqual(many.worse);
    expect(all.join('\n')).not.toContain('audit log');
  });

  it("labels TWS's figure and ours, and on a cash FX pair says our estimate cannot see it rather than repeat 'now'", () => {
    const eurusd = { conId: 12087792, symbol: 'EUR', secType: 'CASH', currency: 'USD', localSymbol: 'EUR.USD', exchange: 'IDEALPRO' };
    // The EUR balance holds the pair's euros (risk-model.md §0.9): 100,000 EUR.USD on top of the book's -20,000 EUR.
    const state = book([
      acct(ACCOUNT, 'CashBalance', '80000', 'EUR'),
      portfolio(ACCOUNT, eurusd, '100000', '1.10'),
      { type: 'positionUpdated', account: ACCOUNT, contract: eurusd, position: dec(100000), averageCost: dec('1.07') },
    ]);
    const p = planFlatten(state, { kind: 'conid', conId: eurusd.conId }, { ...opts, priceGrids: new Map([[eurusd.conId, 0.00005]]) });
    if ('code' in p) throw new Error(formatDenial(p));
    const x = afterFlatten(state, p, T0)!;
    expect(x.requirement).toBe('reported');
    // The book's MaintMarginReq is 100,000: "now" is TWS's figure and says so.
    const lines = afterLines(x, 'USD');
    expect(lines[0]).toMatch(/^now: {3}maint 100,000 USD \(TWS's account update, \d+ s old\), /);
    expect(lines[1]).toMatch(/^after: maint [\d,]+ USD \(TWS's now [+-][\d,]+, moved as our estimate [\d,]+ -> [\d,]+\), /);
    // EUR stays positive (80,000 - 100,000 + the SAP position's 70,200 EUR), so our FX margin does not move: said, with why.
    expect(x.estimateChange).toBe('0.00');
    expect(lines).toContainEqual(
      expect.stringMatching(/^our estimate cannot see closing EUR\.USD: our FX margin charges a currency only while its net value is negative/),
    );

    // Where the sale takes the EUR balance below zero (20,000 EUR of cash, 70,200 of SAP, 100,000 sold), our FX
    // margin charges the short euros: "after" moves by that, and there is no note.
    const short = book([
      acct(ACCOUNT, 'CashBalance', '20000', 'EUR'),
      portfolio(ACCOUNT, eurusd, '100000', '1.10'),
      { type: 'positionUpdated', account: ACCOUNT, contract: eurusd, position: dec(100000), averageCost: dec('1.07') },
    ]);
    const y = afterFlatten(short, p, T0)!;
    expect(dec(y.estimateChange).greaterThan(0)).toBe(true);
    expect(dec(y.after.maintMargin).greaterThan(dec(y.before.maintMargin))).toBe(true);
    expect(y.notes).toEqual([]);
  });

  it("adds up: TWS's figure now plus the change shown is the figure after, where our estimate's own change differs", () => {
    const state = book();
    const p = planFlatten(state, { kind: 'all' }, opts);
    if ('code' in p) throw new Error(formatDenial(p));
    // The account update's newest row, not the stream's last event (ACCT_UPDATE_TIME comes with every batch of marks).
    const pushed = Math.max(...[...state.accountValues.values()].map((r) => r.updatedAt));
    const later = reduce(state, { type: 'accountTimeUpdated', time: '14:31', seq: state.lastSeq + 1, receivedAt: pushed + 10_000 });
    const x = afterFlatten(later, p, pushed + 12_000)!;
    expect(x.requirement).toBe('reported');
    const [now, after] = afterLines(x, 'USD');
    const n = (s: string) => Number(s.replace(/,/g, ''));
    const m = /^after: maint ([\d,]+) USD \(TWS's now ([+-][\d,]+), moved as our estimate ([\d,]+) -> ([\d,]+)\), /.exec(after!);
    expect(m, after).not.toBeNull();
    const shownNow = n(/^now: {3}maint ([\d,]+) USD /.exec(now!)![1]!);
    expect(shownNow + n(m![2]!)).toBe(n(m![1]!));
    // TWS's 100,000 is not our estimate: scaled, its change is not ours (the line showed ours before, and did not add up).
    expect(n(m![3]!)).not.toBe(shownNow);
    expect(n(m![2]!)).not.toBe(Math.round(Number(x.estimateChange)));
    expect(n(m![4]!) - n(m![3]!)).toBe(Math.round(Number(x.estimateAfter)) - Math.round(Number(x.estimateBefore)));
    // The figure is TWS's last account update, whose age is said (the what-if's figure is priced when asked).
    expect(now).toMatch(/\(TWS's account update, 12 s old\)/);
  });

  it('says whose figure it is when TWS sent no requirement, and the worst loss before its scenario name', () => {
    // The book without TWS's requirement rows.
    const log = new EventLog(T0);
    log.pushAll([
      { type: 'healthChanged', health: 'ready', reason: 'heartbeat answered', host: '127.0.0.1', port: 7497, clientId: 4217 },
      ...accountEvents().filter((e) => !(e.type === 'accountValueUpdated' && /MarginReq/.test(e.key))),
      { type: 'accountDownloadEnded', account: ACCOUNT },
      ...positionEvents(),
      { type: 'positionsEnded' },
      { type: 'openOrdersEnded' },
      { type: 'positionUpdated', account: ACCOUNT, contract: AAPL, position: dec(500), averageCost: dec(190) },
    ]);
    const state = reduceAll(log.events);
    const x = afterFlatten(state, plan(AAPL.conId, state), T0)!;
    expect(x.requirement).toBe('estimate');
    const [now, after] = afterLines(x, 'USD');
    // No "; " inside the figure's label: the dialog starts a row at each one.
    expect(now).toMatch(/^now: {3}maint [\d,]+ USD \(our estimate, TWS sent none\), excess [\d,-]+, cushion [\d.n/a%-]+; worst -[\d,]+ in \S/);
    expect(after).toMatch(/^after: maint [\d,]+ USD \(our estimate, [+-][\d,]+\), /);
  });

  it('compares report against report, figure by figure', () => {
    const scen = (id: string, family: string, total: string, maint = '100', excess = '1000', cushion = '0.5') => ({
      id,
      label: id,
      family,
      pnl: { total: dec(total) },
      maintMargin: dec(maint),
      excessLiquidity: dec(excess),
      cushion: dec(cushion),
    });
    const before = { scenarios: [scen('base', 'base', '0'), scen('EUR -10%', 'fx', '-500'), scen('SPX -20%', 'equity', '-9000')] };
    const after = { scenarios: [scen('base', 'base', '0', '150', '900', '0.4'), scen('EUR -10%', 'fx', '-2500'), scen('SPX -20%', 'equity', '-100')] };
    type R = Parameters<typeof worseAfter>[0];
    expect(worseAfter(before as unknown as R, after as unknown as R, 'USD')).toEqual([
      `${WORSE_MARK}maint margin (est.) grows 100 -> 150 USD`,
      `${WORSE_MARK}excess liquidity falls 1,000 -> 900 USD`,
      `${WORSE_MARK}cushion falls 50.0% -> 40.0%`,
      `${WORSE_MARK}scenario EUR -10% loses more -500 -> -2,500 USD`,
    ]);
    expect(worseAfter(before as unknown as R, before as unknown as R, 'USD')).toEqual([]);
  });
});

describe('the result shows fill prices', () => {
  it("the order's average fill and each execution, from the state", () => {
    const state = book([
      {
        type: 'orderStatusUpdated',
        orderId: 12,
        clientId: 7,
        permId: 5012,
        status: 'Filled',
        filled: dec(500),
        remaining: dec(0),
        avgFillPrice: dec('228.41'),
        lastFillPrice: dec('228.40'),
      },
      ...['228.42', '228.40'].map((price, i) => ({
        type: 'executionReceived' as const,
        reqId: -1,
        execId: `0001.0${i}`,
        orderId: 12,
        clientId: 7,
        permId: 5012,
        account: ACCOUNT,
        contract: AAPL,
        side: 'SLD' as const,
        shares: dec(250),
        price: dec(price),
        cumQty: dec(250 * (i + 1)),
        avgPrice: dec('228.41'),
        time: '20261123 09:30:00',
      })),
    ]);
    const fills = fillText(state, 7, 12);
    expect(fills).toBe(' avg 228.41 fills 250 @ 228.42, 250 @ 228.40');
    expect(outcomeLine({ conId: AAPL.conId, label: 'SELL 500 AAPL', orderId: 12, outcome: 'filled', filled: '500' }, fills)).toBe(
      'order 12 SELL 500 AAPL: FILLED (filled 500 avg 228.41 fills 250 @ 228.42, 250 @ 228.40)',
    );
    expect(fillText(state, 7, 99)).toBe('');
    expect(fillText(state, 8, 12)).toBe('');
  });
});
