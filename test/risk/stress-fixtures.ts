// Builders for stress-engine tests: small accounts as FeedEvents, reduced to state, plus scenario helpers.
import type { Contract } from '../../src/model/contract.js';
import type { FeedEventBody } from '../../src/model/events.js';
import { dec } from '../../src/model/money.js';
import { reduceAll } from '../../src/model/reducer.js';
import type { PortfolioState } from '../../src/model/state.js';
import { buildStressReport, type ScenarioResult, type StressReport } from '../../src/risk/report.js';
import type { StressParamsInput } from '../../src/risk/params.js';
import { parseScenario } from '../../src/risk/scenario-text.js';
import type { Scenario } from '../../src/risk/scenario-types.js';
import { EventLog, acct, portfolio } from '../support/events.js';

export const ACCOUNT = 'DU1234567';
/** A valuation time on the hour (the engine's clock steps by the hour). */
export const NOW = Date.UTC(2026, 10, 23, 15, 0);

/** An account-value row for ACCOUNT. */
export const av = (key: string, value: string, currency = 'USD'): FeedEventBody => acct(ACCOUNT, key, value, currency);

/** A position with TWS's mark (value = qty × price × multiplier), unrealized P&L as given (default 0). */
export function holding(contract: Contract, qty: string, price: string, unrealized = '0'): FeedEventBody {
  const body = portfolio(ACCOUNT, contract, qty, price) as Extract<FeedEventBody, { type: 'portfolioUpdated' }>;
  return { ...body, unrealizedPnl: dec(unrealized) };
}

/** TWS's model option computation (tick 13) for an option. */
export function greeks(conId: number, impliedVol: number | undefined, underlyingPrice: number | undefined, pvDividend = 0): FeedEventBody {
  return {
    type: 'optionComputed',
    conId,
    kind: 'model',
    delayed: false,
    ...(impliedVol !== undefined ? { impliedVol } : {}),
    ...(underlyingPrice !== undefined ? { underlyingPrice } : {}),
    pvDividend,
  };
}

export const contract = (c: Partial<Contract> & Pick<Contract, 'conId' | 'symbol' | 'secType' | 'currency'>): Contract => c;

export function stateOf(bodies: readonly FeedEventBody[]): PortfolioState {
  const log = new EventLog(NOW - 60_000);
  log.pushAll(bodies);
  return reduceAll(log.events);
}

/** A scenario from its text form (throws on a typo in the test itself). */
export function scenario(text: string, label?: string): Scenario {
  const r = parseScenario(text, { baseCurrency: 'USD', ...(label ? { label } : {}) });
  if (!r.ok) throw new Error(`bad test scenario ${text}: ${r.problems.join('; ')}`);
  return r.scenario;
}

export function report(bodies: readonly FeedEventBody[], texts: readonly string[], params: Partial<StressParamsInput> = {}): StressReport {
  return buildStressReport(
    stateOf(bodies),
    texts.map((t) => scenario(t)),
    { now: NOW, ...params },
  );
}

/** The result of one scenario of a report, by its text form. */
export function result(r: StressReport, text: string): ScenarioResult {
  const id = scenario(text).id;
  const found = r.scenarios.find((s) => s.id === id);
  if (!found) throw new Error(`no scenario ${id}`);
  return found;
}

/** P&L figures as strings with two places, for readable equality checks. */
export function pnlOf(s: ScenarioResult): { total: string; byCurrency: Record<string, string>; byAssetClass: Record<string, string> } {
  const fix = (o: Readonly<Record<string, { toFixed(n: number): string } | undefined>>) =>
    Object.fromEntries(Object.entries(o).flatMap(([k, v]) => (v === undefined ? [] : [[k, v.toFixed(2)]])));
  return { total: s.pnl.total.toFixed(2), byCurrency: fix(s.pnl.byCurrency), byAssetClass: fix(s.pnl.byAssetClass) };
}

const nyClock = new Intl.DateTimeFormat('en-US', { timeZone: 'America/New_York', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });

/** 16:00 New York on a calendar day (month 0-based), read from the platform's time-zone data, not the engine's rule. */
export function newYorkClose(year: number, month: number, day: number): number {
  for (const h of [20, 21]) {
    const t = Date.UTC(year, month, day, h);
    if (nyClock.format(t) === '16:00') return t;
  }
  throw new Error(`no 16:00 New York on ${year}-${month + 1}-${day}`);
}
