// The compact risk summary of one account for publishing (fleet): health, money, cushion, worst stress, alerts, arming.
import { accountValue, baseValue } from '../model/account-values.js';
import type { PortfolioState } from '../model/state.js';
import type { RiskSummary } from '../streams/nats/summary.js';
import type { SessionView } from './session.js';

export interface SummaryMeta {
  readonly host: string;
  readonly session: string;
  readonly role: RiskSummary['role'];
  readonly instance?: string;
  readonly mode: RiskSummary['mode'];
  readonly publishing: RiskSummary['publishing'];
  /** A guard listening for remote commands: the rules it would run. */
  readonly commands?: RiskSummary['commands'];
}

/**
 * The summary of what the session last computed; undefined until TWS has named the account (the subject needs it).
 * Values are the account's own (TWS's NetLiquidation, ExcessLiquidity, Cushion), not our estimates.
 */
export function riskSummary(state: PortfolioState, view: SessionView | undefined, meta: SummaryMeta, now: number): RiskSummary | undefined {
  if (!state.account) return undefined;
  const counts = { critical: 0, warning: 0, info: 0 };
  for (const a of view?.alerts ?? []) counts[a.severity]++;
  const worst = view?.risk?.ok ? view.risk.model.worst : undefined;
  const arming = state.arming;
  return {
    format: 'tws-risk-summary',
    account: state.account,
    host: meta.host,
    session: meta.session,
    role: meta.role,
    ...(meta.instance !== undefined ? { instance: meta.instance } : {}),
    at: now,
    lastSeq: state.lastSeq,
    lastEventAt: state.lastEventAt || null,
    health: state.health,
    baseCurrency: state.baseCurrency ?? null,
    netLiquidation: baseValue(state, 'NetLiquidation')?.toString() ?? null,
    excessLiquidity: baseValue(state, 'ExcessLiquidity')?.toString() ?? null,
    cushion: accountValue(state, 'Cushion', '')?.value?.toString() ?? null,
    worstStress: worst ? { scenario: worst.label, loss: worst.total.toString() } : null,
    alerts: counts,
    armed: arming !== undefined && arming.account === state.account && arming.until > now,
    mode: meta.mode,
    publishing: meta.publishing,
    ...(meta.commands ? { commands: meta.commands } : {}),
  };
}
