// `tws-risk report --account all` on an advisor login: a report per sub-account of the simulator's FA login, each
// matching that account's own book, and the aggregate equal to the sums worked out here from the simulator's figures.
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import { Decimal } from '../../src/model/money.js';
import { snapshotValue, type Simulator } from '../../src/sim/index.js';
import { FA_BOOKS, startAdvisorSim, T0 } from '../sim/helpers.js';

const open: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (open.length) await open.pop()!();
});

async function faSim(): Promise<Simulator> {
  // A manual clock and frozen prices: the figures compared do not move between the report and the snapshot.
  const s = await startAdvisorSim();
  open.push(() => s.close());
  return s;
}

async function report(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(['report', '--timeout', '30', ...args], { out: (x) => out.push(x), err: (x) => err.push(x) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

interface AccountDoc {
  account: string;
  positions: Array<{ conId: number; position: string }>;
  reported: { accountValues: Record<string, Record<string, string>> };
  alerts: Array<{ severity: string }>;
}

describe('tws-risk report --account all (advisor login)', () => {
  it('reports every account and their sum in the first account base currency', async () => {
    const sim = await faSim();
    const all = [sim.account, ...Object.keys(FA_BOOKS)];
    const r = await report(['--port', String(sim.port), '--client-id', '61', '--account', 'all', '--json']);
    expect(r.err).toBe('');
    const doc = JSON.parse(r.out) as { accounts: AccountDoc[]; aggregate: Record<string, unknown> };
    expect(doc.accounts.map((a) => a.account)).toEqual(all);
    for (const a of doc.accounts) {
      const snap = sim.snapshot(a.account);
      expect(a.reported.accountValues.NetLiquidation?.[snap.baseCurrency]).toBe(snapshotValue(snap, 'NetLiquidation'));
      expect(a.positions.map((p) => [p.conId, p.position]).sort()).toEqual(snap.positions.map((p) => [p.conId, p.position]).sort());
    }
    // The sums, from the simulator's own figures: the EUR-based account converted at the USD account's EUR rate.
    const usd = sim.snapshot();
    const eurRate = new Decimal(snapshotValue(usd, 'ExchangeRate', 'EUR')!);
    const sum = (key: string) =>
      all
        .reduce((acc, a) => {
          const snap = sim.snapshot(a);
          const v = new Decimal(snapshotValue(snap, key)!);
          return acc.add(snap.baseCurrency === 'EUR' ? v.mul(eurRate) : v);
        }, new Decimal(0))
        .toDecimalPlaces(2);
    expect(sim.snapshot('DU2000003').baseCurrency).toBe('EUR');
    expect(doc.aggregate.baseCurrency).toBe('USD');
    expect(doc.aggregate.netLiquidation).toBe(sum('NetLiquidation').toString());
    expect(doc.aggregate.excessLiquidity).toBe(sum('ExcessLiquidity').toString());
    const cushions = all.map((a) => ({ account: a, cushion: new Decimal(snapshotValue(sim.snapshot(a), 'Cushion', '')!) }));
    const worst = cushions.reduce((m, c) => (c.cushion.lt(m.cushion) ? c : m));
    expect(doc.aggregate.worstCushion).toEqual({ account: worst.account, cushion: worst.cushion.toString() });
    const ws = doc.aggregate.worstStress as { account: string; pnl: string };
    expect(all).toContain(ws.account);
    expect(new Decimal(ws.pnl).isNegative()).toBe(true);
    expect(doc.aggregate.problems).toEqual([]);
    expect(r.code).toBe(0);
  }, 90_000);

  it('prints a section per account and the sum as text; a list reports only those; single-account runs are unchanged', async () => {
    const sim = await faSim();
    const text = await report(['--port', String(sim.port), '--client-id', '62', '--account', 'DU2000001,DU2000003']);
    expect(text.err).toBe('');
    expect(text.out).toMatch(/^== account DU2000001 ==$/m);
    expect(text.out).toMatch(/^== account DU2000003 ==$/m);
    expect(text.out).not.toMatch(/== account DU1234567 ==/);
    expect(text.out).toMatch(/^== all accounts ==$/m);
    expect(text.out).toMatch(/^all accounts \(DU2000001, DU2000003\), in USD:$/m);

    const one = await report(['--port', String(sim.port), '--client-id', '63', '--account', 'DU1234567', '--json']);
    const doc = JSON.parse(one.out) as AccountDoc & { accounts?: unknown };
    expect(doc.accounts).toBeUndefined();
    expect(doc.reported.accountValues.NetLiquidation?.USD).toBe(snapshotValue(sim.snapshot(), 'NetLiquidation'));

    const bad = await report(['--port', String(sim.port), '--client-id', '64', '--account', 'DU2000001,DU404']);
    // An input error (exit 1), not a connection that failed: it names the accounts the login manages.
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/DU404 is not managed by this login \(it manages DU\d+/);
    const rec = await report(['--port', String(sim.port), '--account', 'all', '--record', '/nonexistent/x.jsonl']);
    expect(rec.code).toBe(2);
    expect(rec.err).toMatch(/--record follows one account/);
  }, 90_000);
});

describe('commands that trade follow exactly one account', () => {
  it('flatten and cancel refuse --account all or a list before connecting (exit 2), naming report as the way', async () => {
    for (const args of [
      ['flatten', '--scope', 'all', '--account', 'all'],
      ['cancel', '--all', '--account', 'DU1,DU2'],
    ]) {
      const err: string[] = [];
      const code = await main([...args, '--port', '1'], { out: () => {}, err: (x) => err.push(x) });
      expect(code).toBe(2);
      expect(err.join('\n')).toMatch(/names several accounts; only `tws-risk report` and the console follow several/);
    }
  });
});

describe('tws-risk report --account all, one account in trouble', () => {
  it('exits 5 when any one account has a critical alert, naming it in that account section', async () => {
    // DU3000001 is short far more stock than its cash carries: ExcessLiquidity below zero.
    const sim = await startAdvisorSim({
      subAccounts: { DU3000001: { positions: [{ conId: 76792991, quantity: '-5000', avgPrice: '250' }], cash: { USD: '1400000' } } },
    });
    open.push(() => sim.close());
    const calm = await report(['--port', String(sim.port), '--client-id', '65', '--account', sim.account, '--json']);
    const r = await report(['--port', String(sim.port), '--client-id', '66', '--account', 'all', '--json']);
    const doc = JSON.parse(r.out) as { accounts: AccountDoc[] };
    const critical = (a: AccountDoc | undefined) => (a?.alerts ?? []).filter((x) => x.severity === 'critical');
    expect(Number(snapshotValue(sim.snapshot('DU3000001'), 'ExcessLiquidity'))).toBeLessThan(0);
    expect(critical(doc.accounts.find((a) => a.account === 'DU3000001')).length).toBeGreaterThan(0);
    expect(calm.code).toBe(0);
    expect(critical(doc.accounts.find((a) => a.account === sim.account))).toEqual([]);
    expect(r.code).toBe(5);
  }, 90_000);
});
