// Soak: a whole simulated trading day (6.5 h) at high speed with a client attached to every stream, orders
// from three sources and incidents along the way. Memory must stay bounded: heap growth < 48 MB.
import { describe, it, expect } from 'vitest';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { EventName, IBApi, OrderAction, OrderType } from '@stoqey/ib';
import { parseScenario } from '../../src/sim/index.js';
import { startTestSim, waitFor } from './helpers.js';

const DAY_MS = 6.5 * 3600 * 1000;
/** Stated bound for heap growth over the day (after a forced GC at both ends). */
const HEAP_BOUND_MB = 48;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function heapMb(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
}

describe('soak', () => {
  it('runs a simulated trading day at high speed with bounded memory and a healthy client', { timeout: 300_000 }, async () => {
    const events: unknown[] = [];
    for (let h = 0.5; h < 6.5; h += 0.5) {
      events.push({
        at: h * 3600,
        incident: 'foreign-order',
        clientId: 42,
        symbol: 'MSFT',
        secType: 'STK',
        action: h % 1 ? 'SELL' : 'BUY',
        quantity: 50,
        orderType: 'MKT',
      });
    }
    events.push(
      { at: '01:00:00', incident: 'manual-order', conId: 637533641, action: 'BUY', quantity: 1, orderType: 'MKT' },
      { at: '02:00:00', incident: 'margin-spike', factor: 1.5, secTypes: ['FUT', 'FOP'], seconds: 1800 },
      { at: '03:00:00', incident: 'fx-gap', currency: 'CHF', pct: 5 },
      { at: '04:00:00', incident: 'crash', pct: -6, volJump: 0.3 },
      { at: '04:30:00', incident: 'connectivity-lost' },
      { at: '04:31:00', incident: 'connectivity-restored', dataLost: false },
      { at: '05:00:00', incident: 'farm', code: 2108 },
    );
    const scenario = parseScenario({ name: 'soak-day', market: { tickMs: 2000, jumps: { perDay: 3, meanPct: 0, stdPct: 1 } }, events });
    const { sim, logs } = await startTestSim({ scenario, speed: 4_000, orders: { maxFillSize: { STK: '20' } } });
    const api = new IBApi({ host: '127.0.0.1', port: sim.port });
    const counts = new Map<string, number>();
    let decodeErrors = 0;
    let ready = false;
    api.on(EventName.all, (name: string) => counts.set(name, (counts.get(name) ?? 0) + 1));
    api.on(EventName.error, (_e: Error, code: number) => {
      if (code === 505) decodeErrors++;
    });
    api.on(EventName.nextValidId, () => (ready = true));
    try {
      api.connect(1);
      await waitFor(() => ready, 10_000, 'client ready');
      api.reqPositions();
      api.reqAccountUpdates(true, 'DU1234567');
      api.reqAccountSummary(1, 'All', 'NetLiquidation,ExcessLiquidity,Cushion,$LEDGER:ALL');
      api.reqPnL(2, 'DU1234567', '');
      api.reqPnLSingle(3, 'DU1234567', '', 265598);
      api.reqMktData(4, { conId: 265598, exchange: 'SMART' }, '106', false, false);
      api.reqMktData(5, { conId: 734559211, exchange: 'SMART' }, '', false, false);
      api.reqMktData(6, { conId: 741231107, exchange: 'CME' }, '', false, false);
      await waitFor(() => (counts.get(EventName.accountDownloadEnd) ?? 0) > 0, 10_000, 'account download');
      const before = heapMb();
      const start = sim.now();
      const startWall = Date.now();
      // The client trades too: a market order every virtual hour.
      let orderId = 1000;
      let nextOrderAt = start + 3600_000;
      await waitFor(
        () => {
          if (sim.now() >= nextOrderAt) {
            api.placeOrder(
              orderId++,
              { conId: 265598, exchange: 'SMART' },
              { action: OrderAction.BUY, orderType: OrderType.MKT, totalQuantity: 30, transmit: true },
            );
            nextOrderAt += 3600_000;
          }
          return sim.now() - start >= DAY_MS;
        },
        240_000,
        'a simulated trading day',
      ); // about 13 s on an idle machine: a deadline for a hang, not a speed test
      const wallSeconds = (Date.now() - startWall) / 1000;
      const growth = heapMb() - before;
      const snap = sim.snapshot();
      // eslint-disable-next-line no-console
      console.log(`soak: ${wallSeconds.toFixed(1)} s wall, heap growth ${growth.toFixed(1)} MB, messages ${JSON.stringify(Object.fromEntries(counts))}`);

      expect(growth).toBeLessThan(HEAP_BOUND_MB);
      expect(decodeErrors).toBe(0);
      expect(logs.filter((l) => l.startsWith('error'))).toEqual([]);
      expect(snap.sessions).toHaveLength(1);
      // Orders from the scenario (12 foreign, 1 manual) and from the client (6) all filled.
      expect(new Set(snap.executions.map((e) => `${e.clientId}:${e.orderId}`)).size).toBeGreaterThanOrEqual(19);
      expect(snap.openOrders).toEqual([]);
      expect(counts.get(EventName.tickPrice) ?? 0).toBeGreaterThan(1_000);
      expect(counts.get(EventName.updatePortfolio) ?? 0).toBeGreaterThan(1_000);
      expect(counts.get(EventName.pnl) ?? 0).toBeGreaterThan(100);
      expect(counts.get(EventName.execDetails) ?? 0).toBeGreaterThan(6);
    } finally {
      api.disconnect();
      await sim.close();
    }
  });
});
