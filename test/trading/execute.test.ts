// Execution against the simulator through the real source: a disconnect mid-flatten, deadlines, a market moved past a plan.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ManualClock, systemClock, type Clock } from '../../src/model/clock.js';
import { dec, Decimal } from '../../src/model/money.js';
import type { OrderRequest } from '../../src/model/orders.js';
import { toIbOrder } from '../../src/streams/tws/orders.js';
import { startSimulator, type Simulator } from '../../src/sim/index.js';
import { Feed } from '../../src/streams/feed.js';
import { TwsSource } from '../../src/streams/tws/source.js';
import { AuditLog, verifyAuditLog } from '../../src/trading/audit.js';
import { executeFlatten, type TradingDeps } from '../../src/trading/execute.js';
import { isDenial, planFlatten, planReduce } from '../../src/trading/plan.js';
import { liveMark } from '../../src/model/mark.js';
import { stillWorking } from '../../src/trading/execute.js';
import { T0, waitFor } from '../sim/helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'tws-risk-exec-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const open: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (open.length) await open.pop()!();
});

interface Session {
  sim: Simulator;
  source: TwsSource;
  feed: Feed;
  /** The feed's and the execution's time (the source keeps real time: its heartbeat must be answered). */
  clock: Clock;
}

/** The simulator, the real source on a loopback socket and a feed, synced; closed after the test. */
async function session(clientId: number, speed: number, clock: Clock = systemClock): Promise<Session> {
  const sim = await startSimulator({ port: 0, controlPort: null, seed: 4, speed, startTime: T0, log: false });
  open.push(() => sim.close());
  const source = new TwsSource({
    host: '127.0.0.1',
    port: sim.port,
    clientId,
    heartbeatMs: 300,
    heartbeatTimeoutMs: 10_000,
    backoff: { initialMs: 100, maxMs: 300, jitter: 0.1 },
  });
  const feed = new Feed(source.events$, { now: () => clock.now() });
  source.start();
  open.push(() => feed.close('done'));
  open.push(() => source.stop());
  await waitFor(() => feed.state.health === 'ready' && feed.state.complete.positions && feed.state.complete.openOrders, 15_000, 'sync');
  return { sim, source, feed, clock };
}

/** Lets the source's pending answers arrive: a request that TWS answers (the open orders) has made the round trip. */
async function roundTripTo(s: Session, conId: number): Promise<void> {
  if (!(await s.source.contractDetails(conId, 10_000))) throw new Error('the simulator did not answer a contract-details round trip');
}

/**
 * Lets an execution run on a manual clock: virtual time moves one poll at a time, and only after the execution's
 * pending work (promise continuations) has run, until it settles. For executions whose outcome needs no more I/O.
 */
async function drive<T>(clock: ManualClock, run: Promise<T>, stepMs = 50): Promise<T> {
  let settled = false;
  const out = run.finally(() => (settled = true));
  for (let i = 0; !settled; i++) {
    if (i > 100_000) throw new Error('the execution did not settle on the virtual clock');
    clock.advance(stepMs);
    await new Promise((r) => setImmediate(r));
  }
  return out;
}

/** Armed trading deps on the session, with the given overrides (a lost cancel, a clock, counting sends). */
function depsFor(s: Session, audit: AuditLog, clientId: number, over: Partial<TradingDeps> = {}): TradingDeps {
  const armedUntil = s.clock.now() + 600_000;
  return {
    mode: 'trade',
    state: () => s.feed.state,
    sourceReady: () => s.source.ready,
    arm: () => ({ armed: true, until: armedUntil, by: 'headless' }),
    clock: s.clock,
    placeOrder: (c, o) => s.source.placeOrder(c, o),
    cancelOrder: (id) => s.source.cancelOrder(id),
    globalCancel: () => s.source.globalCancel(),
    publish: (b) => s.feed.publish(b),
    audit,
    clientId,
    connectionEpoch: () => s.source.connectionEpoch,
    orderSnapshot: (ms) => s.source.orderSnapshot(ms),
    ...over,
  };
}

