// Alert configuration: every threshold and severity with its default, and one validator that names each bad key.
import { Checker as BaseChecker, isObject, show } from '../../model/check.js';
import type { StreamName } from '../../model/events.js';
import { exDateMs } from '../params.js';
import type { ScenarioFamily } from '../scenario-types.js';
import { validTimeZone, WEEKDAYS, type SessionConfig, type Weekday } from './session.js';
import { RULE_NAMES, SEVERITIES, type RuleName, type Severity } from './types.js';

/*
 * The defaults need no config file (issue 9 "Defaults that need no config"): ExcessLiquidity below zero
 * and a lost connection during market hours are critical, EquityWithLoanValue within 10% of maintenance
 * is a warning (risk-model.md §1.3). The other thresholds are starting points, each explained in
 * docs/alerts.md. `parseAlertConfig` merges a JSON object over the defaults, keeps the default for every
 * bad value and returns every problem at once, each naming the file and the key path (STYLE.md "Bad config
 * degrades, and says where"). Its shape is the `alerts` section the settings schema will take.
 */

/** Thresholds by severity. A severity whose threshold is null (or absent) is never given. */
export interface Levels {
  readonly info?: number | null;
  readonly warning?: number | null;
  readonly critical?: number | null;
}

/** A finding must be seen in `evaluations` consecutive evaluations spanning at least `ms` before it is raised. */
export interface Debounce {
  readonly evaluations: number;
  readonly ms: number;
}

/** Keys every rule takes. */
export interface RuleCommon {
  readonly enabled: boolean;
  /** Overrides the global debounce for this rule. */
  readonly debounce?: Debounce;
  /** Overrides the global cool-down for this rule. */
  readonly coolDownMs?: number;
}

/** `marketHours`: critical while the session is open, warning outside it. */
export type SeverityOrMarket = Severity | 'marketHours';

export type DistanceKind = 'px' | 'fx' | 'crash';

export interface AlertRulesConfig {
  /** ExcessLiquidity < 0: IBKR is liquidating (risk-model.md §1.3). */
  readonly 'excess.negative': RuleCommon & { readonly severity: Severity };
  /** EquityWithLoanValue ≤ ratio × MaintMarginReq: IBKR's own margin warning (110%). */
  readonly 'margin.warning': RuleCommon & { readonly ratio: number; readonly severity: Severity };
  /** Cushion (ExcessLiquidity / NetLiquidation) below these levels. */
  readonly 'cushion.band': RuleCommon & { readonly below: Levels };
  /** The lowest stressed Cushion over the scenarios of these families below these levels. */
  readonly 'cushion.stressed': RuleCommon & { readonly below: Levels; readonly families: readonly ScenarioFamily[] };
  /** A liquidation distance (uniform shock that takes ExcessLiquidity to 0) within these moves, by kind. */
  readonly 'liquidation.distance': RuleCommon & { readonly within: Readonly<Record<DistanceKind, Levels>> };
  /**
   * Reported margin requirement up by more than `above` (relative) since the last position change, beyond what
   * our estimate explains; `aboveWithoutEstimate` when no stress report is available.
   */
  readonly 'margin.jump': RuleCommon & {
    readonly above: Levels;
    readonly aboveWithoutEstimate: Levels;
    /**
     * In one look (no baseline needed, so `tws-risk report` sees it too): a reported requirement (a segment's
     * MaintMarginReq or InitMarginReq) this many times our rules-based estimate, the calibration factor.
     */
    readonly factorAbove: Levels;
    /** ...and above the estimate by at least this share of NetLiquidation (a small segment is not a jump). */
    readonly factorMinShare: number;
    /** After a position change or execution, the baseline follows the reported values this long. */
    readonly settleMs: number;
    /** An unexplained level is accepted as the new baseline after this long. */
    readonly holdMs: number;
  };
  /** Orders or executions of an API client other than ours and the expected ones. */
  readonly 'foreign.client': RuleCommon & { readonly severity: Severity; readonly expectedClientIds: readonly number[]; readonly holdMs: number };
  /** Orders typed into TWS (client id 0, no API order id) and their fills. */
  readonly 'manual.order': RuleCommon & { readonly severity: Severity; readonly holdMs: number };
  /** A position that changed with no execution explaining it within `graceMs`. */
  readonly 'position.unexplained': RuleCommon & { readonly severity: Severity; readonly graceMs: number; readonly holdMs: number };
  /** The connection is not ready (disconnected, connecting, or waiting for nextValidId / the heartbeat). */
  readonly 'connection.lost': RuleCommon & { readonly severity: SeverityOrMarket };
  /** The connection was lost `drops` times or more within `windowMs`, however fast it came back each time. */
  readonly 'connection.unstable': RuleCommon & { readonly severity: Severity; readonly drops: number; readonly windowMs: number };
  /** A stream older than its limit while connected; streams in `marketHoursOnly` are checked only in session. */
  readonly 'stream.stale': RuleCommon & {
    readonly severity: Severity;
    readonly limitsMs: Readonly<Partial<Record<StreamName, number>>>;
    readonly marketHoursOnly: readonly StreamName[];
  };
  /** TWS codes that matter, with their severity; event codes stay listed for `holdMs`. */
  readonly 'tws.code': RuleCommon & { readonly codes: Readonly<Record<string, SeverityOrMarket>>; readonly holdMs: number };
  /** One non-base currency's net value, as a share of NetLiquidation, above these levels. */
  readonly 'exposure.ccy': RuleCommon & { readonly above: Levels; readonly perCurrency: Readonly<Record<string, Levels>> };
  /** One underlying's share of gross position value above these levels. */
  readonly 'concentration.und': RuleCommon & { readonly above: Levels };
  /** The flight recording stopped (a write failed, ENOSPC) or did not start: the session is not being recorded. */
  readonly 'recording.stopped': RuleCommon & { readonly severity: Severity };
}

