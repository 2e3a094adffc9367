// `tws-risk fleet command`: asks one account's guard to run one of its policy rules' actions, and prints its answer.
import { randomBytes } from 'node:crypto';
import { hostname, userInfo } from 'node:os';
import { systemClock, type Clock } from '../model/clock.js';
import { neutralise } from '../model/text.js';
import type { NatsConnection } from '@nats-io/transport-node';
import { requestCommand, type CommandReply, type CommandRequest } from '../streams/nats/command.js';
import { natsUrlProblem } from '../streams/nats/connect.js';
import { connectForCommand } from './fleet.js';
import { EXIT, type CommandIo } from './io.js';

export interface FleetCommandFlags {
  readonly nats?: string;
  readonly 'nats-creds'?: string;
  readonly account?: string;
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
  if (typeof r === 'string') return { ok: false, exit: EXIT.invalid, message: `the answer is not a guard's reply (${r})` };
  return { ok: true, reply: r };
}

/** The reply as lines for a terminal (every string came from the guard: neutralised). */
export function replyLines(r: CommandReply, account: string, rule: string | number, requestId: string): string[] {
  const head = `${r.account ?? account}: ${r.rule ?? String(rule)}${r.action ? ` (${r.action})` : ''}: ${r.outcome.toUpperCase()}${r.dryRun ? ' — the guard is a dry run: nothing was sent' : ''}`;
  return [
    neutralise(head),
    ...r.plan.map((l) => `  plan: ${neutralise(l)}`),
    ...r.lines.map((l) => `  ${neutralise(l)}`),
    ...(r.actionId ? [`  action ${neutralise(r.actionId)} in the guard's log, audit log and recording; request ${requestId}`] : []),
  ];
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
  const req = commandRequest(f['confirm-account'], /^\d+$/.test(f.rule) ? Number(f.rule) : f.rule, f.operator, clock.now());
  const operator = req.operator;
  const nc = await connectForCommand(f, io, 'fleet command', `tws-risk fleet command (${operator})`, rt.env);
  if (typeof nc === 'number') return nc;
  try {
    const asked = await askGuard(nc, f.account, req, timeoutMs);
    if (!asked.ok) {
      io.err(`tws-risk fleet command: ${asked.message}`);
      return asked.exit;
    }
    const r = asked.reply;
    if (f.json) io.out(JSON.stringify(r, null, 2));
    else for (const l of replyLines(r, f.account, req.rule, req.id)) io.out(l);
    return exitOf(r);
  } finally {
    await nc.close().catch(() => undefined);
  }
}
