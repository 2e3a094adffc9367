// What the console does when an alert changes, besides listing and recording it: the terminal bell, the hook
// program and the audit line. Side effects only; no Ink, so it is tested on its own (docs/alerts.md "Bell", "Hook").
import { spawn } from 'node:child_process';
import type { AlertEffectLevel, AlertEffectSettings, AlertHookSettings } from '../config/settings.js';
import type { JsonValue, OperatorDetail } from '../model/events.js';
import { SEVERITY_RANK, transitionJson, type AlertTransition } from '../risk/alerts/index.js';

/** The terminal bell. */
export const BEL = '\u0007';

/** How long a hook gets between SIGTERM (at its timeout) and SIGKILL. */
const KILL_GRACE_MS = 2_000;
/**
 * How long, after the hook's process exited, its stderr may still take to reach its end. A child that left the
 * hook's process group (setsid) can hold the pipe open forever; past this the pipe is dropped, not waited on.
 */
const STDIO_DRAIN_MS = 250;
/** How much of a failed hook's stderr goes into the note. */
const STDERR_TAIL = 400;
/**
 * How many hooks may wait for a free slot (past `maxRunning`), run in the order they came; only one past this is
 * dropped. A crash raises and clears dozens of alerts at once, each a page: a full book's worth waits, while a hook
 * that hangs on every run cannot grow the queue (and the exit it delays) without end (docs/alerts.md "Hook").
 */
export const HOOK_QUEUE_BOUND = 256;

type JsonObject = { [k: string]: JsonValue };

/** What the hook reads for a guard action: the action, its outcome, the alert and rule it answered, the account. */
export interface GuardHookPayload extends JsonObject {
  readonly action: string;
  readonly outcome: string;
  readonly alert: { readonly id: string; readonly severity: string; readonly title: string };
  readonly rule: string;
  readonly policyHash: string;
  readonly dryRun: boolean;
  readonly account: string | null;
  readonly lines: string[];
}

export interface AlertEffectsOptions {
  readonly settings: AlertEffectSettings;
  /** Where the bell goes: the stream the console renders on (Ink's stdout). */
  readonly terminal?: { write(chunk: string): unknown };
  /** Records a hook's failure, drop or kill in the session (operatorActed 'alertHook'). */
  readonly note?: (detail: OperatorDetail<'alertHook'>) => void;
  /** Appends a transition to the trading audit log, when one is open (console --trade). */
  readonly audit?: (transition: JsonObject) => void;
  /** The hook's environment; default the console's. */
  readonly env?: NodeJS.ProcessEnv;
  /** When a hook starts, for "started 2 s ago" at quit (default Date.now). */
  readonly now?: () => number;
}

/** A hook running now: what the quit says it waits for. */
export interface RunningHook {
  readonly program: string;
  /** The transition it runs for ("margin.warning raised"). */
  readonly what: string;
  readonly startedAt: number;
  readonly timeoutMs: number;
}

export interface AlertEffects {
  /** Acts on one evaluation's transitions, in order. Never blocks: a hook runs on its own. */
  handle(transitions: readonly AlertTransition[], account: string | undefined): void;
  /**
   * The guard daemon's action (docs/guard.md "Hook"): the hook runs once with `{"kind":"guardAction", ...}`, whatever
   * the alert's severity, because an action or its failure is what a supervisor must hear about.
   */
  action(payload: GuardHookPayload): void;
  /** Hooks running now. */
  readonly running: number;
  /** Hooks waiting for a free slot, at most HOOK_QUEUE_BOUND. */
  readonly waiting: number;
  /** Resolves once no hook is running or waiting (tests and shutdown; the console never waits on a hook otherwise). */
  idle(): Promise<void>;
  /** The hooks running now, oldest first. */
  runningHooks(): readonly RunningHook[];
  /** From now on each note (failure, kill, drop) is also given to `f`: at quit, where the feed is closed, to stderr. */
  alsoNote(f: (detail: OperatorDetail<'alertHook'>) => void): void;
  /**
   * Stops waiting for hooks (the operator's second Ctrl-C at quit): the waiting ones are dropped, each with a note,
   * and every running one's process group is killed (SIGKILL: the operator asked not to wait); each kill is noted.
   */
  killAll(why: string): void;
}

