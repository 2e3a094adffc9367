// The simulator's push cadences: a leaf module, shared by the options (config.ts) and scenario files (scenario.ts).
/** How often TWS-like pushes happen, in virtual ms (TWS: account values every 3 minutes or on change). */
export interface Cadence {
  /** PORTFOLIO_VALUE marks (and ACCT_UPDATE_TIME) to reqAccountUpdates subscribers. */
  readonly portfolioMs: number;
  /** Periodic ACCT_VALUE refresh (fills, incidents and position changes also push at once). */
  readonly accountMs: number;
  /** Account summary updates (changed tags only). */
  readonly summaryMs: number;
  /** PNL and PNL_SINGLE updates. */
  readonly pnlMs: number;
}

export const DEFAULT_CADENCE: Cadence = { portfolioMs: 3_000, accountMs: 180_000, summaryMs: 180_000, pnlMs: 1_000 };
