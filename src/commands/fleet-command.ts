// `tws-risk fleet command`: asks one account's guard to run one of its policy rules' actions, and prints its answer.
import { randomBytes } from 'node:crypto';
import { hostname, userInfo } from 'node:os';
import { systemClock, type Clock } from '../model/clock.js';
import { neutralise } from '../model/text.js';
import type { NatsConnection } from '@nats-io/transport-node';
import { requestCommand, requestCommandAll, type CommandReply, type CommandRequest } from '../streams/nats/command.js';
import { natsUrlProblem } from '../streams/nats/connect.js';
import { readSummaries } from '../streams/nats/fleet.js';
import { DEFAULT_STREAM } from '../streams/nats/subjects.js';
import { connectForCommand, DEFAULT_STALE_AFTER_MS, fleetRows, type FleetRow } from './fleet.js';
import { EXIT, type CommandIo } from './io.js';

export interface FleetCommandFlags {
  readonly nats?: string;
  readonly 'nats-creds'?: string;
  readonly 'nats-stream'?: string;
  readonly account?: string;
  /** The guard to ask, as `HOST/SESSION` (or the session alone), when the account has more than one that listens. */
  readonly guard?: string;
  readonly rule?: string;
  readonly 'confirm-account'?: string;
  readonly operator?: string;
  readonly timeout?: string;
  readonly json?: boolean;
}

/** The guard answers once the action has ended; its own orders wait up to 30 s each by default. */
export const DEFAULT_COMMAND_TIMEOUT_S = 90;

/** A request built as `fleet command` builds it: a fresh id, who asks and from where (what the guard's audit log names). */
export function commandRequest(
  account: string,
  rule: string | number,
  operator: string | undefined,
  now: number,
  aim: Pick<CommandRequest, 'target' | 'expect'> = {},
): CommandRequest {
  let who = operator;
  if (who === undefined) {
    try {
      who = userInfo().username;
    } catch {
      who = 'unknown';
    }
  }
  return {
    format: 'tws-risk-command',
    id: randomBytes(8).toString('hex'),
    rule,
    trigger: 'operator',
    operator: who,
    from: hostname(),
    account,
    at: now,
    ...aim,
  };
}

export type Asked = { readonly ok: true; readonly reply: CommandReply } | { readonly ok: false; readonly exit: number; readonly message: string };

/**
 * Sends a request and waits for the guard's answer, every failure worded for the operator with its exit code: the
 * server's refusal (a credential that may not command), no guard listening, no answer in time, a reply that is not one.
 */
export async function askGuard(nc: NatsConnection, account: string, req: CommandRequest, timeoutMs: number): Promise<Asked> {
  let r: CommandReply | string;
  try {
    r = await requestCommand(nc, account, req, timeoutMs);
  } catch (e) {
    return failure(e, account, req, timeoutMs);
  }
  if (typeof r === 'string') return { ok: false, exit: EXIT.invalid, message: `the answer is not a guard's reply (${r})` };
  return { ok: true, reply: r };
}

/** A request's failure worded for the operator, with its exit code. */
function failure(e: unknown, account: string, req: CommandRequest, timeoutMs: number): { ok: false; exit: number; message: string } {
  const m = (e as Error).message;
  if (/permission/i.test(m))
    return { ok: false, exit: EXIT.invalid, message: `the NATS server refused the command: ${m} (an operator credential is needed; docs/fleet.md)` };
  if (/no responders|503/i.test(m))
    return {
      ok: false,
      exit: EXIT.cannotConnect,
      message: `no guard of account ${account} listens (is it running with --publish, connected, with a policy?); nothing was done`,
    };
  if (/timeout/i.test(m))
    return {
      ok: false,
      exit: EXIT.timedOut,
      message: `no answer within ${timeoutMs / 1000} s: the action may still be running; see the guard's log and audit log (request ${req.id})`,
    };
  return { ok: false, exit: EXIT.cannotConnect, message: m };
}

/** The outcomes in words, for a person (the reply's `outcome` keeps the code's names). */
const OUTCOME_WORDS: Record<CommandReply['outcome'], string> = {
  done: 'DONE',
  failed: 'FAILED',
  refused: 'REFUSED',
  nothingToDo: 'NOTHING TO DO',
  dryRun: 'DRY RUN',
};

/** A guard as `fleet command --guard` takes it and as the table names it. */
export const guardName = (g: { readonly host: string; readonly session: string }) => `${g.host}/${g.session}`;

