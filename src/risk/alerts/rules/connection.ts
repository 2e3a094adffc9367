// connection.lost, stream.stale and tws.code: can the operator trust what is shown, and what did TWS say?
import { isOperatorStop } from '../../../model/connection.js';
import type { StreamName } from '../../../model/events.js';
import { marketSeverity, type SeverityOrMarket } from '../config.js';
import type { ConnectionMemory, Finding } from '../types.js';
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

const usable = (h: string) => h === 'ready' || h === 'degraded';

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
  const head = hadData ? `Connection to TWS lost ${ageText(now - memory.since)} ago` : 'Not connected to TWS';
  const why =
    cause !== undefined && (cause !== reason || state.health !== 'disconnected') ? `${cause}; now ${state.health}: ${reason}` : `${state.health}: ${reason}`;
  return {
    memory,
    findings: [
      {
        id: 'connection.lost',
        rule: 'connection.lost',
        severity: marketSeverity(cfg.severity, ctx.marketOpen),
        title: `${head} (${why}); nothing shown is current${ctx.marketOpen ? ' and the market is open' : ''}`,
        detail: { health: state.health, reason, cause: cause ?? null, since: memory.since, marketOpen: ctx.marketOpen },
      },
    ],
  };
};

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
    const label = STREAM_LABEL[stream] ?? stream;
    out.push({
      id: `stream.stale:${stream}`,
      rule: 'stream.stale',
      severity: cfg.severity,
      title:
        last === undefined
          ? `${label} never arrived: connected ${ageText(age)} ago (limit ${ageText(limit)})`
          : `${label} stale: last update ${ageText(age)} ago (limit ${ageText(limit)})`,
      detail: { stream, ageMs: age, limitMs: limit, lastUpdate: last ?? null },
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
