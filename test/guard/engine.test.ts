// The guard's decisions: hold times, one trading action at a time, cool-down, hourly cap, market window, episodes.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  carryOver,
  decide,
  decideCommand,
  EMPTY_MEMORY,
  lastActionAt,
  refundCommand,
  restored,
  settle,
  type GuardInput,
  type GuardMemory,
} from '../../src/session/guard-engine.js';
import { parsePolicy, type GuardPolicy } from '../../src/session/guard-policy.js';
import type { Alert } from '../../src/risk/alerts/index.js';

const T = 1_772_461_800_000; // 2026-03-02T14:30:00Z, a fixed instant

function policy(rules: unknown[], limits: unknown = { maxActionsPerHour: 3, coolDownMs: 300_000, window: 'always' }): GuardPolicy {
  const r = parsePolicy(JSON.stringify({ rules, limits }), 'p.json');
  if (!r.policy) throw new Error(r.problems.join('\n'));
  return r.policy;
}

function alert(id: string, severity: Alert['severity'] = 'critical'): Alert {
  const rule = id.includes(':') ? id.slice(0, id.indexOf(':')) : id;
  return { id, rule: rule as Alert['rule'], severity, title: id, detail: null, firstSeenAt: T, raisedAt: T, lastSeenAt: T, acknowledged: false };
}

const input = (now: number, alerts: Alert[], more: Partial<GuardInput> = {}): GuardInput => ({ now, alerts, busy: false, marketOpen: true, ...more });