/** The reply as lines for a terminal (every string came from the guard: neutralised). */
export function replyLines(r: CommandReply, account: string, rule: string | number, requestId: string): string[] {
  const head = `${r.account ?? account}: ${r.rule ?? String(rule)}${r.action ? ` (${r.action})` : ''}: ${OUTCOME_WORDS[r.outcome] ?? r.outcome.toUpperCase()}${r.dryRun ? ' — the guard is a dry run: nothing was sent' : ''}`;
  return [
    neutralise(head),
    ...r.plan.map((l) => `  plan: ${neutralise(l)}`),
    ...r.lines.map((l) => `  ${neutralise(l)}`),
    ...(r.guard ? [`  answered by guard ${neutralise(guardName(r.guard))}${r.dryRun ? ' (dry run)' : ''}`] : []),
    ...(r.actionId ? [`  action ${neutralise(r.actionId)} in the guard's log, audit log and recording; request ${requestId}`] : []),
  ];
}

const listening = (r: FleetRow) => r.role === 'guard' && (r.commands?.length ?? 0) > 0;
const described = (r: FleetRow) =>
  `${neutralise(guardName(r))} (${r.mode === 'trade' ? 'trading' : 'dry run'}; rules: ${r.commands?.map((c) => neutralise(c.name)).join(', ') ?? '-'})`;

export type Chosen =
  | { readonly ok: true; readonly guard: FleetRow; readonly others: readonly FleetRow[] }
  | { readonly ok: false; readonly exit: number; readonly lines: string[] };

/**
 * The one guard a command goes to, from the account's published summaries: the one named by --guard, else the only
 * trading guard that listens, else the only guard that listens (a dry run). Several: none is chosen for the operator,
 * since each guard that hears a command would run it (two trading guards each sold the position in the user trial).
 */
export function chooseGuard(rows: readonly FleetRow[], account: string, guard: string | undefined): Chosen {
  const mine = rows.filter((r) => r.account === account && r.role === 'guard');
  const live = mine.filter((r) => listening(r) && !r.stale);
  const list = (rs: readonly FleetRow[]) => rs.map((r) => `  ${described(r)}`);
  const silent = mine.filter((r) => !live.includes(r));
  const silentLines = silent.map(
    (r) => `  ${neutralise(guardName(r))}: ${r.stale ? `silent for ${Math.round(r.ageMs / 1000)} s` : 'does not listen for commands'}`,
  );
  if (guard !== undefined) {
    const hit = live.find((r) => guardName(r) === guard || r.session === guard);
    if (hit) return { ok: true, guard: hit, others: live.filter((r) => r !== hit) };
    const known = mine.find((r) => guardName(r) === guard || r.session === guard);
    return {
      ok: false,
      exit: EXIT.cannotConnect,
      lines: [
        known
          ? `guard ${neutralise(guard)} of account ${account} ${known.stale ? `has been silent for ${Math.round(known.ageMs / 1000)} s: it would not answer` : 'does not listen for commands'}; nothing was sent`
          : `no guard ${neutralise(guard)} of account ${account} has published a summary; nothing was sent`,
        ...(live.length > 0 ? ['guards that listen:', ...list(live)] : []),
      ],
    };
  }
  if (live.length === 0)
    return {
      ok: false,
      exit: EXIT.cannotConnect,
      lines: [
        `no guard of account ${account} listens (is it running with --publish, connected, with a policy?); nothing was sent`,
        ...(silentLines.length > 0 ? ['guards seen:', ...silentLines] : []),
      ],
    };
  const trading = live.filter((r) => r.mode === 'trade');
  const one = trading.length === 1 ? trading[0]! : trading.length === 0 && live.length === 1 ? live[0]! : undefined;
  if (one) return { ok: true, guard: one, others: live.filter((r) => r !== one) };
  return {
    ok: false,
    exit: EXIT.usage,
    lines: [
      `${live.length} guards of account ${account} listen for commands (${trading.length} trading): a command is run by one guard; name it with --guard HOST/SESSION; nothing was sent`,
      ...list(live),
    ],
  };
}

/** Exit codes like `flatten`'s: 0 done (or a dry run's plan, or nothing to do), 1 refused, 6 failed. */
export function exitOf(r: CommandReply): number {
  if (r.outcome === 'refused') return EXIT.invalid;
  if (r.outcome === 'failed') return EXIT.incomplete;
  return EXIT.ok;
}

