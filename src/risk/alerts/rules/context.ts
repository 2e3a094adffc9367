// What every rule reads: the state, the stress report when there is one, the config, the clock, who we are.
import type { PortfolioState } from '../../../model/state.js';
import type { StressReport } from '../../report.js';
import { levelOf, type AlertConfig, type Levels } from '../config.js';
import type { Finding, RuleMemory } from '../types.js';

/** The input of one evaluation. Risk code has no clock: `now` (epoch ms) is passed in. */
export interface AlertInput {
  readonly state: PortfolioState;
  /**
   * The stress report for this state (buildStressReport with the built-in scenarios, see `bookScenarios`).
   * Without it the stress rules are silent and margin.jump uses its larger threshold.
   */
  readonly stress?: StressReport;
  readonly config: AlertConfig;
  readonly now: number;
  /** This console's API client id; defaults to the connection's (state.endpoint). */
  readonly ourClientId?: number;
  /** What that client is, in an alert's title: "this console" unless said (the guard is not a console). */
  readonly ourName?: string;
  /** Other API client ids that are expected to trade this account (added to the config's list). */
  readonly expectedClientIds?: readonly number[];
}

/** A rule's view of one evaluation: the input plus what the engine derived once for all rules. */
export interface RuleContext extends AlertInput {
  /** The session calendar at `now`. */
  readonly marketOpen: boolean;
}

/** A stateless rule. */
export type Rule = (ctx: RuleContext) => Finding[];

/** A rule with a baseline: reads its memory from the last evaluation and returns the next one. */
export type StatefulRule<M> = (prev: M | undefined, ctx: RuleContext) => { readonly memory: M | undefined; readonly findings: Finding[] };

export type { RuleMemory };

/**
 * The threshold at which no level of `levels` applies any more: the highest threshold for `below`, the lowest for
 * `above`. A reduction aims there, so that the alert clears rather than drops one severity.
 */
export function clearLevel(levels: Levels, direction: 'below' | 'above'): number | undefined {
  const ts = [levels.info, levels.warning, levels.critical].filter((t): t is number => typeof t === 'number');
  if (ts.length === 0) return undefined;
  return direction === 'below' ? Math.max(...ts) : Math.min(...ts);
}

export { levelOf };