const atLeast = (severity: AlertTransition['alert']['severity'], level: AlertEffectLevel): boolean =>
  level !== 'off' && SEVERITY_RANK[severity] >= SEVERITY_RANK[level];

/** Whether one evaluation's transitions ring the bell: an alert at or above `level` raised or escalated. One BEL per batch. */
export function ringsBell(transitions: readonly AlertTransition[], level: AlertEffectLevel): boolean {
  return transitions.some((t) => (t.kind === 'raised' || t.kind === 'escalated') && atLeast(t.alert.severity, level));
}

/** The transitions the hook runs for: raised, escalated or cleared, with the alert at or above `minSeverity`. */
export function hookTransitions(transitions: readonly AlertTransition[], minSeverity: AlertHookSettings['minSeverity']): AlertTransition[] {
  return transitions.filter((t) => t.kind !== 'deescalated' && atLeast(t.alert.severity, minSeverity));
}

/** What a hook reads on its stdin: the transition as recorded (transitionJson) plus the account. One JSON line. */
export function hookPayload(t: AlertTransition, account: string | undefined): JsonObject {
  return { ...transitionJson(t), account: account ?? null };
}

/** One hook run: what runHook takes. */
interface HookRun {
  readonly hook: AlertHookSettings;
  readonly payload: JsonObject;
  readonly what: string;
  readonly base: { hook: string; alert: string; kind: string };
  readonly env: Record<string, string>;
}

