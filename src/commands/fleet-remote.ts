// The fleet view's remote kill switch: arming for one account, and asking that account's guard to run one of its rules.
import type { NatsConnection } from '@nats-io/transport-node';
import type { Clock } from '../model/clock.js';
import { join } from 'node:path';
import { arm } from '../trading/arming.js';
import { readingTime } from '../trading/reading-time.js';
import { AuditLog } from '../trading/audit.js';
import { DEFAULT_CONFIRM_READ_MS } from '../config/settings.js';
import { formatDenial } from '../trading/types.js';
import { EXIT } from './io.js';
import { askGuard, commandRequest, DEFAULT_COMMAND_TIMEOUT_S, replyLines } from './fleet-command.js';
import type { RemoteControl, RemoteOutcome, RemoteTarget } from '../views/fleet/FleetView.js';

/*
 * The same rules as the console's trading (DESIGN.md "Safety"), applied to a request instead of an order: nothing is
 * possible without `fleet --trade`; arming is typing the account's last four characters, holds for one account only
 * and expires by itself; the request is checked against the arming again when it leaves (a dialog left open past the
 * expiry sends nothing). What the guard then does is its own policy's action through its own checks (guard.ts), and
 * the server lets only an operator credential publish the request at all.
 */

export interface RemoteOptions {
  readonly nc: NatsConnection;
  readonly clock: Clock;
  /** How long an arming holds (settings `trading.armMinutes`). */
  readonly armMs: number;
  /** How long a confirmation is on screen before its key asks (settings `trading.confirmReadMs`; default 500 ms). */
  readonly readMs?: number;
  /** The reading time's clock: monotonic (the default, monotonicClock), never `clock`; tests pin it. */
  readonly readClock?: Clock;
  /** Who asks, for the guard's audit log (default: the login name). */
  readonly operator?: string;
  readonly timeoutMs?: number;
  /** Where the operator's audit log goes (the data dir's audit/); none: not written (tests of the arming alone). */
  readonly auditDir?: string;
  readonly appVersion?: string;
}

/** The view's port, and for the command: the operator's audit file (once written) and its close. */
export type FleetRemote = RemoteControl & { auditFile(): string | undefined; close(): void };

export function remoteControl(o: RemoteOptions): FleetRemote {
  let armed: { account: string; until: number } | undefined;
  let inFlight = 0;
  // The operator's side of every remote command, in a hash-chained audit log of its own (the guard keeps its own):
  // armings, requests and answers, and what was not sent. Opened at the first of them, so a look at the table leaves no file.
  let log: AuditLog | undefined;
  const audit = (step: string, detail: Record<string, string | number | null>) => {
    if (!o.auditDir) return;
    log ??= new AuditLog(
      join(o.auditDir, `tws-risk-audit-${new Date(o.clock.now()).toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '-')}-fleet.jsonl`),
      { appVersion: o.appVersion ?? 'unknown', account: null, mode: 'fleet', meta: { operator: o.operator ?? null } },
      () => o.clock.now(),
    );
    log.append({ kind: 'fleetCommand', detail: { step, ...detail } });
  };
  const timeoutMs = o.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_S * 1000;
  const current = () => (armed && o.clock.now() < armed.until ? armed : undefined);
  // The console's rule and clock for the confirmation's reading time (the plan dialogs' too).
  const reading = readingTime(o.readMs ?? DEFAULT_CONFIRM_READ_MS, o.readClock);
  return {
    armMinutes: o.armMs / 60_000,
    readMs: reading.readMs,
    onScreen: reading.onScreen,
    readyIn: reading.readyIn,
    tooSoon(target, rule, id) {
      const shownMs = reading.shownMs(id);
      audit('tooSoon', { account: target.account, host: target.host, rule, shownMs, readMs: reading.readMs });
      return shownMs;
    },
    timeoutS: timeoutMs / 1000,
    now: () => o.clock.now(),
    armed: current,
    arm(account, typed) {
      const r = arm('trade', account, typed, o.clock.now(), o.armMs);
      if ('code' in r) {
        audit('armRefused', { account, code: r.code });
        return {
          ok: false,
          message:
            r.code === 'NOT_ARMED'
              ? `Not armed: ${JSON.stringify(typed.slice(0, 20))} is not the last four characters of ${account}; nothing was sent`
              : formatDenial(r),
        };
      }
      armed = { account, until: (r as { until: number }).until };
      audit('armed', { account, until: new Date(armed.until).toISOString() });
      return { ok: true, until: armed.until };
    },
    disarm() {
      if (armed) audit('disarmed', { account: armed.account });
      armed = undefined;
    },
    async send(target: RemoteTarget, index: number, id: string): Promise<RemoteOutcome> {
      const a = current();
      const rule = target.rules[index];
      // Checked again as the request leaves: the arming may have expired, or be for another account, while the dialog stood open.
      if (!a || a.account !== target.account || !rule) {
        const why = !rule ? 'no such rule' : 'remote commands are not armed for ' + target.account + ' (the arming expired or is for another account)';
        audit('notSent', { account: target.account, host: target.host, why });
        return { outcome: 'refused', lines: [`Not sent: ${why}`] };
      }
      // The view checks the reading time first; this is the rule itself (as the console's confirm), so no path skips it.
      if (reading.readyIn(id) > 0) {
        const shownMs = reading.shownMs(id);
        audit('tooSoon', { account: target.account, host: target.host, rule: rule.name, shownMs, readMs: reading.readMs });
        return { outcome: 'refused', lines: [`Not sent: the confirmation had not been on screen whole for its reading time (${reading.readMs} ms)`] };
      }
      // Aimed: only that guard (host and session) answers and acts, and only if its rule there is still the one confirmed.
      const req = commandRequest(target.account, index, o.operator, o.clock.now(), {
        target: { host: target.host, session: target.session },
        expect: { name: rule.name, action: rule.action },
      });
      const who = { account: target.account, host: target.host, session: target.session, rule: rule.name, action: rule.action, request: req.id };
      audit('asked', who);
      inFlight++;
      try {
        const asked = await askGuard(o.nc, target.account, req, timeoutMs);
        if (!asked.ok) {
          audit('answer', { ...who, outcome: asked.exit === EXIT.timedOut ? 'unknown' : 'notAnswered', why: asked.message });
          return { outcome: asked.exit === EXIT.timedOut ? 'unknown' : 'refused', lines: [asked.message] };
        }
        audit('answer', { ...who, outcome: asked.reply.outcome, actionId: asked.reply.actionId });
        return { outcome: asked.reply.outcome, lines: replyLines(asked.reply, target.account, rule.name, req.id) };
      } finally {
        inFlight--;
      }
    },
    inFlight: () => inFlight,
    auditFile: () => log?.file,
    close() {
      log?.close();
    },
  };
}