describe('executeFlatten', () => {
  it('stops at a disconnect mid-flatten and never resends the rest blindly after the reconnect', async () => {
    // A frozen market: orders rest unfilled, so the drop lands deterministically while they are open.
    const clock = new ManualClock(Date.parse(T0));
    const s = await session(81, 0, clock);
    const { sim, source, feed } = s;

    const plan = planFlatten(feed.state, { kind: 'underlying', symbol: 'AAPL' }, { clientId: 81, orderType: 'MKT', collar: 0.02, now: clock.now() });
    if (isDenial(plan)) throw new Error(plan.code);
    expect(plan.legs.length).toBeGreaterThanOrEqual(2);
    const audit = new AuditLog(join(dir, 'audit.jsonl'), { appVersion: 'test', account: feed.state.account ?? null, mode: 'test' });
    let placed = 0;
    const deps = depsFor(s, audit, 81, {
      placeOrder: (c, o) => {
        const r = source.placeOrder(c, o);
        // The socket drops once the first orders have reached the simulator.
        if (++placed === 1) {
          void waitFor(() => sim.snapshot().openOrders.filter((x) => x.clientId === 81).length >= placed, 5_000, 'orders at the simulator').then(
            () => sim.trigger({ incident: 'drop' }),
            () => undefined,
          );
        }
        return r;
      },
    });
    const running = executeFlatten(deps, plan, 3_000);
    // The execution's time stands still until the drop is seen; then its deadline passes in virtual time.
    await waitFor(() => feed.state.health !== 'ready', 10_000, 'the drop');
    const result = await drive(clock, running);
    audit.close();
    // The options (stage one) went out before the drop was seen; they could not be confirmed filled before the
    // deadline, so the stock (stage two) was never sent.
    const stock = plan.legs.find((l) => l.contract.secType === 'STK')!;
    expect(result.legs.find((l) => l.conId === stock.conId)?.outcome).toBe('notSent');
    // Each leg is named as the plan named it: an option is its expiry, strike and right, not the bare symbol AAPL.
    const option = plan.legs.find((l) => l.contract.secType === 'OPT')!;
    const optionLeg = result.legs.find((l) => l.conId === option.conId)!;
    expect(optionLeg.label).toMatch(/^(?:(?:BUY|SELL) \S+ )?AAPL \d{8} \d+(?:\.\d+)? [CP]$/);
    expect(result.complete).toBe(false);
    // After the reconnect the simulator has seen exactly the orders sent before the drop, each once, none resent.
    await waitFor(() => feed.state.health === 'ready', 15_000, 'reconnect');
    // One heartbeat round trip after the reconnect: the simulator reads a connection in order, so it has seen all before.
    const hb = source.lastHeartbeatAt;
    await waitFor(() => source.lastHeartbeatAt !== hb, 10_000, 'a heartbeat after the reconnect');
    const ids = [
      ...sim
        .snapshot()
        .executions.filter((e) => e.clientId === 81)
        .map((e) => e.orderId),
      ...sim
        .snapshot()
        .openOrders.filter((o) => o.clientId === 81)
        .map((o) => o.orderId),
    ];
    expect(new Set(ids).size).toBe(placed);
    expect(placed).toBe(plan.legs.length - 1);
    expect(sim.snapshot().executions.some((e) => e.clientId === 81 && e.conId === stock.conId)).toBe(false);
    const v = await verifyAuditLog(audit.file);
    expect(v.ok).toBe(true);
  });

  it('does not send a closing order while its own cancel did not go through: an order beside it could flip the position', async () => {
    const clock = new ManualClock(Date.parse(T0));
    const s = await session(83, 1, clock);
    const { sim, source, feed } = s;
    const row = [...feed.state.positions.values()].find((r) => r.contract.secType === 'STK' && r.position.greaterThanOrEqualTo(10))!;
    // Our own working order on the stock, so far from the market that it never fills, which the flatten must cancel first.
    const resting = source.placeOrder(row.contract, {
      action: 'SELL',
      totalQuantity: dec('5'),
      orderType: 'LMT',
      lmtPrice: dec('99999'),
      tif: 'DAY',
      account: feed.state.account!,
    });
    if (!resting.ok) throw new Error('resting order refused');
    await waitFor(() => [...feed.state.orders.values()].some((o) => o.orderId === resting.orderId && o.clientId === 83), 10_000, 'the resting order');
    const plan = planFlatten(feed.state, { kind: 'conid', conId: row.contract.conId }, { clientId: 83, orderType: 'MKT', collar: 0.02, now: clock.now() });
    if (isDenial(plan)) throw new Error(plan.code);
    expect(plan.cancels.map((c) => c.orderId)).toEqual([resting.orderId]);
    const audit = new AuditLog(join(dir, 'audit-lost-cancel.jsonl'), { appVersion: 'test', account: feed.state.account ?? null, mode: 'test' });
    const placed: string[] = [];
    const deps = depsFor(s, audit, 83, {
      placeOrder: (c, o) => {
        placed.push(o.totalQuantity.toString());
        return source.placeOrder(c, o);
      },
      // The cancel is lost on the way (it never reaches TWS): the order keeps working.
      cancelOrder: () => ({ ok: true }),
    });
    const result = await drive(clock, executeFlatten(deps, plan, 1_500));
    audit.close();
    expect(result.cancels.map((c) => c.outcome)).toEqual(['timedOut']);
    expect(result.denial).toMatchObject({ code: 'ORDERS_STILL_OPEN', conId: row.contract.conId });
    expect(placed).toEqual([]);
    expect(result.legs.map((l) => l.outcome)).toEqual(['notSent']);
    // The simulator holds only the resting order from this client: no closing order reached it.
    expect(
      sim
        .snapshot()
        .openOrders.filter((o) => o.clientId === 83)
        .map((o) => o.orderId),
    ).toEqual([resting.orderId]);
    expect((await verifyAuditLog(audit.file)).ok).toBe(true);
  });

  it("does not send an order once the plan's time has run out (it could not be followed)", async () => {
    const clock = new ManualClock(Date.parse(T0));
    const s = await session(84, 1, clock);
    const { sim, source, feed } = s;
    const row = [...feed.state.positions.values()].find((r) => r.contract.secType === 'STK' && !r.position.isZero())!;
    const plan = planFlatten(feed.state, { kind: 'conid', conId: row.contract.conId }, { clientId: 84, orderType: 'MKT', collar: 0.02, now: clock.now() });
    if (isDenial(plan)) throw new Error(plan.code);
    const audit = new AuditLog(join(dir, 'audit-deadline.jsonl'), { appVersion: 'test', account: feed.state.account ?? null, mode: 'test' });
    const placed: string[] = [];
    // The machine stalls for 2 s right after the first reading of the clock (which sets the 1 s deadline).
    let stalled = false;
    const stalling: Clock = {
      now: () => {
        const t = clock.now();
        if (!stalled) {
          stalled = true;
          clock.advance(2_000);
        }
        return t;
      },
      setTimeout: (fn, ms) => clock.setTimeout(fn, ms),
      setInterval: (fn, ms) => clock.setInterval(fn, ms),
      clear: (h) => clock.clear(h),
    };
    const deps = depsFor(s, audit, 84, {
      clock: stalling,
      placeOrder: (c, o) => {
        placed.push(o.totalQuantity.toString());
        return source.placeOrder(c, o);
      },
    });
    const result = await executeFlatten(deps, plan, 1_000);
    audit.close();
    expect(result.denial).toEqual({ code: 'DEADLINE_PASSED', conId: row.contract.conId });
    expect(placed).toEqual([]);
    expect(sim.snapshot().openOrders.filter((o) => o.clientId === 84)).toEqual([]);
  });

  it("executes a reduction's partial trim: one order for part of the position, done when the position reads its target", async () => {
    const s = await session(82, 20);
    const { sim, source, feed } = s;
    const row = [...feed.state.positions.values()].find((r) => r.contract.secType === 'STK' && r.position.abs().greaterThanOrEqualTo(10))!;
    const before = row.position;
    const trim = before.div(2).truncated().neg(); // half, towards zero
    // Real time here: the fill comes over the socket, and the 15 s deadline is only a safety net.
    const plan = planReduce(feed.state, [{ conId: row.contract.conId, quantity: trim, position: before }], {
      clientId: 82,
      orderType: 'MKT',
      collar: 0.02,
      now: s.clock.now(),
    });
    if (isDenial(plan)) throw new Error(plan.code);
    const audit = new AuditLog(join(dir, 'audit-reduce.jsonl'), { appVersion: 'test', account: feed.state.account ?? null, mode: 'test' });
    const sent: string[] = [];
    const deps = depsFor(s, audit, 82, {
      placeOrder: (c, o) => {
        sent.push(o.totalQuantity.toString());
        return source.placeOrder(c, o);
      },
    });
    const result = await executeFlatten(deps, plan, 15_000);
    audit.close();
    expect(sent).toEqual([trim.abs().toString()]);
    expect(result.legs.map((l) => l.outcome)).toEqual(['filled']);
    expect(result.flat).toBe(true); // the position reads its target, not zero
    const target = before.add(trim);
    expect(feed.state.positions.get(row.contract.conId)?.position.toString()).toBe(target.toString());
    expect(sim.snapshot().positions.find((p) => p.conId === row.contract.conId)?.position).toBe(target.toString());
    expect((await verifyAuditLog(audit.file)).ok).toBe(true);
  });

  it('keeps a fractional quantity a Decimal up to the TWS edge: the trim the gateway receives is exact, and so is the position after', async () => {
    const s = await session(85, 20);
    const { sim, source, feed } = s;
    const row = [...feed.state.positions.values()].find((r) => r.contract.secType === 'STK' && r.position.greaterThanOrEqualTo(10))!;
    const before = row.position;
    // 0.1 + 0.2 in floats is 0.30000000000000004: in Decimals it is 0.3, and it must stay so until the wire.
    const trim = dec('0.1').add(dec('0.2')).neg();
    const plan = planReduce(feed.state, [{ conId: row.contract.conId, quantity: trim, position: before }], {
      clientId: 85,
      orderType: 'MKT',
      collar: 0.02,
      now: s.clock.now(),
    });
    if (isDenial(plan)) throw new Error(plan.code);
    const audit = new AuditLog(join(dir, 'audit-fraction.jsonl'), { appVersion: 'test', account: feed.state.account ?? null, mode: 'test' });
    const requests: OrderRequest[] = [];
    const deps = depsFor(s, audit, 85, {
      placeOrder: (c, o) => {
        requests.push(o);
        return source.placeOrder(c, o);
      },
    });
    const result = await executeFlatten(deps, plan, 15_000);
    audit.close();
    expect(requests.length).toBe(1);
    const q = requests[0]!.totalQuantity;
    expect(Decimal.isDecimal(q)).toBe(true);
    expect(q.toString()).toBe('0.3');
    expect(result.legs.map((l) => l.outcome)).toEqual(['filled']);
    const target = before.sub('0.3');
    expect(sim.snapshot().positions.find((p) => p.conId === row.contract.conId)?.position).toBe(target.toString());
    expect(feed.state.positions.get(row.contract.conId)?.position.toString()).toBe(target.toString());
  });
});

