// connection.lost, stream.stale and tws.code: can the operator trust what is shown, and what did TWS say?
import { isOperatorStop } from '../../../model/connection.js';
import type { StreamName } from '../../../model/events.js';
import { marketSeverity, type SeverityOrMarket } from '../config.js';
import type { ConnectionMemory, Finding, UnstableMemory } from '../types.js';
import type { RuleContext, StatefulRule } from './context.js';

/*
 * Health comes from the source's state machine (README "Health"): only ready and degraded have a usable
 * connection. A lost connection is critical in market hours (issue 9 defaults) and a warning outside.
 * Staleness is derived from the last update per stream and `now` (STYLE.md "Derive staleness"); it is
 * only judged while connected (connection.lost covers the rest) and not within one limit of the last
 * connection event, so a reconnect gets the time to resubscribe. Quotes and marks do not move outside
 * the session, so those streams are judged in market hours only (`marketHoursOnly`).
 * TWS codes (src/streams/tws/error-codes.ts): 1100 lasts until 1101/1102 or until health is ready
 * again; the other codes are events, listed for `holdMs` after TWS sent them.
 */

const STREAM_LABEL: Readonly<Partial<Record<StreamName, string>>> = {
  accountValues: 'Account values',
  accountSummary: 'The account summary',
  portfolio: 'Portfolio marks',
  positions: 'Positions',
  marketData: 'Market data',
  optionComputations: 'Option greeks',
  pnl: 'P&L',
};