export interface AlertConfig {
  readonly debounce: Debounce;
  /** A raised alert clears after its finding has been absent this long. */
  readonly coolDownMs: number;
  /** The trading session that "market hours" means. */
  readonly session: SessionConfig;
  readonly rules: AlertRulesConfig;
}

const ON = { enabled: true } as const;

export const DEFAULT_ALERT_CONFIG: AlertConfig = deepFreeze({
  debounce: { evaluations: 2, ms: 1_000 },
  coolDownMs: 10_000,
  session: { timeZone: 'America/New_York', open: '09:30', close: '16:00', days: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri'], holidays: [] },
  rules: {
    'excess.negative': { ...ON, severity: 'critical' },
    'margin.warning': { ...ON, ratio: 1.1, severity: 'warning' },
    'cushion.band': { ...ON, below: { warning: 0.1, critical: 0.05 } },
    'cushion.stressed': { ...ON, below: { warning: 0.05 }, families: ['base', 'asset', 'fx', 'crash'] },
    'liquidation.distance': {
      ...ON,
      within: { px: { warning: 0.1, critical: 0.05 }, fx: { warning: 0.05, critical: 0.02 }, crash: { warning: 0.15, critical: 0.05 } },
    },
    'margin.jump': {
      ...ON,
      above: { warning: 0.15 },
      aboveWithoutEstimate: { warning: 0.3 },
      factorAbove: { warning: 2 },
      factorMinShare: 0.02,
      settleMs: 60_000,
      holdMs: 1_800_000,
    },
    'foreign.client': { ...ON, severity: 'warning', expectedClientIds: [], holdMs: 900_000 },
    'manual.order': { ...ON, severity: 'warning', holdMs: 900_000 },
    'position.unexplained': { ...ON, severity: 'warning', graceMs: 20_000, holdMs: 900_000 },
    'connection.lost': { ...ON, severity: 'marketHours', debounce: { evaluations: 2, ms: 3_000 } },
    // A drop that comes back within connection.lost's 3 s raises nothing; three in ten minutes is a link to look at.
    'connection.unstable': { ...ON, severity: 'warning', drops: 3, windowMs: 600_000, debounce: { evaluations: 1, ms: 0 } },
    'stream.stale': {
      ...ON,
      severity: 'warning',
      // Longer than the display's staleness (src/model/freshness.ts): an alert must not fire on one late 3-minute
      // account push (risk-model.md §1.2) or a quiet minute in a thinly traded quote.
      limitsMs: { accountValues: 400_000, portfolio: 400_000, marketData: 60_000, optionComputations: 120_000 },
      marketHoursOnly: ['accountValues', 'portfolio', 'marketData', 'optionComputations'],
    },
    'tws.code': {
      ...ON,
      codes: { '1100': 'marketHours', '2110': 'warning', '321': 'warning', '326': 'marketHours', '10197': 'warning' },
      holdMs: 300_000,
      // TWS says when each of these ends: 1100 with 1101/1102 (or a ready connection), the others are listed for holdMs
      // after the last one came. The cool-down, hysteresis for a measured condition, would only keep a 1100 listed for
      // 10 s after the status bar says READY again (the user trial).
      coolDownMs: 0,
    },
    'exposure.ccy': { ...ON, above: { warning: 0.4 }, perCurrency: {} },
    'concentration.und': { ...ON, above: { warning: 0.4 } },
    // Raised at once (one evaluation, no wait): the failure is a fact, not a measure that could flicker.
    'recording.stopped': { ...ON, severity: 'warning', debounce: { evaluations: 1, ms: 0 } },
  },
} satisfies AlertConfig);

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}

