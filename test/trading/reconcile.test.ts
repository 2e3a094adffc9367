// A connection lost mid-flatten: each order sent is reconciled with what the reconnected simulator lists (issue 14 item 7).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import { createConsoleTrading } from '../../src/commands/console-trading.js';
import type { CommandIo } from '../../src/commands/io.js';
import { dec } from '../../src/model/money.js';
import { startSimulator, type Simulator } from '../../src/sim/index.js';
import { Feed } from '../../src/streams/feed.js';
import { TwsSource } from '../../src/streams/tws/source.js';
import { verifyAuditLog } from '../../src/trading/audit.js';
import { reconcileOrder } from '../../src/trading/reconcile.js';
import { T0, waitFor } from '../sim/helpers.js';
import { startOrderGate, type OrderGate } from '../support/order-gate.js';
import { ticksKnown } from '../support/trading-console.js';

const dir = mkdtempSync(join(tmpdir(), 'tws-risk-reconcile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const open: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (open.length) await open.pop()!();
});

async function rig(speed: number, passOrders: number): Promise<{ sim: Simulator; gate: OrderGate; optionLegs: number }> {
  const sim = await startSimulator({ port: 0, controlPort: null, seed: 9, speed, startTime: T0, log: false });
  open.push(() => sim.close());
  const gate = await startOrderGate(sim.port, passOrders);
  open.push(() => gate.close());
  const optionLegs = sim.snapshot().positions.filter((p) => p.secType === 'OPT' && !dec(p.position).isZero()).length;
  return { sim, gate, optionLegs };
}

interface AuditLine {
  type?: string;
  detail?: { orderId?: number; outcome?: string; by?: string; execIds?: string[] };
}
const auditLines = (file: string): AuditLine[] =>
  readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as AuditLine);