describe('following orders on the event stream', () => {
  it("follows a flatten to FILLED and flat on the feed's events alone: the virtual clock never moves", async () => {
    // A poll would wait on this clock forever; only the events can finish the execution.
    const clock = new ManualClock(Date.parse(T0));
    const s = await session(86, 20, clock);
    const row = [...s.feed.state.positions.values()].find((r) => r.contract.secType === 'STK' && !r.position.isZero())!;
    const plan = planFlatten(s.feed.state, { kind: 'conid', conId: row.contract.conId }, { clientId: 86, orderType: 'MKT', collar: 0.02, now: clock.now() });
    if (isDenial(plan)) throw new Error(plan.code);
    const audit = new AuditLog(join(dir, 'audit-events.jsonl'), { appVersion: 'test', account: s.feed.state.account ?? null, mode: 'test' });
    const result = await executeFlatten(depsFor(s, audit, 86, { events: s.feed.events$ }), plan, 30_000);
    audit.close();
    expect(clock.now()).toBe(Date.parse(T0));
    expect(result.legs.map((l) => l.outcome)).toEqual(['filled']);
    expect(result.flat).toBe(true);
    expect(s.sim.snapshot().positions.find((p) => p.conId === row.contract.conId)?.position ?? '0').toBe('0');
  }, 30_000);

  it('ends at the deadline when no answer comes: one step of the clock past it, no polling in between', async () => {
    const clock = new ManualClock(Date.parse(T0));
    const s = await session(87, 1, clock);
    const { source, feed } = s;
    const row = [...feed.state.positions.values()].find((r) => r.contract.secType === 'STK' && r.position.greaterThanOrEqualTo(10))!;
    const resting = source.placeOrder(row.contract, {
      action: 'SELL',
      totalQuantity: dec('5'),
      orderType: 'LMT',
      lmtPrice: dec('99999'),
      tif: 'DAY',
      account: feed.state.account!,
    });
    if (!resting.ok) throw new Error('resting order refused');
    await waitFor(() => [...feed.state.orders.values()].some((o) => o.orderId === resting.orderId && o.clientId === 87), 10_000, 'the resting order');
    const plan = planFlatten(feed.state, { kind: 'conid', conId: row.contract.conId }, { clientId: 87, orderType: 'MKT', collar: 0.02, now: clock.now() });
    if (isDenial(plan)) throw new Error(plan.code);
    const audit = new AuditLog(join(dir, 'audit-events-deadline.jsonl'), { appVersion: 'test', account: feed.state.account ?? null, mode: 'test' });
    // The cancel is lost on the way: no event will ever say the order ended.
    const run = executeFlatten(depsFor(s, audit, 87, { events: feed.events$, cancelOrder: () => ({ ok: true }) }), plan, 20_000);
    let settled = false;
    void run.finally(() => (settled = true));
    await roundTripTo(s, row.contract.conId);
    expect(settled).toBe(false);
    clock.advance(20_001);
    const result = await run;
    audit.close();
    expect(result.cancels.map((c) => c.outcome)).toEqual(['timedOut']);
    expect(result.denial?.code).toBe('ORDERS_STILL_OPEN');
    expect(result.legs.map((l) => l.outcome)).toEqual(['notSent']);
  }, 30_000);
});

