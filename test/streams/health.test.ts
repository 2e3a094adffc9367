// Connection health as a pure function of the source's inputs: the sentence the operator reads, the cause code reads.
import { describe, expect, it } from 'vitest';
import { deriveHealth, INITIAL_HEALTH_INPUTS } from '../../src/streams/health.js';

describe('deriveHealth', () => {
  it('a first connection says what it is doing; a reconnect also says why the last connection went, and keeps its cause', () => {
    expect(deriveHealth({ ...INITIAL_HEALTH_INPUTS, socket: 'connecting' })).toEqual({
      health: 'connecting',
      reason: 'opening the socket and handshake',
      cause: null,
    });
    expect(
      deriveHealth({
        ...INITIAL_HEALTH_INPUTS,
        socket: 'connecting',
        down: { cause: 'heartbeatTimeout', reason: 'TWS did not answer the heartbeat within 5000 ms' },
      }),
    ).toEqual({
      health: 'connecting',
      reason: 'opening the socket and handshake, after: TWS did not answer the heartbeat within 5000 ms',
      cause: 'heartbeatTimeout',
    });
  });

  it('a refused or dropped socket is disconnected with its reason and cause; a fatal cause wins over everything', () => {
    expect(deriveHealth({ ...INITIAL_HEALTH_INPUTS, down: { cause: 'cannotConnect', reason: 'connection refused' } })).toEqual({
      health: 'disconnected',
      reason: 'connection refused',
      cause: 'cannotConnect',
    });
    expect(
      deriveHealth({ ...INITIAL_HEALTH_INPUTS, socket: 'connected', fatal: { cause: 'clientIdInUse', reason: 'client id 4217 is in use (326)' } }),
    ).toEqual({
      health: 'disconnected',
      reason: 'client id 4217 is in use (326)',
      cause: 'clientIdInUse',
    });
  });

  it('the operator stopping the source is its own cause, not a lost connection', () => {
    expect(deriveHealth({ ...INITIAL_HEALTH_INPUTS, down: { cause: 'operatorStop', reason: 'stopped by the operator' } }).cause).toBe('operatorStop');
  });

  it('TWS losing IB (1100) and a login without the followed account are typed, whatever the sentence says', () => {
    const ready = { ...INITIAL_HEALTH_INPUTS, socket: 'connected' as const, nextValidIdSeen: true, heartbeatAnswered: true };
    expect(deriveHealth({ ...ready, connectivityLost: true })).toMatchObject({ health: 'degraded', cause: 'connectivityLost' });
    expect(deriveHealth({ ...ready, accountMismatch: 'this login manages DU2, not DU1' })).toMatchObject({ health: 'connected', cause: 'accountMismatch' });
    expect(deriveHealth(ready)).toEqual({ health: 'ready', reason: 'connected, nextValidId seen, heartbeat answered', cause: null });
  });

  it('data lost (1101) is degraded until its data is back, over stale streams (which it explains) and under a new 1100', () => {
    const ready = { ...INITIAL_HEALTH_INPUTS, socket: 'connected' as const, nextValidIdSeen: true, heartbeatAnswered: true };
    const lost = { ...ready, dataLost: true, staleStreams: ['market data'] };
    expect(deriveHealth(lost)).toEqual({ health: 'degraded', reason: 'data lost: resubscribing after 1101', cause: null });
    expect(deriveHealth({ ...lost, connectivityLost: true })).toMatchObject({ health: 'degraded', cause: 'connectivityLost' });
    expect(deriveHealth({ ...lost, socket: 'disconnected' }).health).toBe('disconnected');
  });
});
