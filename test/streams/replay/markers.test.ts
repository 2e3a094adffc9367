// Replay markers: a session ended here (quit, signal, terminal gone) is not "connection lost"; orders and fills read as the panes do.
import { describe, expect, it } from 'vitest';
import { sessionEndText, stopReasonOf, type SessionEnd } from '../../../src/model/connection.js';
import type { FeedEvent } from '../../../src/model/events.js';
import { dec } from '../../../src/model/money.js';
import { markerOf, newMarkerMemory } from '../../../src/streams/replay/markers.js';
import { contractPrice } from '../../../src/views/format.js';
import { stock } from '../../support/events.js';

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

describe('markerOf for orders and fills', () => {
  const TOYOTA = stock(13_905_392, '7203', 'JPY');
  const ES = { conId: 495_512_563, symbol: 'ES', localSymbol: 'ESZ6', secType: 'FUT', currency: 'USD', exchange: 'CME', multiplier: dec('50') };
  const event = (body: Record<string, unknown>): FeedEvent => ({ seq: ++seq, receivedAt: 1_000 + seq, ...body }) as unknown as FeedEvent;

  it('writes a fill at the price the Executions pane shows, its quantity grouped', () => {
    const m = markerOf(
      event({
        type: 'executionReceived',
        reqId: -1,
        execId: 'e1',
        orderId: 1,
        clientId: 0,
        permId: 9,
        account: 'DU1',
        contract: TOYOTA,
        side: 'SLD',
        shares: dec('2500'),
        price: dec('2888.5'),
        cumQty: dec('2500'),
        avgPrice: dec('2888.5'),
        time: '',
      }),
      newMarkerMemory(),
      'USD',
    );
    expect(m?.label).toBe(`fill SLD 2,500 7203 @ ${contractPrice(dec('2888.5'), TOYOTA, true)}`);
    expect(m?.label).toBe('fill SLD 2,500 7203 @ 2,888.50');
  });

  it("names a limit order's price as sent, and none for a market order", () => {
    const order = (orderId: number, orderType: string, limitPrice?: string) =>
      event({
        type: 'openOrderUpdated',
        order: {
          orderId,
          clientId: 0,
          permId: orderId,
          account: 'DU1',
          contract: ES,
          action: 'SELL',
          totalQuantity: dec('2000'),
          orderType,
          ...(limitPrice ? { limitPrice: dec(limitPrice) } : {}),
        },
      });
    const mem = newMarkerMemory();
    expect(markerOf(order(1_000_001, 'LMT', '5305.75'), mem, 'USD')?.label).toBe('order 1000001 client 0: SELL 2,000 ESZ6 LMT 5,305.75');
    expect(markerOf(order(1_000_002, 'MKT'), mem, 'USD')?.label).toBe('order 1000002 client 0: SELL 2,000 ESZ6 MKT');
  });

  it('names a manual order and its contract as the Orders pane does: the permanent id, the local symbol', () => {
    const esh6 = { ...ES, localSymbol: 'ESH6' };
    const manual = event({
      type: 'openOrderUpdated',
      order: {
        orderId: -1,
        clientId: 0,
        permId: 1_000_000_001,
        account: 'DU1',
        contract: esh6,
        action: 'SELL',
        totalQuantity: dec('1'),
        orderType: 'LMT',
        limitPrice: dec('6000'),
      },
    });
    expect(markerOf(manual, newMarkerMemory(), 'USD')?.label).toBe('order p1000000001 client 0: SELL 1 ESH6 LMT 6,000.00');
  });
});
