// Connection health as a pure function of the source's inputs: the sentence the operator reads.
import { describe, expect, it } from 'vitest';
import { deriveHealth, INITIAL_HEALTH_INPUTS } from '../../src/streams/health.js';

describe('deriveHealth', () => {
  it('a first connection says what it is doing; a reconnect also says why the last connection went', () => {
    expect(deriveHealth({ ...INITIAL_HEALTH_INPUTS, socket: 'connecting' })).toEqual({ health: 'connecting', reason: 'opening the socket and handshake' });
    expect(deriveHealth({ ...INITIAL_HEALTH_INPUTS, socket: 'connecting', downReason: 'TWS did not answer the heartbeat within 5000 ms' })).toEqual({
      health: 'connecting',
      reason: 'opening the socket and handshake, after: TWS did not answer the heartbeat within 5000 ms',
    });
  });

  it('a refused or dropped socket is disconnected with its reason; a fatal cause wins over everything', () => {
    expect(deriveHealth({ ...INITIAL_HEALTH_INPUTS, downReason: 'connection refused' })).toEqual({ health: 'disconnected', reason: 'connection refused' });
    expect(deriveHealth({ ...INITIAL_HEALTH_INPUTS, socket: 'connected', fatal: 'client id 4217 is in use (326)' })).toEqual({ health: 'disconnected', reason: 'client id 4217 is in use (326)' });
  });
});