/** The debounce and cool-down in force for a rule. */
export function ruleTiming(config: AlertConfig, rule: RuleName): { debounce: Debounce; coolDownMs: number } {
  const r = config.rules[rule] as RuleCommon;
  return { debounce: r.debounce ?? config.debounce, coolDownMs: r.coolDownMs ?? config.coolDownMs };
}

/**
 * The severity a value earns against `levels`: for `below`, the highest severity whose threshold is above the
 * value; for `above`, the highest whose threshold is below it. Undefined when none applies.
 */
export function levelOf(value: number, levels: Levels, direction: 'below' | 'above'): { severity: Severity; threshold: number } | undefined {
  for (const s of ['critical', 'warning', 'info'] as const) {
    const t = levels[s];
    if (t === null || t === undefined) continue;
    if (direction === 'below' ? value < t : value > t) return { severity: s, threshold: t };
  }
  return undefined;
}

/** The severity of a `SeverityOrMarket` setting at a time when the session is open or not. */
export function marketSeverity(s: SeverityOrMarket, marketOpen: boolean): Severity {
  return s === 'marketHours' ? (marketOpen ? 'critical' : 'warning') : s;
}

// ── Validation ──────────────────────────────────────────────────────────────────────────────────

export interface AlertConfigResult {
  /** The defaults with every valid value of the input merged in. */
  readonly config: AlertConfig;
  /** One line per problem: `file: error at <key path>: <message>`. Empty when the input is valid. */
  readonly problems: readonly string[];
}

type Obj = Record<string, unknown>;
const isObj = isObject;

/** The streams `stream.stale` watches (its limitsMs keys; an alert id `stream.stale:<stream>`). */
export const STREAMS: readonly StreamName[] = [
  'connection',
  'accountValues',
  'accountSummary',
  'portfolio',
  'positions',
  'marketData',
  'optionComputations',
  'pnl',
  'orders',
  'executions',
  'messages',
  'operator',
];
const FAMILIES: readonly ScenarioFamily[] = ['base', 'asset', 'fx', 'crash', 'grid', 'user'];
const HHMM = /^([01]\d|2[0-4]):[0-5]\d$/;
const CURRENCY = /^[A-Z]{3}$/;

/** Which way a rule's levels point: `below` and `within` fire as the value falls, `above` as it rises. */
type LevelDirection = 'below' | 'within' | 'above';

