// Replay markers for the end of a connection: a session ended here (quit, signal, terminal gone) is not "connection lost".
import { describe, expect, it } from 'vitest';
import { sessionEndText, stopReasonOf, type SessionEnd } from '../../../src/model/connection.js';
import type { FeedEvent } from '../../../src/model/events.js';
import { markerOf, newMarkerMemory } from '../../../src/streams/replay/markers.js';

let seq = 0;
const health = (body: Record<string, unknown>): FeedEvent => ({ type: 'healthChanged', seq: ++seq, receivedAt: 1_000 + seq, ...body }) as unknown as FeedEvent;

/** The marker the down event makes after a ready connection. */
function markerAfterReady(down: Record<string, unknown>) {
  const mem = newMarkerMemory();
  markerOf(health({ health: 'ready' }), mem, 'USD');
  return markerOf(health({ health: 'disconnected', ...down }), mem, 'USD');
}

describe('markerOf at the end of a connection', () => {
  it.each<[SessionEnd, string]>([
    ['quit', 'session ended: stopped by the operator'],
    ['SIGHUP', 'session ended: terminal closed (SIGHUP)'],
    ['SIGTERM', 'session ended: terminated (SIGTERM)'],
    ['SIGINT', 'session ended: interrupted (SIGINT)'],
    ['terminalGone', 'session ended: terminal closed (its input ended)'],
  ])('names what ended the session (%s)', (end, label) => {
    expect(markerAfterReady({ cause: 'operatorStop', reason: stopReasonOf(end) })).toMatchObject({ kind: 'disconnect', label });
  });

  it('reads a recording made before causes were typed by its sentence', () => {
    expect(markerAfterReady({ reason: 'stopped by the operator' })?.label).toBe('session ended: stopped by the operator');
  });

  it('still says "connection lost" when TWS or the network ended it', () => {
    expect(markerAfterReady({ cause: 'socketClosed', reason: 'socket closed' })?.label).toBe('connection lost: disconnected (socket closed)');
  });

  it("keeps the quit's footer sentence and names every other end apart from it", () => {
    expect(sessionEndText('quit')).toBe('operator quit');
    const others = (['SIGHUP', 'SIGTERM', 'SIGINT', 'terminalGone'] as const).map(sessionEndText);
    expect(new Set(others).size).toBe(others.length);
    for (const t of others) expect(t).not.toMatch(/operator/);
  });
});