export async function fleetCommandCommand(f: FleetCommandFlags, io: CommandIo, rt: { clock?: Clock; env?: NodeJS.ProcessEnv } = {}): Promise<number> {
  const clock = rt.clock ?? systemClock;
  const usage = (m: string) => {
    io.err(`tws-risk fleet command: ${m}`);
    return EXIT.usage;
  };
  if (f.nats === undefined) return usage('--nats nats://HOST:PORT is required');
  const p = natsUrlProblem(f.nats);
  if (p) return usage(`--nats ${p}`);
  if (!f.account) return usage('--account ACCOUNT is required: the account whose guard runs the action');
  if (!f.rule) return usage("--rule NAME is required: the name (or index) of a rule in that guard's policy; a command never sends an order of its own");
  if (f['confirm-account'] === undefined) return usage(`--confirm-account ${f.account} is required: type the account again to confirm`);
  if (f['confirm-account'] !== f.account)
    return usage(`--confirm-account ${JSON.stringify(f['confirm-account'])} is not --account ${JSON.stringify(f.account)}; nothing was sent`);
  let timeoutMs = DEFAULT_COMMAND_TIMEOUT_S * 1000;
  if (f.timeout !== undefined) {
    if (!/^\d+$/.test(f.timeout) || Number(f.timeout) < 1) return usage(`--timeout expects whole seconds, got ${JSON.stringify(f.timeout)}`);
    timeoutMs = Number(f.timeout) * 1000;
  }
  const stream = f['nats-stream'] ?? DEFAULT_STREAM;
  const ruleAsked = /^\d+$/.test(f.rule) ? Number(f.rule) : f.rule;
  const operator = commandRequest(f.account, ruleAsked, f.operator, 0).operator;
  const nc = await connectForCommand(f, io, 'fleet command', `tws-risk fleet command (${operator})`, rt.env);
  if (typeof nc === 'number') return nc;
  try {
    // Which guards listen, from their summaries: the request names one, and every other guard of the account refuses it.
    let rows: FleetRow[];
    try {
      rows = fleetRows((await readSummaries(nc, stream)).summaries, clock.now(), DEFAULT_STALE_AFTER_MS);
    } catch (e) {
      const m = (e as Error).message;
      if (/stream not found/i.test(m)) rows = [];
      else {
        io.err(`tws-risk fleet command: cannot read the guards' summaries in stream ${stream}: ${m}; nothing was sent`);
        return EXIT.cannotConnect;
      }
    }
    const chosen = chooseGuard(rows, f.account, f.guard);
    if (!chosen.ok) {
      for (const l of chosen.lines) io.err(l === chosen.lines[0] ? `tws-risk fleet command: ${l}` : l);
      return chosen.exit;
    }
    const g = chosen.guard;
    const listed = g.commands?.find((c, i) => (typeof ruleAsked === 'number' ? i === ruleAsked : c.name === ruleAsked));
    const target = { host: g.host, session: g.session };
    const req = commandRequest(f['confirm-account'], ruleAsked, f.operator, clock.now(), {
      target,
      // The rule as its summaries list it: a guard whose policy was reloaded since refuses rather than run another.
      ...(listed ? { expect: { name: listed.name, action: listed.action } } : {}),
    });
    io.err(`asking guard ${described(g)}`);
    for (const o of chosen.others) io.err(`  not asked: ${described(o)}`);
    let replies: Array<CommandReply | string>;
    try {
      replies = await requestCommandAll(nc, f.account, req, timeoutMs);
    } catch (e) {
      const failed = failure(e, f.account, req, timeoutMs);
      io.err(`tws-risk fleet command: ${failed.message}`);
      return failed.exit;
    }
    if (replies.length === 0) {
      const failed = failure(new Error('timeout'), f.account, req, timeoutMs);
      io.err(`tws-risk fleet command: ${failed.message}`);
      return failed.exit;
    }
    const good = replies.filter((r): r is CommandReply => typeof r !== 'string');
    for (const r of replies) if (typeof r === 'string') io.err(`tws-risk fleet command: an answer is not a guard's reply (${r})`);
    const fromTarget = (r: CommandReply) => r.guard !== undefined && r.guard.host === target.host && r.guard.session === target.session;
    const mine = good.find(fromTarget) ?? (good.length === 1 && good[0]!.guard === undefined ? good[0] : undefined);
    const others = good.filter((r) => r !== mine);
    if (f.json) io.out(JSON.stringify(mine ? { ...mine, ...(others.length > 0 ? { otherReplies: others } : {}) } : { otherReplies: others }, null, 2));
    else {
      if (mine) for (const l of replyLines(mine, f.account, req.rule, req.id)) io.out(l);
      for (const r of others) {
        io.out(`ANOTHER GUARD ANSWERED (not the one asked):`);
        for (const l of replyLines(r, f.account, req.rule, req.id)) io.out(`  ${l}`);
      }
    }
    // Another guard that did more than refuse is the failure this command exists to prevent: never a quiet exit 0.
    if (others.some((r) => r.outcome !== 'refused')) {
      io.err('tws-risk fleet command: a guard that was not asked answered with an action: check every guard of the account');
      return EXIT.incomplete;
    }
    if (!mine) {
      io.err(`tws-risk fleet command: guard ${neutralise(guardName(target))} did not answer; request ${req.id}`);
      return EXIT.timedOut;
    }
    return exitOf(mine);
  } finally {
    await nc.close().catch(() => undefined);
  }
}
