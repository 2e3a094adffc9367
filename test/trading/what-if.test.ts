// IBKR's what-if margins for a flatten plan: asked through the real source of the simulator, never transmitted.
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/model/clock.js';
import { Decimal } from '../../src/model/money.js';
import { snapshotValue, startSimulator } from '../../src/sim/index.js';
import { Feed } from '../../src/streams/feed.js';
import { TwsSource } from '../../src/streams/tws/source.js';
import { isDenial, planFlatten } from '../../src/trading/plan.js';
import { planWhatIf, whatIfJson, whatIfLine, type PlanWhatIf } from '../../src/trading/what-if.js';
import { T0, waitFor } from '../sim/helpers.js';

const open: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (open.length) await open.pop()!();
});

/** The simulator (its order log captured), the real source on a loopback socket and a feed, synced. */
async function session(clientId: number) {
  const log: string[] = [];
  // A running market: an order that reached it would fill, so "nothing filled" is a real check.
  const sim = await startSimulator({ port: 0, controlPort: null, seed: 4, speed: 60, startTime: T0, log: (_level, message) => log.push(message) });
  open.push(() => sim.close());
  const source = new TwsSource({
    host: '127.0.0.1',
    port: sim.port,
    clientId,
    heartbeatMs: 300,
    heartbeatTimeoutMs: 10_000,
    backoff: { initialMs: 100, maxMs: 300, jitter: 0.1 },
  });
  const feed = new Feed(source.events$, { now: () => systemClock.now() });
  source.start();
  open.push(() => feed.close('done'));
  open.push(() => source.stop());
  await waitFor(() => feed.state.health === 'ready' && feed.state.complete.positions && feed.state.complete.openOrders, 15_000, 'sync');
  return { sim, source, feed, log };
}

