// The compact risk summary a console or guard publishes about once a second, and its checked decoding for `fleet`.

/** Money as decimal strings (the recording's convention): the fleet shows them, it never sums floats. */
export interface RiskSummary {
  readonly format: 'tws-risk-summary';
  readonly account: string;
  /** The host the publishing process runs on, and its session (a restart is a new session, seq from 1). */
  readonly host: string;
  readonly session: string;
  /** Who publishes: the console (live, demo), the guard, or a one-shot `report --account all --publish`. */
  readonly role: 'console' | 'guard' | 'report';
  /**
   * Which of a host's publishers of that role, stable across its restarts: a guard's or a console's TWS client id
   * (`c4801`). Two guards (or consoles) of one account on one host are two rows by it. Absent from reports and from
   * consoles of earlier versions.
   */
  readonly instance?: string;
  /** When the summary was built (epoch ms, the publisher's clock): the fleet's staleness reads it. */
  readonly at: number;
  /** The seq and receive time of the last event the publisher had seen. */
  readonly lastSeq: number;
  readonly lastEventAt: number | null;
  readonly health: string;
  readonly baseCurrency: string | null;
  readonly netLiquidation: string | null;
  readonly excessLiquidity: string | null;
  readonly cushion: string | null;
  readonly worstStress: { readonly scenario: string; readonly loss: string } | null;
  readonly alerts: { readonly critical: number; readonly warning: number; readonly info: number };
  readonly armed: boolean;
  readonly mode: 'trade' | 'readOnly';
  /** The publisher's own backlog: events waiting and events dropped because the buffer was full. */
  readonly publishing: { readonly behind: number; readonly dropped: number };
  /**
   * A guard listening for remote commands (docs/fleet.md "Remote kill switch"): its policy's rules an operator may ask
   * for, by name, with each one's action. Absent from consoles, reports and guards that do not listen.
   */
  readonly commands?: readonly RemoteRule[];
}

export interface RemoteRule {
  readonly name: string;
  readonly action: string;
}

/** Bounds on what a summary may list: a policy is a handful of rules, and every string is shown in a terminal. */
const MAX_RULES = 50;
const MAX_RULE_TEXT = 200;
const ruleOk = (r: unknown) => {
  if (typeof r !== 'object' || r === null) return false;
  const o = r as Record<string, unknown>;
  return typeof o.name === 'string' && o.name.length > 0 && o.name.length <= MAX_RULE_TEXT && typeof o.action === 'string' && o.action.length <= MAX_RULE_TEXT;
};

const str = (v: unknown) => typeof v === 'string';
const strOrNull = (v: unknown) => v === null || typeof v === 'string';
const count = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;

/** A summary from a message body, or why not (a foreign or damaged message is skipped by the fleet, and said). */
export function decodeSummary(text: string): RiskSummary | string {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return 'not JSON';
  }
  if (typeof o !== 'object' || o === null || o.format !== 'tws-risk-summary') return 'not a tws-risk summary';
  const a = o.alerts as Record<string, unknown> | undefined;
  const w = o.worstStress as Record<string, unknown> | null | undefined;
  const p = o.publishing as Record<string, unknown> | undefined;
  const ok =
    str(o.account) &&
    str(o.host) &&
    str(o.session) &&
    (o.role === 'console' || o.role === 'guard' || o.role === 'report') &&
    typeof o.at === 'number' &&
    Number.isFinite(o.at) &&
    count(o.lastSeq) &&
    (o.lastEventAt === null || typeof o.lastEventAt === 'number') &&
    str(o.health) &&
    strOrNull(o.baseCurrency) &&
    strOrNull(o.netLiquidation) &&
    strOrNull(o.excessLiquidity) &&
    strOrNull(o.cushion) &&
    (w === null || (typeof w === 'object' && w !== undefined && str(w.scenario) && str(w.loss))) &&
    typeof a === 'object' &&
    a !== null &&
    count(a.critical) &&
    count(a.warning) &&
    count(a.info) &&
    typeof o.armed === 'boolean' &&
    (o.mode === 'trade' || o.mode === 'readOnly') &&
    typeof p === 'object' &&
    p !== null &&
    count(p.behind) &&
    count(p.dropped) &&
    (o.instance === undefined || (typeof o.instance === 'string' && /^[A-Za-z0-9_-]{1,64}$/.test(o.instance))) &&
    (o.commands === undefined || (Array.isArray(o.commands) && o.commands.length <= MAX_RULES && o.commands.every(ruleOk)));
  return ok ? (o as unknown as RiskSummary) : 'a field is missing or of the wrong type';
}
