// Issue 16 item 16: a scope or order id that names nothing is an error (exit 1) that names what exists; a refused
// connection is said at once, as "connection refused", with exit 3 (the source's typed cause, cannotConnect).
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { deadPort, simulatorsPerTest } from '../support/sim-rig.js';
import { connectApi, disconnectAll } from '../sim/helpers.js';

const sim = simulatorsPerTest();

describe('a scope or an order that matches nothing', () => {
  it('flatten --scope currency:XYZ exits 1 and lists the currencies held', async () => {
    const s = await sim();
    const r = await runCli('flatten', '--port', String(s.port), '--client-id', '71', '--scope', 'currency:XYZ', '--no-record');
    expect(r.code).toBe(1);
    const held = [
      ...new Set(
        s
          .snapshot()
          .positions.filter((p) => Number(p.position) !== 0)
          .map((p) => p.currency),
      ),
    ].sort();
    expect(held.length).toBeGreaterThan(1);
    expect(r.err).toContain('no position matches --scope currency:XYZ');
    for (const c of held) expect(r.err).toContain(`currency:${c}`);
  }, 60_000);

  it('flatten --scope class:WAR and underlying:NOPE name the classes and underlyings held, in JSON too', async () => {
    const s = await sim();
    const cls = await runCli('flatten', '--port', String(s.port), '--client-id', '72', '--scope', 'class:WAR', '--no-record', '--json');
    expect(cls.code).toBe(1);
    const doc = JSON.parse(cls.out) as { error: { message: string; exists: string[] } };
    const classes = [
      ...new Set(
        s
          .snapshot()
          .positions.filter((p) => Number(p.position) !== 0)
          .map((p) => `class:${p.secType}`),
      ),
    ].sort();
    expect(doc.error.exists).toEqual(classes);
    const und = await runCli('flatten', '--port', String(s.port), '--client-id', '73', '--scope', 'underlying:NOPE', '--no-record');
    expect(und.code).toBe(1);
    expect(und.err).toContain('underlying:AAPL');
  }, 60_000);

  it('cancel --order 999 exits 1 and says which orders are open (none here)', async () => {
    const s = await sim();
    expect(s.snapshot().openOrders).toHaveLength(0);
    const r = await runCli('cancel', '--port', String(s.port), '--client-id', '74', '--order', '999', '--no-record');
    expect(r.code).toBe(1);
    expect(r.err).toBe('tws-risk cancel: order 999 is not an open order; the account has no open orders');
  }, 60_000);

  it('flatten --scope all on an account holding something still plans (the check is only for a scope that names nothing)', async () => {
    const s = await sim();
    const r = await runCli('flatten', '--port', String(s.port), '--client-id', '75', '--scope', 'all', '--no-record');
    expect(r.code).toBe(0);
    expect(r.out).toContain('dry run: nothing sent');
  }, 60_000);
});

describe('a refused connection', () => {
  for (const cmd of [['report'], ['flatten', '--scope', 'all'], ['cancel', '--all']]) {
    it(`${cmd[0]} says "connection refused" at once and exits 3`, async () => {
      const port = await deadPort();
      const started = performance.now();
      const r = await runCli(...cmd, '--port', String(port), '--timeout', '20');
      expect(r.code).toBe(3);
      expect(r.err).toContain(`cannot connect to TWS at 127.0.0.1:${port}: connection refused`);
      // At once: far inside the timeout asked for (the old path waited for it, then said "timed out", exit 4).
      expect(performance.now() - started).toBeLessThan(10_000);
    }, 60_000);
  }

  it('a client id another client holds: TWS answered, so the message names the id and does not ask whether TWS runs', async () => {
    const s = await sim();
    const holder = await connectApi(s.port, 76);
    try {
      const r = await runCli('report', '--port', String(s.port), '--client-id', '76', '--timeout', '20');
      expect(r.code).toBe(3);
      expect(r.err).toContain(`cannot connect to TWS at 127.0.0.1:${s.port}: client id 76 is already in use`);
      expect(r.err).not.toContain('Is TWS or IB Gateway running');
    } finally {
      disconnectAll(holder.api);
    }
  }, 60_000);
});
