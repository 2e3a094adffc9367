// The alert lifecycle: debounce, raise, acknowledge, escalate, de-escalate, clear, and the report helpers.
import { describe, expect, it } from 'vitest';
import type { FeedEventBody } from '../../../src/model/events.js';
import { reduce, reduceAll } from '../../../src/model/reducer.js';
import type { PortfolioState } from '../../../src/model/state.js';
import { parseAlertConfig, type AlertConfig } from '../../../src/risk/alerts/config.js';
import { acknowledge, acknowledgeAll, activeAlerts, evaluateAlerts, evaluateOnce, hasCritical, highestSeverity } from '../../../src/risk/alerts/engine.js';
import { transitionJson } from '../../../src/risk/alerts/json.js';
import { INITIAL_ALERT_STATE, RULE_NAMES, type AlertState, type AlertTransition } from '../../../src/risk/alerts/types.js';
import { EventLog, acct } from '../../support/events.js';

const ACC = 'DU1234567';
const T0 = Date.UTC(2026, 2, 2, 15, 0);

/** Only the rules a test names are on, so that each lifecycle test watches one alert. */
function configWith(on: readonly string[], extra: Record<string, unknown> = {}, rules: Record<string, unknown> = {}): AlertConfig {
  const r: Record<string, unknown> = {};
  for (const name of RULE_NAMES) r[name] = { enabled: on.includes(name), ...(rules[name] as object | undefined) };
  const { config, problems } = parseAlertConfig({ debounce: { evaluations: 3, ms: 2_000 }, coolDownMs: 5_000, ...extra, rules: r }, 'test');
  expect(problems).toEqual([]);
  return config;
}

/** An account whose Cushion is `c` (NetLiquidation 100,000, ExcessLiquidity c × 100,000). */
function cushion(c: number | undefined): PortfolioState {
  const bodies: FeedEventBody[] = [acct(ACC, 'NetLiquidation', '100000', 'USD')];
  if (c !== undefined) bodies.push(acct(ACC, 'ExcessLiquidity', String(c * 100_000), 'USD'), acct(ACC, 'Cushion', String(c), ''));
  const log = new EventLog(T0 - 1_000);
  log.pushAll(bodies);
  return reduceAll(log.events);
}

const CUSHION = configWith(['cushion.band']);

/** Evaluates a sequence of (time, cushion) points and keeps every transition. */
function run(points: readonly [number, number | undefined][], config = CUSHION, from: AlertState = INITIAL_ALERT_STATE) {
  let state = from;
  const transitions: AlertTransition[] = [];
  const states: AlertState[] = [];
  for (const [at, c] of points) {
    const r = evaluateAlerts(state, { state: cushion(c), config, now: T0 + at });
    state = r.state;
    transitions.push(...r.transitions);
    states.push(state);
  }
  return { state, transitions, states };
}

const kinds = (ts: readonly AlertTransition[]) => ts.map((t) => `${t.kind} ${t.alert.severity}@${t.at - T0}`);

describe('debounce', () => {
  it('raises once the finding was seen in 3 consecutive evaluations spanning 2 s, with the time it was first seen', () => {
    const { transitions, states } = run([
      [0, 0.08],
      [1_000, 0.08],
      [2_000, 0.08],
    ]);
    expect(states[1]!.pending['cushion.band']).toEqual({ firstSeenAt: T0, lastSeenAt: T0 + 1_000, count: 2, severity: 'warning' });
    expect(kinds(transitions)).toEqual(['raised warning@2000']);
    const a = transitions[0]!.alert;
    expect(a).toMatchObject({ id: 'cushion.band', rule: 'cushion.band', firstSeenAt: T0, raisedAt: T0 + 2_000, acknowledged: false });
    expect(a.title).toBe('Cushion is 8.0%, below the 10% warning band: ExcessLiquidity 8,000 USD on NetLiquidation 100,000 USD');
  });

  it('needs both: three evaluations within half a second do not raise; the count alone does not either', () => {
    expect(
      run([
        [0, 0.08],
        [200, 0.08],
        [400, 0.08],
      ]).transitions,
    ).toEqual([]);
    expect(
      run([
        [0, 0.08],
        [2_500, 0.08],
      ]).transitions,
    ).toEqual([]);
  });

  it('one evaluation without the finding starts the count again', () => {
    const { transitions } = run([
      [0, 0.08],
      [1_000, 0.08],
      [1_500, 0.5],
      [2_000, 0.08],
      [3_000, 0.08],
      [4_000, 0.08],
    ]);
    expect(kinds(transitions)).toEqual(['raised warning@4000']);
  });

  it('a rule can have its own debounce: raised at the first evaluation', () => {
    const c = configWith(['cushion.band'], {}, { 'cushion.band': { debounce: { evaluations: 1, ms: 0 } } });
    expect(kinds(run([[0, 0.08]], c).transitions)).toEqual(['raised warning@0']);
  });
});