describe('decide', () => {
  it('acts once a matching alert has held for forMs, and only once per episode', () => {
    const p = policy([{ when: { alert: 'cushion.band', severity: 'critical', forMs: 30_000 }, do: 'reduce', maxReductionPct: 25 }]);
    let d = decide(EMPTY_MEMORY, p, input(T, [alert('cushion.band')]));
    expect(d.acts).toEqual([]);
    expect(d.verdicts[0]).toMatchObject({ kind: 'waiting', dueInMs: 30_000 });
    d = decide(d.memory, p, input(T + 29_999, [alert('cushion.band')]));
    expect(d.acts).toEqual([]);
    d = decide(d.memory, p, input(T + 30_000, [alert('cushion.band')]));
    expect(d.acts.map((a) => [a.rule.do, a.alert.id, a.heldMs])).toEqual([['reduce', 'cushion.band', 30_000]]);
    const m = settle(d.memory, d.acts[0]!.key, true);
    d = decide(m, p, input(T + 600_000, [alert('cushion.band')]));
    expect(d.acts).toEqual([]);
    expect(d.verdicts[0]).toMatchObject({ kind: 'done', failed: false });
  });

  it("does not match a lesser severity, and a warning does not start a critical rule's clock", () => {
    const p = policy([{ when: { alert: 'cushion.band', severity: 'critical', forMs: 10_000 }, do: 'notify' }]);
    let d = decide(EMPTY_MEMORY, p, input(T, [alert('cushion.band', 'warning')]));
    expect(d.verdicts).toEqual([]);
    d = decide(d.memory, p, input(T + 20_000, [alert('cushion.band', 'critical')]));
    expect(d.verdicts[0]).toMatchObject({ kind: 'waiting', dueInMs: 10_000 });
  });

  it('holds trading actions while blocked, but still notifies', () => {
    const p = policy([
      { when: { alert: 'excess.negative' }, do: 'globalCancel' },
      { when: { alert: 'excess.negative' }, do: 'notify' },
    ]);
    const d = decide(EMPTY_MEMORY, p, input(T, [alert('excess.negative')], { blocked: 'not connected' }));
    expect(d.acts.map((a) => a.rule.do)).toEqual(['notify']);
    expect(d.verdicts[0]).toMatchObject({ kind: 'held', why: 'not connected' });
    // Once unblocked, the held rule acts: it never acted in this episode.
    const d2 = decide(settle(d.memory, d.acts[0]!.key, true), p, input(T + 1000, [alert('excess.negative')]));
    expect(d2.acts.map((a) => a.rule.do)).toEqual(['globalCancel']);
  });

  it('chooses one trading action per evaluation, in policy order, and none while one is followed', () => {
    const p = policy(
      [
        { when: { alert: 'excess.negative' }, do: 'globalCancel' },
        { when: { alert: 'foreign.client' }, do: 'cancelClient', clientIds: 'foreign' },
      ],
      { maxActionsPerHour: 10, coolDownMs: 0, window: 'always' },
    );
    const both = [alert('excess.negative'), alert('foreign.client:42', 'warning')];
    const d = decide(EMPTY_MEMORY, p, input(T, both));
    expect(d.acts.map((a) => a.rule.do)).toEqual(['globalCancel']);
    expect(d.verdicts[1]).toMatchObject({ kind: 'held', why: 'one action at a time: another is being followed' });
    const busy = decide(d.memory, p, input(T + 100, both, { busy: true }));
    expect(busy.acts).toEqual([]);
    const next = decide(settle(busy.memory, d.acts[0]!.key, true), p, input(T + 200, both));
    expect(next.acts.map((a) => [a.rule.do, a.alert.id])).toEqual([['cancelClient', 'foreign.client:42']]);
  });

  it('a flapping alert acts once within the cool-down, and again only after it', () => {
    const p = policy([{ when: { alert: 'excess.negative' }, do: 'globalCancel' }], { maxActionsPerHour: 10, coolDownMs: 300_000, window: 'always' });
    let m: GuardMemory = EMPTY_MEMORY;
    let acted = 0;
    for (let i = 0; i < 10; i++) {
      // Listed for 10 s, cleared for 10 s, over and over.
      const on = decide(m, p, input(T + i * 20_000, [alert('excess.negative')]));
      acted += on.acts.length;
      m = on.acts.reduce((mm, a) => settle(mm, a.key, true), on.memory);
      m = decide(m, p, input(T + i * 20_000 + 10_000, [])).memory;
    }
    expect(acted).toBe(1);
    const later = decide(m, p, input(T + 300_000, [alert('excess.negative')]));
    expect(later.acts).toHaveLength(1);
  });

  it('caps trading actions per rolling hour', () => {
    const p = policy([{ when: { alert: 'foreign.client' }, do: 'cancelClient', clientIds: 'foreign' }], {
      maxActionsPerHour: 2,
      coolDownMs: 0,
      window: 'always',
    });
    let m: GuardMemory = EMPTY_MEMORY;
    const ids = [41, 42, 43];
    const acts: string[] = [];
    ids.forEach((id, i) => {
      const d = decide(
        m,
        p,
        input(
          T + i * 1000,
          ids.slice(0, i + 1).map((x) => alert(`foreign.client:${x}`, 'warning')),
        ),
      );
      for (const a of d.acts) acts.push(a.alert.id);
      m = d.acts.reduce((mm, a) => settle(mm, a.key, true), d.memory);
      if (i === 2)
        expect(d.verdicts[2]).toMatchObject({
          kind: 'held',
          why: expect.stringMatching(/^limits\.maxActionsPerHour \(2\) reached on warning or worse alerts; the next is possible in 3598 s$/),
        });
    });
    expect(acts).toEqual(['foreign.client:41', 'foreign.client:42']);
    const hourLater = decide(
      m,
      p,
      input(
        T + 3_600_000,
        ids.map((x) => alert(`foreign.client:${x}`, 'warning')),
      ),
    );
    expect(hourLater.acts.map((a) => a.alert.id)).toEqual(['foreign.client:43']);
  });

  it('keeps trading actions to the market window when asked', () => {
    const p = policy([{ when: { alert: 'excess.negative' }, do: 'globalCancel' }], { window: 'market' });
    const d = decide(EMPTY_MEMORY, p, input(T, [alert('excess.negative')], { marketOpen: false }));
    expect(d.acts).toEqual([]);
    expect(d.verdicts[0]).toMatchObject({ kind: 'held', why: 'outside the market window (limits.window is "market")' });
  });

  it('a failed action is not retried in the same episode; a new episode may act', () => {
    const p = policy([{ when: { alert: 'excess.negative' }, do: 'globalCancel' }], { maxActionsPerHour: 10, coolDownMs: 0, window: 'always' });
    const d = decide(EMPTY_MEMORY, p, input(T, [alert('excess.negative')]));
    const failed = settle(d.memory, d.acts[0]!.key, false);
    const again = decide(failed, p, input(T + 1000, [alert('excess.negative')]));
    expect(again.acts).toEqual([]);
    expect(again.verdicts[0]).toMatchObject({ kind: 'done', failed: true });
    const cleared = decide(again.memory, p, input(T + 2000, []));
    expect(decide(cleared.memory, p, input(T + 3000, [alert('excess.negative')])).acts).toHaveLength(1);
  });
});

