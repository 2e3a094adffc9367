// The fleet view's remote kill switch: arming for one account, and asking that account's guard to run one of its rules.
import type { NatsConnection } from '@nats-io/transport-node';
import type { Clock } from '../model/clock.js';
import { arm } from '../trading/arming.js';
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
  /** Who asks, for the guard's audit log (default: the login name). */
  readonly operator?: string;
  readonly timeoutMs?: number;
}

export function remoteControl(o: RemoteOptions): RemoteControl {
  let armed: { account: string; until: number } | undefined;
  const timeoutMs = o.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_S * 1000;
  const current = () => (armed && o.clock.now() < armed.until ? armed : undefined);
  return {
    armMinutes: o.armMs / 60_000,
    timeoutS: timeoutMs / 1000,
    now: () => o.clock.now(),
    armed: current,
    arm(account, typed) {
      const r = arm('trade', account, typed, o.clock.now(), o.armMs);
      if ('code' in r) {
        return {
          ok: false,
          message:
            r.code === 'NOT_ARMED'
              ? `Not armed: ${JSON.stringify(typed.slice(0, 20))} is not the last four characters of ${account}; nothing was sent`
              : formatDenial(r),
        };
      }
      armed = { account, until: (r as { until: number }).until };
      return { ok: true, until: armed.until };
    },
    disarm() {
      armed = undefined;
    },
    async send(target: RemoteTarget, rule: string): Promise<RemoteOutcome> {
      const a = current();
      // Checked again as the request leaves: the arming may have expired, or be for another account, while the dialog stood open.
      if (!a || a.account !== target.account)
        return { outcome: 'refused', lines: [`Not sent: remote commands are not armed for ${target.account} (the arming expired or is for another account)`] };
      const req = commandRequest(target.account, rule, o.operator, o.clock.now());
      const asked = await askGuard(o.nc, target.account, req, timeoutMs);
      if (!asked.ok) return { outcome: asked.exit === EXIT.timedOut ? 'unknown' : 'refused', lines: [asked.message] };
      return { outcome: asked.reply.outcome, lines: replyLines(asked.reply, target.account, rule, req.id) };
    },
  };
}