/** "45s", "3m05s", "2h10m". */
export function ageText(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** A configured window in words: "10 min", "1 h", else as an age ("45s"). */
function windowText(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  return ageText(ms);
}

const usable = (h: string) => h === 'ready' || h === 'degraded';

/** What connection.lost records of its finding (its `detail`). */
interface ConnectionLostDetail {
  readonly health: string;
  readonly reason: string;
  readonly cause: string | null;
  /** When the connection was first seen unusable: "lost 3s ago" counts from here. */
  readonly since: number;
  readonly marketOpen: boolean;
}

/** connection.lost's title at `now`; `hadData`: the account's data had arrived ("lost … ago"), else "Not connected". */
function connectionLostTitle(d: ConnectionLostDetail, hadData: boolean, now: number): string {
  const head = hadData ? `Connection to TWS lost ${ageText(Math.max(0, now - d.since))} ago` : 'Not connected to TWS';
  const why =
    d.cause !== null && (d.cause !== d.reason || d.health !== 'disconnected') ? `${d.cause}; now ${d.health}: ${d.reason}` : `${d.health}: ${d.reason}`;
  return `${head} (${why}); nothing shown is current${d.marketOpen ? ' and the market is open' : ''}`;
}

/**
 * connection.lost. Stateful only to keep the cause: after a heartbeat timeout the source reconnects at once, and the
 * state then says "connecting"; the operator needs to see why it went.
 */
export const connectionRule: StatefulRule<ConnectionMemory> = (prev, ctx) => {
  const cfg = ctx.config.rules['connection.lost'];
  const { state, now } = ctx;
  // The operator ending the session is not a lost connection: nothing to alert on (issue 15 item 5).
  if (!cfg.enabled || usable(state.health) || isOperatorStop(state)) return { memory: undefined, findings: [] };
  const reason = state.healthReason ?? 'no reason given';
  const cause = prev?.cause ?? (state.health === 'disconnected' ? reason : undefined);
  const memory: ConnectionMemory = { since: prev?.since ?? now, ...(cause !== undefined ? { cause } : {}) };
  const hadData = state.lastUpdate.accountValues !== undefined || state.lastUpdate.positions !== undefined;
  const detail: ConnectionLostDetail = { health: state.health, reason, cause: cause ?? null, since: memory.since, marketOpen: ctx.marketOpen };
  return {
    memory,
    findings: [
      {
        id: 'connection.lost',
        rule: 'connection.lost',
        severity: marketSeverity(cfg.severity, ctx.marketOpen),
        title: connectionLostTitle(detail, hadData, now),
        detail: { ...detail },
      },
    ],
  };
};

/**
 * connection.unstable: the connection was lost `drops` times or more within `windowMs`. Each drop that comes back
 * within connection.lost's debounce raises nothing, so a link that drops every few seconds looked READY throughout
 * (ops trial: 12 drops in 36 s, no alert), and the data is downloaded again after each: gaps and stale figures. A
 * drop is an evaluation that sees the connection unusable after one that saw it usable (a health change is evaluated
 * at once by the console and the guard); the memory, not the state, counts them, so recordings fold as before.
 */
export const unstableRule: StatefulRule<UnstableMemory> = (prev, ctx) => {
  const cfg = ctx.config.rules['connection.unstable'];
  const { state, now } = ctx;
  const up = usable(state.health);
  if (!cfg.enabled) return { memory: undefined, findings: [] };
  const dropped = prev?.usable === true && !up && !isOperatorStop(state);
  const drops = [...(prev?.drops ?? []), ...(dropped ? [now] : [])].filter((t) => t > now - cfg.windowMs);
  const memory: UnstableMemory = { usable: up, drops };
  if (drops.length < cfg.drops || isOperatorStop(state)) return { memory, findings: [] };
  const last = drops[drops.length - 1]!;
  return {
    memory,
    findings: [
      {
        id: 'connection.unstable',
        rule: 'connection.unstable',
        severity: cfg.severity,
        title:
          `Connection to TWS dropped ${drops.length} times in the last ${windowText(cfg.windowMs)} (last ${ageText(Math.max(0, now - last))} ago): ` +
          'data is downloaded again after each, so figures may have gaps; check the network and TWS',
        detail: { drops: drops.length, windowMs: cfg.windowMs, lastDrop: last },
      },
    ],
  };
};

/** What stream.stale records of its finding (its `detail`). */
interface StaleDetail {
  readonly stream: string;
  readonly ageMs: number;
  readonly limitMs: number;
  readonly lastUpdate: number | null;
}

/** stream.stale's title at `now`, the age counted from `since` (the last update, or the connection when none came). */
function staleTitle(d: StaleDetail, since: number, now: number): string {
  const label = STREAM_LABEL[d.stream as StreamName] ?? d.stream;
  const age = ageText(Math.max(0, now - since));
  return d.lastUpdate === null
    ? `${label} never arrived: connected ${age} ago (limit ${ageText(d.limitMs)})`
    : `${label} stale: last update ${age} ago (limit ${ageText(d.limitMs)})`;
}

export function staleRule(ctx: RuleContext): Finding[] {
  const cfg = ctx.config.rules['stream.stale'];
  const { state, now } = ctx;
  if (!cfg.enabled || !usable(state.health)) return [];
  const connectedAt = state.lastUpdate.connection;
  const out: Finding[] = [];
  for (const [stream, limit] of Object.entries(cfg.limitsMs) as [StreamName, number][]) {
    if (cfg.marketHoursOnly.includes(stream) && !ctx.marketOpen) continue;
    if (connectedAt !== undefined && now - connectedAt <= limit) continue;
    const last = state.lastUpdate[stream];
    // A stream that never arrived is only missing when it must: account values always come with a connection.
    if (last === undefined && stream !== 'accountValues') continue;
    const age = now - (last ?? connectedAt ?? now);
    if (age <= limit) continue;
    const detail: StaleDetail = { stream, ageMs: age, limitMs: limit, lastUpdate: last ?? null };
    out.push({
      id: `stream.stale:${stream}`,
      rule: 'stream.stale',
      severity: cfg.severity,
      title: staleTitle(detail, now - age, now),
      detail: { ...detail },
    });
  }
  return out;
}

const CODE_TEXT: Readonly<Record<number, string>> = {
  1100: "TWS lost its connection to IB's servers (1100): data is not updating and orders wait",
  2110: "TWS's connection to IB's servers is broken (2110); TWS restores it by itself",
  321: 'TWS refused a request (321): its API may be read-only (Configure > API > Settings)',
  326: 'Our client id is already in use by another connection (326): tws-risk stopped reconnecting; start it with another --client-id',
  10197: 'A competing live session took the market data line (10197): quotes are not updating',
};

const RESTORED = new Set([1101, 1102]);

/** Where the codes the rule watches last appear in a message history, and the last "restored" (1101, 1102). */
interface MessageScan {
  readonly codes: object;
  readonly wanted: ReadonlyMap<number, SeverityOrMarket>;
  readonly last: ReadonlyMap<number, number>;
  readonly restoredAt: number;
}

/*
 * The rule runs at every evaluation (several a second while marks move) and the history changes only when a message
 * arrives (the reducer makes a new list then): the scan is kept per list and per codes object.
 */
const scans = new WeakMap<readonly unknown[], MessageScan>();

function scanMessages(messages: RuleContext['state']['messages'], codes: Readonly<Record<string, SeverityOrMarket>>): MessageScan {
  const hit = scans.get(messages);
  if (hit?.codes === codes) return hit;
  const wanted = new Map(Object.entries(codes).map(([c, s]) => [Number(c), s]));
  const last = new Map<number, number>();
  let restoredAt = -1;
  messages.forEach((m, i) => {
    if (wanted.has(m.code)) last.set(m.code, i);
    if (RESTORED.has(m.code)) restoredAt = i;
  });
  const scan = { codes, wanted, last, restoredAt };
  scans.set(messages, scan);
  return scan;
}

export function twsCodeRule(ctx: RuleContext): Finding[] {
  const cfg = ctx.config.rules['tws.code'];
  const { state, now } = ctx;
  if (!cfg.enabled) return [];
  const { wanted, last, restoredAt } = scanMessages(state.messages, cfg.codes);
  const out: Finding[] = [];
  // The message history is bounded (MESSAGE_HISTORY): a 1100 that scrolled out still holds while health says so.
  if (wanted.has(1100) && !last.has(1100) && state.health === 'degraded' && state.healthCause === 'connectivityLost') {
    out.push({
      id: 'tws.code:1100',
      rule: 'tws.code',
      severity: marketSeverity(wanted.get(1100)!, ctx.marketOpen),
      title: CODE_TEXT[1100]!,
      detail: { code: 1100, id: -1, message: state.healthReason ?? '', class: 'connection', at: null },
    });
  }
  for (const [code, i] of [...last.entries()].sort(([a], [b]) => a - b)) {
    const m = state.messages[i]!;
    const active = code === 1100 ? i > restoredAt && state.health !== 'ready' : now - m.receivedAt <= cfg.holdMs;
    if (!active) continue;
    out.push({
      id: `tws.code:${code}`,
      rule: 'tws.code',
      severity: marketSeverity(wanted.get(code)!, ctx.marketOpen),
      title: CODE_TEXT[code] ?? `TWS sent message ${code}: ${m.message}`,
      detail: { code, id: m.id, message: m.message, class: m.class, at: m.receivedAt },
    });
  }
  return out;
}

/** How an alert whose title counts an age from a recorded moment makes that title at another time, if it is one. */
function titleMaker(a: { readonly rule: string; readonly detail: unknown; readonly lastSeenAt: number }): ((at: number) => string) | undefined {
  const d = a.detail as Record<string, unknown> | null;
  if (d === null || typeof d !== 'object') return undefined;
  const text = (k: string) => typeof d[k] === 'string';
  if (
    a.rule === 'connection.lost' &&
    text('health') &&
    text('reason') &&
    (d.cause === null || text('cause')) &&
    typeof d.since === 'number' &&
    typeof d.marketOpen === 'boolean'
  )
    return (at) => connectionLostTitle(d as unknown as ConnectionLostDetail, true, at);
  if (
    a.rule === 'stream.stale' &&
    text('stream') &&
    typeof d.ageMs === 'number' &&
    typeof d.limitMs === 'number' &&
    (d.lastUpdate === null || typeof d.lastUpdate === 'number')
  ) {
    // The age was ageMs at the evaluation that made the title (lastSeenAt): it counts from then less ageMs.
    const since = a.lastSeenAt - d.ageMs;
    return (at) => staleTitle(d as unknown as StaleDetail, since, at);
  }
  return undefined;
}

/**
 * An alert's title at `now`, for the views. The titles that count an age ("lost 3s ago", "last update 1m05s ago") are
 * made at each evaluation live, but a replay lists its alerts as their transitions recorded them: the age of the raise
 * would stay for as long as the alert is listed. So the title made at the alert's last evaluation (lastSeenAt) is
 * made again at `now` (the player's clock in a replay, the console's live), whatever the title carries before it (an
 * account's name in a multi-account console). A title that is not what these rules make (another wording, "Not
 * connected to TWS", an older version's) is shown as it was recorded.
 */
export function alertTitleAt(a: { readonly rule: string; readonly title: string; readonly detail: unknown; readonly lastSeenAt: number }, now: number): string {
  const make = titleMaker(a);
  if (!make || now === a.lastSeenAt) return a.title;
  const then = make(a.lastSeenAt);
  return a.title.endsWith(then) ? `${a.title.slice(0, a.title.length - then.length)}${make(now)}` : a.title;
}