describe('acknowledge, escalate, de-escalate, clear', () => {
  const raised = run([
    [0, 0.08],
    [1_000, 0.08],
    [2_000, 0.08],
  ]).state;

  it('an acknowledged alert stays listed; acknowledging again, or an unknown id, returns the same state', () => {
    const acked = acknowledge(raised, 'cushion.band', T0 + 2_500);
    expect(activeAlerts(acked)).toMatchObject([{ id: 'cushion.band', acknowledged: true, acknowledgedAt: T0 + 2_500 }]);
    expect(acknowledge(acked, 'cushion.band', T0 + 3_000)).toBe(acked);
    expect(acknowledge(acked, 'nothing.here', T0 + 3_000)).toBe(acked);
    expect(acknowledgeAll(acked, T0 + 3_000)).toBe(acked);
    const still = run(
      [
        [3_000, 0.08],
        [60_000, 0.08],
      ],
      CUSHION,
      acked,
    );
    expect(still.transitions).toEqual([]);
    expect(activeAlerts(still.state)[0]!.acknowledged).toBe(true);
  });

  it('escalates at once to critical and takes the acknowledgement back', () => {
    const acked = acknowledge(raised, 'cushion.band', T0 + 2_500);
    const { transitions, state } = run([[3_000, 0.04]], CUSHION, acked);
    expect(kinds(transitions)).toEqual(['escalated critical@3000']);
    expect(transitions[0]!.from).toBe('warning');
    expect(state.alerts['cushion.band']).toMatchObject({ severity: 'critical', acknowledged: false, raisedAt: T0 + 2_000 });
    expect(state.alerts['cushion.band']!.acknowledgedAt).toBeUndefined();
    expect(hasCritical(state)).toBe(true);
  });

  it('de-escalates only after the cool-down, and keeps the acknowledgement', () => {
    const critical = acknowledge(run([[3_000, 0.04]], CUSHION, raised).state, 'cushion.band', T0 + 3_500);
    const { transitions, states } = run(
      [
        [4_000, 0.08],
        [8_999, 0.08],
        [9_000, 0.08],
      ],
      CUSHION,
      critical,
    );
    expect(states[1]!.alerts['cushion.band']).toMatchObject({ severity: 'critical', lowerSince: T0 + 4_000 });
    expect(kinds(transitions)).toEqual(['deescalated warning@9000']);
    expect(states[2]!.alerts['cushion.band']).toMatchObject({ severity: 'warning', acknowledged: true });
    expect(states[2]!.alerts['cushion.band']!.lowerSince).toBeUndefined();
  });

  it('clears only after the finding has been absent for the cool-down (5 s after it was last seen)', () => {
    const { transitions, states } = run(
      [
        [3_000, 0.5],
        [6_999, 0.5],
        [7_000, 0.5],
      ],
      CUSHION,
      raised,
    );
    expect(states[1]!.alerts['cushion.band']).toBeDefined();
    expect(kinds(transitions)).toEqual(['cleared warning@7000']);
    expect(states[2]!.alerts).toEqual({});
    expect(activeAlerts(states[2]!)).toEqual([]);
  });

  it('a 1100 clears at the evaluation that sees 1102, while the cool-down still holds a measured condition', () => {
    const config = configWith(['cushion.band', 'tws.code']);
    const state = (c: number, restored: boolean): PortfolioState => {
      const log = new EventLog(T0 - 1_000);
      log.pushAll([
        acct(ACC, 'NetLiquidation', '100000', 'USD'),
        acct(ACC, 'ExcessLiquidity', String(c * 100_000), 'USD'),
        acct(ACC, 'Cushion', String(c), ''),
        { type: 'healthChanged', health: 'degraded', reason: 'TWS lost its connection to IB (1100): data is not updating', cause: 'connectivityLost' },
        { type: 'brokerMessage', id: -1, code: 1100, message: 'Connectivity between IB and Trader Workstation has been lost.', class: 'connection' },
        ...(restored
          ? ([
              {
                type: 'brokerMessage',
                id: -1,
                code: 1102,
                message: 'Connectivity between IB and Trader Workstation has been restored - data maintained.',
                class: 'connection',
              },
              { type: 'healthChanged', health: 'ready', reason: 'connected, nextValidId seen, heartbeat answered' },
            ] satisfies FeedEventBody[])
          : []),
      ]);
      return reduceAll(log.events);
    };
    let alerts = INITIAL_ALERT_STATE;
    const transitions: AlertTransition[] = [];
    for (const [at, s] of [
      [0, state(0.08, false)],
      [1_000, state(0.08, false)],
      [2_000, state(0.08, false)],
      [3_000, state(0.5, true)],
      [6_999, state(0.5, true)],
      [7_000, state(0.5, true)],
    ] as const) {
      const r = evaluateAlerts(alerts, { state: s, config, now: T0 + at });
      alerts = r.state;
      transitions.push(...r.transitions);
    }
    expect(transitions.map((t) => `${t.kind} ${t.alert.id}@${t.at - T0}`)).toEqual([
      'raised tws.code:1100@2000',
      'raised cushion.band@2000',
      // TWS said it is back: no cool-down; the cushion, a measured condition, keeps its 5 s after it was last seen.
      'cleared tws.code:1100@3000',
      'cleared cushion.band@7000',
    ]);
  });

  it('a finding that comes back within the cool-down keeps the same alert (no second raise)', () => {
    const { transitions } = run(
      [
        [3_000, 0.5],
        [5_000, 0.08],
        [6_000, 0.08],
      ],
      CUSHION,
      raised,
    );
    expect(transitions).toEqual([]);
  });

  it('transitions are JSON-safe bodies for a FeedEvent', () => {
    const { transitions } = run([
      [0, 0.08],
      [1_000, 0.08],
      [2_000, 0.08],
    ]);
    const j = transitionJson(transitions[0]!);
    expect(JSON.parse(JSON.stringify(j))).toEqual(j);
    expect(j).toMatchObject({ kind: 'raised', at: T0 + 2_000, alert: { id: 'cushion.band', severity: 'warning', reduction: { kind: 'cushion', min: 0.1 } } });
  });
});