describe('the limits, ranked by severity (a lesser rule never holds the kill switch)', () => {
  // The shipped example policy: rules[0] globalCancel on a critical excess.negative, rules[2] cancelClient on a
  // foreign.client warning, a 300 s cool-down and 3 actions an hour.
  const example = (() => {
    const r = parsePolicy(readFileSync('deploy/systemd/guard-policy.example.json', 'utf8'), 'example.json');
    if (!r.policy) throw new Error(r.problems.join('\n'));
    return { ...r.policy, limits: { ...r.policy.limits, window: 'always' as const } };
  })();

  it("a warning's dry-run cancelClient does not hold the critical globalCancel 18 s later; the reverse is held", () => {
    const d = decide(EMPTY_MEMORY, example, input(T, [alert('foreign.client:77', 'warning')]));
    expect(d.acts.map((a) => [a.rule.name, a.rule.do])).toEqual([['rules[2]', 'cancelClient']]);
    const m = settle(d.memory, d.acts[0]!.key, true, true, true);
    expect(m.actions).toEqual([{ at: T, severity: 'warning' }]);
    const both = [alert('excess.negative', 'critical'), alert('foreign.client:77', 'warning')];
    const kill = decide(m, example, input(T + 18_000, both));
    expect(kill.acts.map((a) => [a.rule.name, a.rule.do, a.alert.id])).toEqual([['rules[0]', 'globalCancel', 'excess.negative']]);
    // The dry run's episode says it was not sent, not that it was done.
    expect(kill.verdicts.find((v) => v.rule.name === 'rules[2]')).toMatchObject({ kind: 'done', failed: false, dryRun: true });
    // After the critical action, a new foreign client (a warning) waits for the cool-down: churn is still held.
    const after = settle(kill.memory, kill.acts[0]!.key, true);
    const next = decide(after, example, input(T + 20_000, [...both, alert('foreign.client:78', 'warning')]));
    expect(next.acts).toEqual([]);
    expect(next.verdicts.find((v) => v.alert.id === 'foreign.client:78')).toMatchObject({
      kind: 'held',
      why: 'cool-down: 298 s left of limits.coolDownMs (after an action on a critical alert)',
    });
  });

  it('two critical rules still hold each other for the cool-down', () => {
    const d = decide(EMPTY_MEMORY, example, input(T, [alert('excess.negative')]));
    const m = settle(d.memory, d.acts[0]!.key, true);
    const cut = { ...alert('cushion.band'), id: 'cushion.band' };
    const r = decide(m, example, input(T + 40_000, [alert('excess.negative'), cut]));
    // rules[1] waits its forMs (30 s) from its episode's start, then the cool-down of the critical globalCancel.
    const r2 = decide(r.memory, example, input(T + 71_000, [alert('excess.negative'), cut]));
    expect(r2.acts).toEqual([]);
    expect(r2.verdicts.find((v) => v.rule.name === 'rules[1]')).toMatchObject({ kind: 'held', why: expect.stringMatching(/^cool-down: 229 s left/) });
  });

  it('warnings filling the hourly cap leave the critical rule free', () => {
    const p = policy(
      [
        { when: { alert: 'excess.negative', severity: 'critical' }, do: 'globalCancel' },
        { when: { alert: 'foreign.client', severity: 'warning' }, do: 'cancelClient', clientIds: 'foreign' },
      ],
      { maxActionsPerHour: 2, coolDownMs: 0, window: 'always' },
    );
    let m: GuardMemory = EMPTY_MEMORY;
    for (const [i, id] of [41, 42].entries()) {
      const d = decide(m, p, input(T + i * 1000, [alert(`foreign.client:${id}`, 'warning')]));
      expect(d.acts).toHaveLength(1);
      m = settle(d.memory, d.acts[0]!.key, true);
    }
    const capped = decide(m, p, input(T + 2000, [alert('foreign.client:43', 'warning')]));
    expect(capped.verdicts[0]).toMatchObject({ kind: 'held', why: expect.stringMatching(/^limits\.maxActionsPerHour \(2\) reached on warning or worse/) });
    const kill = decide(capped.memory, p, input(T + 3000, [alert('excess.negative'), alert('foreign.client:43', 'warning')]));
    expect(kill.acts.map((a) => a.rule.do)).toEqual(['globalCancel']);
  });

  it('a restart keeps the ranks: a warning action restored does not hold the critical rule, a critical one does', () => {
    const fromWarning = restored([{ at: T - 18_000, severity: 'warning' }], example, T);
    expect(decide(fromWarning, example, input(T, [alert('excess.negative')])).acts.map((a) => a.rule.do)).toEqual(['globalCancel']);
    const fromCritical = restored([{ at: T - 18_000, severity: 'critical' }], example, T);
    expect(decide(fromCritical, example, input(T, [alert('excess.negative')])).verdicts[0]).toMatchObject({
      kind: 'held',
      why: 'cool-down: 282 s left of limits.coolDownMs (after an action on a critical alert)',
    });
  });

  it('a cool-down longer than an hour is kept past the hour', () => {
    const p = policy([{ when: { alert: 'excess.negative' }, do: 'globalCancel' }], { maxActionsPerHour: 3, coolDownMs: 7_200_000, window: 'always' });
    const d = decide(EMPTY_MEMORY, p, input(T, [alert('excess.negative')]));
    const m = settle(d.memory, d.acts[0]!.key, true);
    const cleared = decide(m, p, input(T + 1000, []));
    const back = decide(cleared.memory, p, input(T + 3_700_000, [alert('excess.negative')]));
    expect(back.verdicts[0]).toMatchObject({ kind: 'held', why: expect.stringMatching(/^cool-down: 3500 s left/) });
  });
});