/** The settings checker, with the alert rules' own shapes (levels, debounce, client ids). */
class Checker extends BaseChecker {
  /**
   * Levels merged over `def`. `direction` is the rule's key: for `below` and `within` a smaller value is worse, so
   * critical must sit at or below warning, and warning at or below info; for `above`, the other way round. Inverted
   * levels are refused (both values named) and `def` kept: levelOf tries critical first, so an inverted critical
   * would fire at once and the warning, the early notice, would never come.
   */
  levels(path: string, v: unknown, def: Levels, min: number, max: number, direction: LevelDirection): Levels {
    const o = this.object(path, v, SEVERITIES);
    if (!o) return def;
    // Severities left out keep their defaults; null turns one off.
    const out: { -readonly [K in Severity]?: number | null } = { ...def };
    for (const s of SEVERITIES) {
      if (!(s in o)) continue;
      const x = o[s];
      if (x === null) out[s] = null;
      else {
        const n = this.number(`${path}.${s}`, x, Number.NaN, min, max);
        if (!Number.isNaN(n)) out[s] = n;
      }
    }
    let inverted = false;
    for (const [worse, milder] of [
      ['critical', 'warning'],
      ['critical', 'info'],
      ['warning', 'info'],
    ] as const) {
      const w = out[worse];
      const m = out[milder];
      if (typeof w !== 'number' || typeof m !== 'number') continue;
      if (direction === 'above' ? w >= m : w <= m) continue;
      inverted = true;
      const side = direction === 'above' ? 'below' : 'above';
      this.fail(
        path,
        `${worse} ${w} is ${side} ${milder} ${m}: in ${direction === 'above' ? 'an' : 'a'} "${direction}" rule ${worse} must be the ${direction === 'above' ? 'higher' : 'lower'} level, else it fires first and ${milder} never does; these levels keep their default`,
      );
    }
    return inverted ? def : out;
  }

  debounce(path: string, v: unknown, def: Debounce): Debounce {
    const o = this.object(path, v, ['evaluations', 'ms']);
    if (!o) return def;
    return {
      evaluations: 'evaluations' in o ? this.number(`${path}.evaluations`, o.evaluations, def.evaluations, 1, 1000, true) : def.evaluations,
      ms: 'ms' in o ? this.number(`${path}.ms`, o.ms, def.ms, 0, 86_400_000) : def.ms,
    };
  }

  /** Client ids: one bad id refuses the whole list (it keeps its default), as `list` does. */
  clientIds(path: string, v: unknown, def: readonly number[]): readonly number[] {
    if (!Array.isArray(v)) {
      this.fail(path, `expected a list of client ids, got ${show(v)}`);
      return def;
    }
    return this.items(
      path,
      v,
      def,
      (x) => (typeof x === 'number' && Number.isInteger(x) && x >= 0 && x <= 2 ** 31 - 1 ? x : undefined),
      `a client id (a whole number from 0 to ${2 ** 31 - 1})`,
    );
  }
}

const COMMON_KEYS = ['enabled', 'debounce', 'coolDownMs'] as const;

/** Rule-specific keys (besides enabled, debounce, coolDownMs). */
const RULE_KEYS: { readonly [R in RuleName]: readonly string[] } = {
  'excess.negative': ['severity'],
  'margin.warning': ['ratio', 'severity'],
  'cushion.band': ['below'],
  'cushion.stressed': ['below', 'families'],
  'liquidation.distance': ['within'],
  'margin.jump': ['above', 'aboveWithoutEstimate', 'factorAbove', 'factorMinShare', 'settleMs', 'holdMs'],
  'foreign.client': ['severity', 'expectedClientIds', 'holdMs'],
  'manual.order': ['severity', 'holdMs'],
  'position.unexplained': ['severity', 'graceMs', 'holdMs'],
  'connection.lost': ['severity'],
  'connection.unstable': ['severity', 'drops', 'windowMs'],
  'stream.stale': ['severity', 'limitsMs', 'marketHoursOnly'],
  'tws.code': ['codes', 'holdMs'],
  'exposure.ccy': ['above', 'perCurrency'],
  'concentration.und': ['above'],
  'recording.stopped': ['severity'],
};

const DAY_MS = 86_400_000;

/** Allowed range of the level thresholds, by rule (shares of NetLiquidation can exceed 1 when short). */
const LEVEL_RANGE: Readonly<Record<string, readonly [number, number]>> = {
  'cushion.band': [-1, 1],
  'cushion.stressed': [-10, 1],
  'margin.jump': [0, 100],
  'exposure.ccy': [0, 100],
  'concentration.und': [0, 1],
};

