// The remote kill switch's request and reply on `tws-risk.<account>.command` (docs/fleet.md "Remote kill switch").
import type { NatsConnection } from '@nats-io/transport-node';
import { commandSubject } from './subjects.js';

/*
 * A command names one of the guard's own policy rules (never an order): the guard runs that rule's action through its
 * own checks. The account is typed again as a confirmation, like `--confirm-account`: the subject routes the request,
 * the field proves the operator meant that account. `operator` and `from` are what the operator's side says; what
 * makes the request legitimate is the server's permission (only the operator credential may publish it).
 */

export interface CommandRequest {
  readonly format: 'tws-risk-command';
  /** A request id, echoed in the reply and written to the audit log. */
  readonly id: string;
  /** The rule: its `name` (`rules[i]` when unnamed) or its 0-based index in the policy. */
  readonly rule: string | number;
  /** What the action answers instead of an alert. */
  readonly trigger: 'operator';
  readonly operator: string;
  /** The operator's host, as the operator's side names it. */
  readonly from: string;
  /** The account, typed again. */
  readonly account: string;
  readonly at: number;
  /**
   * The guard meant, as its summaries name it (the fleet view sends it): every guard of the account hears the
   * subject, and one that is not this host and session stays silent, so only the guard the operator chose answers
   * and acts. Absent (a request from before `fleet command` named its guard): every guard refuses it, since each
   * would otherwise run it (the user trial's two trading guards each sold the position).
   */
  readonly target?: { readonly host: string; readonly session: string };
  /** The rule as the operator saw it confirmed: a guard whose rule at that place is another refuses (a reloaded policy). */
  readonly expect?: { readonly name: string; readonly action: string };
}

/** The guard's outcomes (guardActed `result`), as the reply carries them. */
export type CommandOutcome = 'done' | 'failed' | 'refused' | 'nothingToDo' | 'dryRun';

export interface CommandReply {
  readonly format: 'tws-risk-command-reply';
  readonly id: string | null;
  /** The account this guard follows. */
  readonly account: string | null;
  readonly outcome: CommandOutcome;
  readonly rule: string | null;
  readonly action: string | null;
  /** The guard's action id (its log, audit log and recording name it), when an action ran. */
  readonly actionId: string | null;
  readonly dryRun: boolean;
  /** What the action planned, and what became of it (or why it was refused). */
  readonly plan: readonly string[];
  readonly lines: readonly string[];
  /** The guard that answered, as its summaries name it (absent from guards before it was added). */
  readonly guard?: { readonly host: string; readonly session: string };
}

const MAX_TEXT = 200;
const text = (v: unknown) => typeof v === 'string' && v.length > 0 && v.length <= MAX_TEXT;

/** A request from a message body, or why not (the guard refuses it, saying so). */
export function decodeCommand(body: string): CommandRequest | string {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(body) as Record<string, unknown>;
  } catch {
    return 'not JSON';
  }
  if (typeof o !== 'object' || o === null || o.format !== 'tws-risk-command') return 'not a tws-risk command';
  if (o.trigger !== 'operator') return `trigger must be "operator", got ${JSON.stringify(o.trigger)?.slice(0, 40)}`;
  if (!text(o.rule) && !(Number.isSafeInteger(o.rule) && (o.rule as number) >= 0)) return 'rule must be a rule name or index';
  for (const k of ['id', 'operator', 'from', 'account'] as const) if (!text(o[k])) return `${k} must be a non-empty string (at most ${MAX_TEXT} characters)`;
  if (typeof o.at !== 'number' || !Number.isFinite(o.at)) return 'at must be a time (epoch ms)';
  const t = o.target as Record<string, unknown> | undefined;
  if (t !== undefined && (typeof t !== 'object' || t === null || !text(t.host) || !text(t.session))) return 'target must name a host and a session';
  const x = o.expect as Record<string, unknown> | undefined;
  if (x !== undefined && (typeof x !== 'object' || x === null || !text(x.name) || !text(x.action))) return 'expect must name a rule and its action';
  return o as unknown as CommandRequest;
}

const OUTCOMES: readonly string[] = ['done', 'failed', 'refused', 'nothingToDo', 'dryRun'];
const strs = (v: unknown) => Array.isArray(v) && v.every((x) => typeof x === 'string');
const strOrNull = (v: unknown) => v === null || typeof v === 'string';

export function decodeReply(body: string): CommandReply | string {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(body) as Record<string, unknown>;
  } catch {
    return 'not JSON';
  }
  if (typeof o !== 'object' || o === null || o.format !== 'tws-risk-command-reply') return 'not a tws-risk command reply';
  const ok =
    strOrNull(o.id) &&
    strOrNull(o.account) &&
    OUTCOMES.includes(o.outcome as string) &&
    strOrNull(o.rule) &&
    strOrNull(o.action) &&
    strOrNull(o.actionId) &&
    typeof o.dryRun === 'boolean' &&
    strs(o.plan) &&
    strs(o.lines) &&
    (o.guard === undefined ||
      (typeof o.guard === 'object' &&
        o.guard !== null &&
        text((o.guard as Record<string, unknown>).host) &&
        text((o.guard as Record<string, unknown>).session)));
  return ok ? (o as unknown as CommandReply) : 'a field is missing or of the wrong type';
}

/**
 * Sends a request and waits for the guard's reply (it answers once the action has ended). Throws the client's error:
 * no guard listening (503 no responders), a timeout, or the server refusing the publish (permissions).
 */
export async function requestCommand(nc: NatsConnection, account: string, req: CommandRequest, timeoutMs: number): Promise<CommandReply | string> {
  const m = await nc.request(commandSubject(account), JSON.stringify(req), { timeout: timeoutMs });
  return decodeReply(m.string());
}

/**
 * Sends a request and gathers every reply: until the first, at most `timeoutMs`, then `graceMs` after the last, so a
 * second guard that answered too is seen, not hidden behind the first. Throws as `requestCommand` (no responders, the
 * server's refusal); an empty list is no answer in time.
 */
export async function requestCommandAll(
  nc: NatsConnection,
  account: string,
  req: CommandRequest,
  timeoutMs: number,
  graceMs = 1_500,
): Promise<Array<CommandReply | string>> {
  const it = await nc.requestMany(commandSubject(account), JSON.stringify(req), { strategy: 'stall', maxWait: timeoutMs, stall: graceMs });
  const out: Array<CommandReply | string> = [];
  for await (const m of it) out.push(decodeReply(m.string()));
  return out;
}
