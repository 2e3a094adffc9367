import { describe, expect, it } from 'vitest';
import { CodecError, decodeEvent, decodeState, encodeEvent, encodeState } from '../../src/model/codec.js';
import { Decimal } from '../../src/model/money.js';
import { reduceAll } from '../../src/model/reducer.js';
import { EventLog } from '../support/events.js';
import { SAMPLE_BODIES } from '../support/samples.js';

describe('event codec', () => {
  const log = new EventLog();
  const events = log.pushAll(Object.values(SAMPLE_BODIES));

  it('round-trips every event type through JSON with exact decimals', () => {
    for (const ev of events) {
      const back = decodeEvent(JSON.parse(encodeEvent(ev)));
      expect(back).toEqual(ev);
    }
    const pos = decodeEvent(JSON.parse(encodeEvent(events.find((e) => e.type === 'positionUpdated')!)));
    expect(pos.type === 'positionUpdated' && pos.averageCost instanceof Decimal && pos.averageCost.toString()).toBe('150.123456789');
    const order = decodeEvent(JSON.parse(encodeEvent(events.find((e) => e.type === 'openOrderUpdated')!)));
    expect(order.type === 'openOrderUpdated' && order.order.contract.strike?.toString()).toBe('200.5');
  });

  it('names the problem in a bad event', () => {
    expect(() => decodeEvent({ type: 'nope', seq: 1, receivedAt: 1 })).toThrow(/unknown event type "nope"/);
    // Names every object has are not event types: a codec error naming them, not a TypeError from a lookup.
    for (const type of ['toString', 'constructor', '__proto__', 'hasOwnProperty'])
      expect(() => decodeEvent({ type, seq: 1, receivedAt: 1 })).toThrow(new CodecError(`unknown event type ${JSON.stringify(type)}`));
    expect(() => decodeEvent({ type: 'positionsEnded', seq: 0, receivedAt: 1 })).toThrow(CodecError);
    expect(() => decodeEvent({ type: 'priceTicked', seq: 3, receivedAt: 1, conId: 1, field: 'last', price: 'abc', delayed: false })).toThrow(
      /priceTicked\.price is not a decimal/,
    );
  });
});

describe('state codec (keyframes)', () => {
  it('rebuilds a state that encodes to the same JSON and keeps folding identically', () => {
    const log = new EventLog();
    const events = log.pushAll(Object.values(SAMPLE_BODIES));
    const half = reduceAll(events.slice(0, 10));
    expect(half.pending.positions?.size).toBe(1); // the keyframe carries a snapshot still being received
    const restored = decodeState(JSON.parse(JSON.stringify(encodeState(half))));
    expect(JSON.stringify(encodeState(restored))).toBe(JSON.stringify(encodeState(half)));
    const direct = reduceAll(events.slice(10), half);
    const viaKeyframe = reduceAll(events.slice(10), restored);
    expect(JSON.stringify(encodeState(viaKeyframe))).toBe(JSON.stringify(encodeState(direct)));
    expect(viaKeyframe.executions.get('0000e0d5.6d1b.01')?.commission?.toString()).toBe('1.95');
  });
});