function parseRule(c: Checker, name: RuleName, path: string, v: unknown): AlertRulesConfig[RuleName] {
  const def = DEFAULT_ALERT_CONFIG.rules[name] as unknown as Record<string, unknown> & RuleCommon;
  const o = c.object(path, v, [...COMMON_KEYS, ...RULE_KEYS[name]]);
  if (!o) return def as never;
  const out: Record<string, unknown> = { ...def };
  const at = (k: string) => `${path}.${k}`;
  for (const [k, x] of Object.entries(o)) {
    switch (k) {
      case 'enabled':
        out[k] = c.boolean(at(k), x, def.enabled);
        break;
      case 'debounce':
        out[k] = c.debounce(at(k), x, def.debounce ?? DEFAULT_ALERT_CONFIG.debounce);
        break;
      case 'coolDownMs':
      case 'settleMs':
      case 'holdMs':
      case 'graceMs':
        out[k] = c.number(at(k), x, (def[k] as number | undefined) ?? DEFAULT_ALERT_CONFIG.coolDownMs, 0, 7 * DAY_MS);
        break;
      case 'severity':
        out[k] =
          name === 'connection.lost'
            ? c.oneOf<SeverityOrMarket>(at(k), x, [...SEVERITIES, 'marketHours'], def[k] as SeverityOrMarket)
            : c.oneOf(at(k), x, SEVERITIES, def[k] as Severity);
        break;
      case 'ratio':
        out[k] = c.number(at(k), x, def[k] as number, 1, 10);
        break;
      case 'drops':
        out[k] = c.number(at(k), x, def[k] as number, 2, 1000, true);
        break;
      case 'windowMs':
        out[k] = c.number(at(k), x, def[k] as number, 1_000, DAY_MS);
        break;
      case 'factorMinShare':
        out[k] = c.number(at(k), x, def[k] as number, 0, 1);
        break;
      case 'below':
      case 'above':
      case 'aboveWithoutEstimate':
      case 'factorAbove':
        out[k] = c.levels(at(k), x, def[k] as Levels, ...(LEVEL_RANGE[name] ?? [0, 1]), k === 'below' ? 'below' : 'above');
        break;
      case 'families':
        out[k] = c.list(at(k), x, FAMILIES, def[k] as ScenarioFamily[]);
        break;
      case 'within': {
        const w = c.object(at(k), x, ['px', 'fx', 'crash']);
        const d = def[k] as Record<DistanceKind, Levels>;
        if (w) {
          const merged: Record<DistanceKind, Levels> = { ...d };
          for (const kind of ['px', 'fx', 'crash'] as const) {
            if (kind in w) merged[kind] = c.levels(`${at(k)}.${kind}`, w[kind], d[kind], 0, 1, 'within');
          }
          out[k] = merged;
        }
        break;
      }
      case 'expectedClientIds':
        out[k] = c.clientIds(at(k), x, def[k] as number[]);
        break;
      case 'limitsMs': {
        const w = c.object(at(k), x, STREAMS);
        if (w) {
          const merged: Record<string, number> = { ...(def[k] as Record<string, number>) };
          for (const [s, ms] of Object.entries(w)) {
            if (STREAMS.includes(s as StreamName)) merged[s] = c.number(`${at(k)}.${s}`, ms, merged[s] ?? 60_000, 1_000, 7 * DAY_MS);
          }
          out[k] = merged;
        }
        break;
      }
      case 'marketHoursOnly':
        out[k] = c.list(at(k), x, STREAMS, def[k] as StreamName[]);
        break;
      case 'codes': {
        const w = isObj(x) ? x : undefined;
        if (!w) {
          c.fail(at(k), `expected an object of TWS code → severity, got ${show(x)}`);
          break;
        }
        const merged: Record<string, SeverityOrMarket> = { ...(def[k] as Record<string, SeverityOrMarket>) };
        for (const [code, sev] of Object.entries(w)) {
          if (!/^\d{1,5}$/.test(code)) {
            c.fail(`${at(k)}.${code}`, 'expected a TWS message code (a whole number)');
            continue;
          }
          if (sev === null) {
            delete merged[code];
            continue;
          }
          const s = c.oneOf<SeverityOrMarket>(`${at(k)}.${code}`, sev, [...SEVERITIES, 'marketHours'], merged[code] ?? 'warning');
          merged[code] = s;
        }
        out[k] = merged;
        break;
      }
      case 'perCurrency': {
        const w = isObj(x) ? x : undefined;
        if (!w) {
          c.fail(at(k), `expected an object of currency → levels, got ${show(x)}`);
          break;
        }
        const merged: Record<string, Levels> = {};
        for (const [ccy, lv] of Object.entries(w)) {
          if (!CURRENCY.test(ccy)) {
            c.fail(`${at(k)}.${ccy}`, 'expected a three-letter currency code such as "CHF"');
            continue;
          }
          merged[ccy] = c.levels(`${at(k)}.${ccy}`, lv, (def.above as Levels | undefined) ?? {}, 0, 100, 'above');
        }
        out[k] = merged;
        break;
      }
    }
  }
  return out as never;
}

