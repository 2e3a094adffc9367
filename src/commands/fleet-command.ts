// `tws-risk fleet command`: asks one account's guard to run one of its policy rules' actions, and prints its answer.
import { randomBytes } from 'node:crypto';
import { hostname, userInfo } from 'node:os';
import { systemClock, type Clock } from '../model/clock.js';
import { neutralise } from '../model/text.js';
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
  let operator = f.operator;
  if (operator === undefined) {
    try {
      operator = userInfo().username;
    } catch {
      operator = 'unknown';
    }
  }
  const req: CommandRequest = {
    format: 'tws-risk-command',
    id: randomBytes(8).toString('hex'),
    rule: /^\d+$/.test(f.rule) ? Number(f.rule) : f.rule,
    trigger: 'operator',
    operator,
    from: hostname(),
    account: f['confirm-account'],
    at: clock.now(),
  };
  const nc = await connectForCommand(f, io, 'fleet command', `tws-risk fleet command (${operator})`, rt.env);
  if (typeof nc === 'number') return nc;
  try {
    let r: CommandReply | string;
    try {
      r = await requestCommand(nc, f.account, req, timeoutMs);
    } catch (e) {
      const m = (e as Error).message;
      if (/permission/i.test(m)) {
        io.err(`tws-risk fleet command: the NATS server refused the command: ${m} (an operator credential is needed; docs/fleet.md)`);
        return EXIT.invalid;
      }
      if (/no responders|503/i.test(m)) {
        io.err(`tws-risk fleet command: no guard of account ${f.account} listens (is it running with --publish, connected, with a policy?); nothing was done`);
        return EXIT.cannotConnect;
      }
      if (/timeout/i.test(m)) {
        io.err(
          `tws-risk fleet command: no answer within ${timeoutMs / 1000} s: the action may still be running; see the guard's log and audit log (request ${req.id})`,
        );
        return EXIT.timedOut;
      }
      io.err(`tws-risk fleet command: ${m}`);
      return EXIT.cannotConnect;
    }
    if (typeof r === 'string') {
      io.err(`tws-risk fleet command: the answer is not a guard's reply (${r})`);
      return EXIT.invalid;
    }
    if (f.json) io.out(JSON.stringify(r, null, 2));
    else {
      const head = `${r.account ?? f.account}: ${r.rule ?? String(req.rule)}${r.action ? ` (${r.action})` : ''}: ${r.outcome.toUpperCase()}${r.dryRun ? ' — the guard is a dry run: nothing was sent' : ''}`;
      io.out(neutralise(head));
      for (const l of r.plan) io.out(`  plan: ${neutralise(l)}`);
      for (const l of r.lines) io.out(`  ${neutralise(l)}`);
      if (r.actionId) io.out(`  action ${neutralise(r.actionId)} in the guard's log, audit log and recording; request ${req.id}`);
    }
    return exitOf(r);
  } finally {
    await nc.close().catch(() => undefined);
  }
}
