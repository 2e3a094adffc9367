// Alerts in state: the reducer keeps what alertChanged events recorded and what the operator acknowledged.
import { describe, expect, it } from 'vitest';
import { decodeState, encodeState } from '../../src/model/codec.js';
import type { FeedEventBody } from '../../src/model/events.js';
import { reduce, reduceAll } from '../../src/model/reducer.js';
import { INITIAL_STATE } from '../../src/model/state.js';
import { EventLog } from '../support/events.js';

function alertEvent(kind: 'raised' | 'escalated' | 'deescalated' | 'cleared', id: string, severity: string, at: number, title = `${id} title`): FeedEventBody {
  return {
    type: 'alertChanged',
    kind,
    at,
    alert: { id, rule: id.split(':')[0]!, severity, title, detail: { n: 1 }, firstSeenAt: at - 1000, raisedAt: at, lastSeenAt: at, acknowledged: false },
  };
}

describe('alerts in state', () => {
  it('lists a raised alert until it is cleared, with the severity of its last transition', () => {
    const log = new EventLog(Date.UTC(2026, 10, 23, 14, 30));
    const t = Date.UTC(2026, 10, 23, 14, 31);
    log.push(alertEvent('raised', 'margin.jump', 'warning', t));
    log.push(alertEvent('raised', 'exposure.ccy:CHF', 'warning', t));
    log.push(alertEvent('escalated', 'margin.jump', 'critical', t + 5000));
    const mid = reduceAll(log.events);
    expect([...mid.alerts.keys()].sort()).toEqual(['exposure.ccy:CHF', 'margin.jump']);
    expect(mid.alerts.get('margin.jump')?.severity).toBe('critical');
    expect(mid.alerts.get('margin.jump')?.changedAt).toBe(t + 5000);
    log.push(alertEvent('cleared', 'margin.jump', 'critical', t + 9000));
    const end = reduceAll(log.events);
    expect([...end.alerts.keys()]).toEqual(['exposure.ccy:CHF']);
  });

  it('marks the alerts an acknowledgement names, at the time it was recorded', () => {
    const log = new EventLog();
    const t = Date.UTC(2026, 10, 23, 14, 31);
    log.push(alertEvent('raised', 'a', 'warning', t));
    log.push(alertEvent('raised', 'b', 'info', t));
    const ack = log.push({ type: 'operatorActed', action: 'alertAcknowledged', detail: { ids: ['a', 'unknown'] } });
    const s = reduceAll(log.events);
    expect(s.alerts.get('a')).toMatchObject({ acknowledged: true, acknowledgedAt: ack.receivedAt });
    expect(s.alerts.get('b')?.acknowledged).toBe(false);
    expect(s.operatorActions.at(-1)?.action).toBe('alertAcknowledged');
  });

  it('changes nothing but the alerts: freshness and the other fields keep their references', () => {
    const log = new EventLog();
    const before = reduceAll(log.pushAll([{ type: 'healthChanged', health: 'ready' }]));
    const after = reduce(before, log.push(alertEvent('raised', 'x', 'warning', 1)));
    expect(after.lastUpdate).toBe(before.lastUpdate);
    expect(after.operatorActions).toBe(before.operatorActions);
    expect(after.alerts.size).toBe(1);
  });

  it('ignores a recorded alert without an id or with an unknown severity, and keeps the state reference', () => {
    const log = new EventLog();
    const s0 = reduceAll(log.pushAll([{ type: 'healthChanged', health: 'ready' }]));
    const noId = reduce(s0, log.push({ type: 'alertChanged', kind: 'raised', at: 1, alert: { severity: 'warning', title: 't' } }));
    expect(noId.alerts).toBe(s0.alerts);
    const badSeverity = reduce(noId, log.push(alertEvent('raised', 'y', 'apocalyptic', 1)));
    expect(badSeverity.alerts.size).toBe(0);
  });

  it('round-trips through a keyframe; a state without alerts encodes as before (no alerts field)', () => {
    const log = new EventLog();
    const empty = reduceAll(log.pushAll([{ type: 'healthChanged', health: 'ready' }]));
    expect('alerts' in (encodeState(empty) as object)).toBe(false);
    expect(decodeState(encodeState(empty)).alerts.size).toBe(0);
    const s = reduce(empty, log.push(alertEvent('raised', 'cushion.stressed', 'critical', 7)));
    const back = decodeState(JSON.parse(JSON.stringify(encodeState(s))));
    expect(back.alerts.get('cushion.stressed')).toEqual(s.alerts.get('cushion.stressed'));
    expect(INITIAL_STATE.alerts.size).toBe(0);
  });
});