describe('reconciliation after a lost connection', () => {
  it('headless flatten: orders that reached TWS and filled read filled with their executions; the others never received; the audit separates sent from confirmed', async () => {
    const CLIENT = 71;
    const { sim, gate, optionLegs } = await rig(20, 2);
    expect(optionLegs).toBeGreaterThanOrEqual(3); // two get through, at least one is lost
    const out: string[] = [];
    // stderr apart: it may carry notes (the recordings budget's, on a machine whose clock is skewed or faked).
    const io: CommandIo = { out: (l) => out.push(l), err: () => {} };
    const running = main(
      [
        'flatten',
        '--port',
        String(gate.port),
        '--client-id',
        String(CLIENT),
        '--scope',
        'class:OPT',
        '--trade',
        '--confirm-account',
        'DU1234567',
        '--json',
        '--timeout',
        '60',
      ],
      io,
    );
    // Two orders reach the simulator and fill there, but their answers are lost; the rest are written into the void.
    const mine = () => sim.snapshot().executions.filter((e) => e.clientId === CLIENT);
    await waitFor(
      () =>
        gate.links[0]?.swallowed === optionLegs - 2 &&
        new Set(mine().map((e) => e.orderId)).size === 2 &&
        !sim.snapshot().openOrders.some((o) => o.clientId === CLIENT),
      30_000,
      'two orders filled, the rest swallowed',
    );
    gate.links[0]!.cut();
    const code = await running;
    expect(code).toBe(6);
    const doc = JSON.parse(out.join('\n'));
    expect(doc.result.reconciled).toBe(true);
    const filledIds = [...new Set(mine().map((e) => e.orderId))].sort();
    const sent = (doc.result.orders as Array<{ orderId?: number; outcome: string; execIds?: string[]; evidence?: string; filled: string }>).filter(
      (o) => o.orderId !== undefined,
    );
    expect(sent.length).toBe(optionLegs);
    for (const o of sent) {
      if (filledIds.includes(o.orderId!)) {
        const execs = mine().filter((e) => e.orderId === o.orderId);
        expect(o.outcome).toBe('filled');
        expect([...(o.execIds ?? [])].sort()).toEqual(execs.map((e) => e.execId).sort());
        expect(o.filled).toBe(execs.reduce((a, e) => a.add(dec(e.shares)), dec('0')).toString());
        for (const id of execs.map((e) => e.execId)) expect(o.evidence).toContain(id);
      } else {
        expect(o.outcome).toBe('neverReceived');
        expect(o.evidence).toMatch(/lists it nowhere/);
      }
    }
    // Nothing was sent again after the reconnect: the simulator holds only the two orders that got through.
    expect(sim.snapshot().openOrders.filter((o) => o.clientId === CLIENT)).toEqual([]);
    expect(new Set(mine().map((e) => e.orderId)).size).toBe(2);
    // The audit says what was handed to the socket and, separately, what TWS confirmed.
    const lines = auditLines(doc.audit);
    expect(lines.filter((l) => l.type === 'orderSent').length).toBe(optionLegs);
    expect(
      lines
        .filter((l) => l.type === 'orderConfirmed')
        .map((l) => l.detail!.orderId)
        .sort(),
    ).toEqual(filledIds);
    const reconciled = lines.filter((l) => l.type === 'reconciled');
    expect(reconciled.map((l) => [l.detail!.orderId, l.detail!.outcome]).sort()).toEqual(
      sent.map((o) => [o.orderId, filledIds.includes(o.orderId!) ? 'filled' : 'neverReceived']).sort(),
    );
    expect((await verifyAuditLog(doc.audit)).ok).toBe(true);
  });

  it("console: orders resting at TWS read working, the lost ones never received, in the dialog's outcome", async () => {
    const CLIENT = 72;
    // A frozen market: the orders that get through rest, unfilled.
    const { sim, gate, optionLegs } = await rig(0, 2);
    const source = new TwsSource({
      host: '127.0.0.1',
      port: gate.port,
      clientId: CLIENT,
      heartbeatMs: 300,
      heartbeatTimeoutMs: 20_000,
      backoff: { initialMs: 100, maxMs: 300, jitter: 0.1 },
    });
    const feed = new Feed(source.events$);
    source.start();
    open.push(() => feed.close('done'));
    open.push(() => source.stop());
    await waitFor(
      () => feed.state.health === 'ready' && feed.state.complete.positions && feed.state.complete.openOrders && feed.state.complete.accountDownload,
      15_000,
      'sync',
    );
    const trading = createConsoleTrading({ mode: 'trade', feed, source, clientId: CLIENT, auditDir: dir, timeoutMs: 60_000 });
    open.push(() => trading.close('test over'));
    expect(trading.arm('4567').ok).toBe(true);
    // Arming asks for every position's price ladder; a flatten opened before they came is refused (TICKS_PENDING).
    await ticksKnown(trading.session, feed.state.positions.keys());
    const plan = trading.preview('trade.flattenScope', { arg: 'class:OPT' });
    if (typeof plan === 'string') throw new Error(plan);
    // As the console does: the plan is on screen, and confirmed once its reading time has passed.
    await new Promise<void>((read) => trading.onScreen(plan.id, read));
    const outcome = trading.confirm(plan.id, () => undefined);
    const resting = () => sim.snapshot().openOrders.filter((o) => o.clientId === CLIENT);
    await waitFor(() => gate.links[0]?.swallowed === optionLegs - 2 && resting().length === 2, 30_000, 'two orders resting, the rest swallowed');
    gate.links[0]!.cut();
    const r = await outcome;
    if (r.kind !== 'sent') throw new Error(JSON.stringify(r));
    const working = resting().map((o) => o.orderId);
    const orderLines = r.lines.filter((l) => /^order \d+ /.test(l));
    expect(orderLines.length).toBe(optionLegs);
    for (const l of orderLines) {
      const id = Number(/^order (\d+)/.exec(l)![1]);
      if (working.includes(id)) expect(l).toMatch(/: WORKING; TWS lists it open \(/);
      else expect(l).toMatch(/: NEVER RECEIVED; the reconnected TWS lists it nowhere/);
    }
    expect(r.lines).toContain('CONNECTION LOST while orders were out: each was reconciled with what TWS lists after the reconnect; nothing was sent again');
    expect(r.lines.some((l) => /^FLAT/.test(l))).toBe(false);
    // Still exactly the two orders at TWS: nothing was re-sent.
    expect(resting().map((o) => o.orderId)).toEqual(working);
    expect(sim.snapshot().executions.filter((e) => e.clientId === CLIENT)).toEqual([]);
  });
});

describe('orderSnapshot', () => {
  it('lists a cancelled order among completed orders (the simulator answers reqCompletedOrders), and reconciles it as cancelled', async () => {
    const CLIENT = 73;
    const sim = await startSimulator({ port: 0, controlPort: null, seed: 9, speed: 1, startTime: T0, log: false });
    open.push(() => sim.close());
    const source = new TwsSource({ host: '127.0.0.1', port: sim.port, clientId: CLIENT, heartbeatMs: 300, heartbeatTimeoutMs: 20_000 });
    const feed = new Feed(source.events$);
    source.start();
    open.push(() => feed.close('done'));
    open.push(() => source.stop());
    await waitFor(() => feed.state.health === 'ready' && feed.state.complete.openOrders, 15_000, 'sync');
    const row = [...feed.state.positions.values()].find((r) => r.contract.secType === 'STK' && r.position.greaterThan(0))!;
    const placed = source.placeOrder(row.contract, {
      action: 'SELL',
      totalQuantity: dec('1'),
      orderType: 'LMT',
      lmtPrice: dec('99999'),
      tif: 'DAY',
      account: feed.state.account!,
      orderRef: 'tws-risk:test',
    });
    if (!placed.ok) throw new Error(placed.reason);
    await waitFor(() => sim.snapshot().openOrders.some((o) => o.clientId === CLIENT), 10_000, 'the order at the simulator');
    source.cancelOrder(placed.orderId);
    await waitFor(() => !sim.snapshot().openOrders.some((o) => o.clientId === CLIENT), 10_000, 'the cancel at the simulator');
    const snap = await source.orderSnapshot(10_000);
    expect(snap?.complete).toEqual({ open: true, completed: true, executions: true });
    const done = snap!.completed.find((o) => o.orderRef === 'tws-risk:test');
    expect(done).toMatchObject({ conId: row.contract.conId, status: 'Cancelled', action: 'SELL' });
    expect(done!.permId).toBeGreaterThan(0);
    const r = reconcileOrder({ orderId: placed.orderId, clientId: CLIENT, conId: row.contract.conId, orderRef: 'tws-risk:test', quantity: dec('1') }, snap!);
    expect(r.outcome).toBe('cancelled');
    expect(r.evidence).toContain('TWS lists it completed (Cancelled');
  });
});
