// Which alert ids the engine can raise, rule by rule: a guard policy's `when.alert` is checked against them (docs/guard.md).
import { KNOWN_SEC_TYPES } from '../../model/contract.js';
import { PRICE_DRIVER_CLASSES } from '../scenario-types.js';
import { STREAMS } from './config.js';
import { RULE_NAMES, type RuleName } from './types.js';
import { nearestName } from '../../model/nearest-name.js';

/*
 * The ids are formed in rules/*.ts (`id:`): a rule with one condition per account has its own name as its only id
 * (`excess.negative`); the others add a subject after a colon (`foreign.client:42`); liquidation.distance names each
 * distance `liquidation.<key>` (`liquidation.px:STK`, `liquidation.fx:CHF`, `liquidation.crash`, rules/stress.ts and
 * risk/liquidation.ts). A pattern the engine can never raise is a rule that never fires: a kill switch that is
 * silently off. So the forms here are exact, and a change to an id in rules/ must change them too.
 */

/** The subject each rule takes after `rule:`, or null: the rule's only id is its name. */
const SUBJECTS: Readonly<Record<Exclude<RuleName, 'liquidation.distance'>, { readonly what: string; readonly ok: (s: string) => boolean } | null>> = {
  'excess.negative': null,
  'margin.warning': null,
  'cushion.band': null,
  'cushion.stressed': null,
  'margin.jump': null,
  'connection.lost': null,
  'connection.unstable': null,
  'recording.stopped': null,
  'foreign.client': { what: 'an API client id (foreign.client:42)', ok: (s) => /^\d+$/.test(s) },
  'manual.order': { what: "perm: and the order's permId (manual.order:perm:123456)", ok: (s) => /^perm:\d+$/.test(s) },
  'stream.stale': { what: `a stream (${STREAMS.join(', ')})`, ok: (s) => (STREAMS as readonly string[]).includes(s) },
  'tws.code': { what: 'a TWS message code (tws.code:1100)', ok: (s) => /^\d+$/.test(s) },
  'exposure.ccy': { what: 'a currency code (exposure.ccy:EUR)', ok: (s) => /^[A-Z]{3}$/.test(s) },
  // IB symbols may hold single inner spaces ("BRK B"), and the id carries the symbol as it is.
  'concentration.und': { what: 'an underlying symbol (concentration.und:AAPL)', ok: (s) => /^\S+( \S+)*$/.test(s) },
  'position.unexplained': { what: 'a contract id (position.unexplained:265598)', ok: (s) => /^\d+$/.test(s) },
};

const CLASSES = PRICE_DRIVER_CLASSES as readonly string[];

/** The liquidation distances' ids: `liquidation.crash`, `liquidation.px:<class>`, `liquidation.fx:<currency>`. */
function liquidationProblem(id: string): string | undefined {
  if (id === 'liquidation.crash') return undefined;
  if (id.startsWith('liquidation.px:')) {
    const cls = id.slice('liquidation.px:'.length);
    if (CLASSES.includes(cls)) return undefined;
    const near = nearestName(cls, CLASSES, 2);
    return `liquidation.px takes an asset class the book is shocked by (${CLASSES.join(', ')}), got ${JSON.stringify(cls)}${near ? ` (did you mean liquidation.px:${near}?)` : ''}${(KNOWN_SEC_TYPES as readonly string[]).includes(cls) ? `: ${cls} positions move with their underlying's class` : ''}`;
  }
  if (id.startsWith('liquidation.fx:')) {
    const ccy = id.slice('liquidation.fx:'.length);
    return /^[A-Z]{3}$/.test(ccy) ? undefined : `liquidation.fx takes a currency code (liquidation.fx:CHF), got ${JSON.stringify(ccy)}`;
  }
  if (id === 'liquidation.px' || id === 'liquidation.fx')
    return `${id} needs its subject: ${id === 'liquidation.px' ? `an asset class (liquidation.px:STK; ${CLASSES.join(', ')})` : 'a currency (liquidation.fx:CHF)'}`;
  return undefined;
}

/**
 * Why a policy's `when.alert` can never match an alert, or undefined when it can: `*`, a rule's name (every alert of
 * that rule), or an id the engine raises. The message names the nearest valid id when one is a typo away.
 */
export function alertPatternProblem(pattern: string): string | undefined {
  // The guard's own recorder failures are logged (recorder.error, recorder.unavailable, at err), not raised: a rule on
  // this id would never fire, and a `"*"` rule must not flatten because a disk filled.
  if (pattern === 'recording.stopped' || pattern.startsWith('recording.stopped:'))
    return 'the guard raises no recording.stopped: its recording failures are logged at err (recorder.error, recorder.unavailable) and never act';
  if (pattern === '*' || (RULE_NAMES as readonly string[]).includes(pattern)) return undefined;
  if (/^liquidation\.(px|fx)(:|$)/.test(pattern)) return liquidationProblem(pattern);
  if (pattern === 'liquidation.crash') return undefined;
  const cut = pattern.indexOf(':');
  const rule = cut < 0 ? pattern : pattern.slice(0, cut);
  const subject = cut < 0 ? undefined : pattern.slice(cut + 1);
  if (rule in SUBJECTS) {
    const form = SUBJECTS[rule as keyof typeof SUBJECTS];
    if (subject === undefined) return undefined;
    if (!form) return `${rule} takes no subject: its one alert id is ${rule}`;
    return form.ok(subject) ? undefined : `${rule}: the subject after the colon must be ${form.what}, got ${JSON.stringify(subject)}`;
  }
  // Not a rule: the nearest name a typo away, among the rules and the liquidation ids.
  const names = [...RULE_NAMES, 'liquidation.crash', 'liquidation.px', 'liquidation.fx'];
  const near = nearestName(rule, names, 2);
  const hint = near
    ? ` (did you mean ${near === 'liquidation.px' || near === 'liquidation.fx' ? `${near}:…` : near}${subject !== undefined && near in SUBJECTS && SUBJECTS[near as keyof typeof SUBJECTS] ? `:${subject}` : ''}?)`
    : '';
  return `no alert rule is called ${JSON.stringify(rule)}${hint} (rules: ${RULE_NAMES.join(', ')}; the liquidation distances are liquidation.crash, liquidation.px:CLASS, liquidation.fx:CCY; or "*")`;
}
