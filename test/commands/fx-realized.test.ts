// Closing the demo's EUR.USD cash position on the simulator: the flatten preview's realized P&L and the one TWS reports agree.
import { EventName, OrderAction, OrderType } from '@stoqey/ib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectedRealized } from '../../src/commands/expected-pnl.js';
import { dec, type Decimal } from '../../src/model/money.js';
import { planFlatten } from '../../src/trading/plan.js';
import { formatDenial } from '../../src/trading/types.js';
import { connectApi, disconnectAll, waitFor } from '../sim/helpers.js';
import { startSimFeed, type SimFeed } from '../support/sim-feed.js';

const EURUSD = 12087792;
const CLIENT = 41;

let live: SimFeed;
beforeAll(async () => {
  live = await startSimFeed({ speed: 0 });
});
afterAll(() => live.close());

describe("an IDEALPRO cash position's realized P&L", () => {
  it('is position × (fill − average price) in USD, the quote currency, as the preview forecast, not the commission alone', async () => {
    const state = live.feed.state;
    const row = state.positions.get(EURUSD)!;
    expect(row.position.isPositive()).toBe(true);
    const plan = planFlatten(state, { kind: 'conid', conId: EURUSD }, { clientId: CLIENT, orderType: 'MKT', collar: 0.02, now: 0 });
    if ('code' in plan) throw new Error(formatDenial(plan));
    const leg = plan.legs[0]!;
    const forecast = expectedRealized(state, plan).legs[0]!;
    expect(forecast.currency).toBe('USD');

    const { api, rec, nextValidId } = await connectApi(live.sim.port, CLIENT);
    try {
      api.placeOrder(
        nextValidId,
        { conId: EURUSD, exchange: 'IDEALPRO' },
        { action: OrderAction.SELL, orderType: OrderType.MKT, totalQuantity: leg.quantity.toNumber(), transmit: true },
      );
      // The simulator's clock stands still (speed 0): step it until the order's acknowledgement and fill are due.
      await waitFor(
        () => {
          live.sim.advance(500);
          return rec.of(EventName.orderStatus).some((a) => a[0] === nextValidId && a[1] === 'Filled');
        },
        20_000,
        'the EUR.USD sale filled',
      );
      const fills = rec
        .of(EventName.execDetails)
        .map((a) => a[2] as { execId: string; orderId: number; shares: number; price: number })
        .filter((e) => e.orderId === nextValidId);
      const reports = await waitFor(
        () => {
          const all = rec.of(EventName.commissionReport).map((a) => a[0] as { execId: string; commission: number; currency: string; realizedPNL: number });
          const mine = fills.map((f) => all.find((r) => r.execId === f.execId));
          return mine.every(Boolean) ? (mine as NonNullable<(typeof mine)[number]>[]) : undefined;
        },
        20_000,
        'the commission reports',
      );
      let reported = dec(0);
      let byHand = dec(0);
      let atFills = dec(0);
      for (const [i, f] of fills.entries()) {
        const r = reports[i]!;
        expect(r.currency).toBe('USD');
        const q = dec(String(f.shares));
        const px = dec(String(f.price));
        // IBKR: the pair's realized P&L is in the quote currency, against the position's average price, net of commission.
        byHand = byHand.add(q.mul(px.sub(row.averageCost!)).sub(dec(String(r.commission))));
        reported = reported.add(dec(String(r.realizedPNL)));
        atFills = atFills.add(q.mul(px.sub(leg.mark!)));
      }
      expect(reported.sub(byHand).abs().toNumber()).toBeLessThan(0.01);
      // The preview at the mark, moved to the fill prices, is what TWS booked before its commissions.
      const commissions = reports.reduce((s: Decimal, r) => s.add(dec(String(r.commission))), dec(0));
      expect(forecast.atMark!.add(atFills).sub(commissions).sub(reported).abs().toNumber()).toBeLessThan(0.01);
      // Nowhere near the commission alone: the demo's position carries hundreds of dollars of gain or loss.
      expect(reported.add(commissions).abs().toNumber()).toBeGreaterThan(1);
    } finally {
      disconnectAll(api);
    }
  });
});