export function createAlertEffects(o: AlertEffectsOptions): AlertEffects {
  const now = o.now ?? Date.now;
  let running = 0;
  const live = new Map<RunningHook, (why: string) => void>();
  const noteTo: ((detail: OperatorDetail<'alertHook'>) => void)[] = [];
  const note = (detail: OperatorDetail<'alertHook'>) => {
    o.note?.(detail);
    for (const f of noteTo) f(detail);
  };
  const queue: HookRun[] = [];
  let waiters: (() => void)[] = [];
  /** A hook ended: its slot goes to the longest waiting one. */
  const settle = () => {
    running--;
    const next = queue.shift();
    if (next) start(next);
    if (running === 0 && queue.length === 0) {
      const w = waiters;
      waiters = [];
      for (const f of w) f();
    }
  };

  /** Runs the hook now, or once a slot is free (FIFO); dropped, with a note, only when the queue is full. */
  const runHook = (run: HookRun): void => {
    if (running < run.hook.maxRunning) start(run);
    else if (queue.length < HOOK_QUEUE_BOUND) queue.push(run);
    else {
      const message =
        `alert hook not run for ${run.what}: ${running} hook(s) still running and ${queue.length} waiting ` +
        `(maxRunning ${run.hook.maxRunning}, at most ${HOOK_QUEUE_BOUND} waiting)`;
      note({ ...run.base, outcome: 'dropped', message });
    }
  };

  /** Runs the hook once with `payload` as its stdin line; `what` names it in notes, `base` heads each note. */
  const start = ({ hook, payload, what, base, env }: HookRun): void => {
    const [program, ...args] = hook.command;
    running++;
    const entry: RunningHook = { program: program!, what, startedAt: now(), timeoutMs: hook.timeoutMs };
    let done = false;
    let timedOut = false;
    let stoppedBy: string | undefined;
    let stderr = '';
    let killTimer: ReturnType<typeof setTimeout> | undefined;
    let drainTimer: ReturnType<typeof setTimeout> | undefined;
    const finish = (detail: Omit<OperatorDetail<'alertHook'>, 'hook' | 'alert' | 'kind'> | undefined) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (drainTimer) clearTimeout(drainTimer);
      // After a timeout the SIGKILL still goes out on schedule: members of the group that ignored SIGTERM may
      // outlive the hook's own process. It fires within the documented bound (timeout + 2 s).
      if (killTimer && !timedOut) clearTimeout(killTimer);
      live.delete(entry);
      if (detail) note({ ...base, ...detail });
      settle();
    };
    let child: ReturnType<typeof spawn>;
    try {
      // No shell: the command is a program and its arguments, nothing in an alert's title can become shell syntax.
      // Its own process group, so that a timeout kills what the hook started too. Its output never reaches the
      // terminal the console draws on.
      child = spawn(program!, args, {
        stdio: ['pipe', 'ignore', 'pipe'],
        detached: process.platform !== 'win32',
        env: { ...(o.env ?? process.env), ...env },
      });
    } catch (e) {
      note({ ...base, outcome: 'spawnError', message: `alert hook ${program} could not start for ${what}: ${(e as Error).message}` });
      settle();
      return;
    }
    const kill = (signal: NodeJS.Signals) => {
      try {
        if (child.pid !== undefined && process.platform !== 'win32') process.kill(-child.pid, signal);
        else child.kill(signal);
      } catch {
        // Already gone.
      }
    };
    live.set(entry, (why) => {
      stoppedBy = why;
      kill('SIGKILL');
    });
    const timer = setTimeout(() => {
      timedOut = true;
      kill('SIGTERM');
      killTimer = setTimeout(() => kill('SIGKILL'), KILL_GRACE_MS);
    }, hook.timeoutMs);
    child.stderr?.on('data', (b: Buffer) => {
      stderr = (stderr + b.toString('utf8')).slice(-STDERR_TAIL);
    });
    child.on('error', (e) => finish({ outcome: 'spawnError', message: `alert hook ${program} could not start for ${what}: ${e.message}` }));
    const ended = (code: number | null, signal: NodeJS.Signals | null) => {
      const tail = stderr.trim();
      if (stoppedBy !== undefined) {
        finish({
          outcome: 'failed',
          message: `alert hook ${program} killed (${stoppedBy}) for ${what}`,
          exitCode: code,
          signal: signal ?? null,
          ...(tail ? { stderr: tail } : {}),
        });
      } else if (timedOut) {
        finish({
          outcome: 'timedOut',
          message: `alert hook ${program} killed after ${hook.timeoutMs} ms (timeout) for ${what}`,
          ...(tail ? { stderr: tail } : {}),
        });
      } else if (code !== 0) {
        const how = code === null ? `was killed by ${signal ?? 'a signal'}` : `exited with code ${code}`;
        finish({ outcome: 'failed', message: `alert hook ${program} ${how} for ${what}${tail ? `: ${tail}` : ''}`, exitCode: code, signal: signal ?? null });
      } else finish(undefined);
    };
    // 'close' (the stderr tail is complete then), unless a child that escaped the group holds the pipe: then the
    // exit, a moment later, with the pipes dropped so they keep neither the hook slot nor the process alive.
    child.on('close', ended);
    child.on('exit', (code, signal) => {
      drainTimer = setTimeout(() => {
        child.stderr?.destroy();
        child.stdin?.destroy();
        ended(code, signal);
      }, STDIO_DRAIN_MS);
    });
    // A hook that does not read its stdin may exit before the write: that is its business, not an error.
    child.stdin?.on('error', () => {});
    child.stdin?.end(`${JSON.stringify(payload)}\n`);
  };

  return {
    handle(transitions, account) {
      if (transitions.length === 0) return;
      for (const t of transitions) o.audit?.(transitionJson(t));
      if (o.terminal && ringsBell(transitions, o.settings.bell)) o.terminal.write(BEL);
      const hook = o.settings.hook;
      if (!hook) return;
      for (const t of hookTransitions(transitions, hook.minSeverity)) {
        runHook({
          hook,
          payload: hookPayload(t, account),
          what: `${t.alert.id} ${t.kind}`,
          base: { hook: hook.command[0]!, alert: t.alert.id, kind: t.kind },
          env: {
            TWS_RISK_ALERT_ID: t.alert.id,
            TWS_RISK_ALERT_KIND: t.kind,
            TWS_RISK_ALERT_SEVERITY: t.alert.severity,
          },
        });
      }
    },
    action(payload) {
      const hook = o.settings.hook;
      if (!hook) return;
      const alert = payload.alert as { id: string; severity: string };
      runHook({
        hook,
        payload: { kind: 'guardAction', ...payload },
        what: `guard ${payload.action} for ${alert.id}`,
        base: { hook: hook.command[0]!, alert: alert.id, kind: 'guardAction' },
        env: {
          TWS_RISK_ALERT_ID: alert.id,
          TWS_RISK_ALERT_KIND: 'guardAction',
          TWS_RISK_ALERT_SEVERITY: alert.severity,
          TWS_RISK_GUARD_ACTION: payload.action,
          TWS_RISK_GUARD_OUTCOME: payload.outcome,
        },
      });
    },
    get running() {
      return running;
    },
    get waiting() {
      return queue.length;
    },
    idle() {
      return running === 0 && queue.length === 0 ? Promise.resolve() : new Promise((r) => waiters.push(r));
    },
    runningHooks: () => [...live.keys()],
    alsoNote(f) {
      noteTo.push(f);
    },
    killAll(why) {
      for (const run of queue.splice(0)) note({ ...run.base, outcome: 'dropped', message: `alert hook not run for ${run.what}: ${why}` });
      for (const stop of live.values()) stop(why);
      // The queue emptied with nothing running: whoever waits on idle() goes now.
      if (running === 0) {
        const w = waiters;
        waiters = [];
        for (const f of w) f();
      }
    },
  };
}