describe('settle, carryOver, restored', () => {
  const p = policy([{ when: { alert: 'excess.negative' }, do: 'globalCancel' }], { maxActionsPerHour: 1, coolDownMs: 300_000, window: 'always' });

  it('an action that sent nothing gives back its place in the cool-down and the hourly cap', () => {
    const d = decide(EMPTY_MEMORY, p, input(T, [alert('excess.negative')]));
    expect(lastActionAt(d.memory)).toBe(T);
    const refunded = settle(d.memory, d.acts[0]!.key, false, false);
    expect(refunded.actions).toEqual([]);
    expect(lastActionAt(refunded)).toBeUndefined();
    // The next alert may act at once; the refused one is not retried.
    const next = decide(refunded, p, input(T + 100, [alert('excess.negative'), alert('margin.warning')]));
    expect(next.verdicts[0]).toMatchObject({ kind: 'done', failed: true });
    const sent = settle(d.memory, d.acts[0]!.key, true, true);
    expect(sent.actions).toEqual([{ at: T, severity: 'critical' }]);
    expect(lastActionAt(sent)).toBe(T);
  });

  it('a reload keeps the episodes of rules written as before, wherever they moved', () => {
    const d = decide(EMPTY_MEMORY, p, input(T, [alert('excess.negative')]));
    const m = settle(d.memory, d.acts[0]!.key, true);
    const moved = policy(
      [
        { when: { alert: 'margin.warning' }, do: 'notify' },
        { when: { alert: 'excess.negative' }, do: 'globalCancel' },
      ],
      { maxActionsPerHour: 1, coolDownMs: 300_000, window: 'always' },
    );
    const carried = carryOver(m, p, moved);
    expect([...carried.episodes.keys()]).toEqual(['1|excess.negative']);
    expect(decide(carried, moved, input(T + 1000, [alert('excess.negative')])).verdicts[0]).toMatchObject({ kind: 'done' });
    const changed = policy([{ when: { alert: 'excess.negative', forMs: 1000 }, do: 'globalCancel' }], {
      maxActionsPerHour: 1,
      coolDownMs: 300_000,
      window: 'always',
    });
    expect(carryOver(m, p, changed).episodes.size).toBe(0);
    expect(lastActionAt(carryOver(m, p, changed))).toBe(T);
  });

  it('a restart keeps the limits from the actions it was told about', () => {
    const m = restored(
      [T - 4_000_000, T - 60_000, T + 5].map((at) => ({ at, severity: 'critical' as const })),
      p,
      T,
    );
    expect(m.actions).toEqual([{ at: T - 60_000, severity: 'critical' }]);
    expect(decide(m, p, input(T, [alert('excess.negative')])).verdicts[0]).toMatchObject({
      kind: 'held',
      why: expect.stringMatching(/^cool-down: 240 s left/),
    });
  });
});

