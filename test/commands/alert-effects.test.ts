// The console's alert side effects on their own: the bell, a real hook program (stdin JSON, timeout, failures,
// concurrency) and the settings that configure them (docs/alerts.md "Bell", "Hook").
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BEL, createAlertEffects, HOOK_QUEUE_BOUND, hookTransitions, ringsBell, waitForHooksAtQuit } from '../../src/commands/alert-effects.js';
import { loadSettings, parseAlertEffects } from '../../src/config/load.js';
import type { AlertEffectSettings } from '../../src/config/settings.js';
import type { JsonValue } from '../../src/model/events.js';
import { evaluateAlerts, INITIAL_ALERT_STATE, DEFAULT_ALERT_CONFIG, type Alert, type AlertTransition } from '../../src/risk/alerts/index.js';
import { waitFor } from '../sim/helpers.js';
import { bookState } from '../support/book.js';

const dir = mkdtempSync(join(tmpdir(), 'tws-risk-hook-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The transitions the real engine gives on the test book: concentration.und:AAPL raised as a warning. */
function engineTransitions(): AlertTransition[] {
  const state = bookState();
  const t0 = state.lastEventAt;
  const a = evaluateAlerts(INITIAL_ALERT_STATE, { state, config: DEFAULT_ALERT_CONFIG, now: t0 });
  const b = evaluateAlerts(a.state, { state, config: DEFAULT_ALERT_CONFIG, now: t0 + 1000 });
  expect(b.transitions.map((t) => [t.kind, t.alert.id, t.alert.severity])).toEqual([['raised', 'concentration.und:AAPL', 'warning']]);
  return [...b.transitions];
}

const critical: Alert = {
  id: 'excess.negative',
  rule: 'excess.negative',
  severity: 'critical',
  title: 'ExcessLiquidity is −12,000 USD: IBKR is liquidating',
  detail: { excess: -12000 },
  firstSeenAt: 1000,
  raisedAt: 2000,
  lastSeenAt: 2000,
  acknowledged: false,
};
const escalated: AlertTransition = { kind: 'escalated', at: 3000, from: 'warning', alert: { ...critical, lastSeenAt: 3000 } };
const deescalated: AlertTransition = { kind: 'deescalated', at: 4000, from: 'critical', alert: { ...critical, severity: 'warning' } };
const cleared: AlertTransition = { kind: 'cleared', at: 5000, alert: critical };

function script(name: string, body: string): string {
  const file = join(dir, name);
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}

function rig(settings: AlertEffectSettings) {
  const written: string[] = [];
  const notes: { [k: string]: JsonValue }[] = [];
  const audited: { [k: string]: JsonValue }[] = [];
  const fx = createAlertEffects({ settings, terminal: { write: (s: string) => written.push(s) }, note: (d) => notes.push(d), audit: (t) => audited.push(t) });
  return { fx, written, notes, audited };
}

const hook = (command: string[], over: Partial<NonNullable<AlertEffectSettings['hook']>> = {}) => ({
  command,
  timeoutMs: 10_000,
  minSeverity: 'warning' as const,
  maxRunning: 4,
  ...over,
});

describe('the terminal bell', () => {
  it('rings once per evaluation when an alert at or above the level is raised or escalated, never on de-escalation or clearing', () => {
    const warn = engineTransitions();
    expect(ringsBell(warn, 'critical')).toBe(false);
    expect(ringsBell(warn, 'warning')).toBe(true);
    expect(ringsBell([escalated], 'critical')).toBe(true);
    expect(ringsBell([deescalated, cleared], 'info')).toBe(false);
    expect(ringsBell(warn, 'off')).toBe(false);

    const r = rig({ bell: 'warning' });
    r.fx.handle([...warn, escalated], 'DU1234567');
    expect(r.written).toEqual([BEL]); // two alerts in one evaluation: one bell
    r.fx.handle([deescalated, cleared], 'DU1234567');
    expect(r.written).toEqual([BEL]);
    const quiet = rig({ bell: 'critical' });
    quiet.fx.handle(warn, 'DU1234567');
    expect(quiet.written).toEqual([]);
  });

  it('hands every transition to the audit log, as its recorded JSON', () => {
    const r = rig({ bell: 'off' });
    r.fx.handle([escalated, cleared], 'DU1234567');
    expect(r.audited).toEqual([
      expect.objectContaining({
        kind: 'escalated',
        at: 3000,
        from: 'warning',
        alert: expect.objectContaining({ id: 'excess.negative', severity: 'critical' }),
      }),
      expect.objectContaining({ kind: 'cleared', at: 5000 }),
    ]);
  });
});

describe('the alert hook', () => {
  it('runs for raised, escalated and cleared at or above minSeverity', () => {
    const warn = engineTransitions();
    expect(hookTransitions([...warn, escalated, deescalated, cleared], 'warning').map((t) => t.kind)).toEqual(['raised', 'escalated', 'cleared']);
    expect(hookTransitions([...warn, escalated, cleared], 'critical').map((t) => t.kind)).toEqual(['escalated', 'cleared']);
  });

  it('gets the transition and the account as one JSON line on its stdin, without a shell', async () => {
    const out = join(dir, 'stdin.json');
    const env = join(dir, 'env.txt');
    const h = script('record.sh', `cat > "$1"; printf '%s %s %s' "$TWS_RISK_ALERT_ID" "$TWS_RISK_ALERT_KIND" "$TWS_RISK_ALERT_SEVERITY" > "$2"`);
    // An argument with shell syntax in it reaches the program as it is: no shell parses the command.
    const r = rig({ bell: 'off', hook: hook([h, out, env, '$(touch pwned); `x`']) });
    const [t] = engineTransitions();
    r.fx.handle([t!], 'DU1234567');
    await r.fx.idle();
    const json = JSON.parse(readFileSync(out, 'utf8')) as Record<string, unknown>;
    expect(json).toEqual({
      kind: 'raised',
      at: t!.at,
      account: 'DU1234567',
      alert: expect.objectContaining({
        id: 'concentration.und:AAPL',
        rule: 'concentration.und',
        severity: 'warning',
        title: t!.alert.title,
        acknowledged: false,
      }),
    });
    expect(readFileSync(out, 'utf8').endsWith('}\n')).toBe(true);
    expect(readFileSync(env, 'utf8')).toBe('concentration.und:AAPL raised warning');
    expect(existsSync(join(dir, 'pwned'))).toBe(false);
    expect(r.notes).toEqual([]); // success leaves no note
  });

  it('kills a hook (and what it started) at its timeout, and notes it', async () => {
    const pids = join(dir, 'pids.txt');
    const h = script('slow.sh', `sleep 30 & echo "$$ $!" > "${pids}"; wait`);
    const r = rig({ bell: 'off', hook: hook([h], { timeoutMs: 300, minSeverity: 'critical' }) });
    r.fx.handle([escalated], 'U1');
    expect(r.fx.running).toBe(1);
    await r.fx.idle();
    expect(r.fx.running).toBe(0);
    expect(r.notes).toEqual([
      {
        hook: h,
        alert: 'excess.negative',
        kind: 'escalated',
        outcome: 'timedOut',
        message: `alert hook ${h} killed after 300 ms (timeout) for excess.negative escalated`,
      },
    ]);
    const alive = (pid: number) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    const [shell, sleeper] = readFileSync(pids, 'utf8').trim().split(' ').map(Number);
    await waitFor(() => !alive(shell!) && !alive(sleeper!), 5_000, 'the hook and its child gone');
  });

  it('notes a non-zero exit with the tail of its stderr, and a program that cannot start', async () => {
    const h = script('fail.sh', 'echo "pager unreachable" >&2; exit 3');
    const r = rig({ bell: 'off', hook: hook([h]) });
    r.fx.handle([cleared], 'U1');
    await r.fx.idle();
    expect(r.notes).toEqual([
      expect.objectContaining({
        outcome: 'failed',
        exitCode: 3,
        alert: 'excess.negative',
        kind: 'cleared',
        message: `alert hook ${h} exited with code 3 for excess.negative cleared: pager unreachable`,
      }),
    ]);
    const missing = join(dir, 'no-such-hook');
    const m = rig({ bell: 'off', hook: hook([missing]) });
    m.fx.handle([cleared], 'U1');
    await m.fx.idle();
    expect(m.notes).toEqual([
      expect.objectContaining({
        outcome: 'spawnError',
        message: expect.stringMatching(new RegExp(`^alert hook ${missing} could not start for excess.negative cleared: .*ENOENT`)),
      }),
    ]);
  });

  /** A hook that writes its alert id to `log` as it starts, then waits for `gate` to exist. */
  const gated = (name: string) => {
    const gate = join(dir, `${name}.gate`);
    const log = join(dir, `${name}.log`);
    return { gate, log, file: script(`${name}.sh`, `echo "$TWS_RISK_ALERT_ID" >> "${log}"; while [ ! -e "${gate}" ]; do sleep 0.02; done`) };
  };
  const clearedOf = (id: string): AlertTransition => ({ ...cleared, alert: { ...critical, id } });
  const started = (log: string) => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : []);

  it('a burst past maxRunning waits its turn: every hook runs, none dropped (5 alerts cleared at once, maxRunning 4)', async () => {
    const g = gated('burst');
    const r = rig({ bell: 'off', hook: hook([g.file], { minSeverity: 'info' }) });
    const ids = ['margin.warning', 'cushion.band', 'excess.negative', 'liquidation.near', 'connection.lost'];
    r.fx.handle(ids.map(clearedOf), 'U1');
    expect([r.fx.running, r.fx.waiting]).toEqual([4, 1]);
    await waitFor(() => started(g.log).length === 4, 10_000, 'the first four hooks started');
    expect(started(g.log).sort()).toEqual(ids.slice(0, 4).sort()); // the fifth waits for a slot
    writeFileSync(g.gate, '');
    await r.fx.idle();
    expect(started(g.log).sort()).toEqual([...ids].sort());
    expect([r.fx.running, r.fx.waiting]).toEqual([0, 0]);
    expect(r.notes).toEqual([]); // all ran and ended well: no trace
  });

  it('runs the waiting hooks in the order their transitions came, guard actions among them', async () => {
    const g = gated('fifo');
    const r = rig({ bell: 'off', hook: hook([g.file], { maxRunning: 1, minSeverity: 'info' }) });
    r.fx.handle([clearedOf('a'), clearedOf('b')], 'U1');
    r.fx.action({
      action: 'notify',
      outcome: 'done',
      alert: { id: 'c', severity: 'info', title: 'c' },
      rule: 'r',
      policyHash: 'p',
      dryRun: false,
      account: 'U1',
      lines: [],
    });
    r.fx.handle([clearedOf('d')], 'U1');
    await waitFor(() => started(g.log).length === 1, 10_000, 'the first hook started');
    expect([r.fx.running, r.fx.waiting]).toEqual([1, 3]);
    writeFileSync(g.gate, '');
    await r.fx.idle();
    expect(started(g.log)).toEqual(['a', 'b', 'c', 'd']);
    expect(r.notes).toEqual([]);
  });

  it(`drops a hook only past the queue's bound (${HOOK_QUEUE_BOUND} waiting), with a note naming it`, async () => {
    const g = gated('bound');
    const r = rig({ bell: 'off', hook: hook([g.file], { minSeverity: 'info' }) });
    const ids = Array.from({ length: 4 + HOOK_QUEUE_BOUND + 2 }, (_, i) => `position.${i}`);
    r.fx.handle(ids.map(clearedOf), 'U1');
    expect([r.fx.running, r.fx.waiting]).toEqual([4, HOOK_QUEUE_BOUND]);
    const dropped = ids.slice(4 + HOOK_QUEUE_BOUND);
    expect(r.notes).toEqual(
      dropped.map((id) => ({
        hook: g.file,
        alert: id,
        kind: 'cleared',
        outcome: 'dropped',
        message: `alert hook not run for ${id} cleared: 4 hook(s) still running and ${HOOK_QUEUE_BOUND} waiting (maxRunning 4, at most ${HOOK_QUEUE_BOUND} waiting)`,
      })),
    );
    writeFileSync(g.gate, '');
    await r.fx.idle();
    expect(started(g.log).sort()).toEqual(ids.slice(0, 4 + HOOK_QUEUE_BOUND).sort()); // every one queued ran
    expect(r.notes).toHaveLength(dropped.length);
  }, 60_000);

  it('a hook that cannot start gives its slot to the next one waiting', async () => {
    const missing = join(dir, 'no-such-hook');
    const r = rig({ bell: 'off', hook: hook([missing], { maxRunning: 1, minSeverity: 'info' }) });
    r.fx.handle([clearedOf('x'), clearedOf('y')], 'U1');
    await r.fx.idle();
    expect(r.notes.map((n) => [n.alert, n.outcome])).toEqual([
      ['x', 'spawnError'],
      ['y', 'spawnError'],
    ]);
  });
});

describe('hooks at quit', () => {
  it('says which hooks it waits for, with the bound from the clock, then prints a hook failing meanwhile', async () => {
    // Each hook blocks until its FIFO is written: the test decides when it ends, no timer involved.
    const fifo = join(dir, 'quit-fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const pager = script('quit-pager.sh', `touch "$1"\nread x < "${fifo}"\necho "pager said $x" >&2\nexit 3`);
    let now = 1_000_000;
    const notes: JsonValue[] = [];
    const fx = createAlertEffects({
      settings: { bell: 'off', hook: hook([pager, join(dir, 'quit-started')], { timeoutMs: 60_000, maxRunning: 1 }) },
      note: (d) => notes.push(d),
      now: () => now,
    });
    fx.handle([escalated, cleared], 'DU1');
    await waitFor(() => existsSync(join(dir, 'quit-started')), 10_000, 'the hook running');
    now += 2_000;
    const err: string[] = [];
    const waited = waitForHooksAtQuit([fx], { err: (l) => err.push(l), now: () => now });
    expect(err).toEqual([
      `tws-risk: waiting up to 60 s for the alert hook (${pager} for excess.negative escalated, started 2 s ago), then 1 waiting their turn (each up to its timeout); Ctrl-C again stops waiting and kills them`,
    ]);
    // Both runs read the FIFO in turn: one write each.
    writeFileSync(fifo, 'no\n');
    await waitFor(() => err.length === 2, 10_000, 'the first failure printed');
    writeFileSync(fifo, 'no\n');
    expect(await waited).toBe(2);
    expect(err.slice(1)).toEqual([
      `tws-risk: alert hook ${pager} exited with code 3 for excess.negative escalated: pager said no`,
      `tws-risk: alert hook ${pager} exited with code 3 for excess.negative cleared: pager said no`,
    ]);
    // Still noted for the session as before.
    expect(notes).toHaveLength(2);
    // Nothing running: nothing said.
    expect(await waitForHooksAtQuit([fx], { err: (l) => err.push(l), now: () => now })).toBe(0);
    expect(err).toHaveLength(3);
  });
});

describe('alerts.bell and alerts.hook settings', () => {
  it('defaults to the bell on critical alerts and no hook', () => {
    expect(parseAlertEffects({}, 's.json')).toEqual({ effects: { bell: 'critical' }, problems: [] });
  });

  it('takes a program path or a program with arguments, with defaults for the rest', () => {
    expect(parseAlertEffects({ bell: 'warning', hook: { command: '/usr/local/bin/page-me' } }, 's.json')).toEqual({
      effects: { bell: 'warning', hook: { command: ['/usr/local/bin/page-me'], timeoutMs: 10_000, minSeverity: 'warning', maxRunning: 4 } },
      problems: [],
    });
    expect(
      parseAlertEffects({ hook: { command: ['notify', '--urgent'], timeoutMs: 2000, minSeverity: 'critical', maxRunning: 1 } }, 's.json').effects.hook,
    ).toEqual({ command: ['notify', '--urgent'], timeoutMs: 2000, minSeverity: 'critical', maxRunning: 1 });
  });

  it('names each bad key in the file, keeps the defaults, and leaves a hook without a command off', () => {
    const r = parseAlertEffects({ bell: 'loud', hook: { command: '', timeoutMs: -1, minSeverity: 'urgent', shell: true } }, 's.json');
    expect(r.effects).toEqual({ bell: 'critical' });
    expect(r.problems).toEqual([
      's.json: error at bell: expected one of "off", "info", "warning", "critical", got "loud"',
      's.json: error at hook.shell: unknown key (expected one of command, timeoutMs, minSeverity, maxRunning)',
      's.json: error at hook.command: expected a program path, or a list of the program and its arguments, got ""; the hook is off',
      's.json: error at hook.timeoutMs: expected a whole number from 100 to 600000, got -1',
      's.json: error at hook.minSeverity: expected one of "info", "warning", "critical", got "urgent"',
    ]);
  });

  it('is read from the settings file next to the alert rules, which accept the two keys', () => {
    const file = join(dir, 'settings.json');
    writeFileSync(file, JSON.stringify({ alerts: { bell: 'off', hook: { command: ['x'] }, rules: { 'cushion.band': { enabled: false } } } }));
    expect(loadSettings(file).problems).toEqual([]);
    writeFileSync(file, JSON.stringify({ alerts: { bel: 'off' } }));
    expect(loadSettings(file).problems).toEqual([
      `${file}: error at alerts.bel: unknown key (expected one of debounce, coolDownMs, session, rules, bell, hook)`,
    ]);
  });
});