describe('derivatives first, per underlying', () => {
  it('a rejected option leg holds back its own underlying only: the other positions are still closed', async () => {
    const s = await session(91, 1);
    const row = (symbol: string, secType: string) =>
      [...s.feed.state.positions.values()].find((r) => r.contract.symbol === symbol && r.contract.secType === secType && !r.position.isZero())!;
    const call = row('AAPL', 'OPT');
    const aapl = row('AAPL', 'STK');
    const tsla = row('TSLA', 'STK');
    const plan = planFlatten(
      s.feed.state,
      { kind: 'conids', conIds: [call.contract.conId, aapl.contract.conId, tsla.contract.conId] },
      { clientId: 91, orderType: 'LMT', collar: 0.02, now: s.clock.now() },
    );
    if (isDenial(plan)) throw new Error(plan.code);
    // The option's limit a fraction of a cent off its price grid: TWS (and the simulator) reject it with 110.
    const rejected = { ...plan, legs: plan.legs.map((l) => (l.conId === call.contract.conId ? { ...l, limitPrice: l.limitPrice!.add('0.003') } : l)) };
    const audit = new AuditLog(join(dir, 'audit-per-underlying.jsonl'), { appVersion: 'test', account: s.feed.state.account ?? null, mode: 'test' });
    const result = await executeFlatten(depsFor(s, audit, 91, { events: s.feed.events$ }), rejected, 20_000);
    audit.close();
    const by = new Map(result.legs.map((l) => [l.conId, l]));
    expect(by.get(call.contract.conId)).toMatchObject({ outcome: 'rejected', code: 110 });
    // AAPL waits for its options (closing it under a still-open short call would leave the call naked)...
    expect(by.get(aapl.contract.conId)).toMatchObject({ outcome: 'notSent' });
    expect(by.get(aapl.contract.conId)!.message).toMatch(/^not sent: an order on AAPL's options did not fill/);
    // ...and TSLA, which has none in the plan, is closed all the same (it used to wait for every underlying's options).
    expect(by.get(tsla.contract.conId)!.outcome).toBe('filled');
    const held = (conId: number) => s.sim.snapshot().positions.find((p) => p.conId === conId)?.position;
    expect(held(tsla.contract.conId)).toBe('0');
    expect(held(aapl.contract.conId)).toBe(aapl.position.toString());
    expect(held(call.contract.conId)).toBe(call.position.toString());
    expect(result.complete).toBe(false);
    expect(result.flat).toBe(false);
  }, 30_000);
});

describe('a market that moved past the plan', () => {
  /** The long AAPL stock position, planned as a marketable SELL LMT (collar 2%) on the mark now. */
  async function aaplPlan(s: Session, clientId: number) {
    const row = [...s.feed.state.positions.values()].find((r) => r.contract.symbol === 'AAPL' && r.contract.secType === 'STK')!;
    expect(row.position.greaterThan(0)).toBe(true);
    const plan = planFlatten(s.feed.state, { kind: 'conid', conId: row.contract.conId }, { clientId, orderType: 'LMT', collar: 0.02, now: s.clock.now() });
    if (isDenial(plan)) throw new Error(plan.code);
    return { row, plan, leg: plan.legs[0]! };
  }
  const markBelow = (s: Session, conId: number, price: Decimal) => () => liveMark(s.feed.state, conId)?.price.lessThan(price) ?? false;

  it('refuses a plan made before a -10% move (MARK_MOVED) and sends nothing: the headless flatten and the guard execute this way', async () => {
    const clock = new ManualClock(Date.parse(T0));
    const s = await session(88, 1, clock);
    const { row, plan, leg } = await aaplPlan(s, 88);
    expect(leg.action).toBe('SELL');
    await s.sim.trigger({ incident: 'move', factor: 'AAPL', pct: -10 });
    await waitFor(markBelow(s, row.contract.conId, leg.limitPrice!), 10_000, 'the feed to see AAPL below the planned limit');
    const audit = new AuditLog(join(dir, 'audit-moved.jsonl'), { appVersion: 'test', account: s.feed.state.account ?? null, mode: 'test' });
    const placed: string[] = [];
    const deps = depsFor(s, audit, 88, {
      events: s.feed.events$,
      placeOrder: (c, o) => {
        placed.push(o.totalQuantity.toString());
        return s.source.placeOrder(c, o);
      },
    });
    const result = await executeFlatten(deps, plan, 20_000);
    audit.close();
    expect(result.denial?.code).toBe('MARK_MOVED');
    if (result.denial?.code !== 'MARK_MOVED') throw new Error('not MARK_MOVED');
    expect(result.denial.limit).toBe(leg.limitPrice!.toString());
    // Planning now prices it near the new mark, 2% under it.
    const now = Number(result.denial.markNow);
    expect(now).toBeLessThan(Number(leg.mark) * 0.92);
    expect(Math.abs(Number(result.denial.limitNow) - now * 0.98)).toBeLessThan(0.02);
    expect(placed).toEqual([]);
    expect(s.sim.snapshot().openOrders.filter((o) => o.clientId === 88)).toEqual([]);
    const lines = readFileSync(join(dir, 'audit-moved.jsonl'), 'utf8');
    expect(lines).toContain('"code":"MARK_MOVED"');
    expect(lines).not.toContain('"type":"orderSent"');
  }, 30_000);

  it('a plan made after the move is sent: the guard compares with the plan of now, not with the old mark', async () => {
    const clock = new ManualClock(Date.parse(T0));
    const s = await session(89, 1, clock);
    const before = await aaplPlan(s, 89);
    await s.sim.trigger({ incident: 'move', factor: 'AAPL', pct: -10 });
    await waitFor(markBelow(s, before.row.contract.conId, before.leg.limitPrice!), 10_000, 'the feed to see the move');
    const { plan } = await aaplPlan(s, 89);
    const audit = new AuditLog(join(dir, 'audit-replanned.jsonl'), { appVersion: 'test', account: s.feed.state.account ?? null, mode: 'test' });
    const result = await executeFlatten(depsFor(s, audit, 89, { events: s.feed.events$ }), plan, 30_000);
    audit.close();
    expect(result.denial).toBeUndefined();
    expect(result.legs.map((l) => l.outcome)).toEqual(['filled']);
    expect(result.flat).toBe(true);
  }, 30_000);

  it('a flatten that times out with its order still working says so, with its limit and what is left, and leaves it working', async () => {
    const clock = new ManualClock(Date.parse(T0));
    const s = await session(90, 1, clock);
    const { row, plan, leg } = await aaplPlan(s, 90);
    const audit = new AuditLog(join(dir, 'audit-working.jsonl'), { appVersion: 'test', account: s.feed.state.account ?? null, mode: 'test' });
    // The market falls 10% while the order is on its way, after the guard passed it: it reaches the simulator above
    // the market, where a SELL LMT cannot fill.
    const deps = depsFor(s, audit, 90, {
      events: s.feed.events$,
      placeOrder: (c, o) => {
        void s.sim.trigger({ incident: 'move', factor: 'AAPL', pct: -10 });
        return s.source.placeOrder(c, o);
      },
    });
    const run = executeFlatten(deps, plan, 20_000);
    await waitFor(
      () => [...s.feed.state.orders.values()].some((o) => o.clientId === 90 && o.status === 'Submitted'),
      10_000,
      'the order working at the simulator',
    );
    clock.advance(20_001);
    const result = await run;
    audit.close();
    const l = result.legs[0]!;
    expect(l.outcome).toBe('timedOut');
    const qty = row.position.toString();
    expect(l.working).toEqual({ orderType: 'LMT', limitPrice: leg.limitPrice!.toString(), remaining: qty });
    expect(stillWorking(l)).toBe(
      `, still working at LMT ${leg.limitPrice!.toString()} (${Number(qty).toLocaleString('en-US')} left): cancel it (x in Orders) or re-flatten`,
    );
    expect(result.flat).toBe(false);
    // Not cancelled by itself: still open at the simulator.
    expect(
      s.sim
        .snapshot()
        .openOrders.filter((o) => o.clientId === 90)
        .map((o) => o.orderId),
    ).toEqual([l.orderId]);
    const status = readFileSync(join(dir, 'audit-working.jsonl'), 'utf8')
      .split('\n')
      .filter((x) => x.includes('"type":"orderStatus"'));
    expect(status.join('\n')).toContain(`"stillWorking":{"orderType":"LMT","limitPrice":"${leg.limitPrice!.toString()}","remaining":"${qty}"}`);
  }, 30_000);
});

describe('toIbOrder (the one Decimal to number conversion)', () => {
  it('turns the quantity and the limit into the numbers their decimal text says, and always transmits', () => {
    const o = toIbOrder({
      action: 'SELL',
      totalQuantity: dec('1234.3'),
      orderType: 'LMT',
      lmtPrice: dec('101.15'),
      tif: 'DAY',
      account: 'DU1',
      orderRef: 'tws-risk:x',
    });
    expect(o).toEqual({
      action: 'SELL',
      totalQuantity: 1234.3,
      orderType: 'LMT',
      lmtPrice: 101.15,
      tif: 'DAY',
      account: 'DU1',
      orderRef: 'tws-risk:x',
      transmit: true,
    });
    expect(String(o.totalQuantity)).toBe('1234.3');
    expect(toIbOrder({ action: 'BUY', totalQuantity: dec('0.3'), orderType: 'MKT' })).toEqual({
      action: 'BUY',
      totalQuantity: 0.3,
      orderType: 'MKT',
      transmit: true,
    });
  });
});