describe('listing and one-look evaluation', () => {
  it('lists most severe first, then oldest; hasCritical and highestSeverity follow', () => {
    const c = configWith(['cushion.band', 'connection.lost'], {
      session: { open: '00:00', close: '24:00', days: ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] },
    });
    // Disconnected (the state has no health event): connection.lost, critical in session; the cushion is a warning.
    let s = INITIAL_ALERT_STATE;
    for (const at of [0, 1_000, 2_000, 3_000]) s = evaluateAlerts(s, { state: cushion(0.08), config: c, now: T0 + at }).state;
    expect(activeAlerts(s).map((a) => `${a.severity} ${a.id}`)).toEqual(['critical connection.lost', 'warning cushion.band']);
    expect(activeAlerts(s, 'critical').map((a) => a.id)).toEqual(['connection.lost']);
    expect(hasCritical(s)).toBe(true);
    expect(hasCritical(activeAlerts(s, 'warning').filter((a) => a.severity !== 'critical'))).toBe(false);
    expect(highestSeverity(s)).toBe('critical');
    expect(highestSeverity(INITIAL_ALERT_STATE)).toBeUndefined();
  });

  it('evaluateOnce (tws-risk report) lists every finding at once, without debounce', () => {
    const c = configWith(['cushion.band', 'excess.negative']);
    const alerts = evaluateOnce({ state: cushion(-0.01), config: c, now: T0 });
    expect(alerts.map((a) => `${a.severity} ${a.id}`)).toEqual(['critical cushion.band', 'critical excess.negative']);
    expect(hasCritical(alerts)).toBe(true);
    expect(evaluateOnce({ state: cushion(0.5), config: c, now: T0 })).toEqual([]);
  });

  it('is deterministic: the same inputs give the same state and transitions', () => {
    const a = run([
      [0, 0.08],
      [1_000, 0.04],
      [2_000, 0.04],
      [9_000, 0.5],
    ]);
    const b = run([
      [0, 0.08],
      [1_000, 0.04],
      [2_000, 0.04],
      [9_000, 0.5],
    ]);
    expect(b).toEqual(a);
  });

  it('with every rule on and an empty state, only the connection is reported', () => {
    const { config } = parseAlertConfig({}, 'test');
    const alerts = evaluateOnce({ state: cushion(undefined), config, now: T0 });
    expect(alerts.map((a) => a.id)).toEqual(['connection.lost']);
    // 10:00 in New York on a Monday: market hours, so critical.
    expect(alerts[0]!.severity).toBe('critical');
  });

  it('recording.stopped stays listed after the stop note has left the capped operator history (250 notes later)', () => {
    const config = configWith(['recording.stopped']);
    const log = new EventLog(T0 - 1_000);
    let state = reduceAll(log.pushAll([acct(ACC, 'NetLiquidation', '100000', 'USD')]));
    let alerts = INITIAL_ALERT_STATE;
    // Evaluated at each event, as the session does at each publish; every event 100 ms apart.
    const push = (body: FeedEventBody) => {
      const e = log.push(body, T0 + log.events.length * 100);
      state = reduce(state, e);
      alerts = evaluateAlerts(alerts, { state, config, now: e.receivedAt }).state;
    };
    push({ type: 'operatorActed', action: 'recorderStopped', detail: { reason: 'ENOSPC: no space left on device' } });
    // A dead pager: each hook run fails and is noted, far past the history's cap (200).
    for (let i = 0; i < 250; i++)
      push({
        type: 'operatorActed',
        action: 'alertHook',
        detail: { hook: '/usr/local/bin/page-me', alert: 'margin.warning', kind: 'raised', outcome: 'spawnError', message: `ENOENT ${i}` },
      });
    expect(state.operatorActions.some((a) => a.action === 'recorderStopped')).toBe(false);
    expect(activeAlerts(alerts).map((a) => [a.id, a.title])).toEqual([
      ['recording.stopped', 'Recording STOPPED: ENOSPC: no space left on device; the session is no longer recorded'],
    ]);
  });
});