describe('planWhatIf against the simulator', () => {
  it("gives TWS's requirement after a flatten, sent as whatIf with transmit=false, and nothing is placed or filled", async () => {
    const { sim, source, feed, log } = await session(91);
    const plan = planFlatten(feed.state, { kind: 'underlying', symbol: 'AAPL' }, { clientId: 91, orderType: 'MKT', collar: 0.02, now: systemClock.now() });
    if (isDenial(plan)) throw new Error(plan.code);
    expect(plan.legs.length).toBeGreaterThanOrEqual(2);
    const before = sim.snapshot();

    const w = await planWhatIf(source, plan);

    expect(w.missing).toEqual([]);
    expect(w.legs).toHaveLength(plan.legs.length);
    // "Before" is the account's requirement as the simulator reports it in its account values.
    const reported = Number(snapshotValue(sim.snapshot(), 'MaintMarginReq'));
    expect(Math.abs(w.maintBefore!.toNumber() - reported) / reported).toBeLessThan(0.02);
    // After = before + the sum of the orders' changes, each as TWS sent it.
    const changes = w.legs.reduce((a, l) => a.add(l.reply.ok ? l.reply.maintChange! : 0), new Decimal(0));
    expect(w.maintAfter!.toString()).toBe(w.maintBefore!.add(changes).toString());
    expect(w.maintAfter!.lessThan(w.maintBefore!)).toBe(true);

    // The order log: each leg placed once, as a what-if that is not transmitted, and answered without being placed.
    const placed = log.filter((l) => l.startsWith('client 91: place order'));
    expect(placed).toHaveLength(plan.legs.length);
    for (const l of placed) expect(l).toMatch(/whatIf=true transmit=false$/);
    expect(log.filter((l) => /^client 91: what-if order \d+ answered, not placed/.test(l))).toHaveLength(plan.legs.length);
    // A round trip later: no open order, no execution, no position change; our own state lists no order either.
    await source.contractDetails(plan.legs[0]!.conId, 10_000);
    const after = sim.snapshot();
    expect(after.openOrders.filter((o) => o.clientId === 91)).toEqual([]);
    expect(after.executions.filter((e) => e.clientId === 91)).toEqual([]);
    expect(log.some((l) => l.startsWith('fill ') && l.includes('client 91'))).toBe(false);
    expect(after.positions.map((p) => [p.conId, p.position])).toEqual(before.positions.map((p) => [p.conId, p.position]));
    expect([...feed.state.orders.values()].filter((o) => o.clientId === 91)).toEqual([]);
  }, 30_000);

  it('an order TWS refuses is named, and no post-flatten figure is made up', async () => {
    const { source, feed } = await session(92);
    const plan = planFlatten(feed.state, { kind: 'underlying', symbol: 'AAPL' }, { clientId: 92, orderType: 'MKT', collar: 0.02, now: systemClock.now() });
    if (isDenial(plan)) throw new Error(plan.code);
    // The first leg on a contract the simulator does not know: TWS answers 200 for that order id.
    const broken = {
      ...plan,
      legs: [{ ...plan.legs[0]!, contract: { ...plan.legs[0]!.contract, conId: 999_999_999, symbol: 'NOPE', localSymbol: 'NOPE' } }, ...plan.legs.slice(1)],
    };
    const w = await planWhatIf(source, broken);
    expect(w.maintAfter).toBeUndefined();
    expect(w.missing).toHaveLength(1);
    expect(w.missing[0]).toMatch(/NOPE: TWS 200/);
    expect(whatIfLine(w, new Decimal(1000), 'USD')).toMatch(/^IBKR what-if: no post-flatten requirement \(.*NOPE: TWS 200/);
  }, 30_000);

  it('a source that is not ready refuses before anything is sent', async () => {
    const source = new TwsSource({ host: '127.0.0.1', port: 1, clientId: 93 });
    const r = await source.whatIfOrder(
      { conId: 1, symbol: 'X', secType: 'STK', currency: 'USD' },
      { action: 'BUY', totalQuantity: new Decimal(1), orderType: 'MKT' },
    );
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toMatch(/cannot ask for what-if margins/);
  });
});

describe('whatIfLine', () => {
  const w = (maintAfter: string | undefined, legs = 1): PlanWhatIf => ({
    planId: 'p',
    legs: Array.from({ length: legs }, (_, i) => ({ conId: i, label: `leg ${i}`, reply: { ok: true } })),
    ...(maintAfter ? { maintAfter: new Decimal(maintAfter), maintBefore: new Decimal('50000') } : {}),
    missing: [],
  });

  it("shows IBKR's figure beside ours with the difference IBKR − ours, signed", () => {
    expect(whatIfLine(w('12345.6'), new Decimal('12000'), 'USD')).toBe('IBKR what-if: maint after 12,346 USD; ours 12,000, difference +346');
    expect(whatIfLine(w('11000', 2), new Decimal('12000.4'), 'EUR')).toBe(
      "IBKR what-if: maint when asked 50,000 EUR + sum of 2 per-order changes = 11,000; ours after the plan 12,000, difference -1,000 (each order alone against today's portfolio, not TWS's margin after the whole plan)",
    );
    expect(whatIfLine(w('11000'), undefined, 'USD')).toBe('IBKR what-if: maint after 11,000 USD; ours n/a');
  });

  it('says when TWS is still being asked, and nothing when it is not asked', () => {
    expect(whatIfLine('pending', undefined, 'USD')).toMatch(/asking TWS .*not transmitted/);
    expect(whatIfLine(undefined, undefined, 'USD')).toBe('');
  });

  it('keeps ours in cents in the JSON, as the after-flatten picture prints it, whatever its trailing zeros', () => {
    // A figure ending in a zero cent once printed as 151137.4 here and 151137.40 in the picture beside it.
    const j = whatIfJson(w('151200'), new Decimal('151137.40'), 'USD');
    expect(j.oursMaintAfter).toBe('151137.40');
    expect(j.difference).toBe('62.6');
    expect(whatIfJson(w('100'), new Decimal('100'), 'USD').oursMaintAfter).toBe('100.00');
  });
});