function parseSession(c: Checker, path: string, v: unknown): SessionConfig {
  const def = DEFAULT_ALERT_CONFIG.session;
  const o = c.object(path, v, ['timeZone', 'open', 'close', 'days', 'holidays']);
  if (!o) return def;
  let { timeZone, open, close, days, holidays } = def;
  if ('timeZone' in o) {
    if (typeof o.timeZone === 'string' && validTimeZone(o.timeZone)) timeZone = o.timeZone;
    else c.fail(`${path}.timeZone`, `expected an IANA time zone such as "America/New_York", got ${show(o.timeZone)}`);
  }
  for (const k of ['open', 'close'] as const) {
    if (!(k in o)) continue;
    const x = o[k];
    if (typeof x === 'string' && HHMM.test(x) && (x < '24:00' || x === '24:00')) {
      if (k === 'open') open = x;
      else close = x;
    } else c.fail(`${path}.${k}`, `expected a time "HH:MM" from 00:00 to 24:00, got ${show(x)}`);
  }
  if (open >= close) {
    c.fail(`${path}.open`, `the session opens (${open}) at or after it closes (${close}); the default session is used`);
    ({ open, close } = def);
  }
  if ('days' in o) days = c.list<Weekday>(`${path}.days`, o.days, WEEKDAYS, def.days);
  if ('holidays' in o) {
    if (!Array.isArray(o.holidays)) c.fail(`${path}.holidays`, `expected a list of dates "YYYY-MM-DD", got ${show(o.holidays)}`);
    // A date that does not exist ("2026-02-30", "2026-13-40") is refused, not kept as a holiday that never comes.
    else
      holidays = c.items(
        `${path}.holidays`,
        o.holidays,
        def.holidays,
        (d) => (typeof d === 'string' && Number.isFinite(exDateMs(d)) ? d : undefined),
        'a date "YYYY-MM-DD" that exists',
      );
  }
  return { timeZone, open, close, days, holidays };
}

/**
 * Validates an `alerts` config object (as read from JSON) and merges it over DEFAULT_ALERT_CONFIG. Unknown keys,
 * wrong types and out-of-range values are problems; each keeps its default. `undefined` means "no config".
 * `otherKeys` are top-level keys another validator owns (the settings' `bell` and `hook`): accepted, not read.
 * `root` is where the object sits in its file (`alerts` in the settings), so each problem names the whole key path.
 */
export function parseAlertConfig(json: unknown, fileName: string, otherKeys: readonly string[] = [], root = ''): AlertConfigResult {
  if (json === undefined) return { config: DEFAULT_ALERT_CONFIG, problems: [] };
  const c = new Checker(fileName, root);
  const o = c.object('', json, ['debounce', 'coolDownMs', 'session', 'rules', ...otherKeys]);
  if (!o) return { config: DEFAULT_ALERT_CONFIG, problems: c.problems };
  const d = DEFAULT_ALERT_CONFIG;
  const debounce = 'debounce' in o ? c.debounce('debounce', o.debounce, d.debounce) : d.debounce;
  const coolDownMs = 'coolDownMs' in o ? c.number('coolDownMs', o.coolDownMs, d.coolDownMs, 0, 7 * DAY_MS) : d.coolDownMs;
  const session = 'session' in o ? parseSession(c, 'session', o.session) : d.session;
  let rules = d.rules;
  if ('rules' in o) {
    const r = c.object('rules', o.rules, RULE_NAMES);
    if (r) {
      const merged: Record<string, unknown> = { ...d.rules };
      for (const name of RULE_NAMES) if (name in r) merged[name] = parseRule(c, name, `rules.${name}`, r[name]);
      rules = merged as unknown as AlertRulesConfig;
    }
  }
  return { config: { debounce, coolDownMs, session, rules }, problems: c.problems };
}