describe('capTrims', () => {
  it('cuts each trim to the share of its position, rounding down, and drops what rounds to nothing', async () => {
    const { capTrims } = await import('../../src/commands/guard.js');
    const { Decimal } = await import('../../src/model/money.js');
    const t = (conId: number, position: string, quantity: string) => ({ conId, position: new Decimal(position), quantity: new Decimal(quantity) });
    const r = capTrims([t(1, '1000', '-600'), t(2, '-10', '3'), t(3, '3', '-3'), t(4, '40', '-5')], 25);
    expect(r.capped).toBe(true);
    expect(r.trims.map((x) => [x.conId, x.quantity.toString()])).toEqual([
      [1, '-250'],
      [2, '2'],
      [4, '-5'],
    ]);
    expect(capTrims([t(4, '40', '-5')], 25).capped).toBe(false);
  });
});

describe("decideCommand (an operator's remote command)", () => {
  const p = policy([{ name: 'kill', when: { alert: 'excess.negative', severity: 'critical', forMs: 60_000 }, do: 'globalCancel' }], {
    maxActionsPerHour: 2,
    coolDownMs: 300_000,
    window: 'market',
  });
  const rule = p.rules[0]!;
  const cmd = (m: GuardMemory, now: number, more: Partial<GuardInput> = {}) => decideCommand(m, p, rule, { now, busy: false, marketOpen: true, ...more });

  it('passes forMs and the cool-down, and counts in the limits', () => {
    const d = cmd(EMPTY_MEMORY, T);
    expect(d).toMatchObject({ kind: 'act', at: T });
    if (d.kind !== 'act') return;
    expect(d.memory).toMatchObject({ actions: [{ at: T, severity: 'critical' }] });
    // A second command one second later: the cool-down is an automatic rule's, not a person's.
    const e = cmd(d.memory, T + 1_000);
    expect(e).toMatchObject({ kind: 'act' });
    if (e.kind !== 'act') return;
    // The hourly cap holds: a stolen credential cannot churn the account.
    expect(cmd(e.memory, T + 2_000)).toEqual({
      kind: 'held',
      why: 'limits.maxActionsPerHour (2) reached on critical or worse alerts; the next is possible in 3598 s',
    });
    // And an automatic action after it waits for the cool-down from the command.
    const auto = decide(e.memory, policy([{ when: { alert: 'excess.negative' }, do: 'globalCancel' }]), input(T + 2_000, [alert('excess.negative')]));
    expect(auto.verdicts[0]).toMatchObject({ kind: 'held' });
  });

  it('holds when blocked, busy or outside the market window; notify is never held', () => {
    expect(cmd(EMPTY_MEMORY, T, { blocked: 'stale data' })).toEqual({ kind: 'held', why: 'stale data' });
    expect(cmd(EMPTY_MEMORY, T, { busy: true })).toEqual({ kind: 'held', why: 'one action at a time: another is being followed' });
    expect(cmd(EMPTY_MEMORY, T, { marketOpen: false })).toEqual({ kind: 'held', why: 'outside the market window (limits.window is "market")' });
    const say = policy([{ when: { alert: '*' }, do: 'notify' }]);
    expect(decideCommand(EMPTY_MEMORY, say, say.rules[0]!, { now: T, busy: true, marketOpen: false, blocked: 'x' })).toMatchObject({
      kind: 'act',
      memory: EMPTY_MEMORY,
    });
  });

  it('gives its place back when it sent nothing', () => {
    const before: GuardMemory = { episodes: new Map(), actions: [{ at: T - 600_000, severity: 'warning' }] };
    const d = cmd(before, T);
    if (d.kind !== 'act') throw new Error('held');
    expect(refundCommand(d.memory, d)).toEqual(before);
  });
});