/** "58 s", "2 min 5 s": a wait said whole. */
const seconds = (ms: number): string => {
  const s = Math.max(0, Math.ceil(ms / 1000));
  return s < 120 ? `${s} s` : `${Math.floor(s / 60)} min${s % 60 ? ` ${s % 60} s` : ''}`;
};

/** What the quit says while it waits: which hooks run, since when, and the longest it may wait for them. */
export function hooksAtQuitText(running: readonly RunningHook[], waiting: number, now: number): string {
  const upTo = Math.max(0, ...running.map((h) => h.startedAt + h.timeoutMs + KILL_GRACE_MS - now));
  const each = running.map((h) => `${h.program} for ${h.what}, started ${seconds(now - h.startedAt)} ago`).join('; ');
  const hooks = running.length === 1 ? 'the alert hook' : `${running.length} alert hooks`;
  const queued = waiting > 0 ? `, then ${waiting} waiting their turn (each up to its timeout)` : '';
  const them = running.length + waiting === 1 ? 'it' : 'them';
  return `waiting up to ${seconds(upTo)} for ${hooks} (${each})${queued}; Ctrl-C again stops waiting and kills ${them}`;
}

/**
 * The process's signals while the quit waits for hooks (`waitForHooksAtQuit`'s `interrupt`): Ctrl-C again (SIGINT) is
 * the operator's way out, and kills them. A hangup or a SIGTERM is not: pressing q on a critical alert and closing the
 * terminal window sent SIGHUP, and the page the hook was sending was killed. Those are listened to (their default
 * action would end the process, and the wait with it) and only said: the wait goes on, bounded by the hooks'
 * timeouts, and their notes may go to a terminal that is gone.
 */
export function quitSignals(err: (line: string) => void): (stop: () => void) => () => void {
  return (stop) => {
    const held = (s: 'SIGHUP' | 'SIGTERM') => () => err(`tws-risk: ${s}: still waiting for the alert hooks, not killing them (Ctrl-C kills them)`);
    const listeners = [['SIGINT', stop] as const, ['SIGHUP', held('SIGHUP')] as const, ['SIGTERM', held('SIGTERM')] as const];
    for (const [s, l] of listeners) process.on(s, l);
    return () => {
      for (const [s, l] of listeners) process.off(s, l);
    };
  };
}

/**
 * At quit (docs/alerts.md "Hook"): a hook still running or waiting is waited for, not abandoned (it may be the page
 * for the alert that made the operator quit), and said on stderr: which, and for how long at most. From then on each
 * failure, kill or drop is printed too (the feed is closed: it is no longer recorded). `interrupt` registers the
 * operator's way out (SIGINT, `quitSignals`): it kills the hooks and stops waiting. Resolves with how many failed.
 */
export async function waitForHooksAtQuit(
  all: readonly AlertEffects[],
  o: { readonly err: (line: string) => void; readonly now: () => number; readonly interrupt?: (stop: () => void) => () => void },
): Promise<number> {
  const busy = all.filter((e) => e.running + e.waiting > 0);
  if (busy.length === 0) return 0;
  let failed = 0;
  for (const e of busy)
    e.alsoNote((d) => {
      failed++;
      o.err(`tws-risk: ${d.message}`);
    });
  const running = busy.flatMap((e) => e.runningHooks()).sort((a, b) => a.startedAt - b.startedAt);
  o.err(
    `tws-risk: ${hooksAtQuitText(
      running,
      busy.reduce((n, e) => n + e.waiting, 0),
      o.now(),
    )}`,
  );
  const off = o.interrupt?.(() => {
    for (const e of busy) e.killAll('Ctrl-C at quit');
  });
  try {
    await Promise.all(busy.map((e) => e.idle()));
  } finally {
    off?.();
  }
  return failed;
}
