// Headless flatten and cancel against the simulator: the real client, the real audit log, the real guard.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { dataDir } from '../../src/config/load.js';
import { dec } from '../../src/model/money.js';
import { startSimulator, type Simulator } from '../../src/sim/index.js';
import { verifyAuditLog } from '../../src/trading/audit.js';
import { T0, waitFor } from '../sim/helpers.js';
import { runCli } from '../support/cli.js';

const open: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (open.length) await open.pop()!();
});

async function sim(opts: Parameters<typeof startSimulator>[0] = {}): Promise<Simulator> {
  const s = await startSimulator({ port: 0, controlPort: null, seed: 9, speed: 20, startTime: T0, log: false, ...opts });
  open.push(() => s.close());
  return s;
}

const run = runCli;

/**
 * What stderr says beyond the recordings budget's notes (on a machine whose clock is skewed or faked, e.g. the
 * suite run under faketime, the budget says why it deleted nothing): a headless flatten must print no error.
 */
const problems = (err: string) => err.split('\n').filter((l) => l !== '' && !l.startsWith('recordings budget'));

const positionOf = (s: Simulator, conId: number) => dec(s.snapshot().positions.find((p) => p.conId === conId)?.position ?? '0');
const conIdOf = (s: Simulator, symbol: string, secType: string) => s.snapshot().positions.find((p) => p.symbol === symbol && p.secType === secType)!.conId;
const sent = (s: Simulator) => s.snapshot().executions.length + s.snapshot().openOrders.length;

describe('tws-risk flatten (headless)', () => {
  it('prints the plan and sends nothing without --trade', async () => {
    const s = await sim();
    const before = sent(s);
    const r = await run('flatten', '--port', String(s.port), '--client-id', '61', '--scope', 'all', '--json');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out);
    expect(doc.dryRun).toBe(true);
    expect(doc.plan.legs.length).toBe(s.snapshot().positions.filter((p) => !dec(p.position).isZero()).length);
    // Derivatives first.
    const firstStock = doc.plan.legs.findIndex((l: { secType: string }) => !['OPT', 'FOP', 'WAR'].includes(l.secType));
    expect(doc.plan.legs.slice(firstStock).every((l: { secType: string }) => !['OPT', 'FOP', 'WAR'].includes(l.secType))).toBe(true);
    // The simulator reads a connection in order: once it has seen this client leave, it has seen all it sent.
    await waitFor(() => !s.snapshot().sessions.some((x) => x.clientId === 61), 10_000, "the command's client gone");
    expect(sent(s)).toBe(before);
  });

  it('previews the margin and stress picture after the flatten (the risk engine on the post-flatten state)', async () => {
    const s = await sim({ speed: 0 });
    const aapl = conIdOf(s, 'AAPL', 'STK');
    const r = await run('flatten', '--port', String(s.port), '--client-id', '68', '--scope', `conid:${aapl}`, '--json');
    expect(r.code).toBe(0);
    const { afterFlatten: pic } = JSON.parse(r.out);
    // Closing at the mark turns the position into cash: NetLiquidation stays, the requirement falls.
    expect(Math.abs(Number(pic.after.netLiquidation) - Number(pic.before.netLiquidation))).toBeLessThan(1);
    expect(Number(pic.after.maintMargin)).toBeLessThan(Number(pic.before.maintMargin));
    expect(Number(pic.after.excessLiquidity)).toBeGreaterThan(Number(pic.before.excessLiquidity));
    const text = await run('flatten', '--port', String(s.port), '--client-id', '69', '--scope', `conid:${aapl}`);
    // Whose figure each is: TWS's last account update now (with its age), and after it that figure moved as our estimate
    // moves; the change shown is the change applied, so the line adds up; the worst loss comes before its scenario.
    const now = /^now: {3}maint ([\d,]+) USD \(TWS's account update, \d+ s old\), excess [\d,]+, cushion [\d.]+%; worst -?[\d,]+ in \S/m.exec(text.out);
    const after =
      /^after: maint ([\d,]+) USD \(TWS's now (-[\d,]+), moved as our estimate [\d,]+ -> [\d,]+\), excess [\d,]+, cushion [\d.]+%; worst -?[\d,]+ in \S/m.exec(
        text.out,
      );
    expect(now, text.out).not.toBeNull();
    expect(after, text.out).not.toBeNull();
    const n = (s: string) => Number(s.replace(/,/g, ''));
    expect(n(now![1]!) + n(after![2]!)).toBe(n(after![1]!));
  });

  it('a dry run lists every scenario that loses more: it writes no audit log to point to', async () => {
    const s = await sim({ speed: 0 });
    const json = await run('flatten', '--port', String(s.port), '--client-id', '66', '--scope', 'underlying:TSLA', '--json');
    expect(json.code).toBe(0);
    const worse = (JSON.parse(json.out) as { afterFlatten: { worse: string[] } }).afterFlatten.worse;
    const scenarios = worse.filter((l) => / scenario .* loses more /.test(l));
    // More than a dialog lists (it shows four and counts the rest, which its audit log entry holds).
    expect(scenarios.length).toBeGreaterThan(4);
    const text = await run('flatten', '--port', String(s.port), '--client-id', '67', '--scope', 'underlying:TSLA');
    expect(text.code).toBe(0);
    expect(text.out).not.toContain('audit log');
    for (const l of scenarios) expect(text.out).toContain(l);
  });

  it('refuses a --confirm-account that is not the connected account, sending nothing (exit 2)', async () => {
    const s = await sim();
    const before = sent(s);
    const r = await run('flatten', '--port', String(s.port), '--client-id', '62', '--scope', 'all', '--trade', '--confirm-account', 'DU9999999');
    expect(r.code).toBe(2);
    expect(r.err).toContain('--confirm-account DU9999999 is not the connected account DU1234567; nothing was sent (ACCOUNT_MISMATCH)');
    expect(sent(s)).toBe(before);
  });

  it('flattens one position, with partial fills, and writes an audit log that verifies', async () => {
    const s = await sim();
    const toyota = conIdOf(s, '7203', 'STK');
    expect(positionOf(s, toyota).abs().greaterThan(500)).toBe(true); // larger than one fill (maxFillSize 500)
    const r = await run(
      'flatten',
      '--port',
      String(s.port),
      '--client-id',
      '63',
      '--scope',
      `conid:${toyota}`,
      '--trade',
      '--confirm-account',
      'DU1234567',
      '--json',
    );
    expect(problems(r.err)).toEqual([]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out);
    expect(doc.result.flat).toBe(true);
    expect(positionOf(s, toyota).isZero()).toBe(true);
    expect(s.snapshot().executions.filter((e) => e.conId === toyota).length).toBeGreaterThan(1);
    const v = await verifyAuditLog(doc.audit);
    expect(v.ok && v.sealed && v.entries).toBeGreaterThanOrEqual(5);
    const kinds = readFileSync(doc.audit, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).type)
      .filter(Boolean);
    expect(kinds).toEqual(expect.arrayContaining(['armed', 'planShown', 'decision', 'orderSent', 'orderStatus', 'result']));
    // tws-risk verify checks audit logs too, and a tampered copy fails with its line.
    expect((await run('verify', doc.audit)).code).toBe(0);
    const lines = readFileSync(doc.audit, 'utf8').split('\n');
    // The decision line (after the plan shown and TWS's what-if answer).
    const decision = lines.findIndex((l) => l.includes('"confirm"'));
    expect(decision).toBeGreaterThan(0);
    lines[decision] = lines[decision]!.replace('"confirm"', '"reject"');
    const bad = `${doc.audit}.tampered`;
    writeFileSync(bad, lines.join('\n'));
    const t = await run('verify', bad);
    expect(t.code).toBe(1);
    expect(t.err).toContain(`${bad}:${decision + 1}: line breaks the hash chain`);
  });

  it("arms for the settings' trading.armMinutes, like the console (not a fixed 5 minutes)", async () => {
    const s = await sim();
    const dir = mkdtempSync(join(tmpdir(), 'tws-risk-armminutes-'));
    open.push(async () => rmSync(dir, { recursive: true, force: true }));
    const config = join(dir, 'settings.json');
    writeFileSync(config, JSON.stringify({ trading: { armMinutes: 2 } }));
    const aapl = conIdOf(s, 'AAPL', 'STK');
    const r = await run(
      'flatten',
      '--port',
      String(s.port),
      '--client-id',
      '70',
      '--config',
      config,
      '--scope',
      `conid:${aapl}`,
      '--trade',
      '--confirm-account',
      'DU1234567',
      '--json',
    );
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out);
    const armed = readFileSync(doc.audit, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type?: string; at: string; detail?: { until?: string } })
      .find((e) => e.type === 'armed')!;
    // Armed just before the line was written: until is two minutes after arming, so at most two after the line.
    const ttl = Date.parse(armed.detail!.until!) - Date.parse(armed.at);
    expect(ttl).toBeLessThanOrEqual(2 * 60_000);
    expect(ttl).toBeGreaterThan(2 * 60_000 - 10_000);
  });

  for (const scope of ['currency:EUR', 'class:OPT', 'underlying:AAPL']) {
    it(`flattens ${scope}`, async () => {
      const s = await sim();
      const r = await run(
        'flatten',
        '--port',
        String(s.port),
        '--client-id',
        '64',
        '--scope',
        scope,
        '--trade',
        '--confirm-account',
        'DU1234567',
        '--json',
        '--timeout',
        '20',
      );
      expect(problems(r.err)).toEqual([]);
      expect(r.code).toBe(0);
      const doc = JSON.parse(r.out);
      expect(doc.plan.legs.length).toBeGreaterThan(0);
      for (const leg of doc.plan.legs) expect(positionOf(s, leg.conId).isZero()).toBe(true);
      // The demo's EUR is SAP and the EUR.USD pair (quoted in USD, 100,000 EUR long): both, as Positions groups them.
      if (scope === 'currency:EUR') expect(doc.plan.legs.map((l: { conId: number }) => l.conId).sort()).toEqual([12087792, 14204]);
    });
  }

  it('--trade does not send on a settings file it cannot read (a dry run still prints its plan on the defaults)', async () => {
    const s = await sim();
    const dir = mkdtempSync(join(tmpdir(), 'tws-risk-badcfg-'));
    open.push(async () => rmSync(dir, { recursive: true, force: true }));
    const config = join(dir, 'config.json');
    // The last brace lost: the connection, account and recording this file sets would be guessed.
    writeFileSync(config, '{"recorder": {"enabled": false}');
    const before = sent(s);
    const aapl = conIdOf(s, 'AAPL', 'STK');
    const base = ['flatten', '--port', String(s.port), '--client-id', '67', '--scope', `conid:${aapl}`, '--config', config];
    const traded = await run(...base, '--trade', '--confirm-account', 'DU1234567');
    expect(traded.code).toBe(2);
    expect(traded.err).toContain(`tws-risk flatten: --trade does not send on settings it cannot read whole`);
    expect(traded.err).toContain('nothing was sent');
    expect(sent(s)).toBe(before);
    const dry = await run(...base);
    expect(dry.code).toBe(0);
    expect(dry.err).toMatch(/^warning: .*\(using defaults\)$/m);
    expect(dry.out).toMatch(/^ {2}SELL +500 AAPL +LMT /m);
    expect(dry.out).toContain('dry run: nothing sent');
  });

  it('flattens everything', async () => {
    const s = await sim();
    const r = await run(
      'flatten',
      '--port',
      String(s.port),
      '--client-id',
      '65',
      '--scope',
      'all',
      '--trade',
      '--confirm-account',
      'DU1234567',
      '--json',
      '--timeout',
      '25',
    );
    const doc = JSON.parse(r.out);
    // Index positions cannot be traded (the simulator rejects them like TWS): everything else must be flat.
    const tradable = doc.plan.legs.filter((l: { secType: string }) => l.secType !== 'IND');
    for (const leg of tradable) expect(positionOf(s, leg.conId).isZero()).toBe(true);
    expect(r.code).toBe(doc.plan.legs.length === tradable.length ? 0 : 6);
  });

  it('reports a rejected order (read-only API, 321) and exits 6', async () => {
    const s = await sim({ readOnlyApi: true });
    const aapl = conIdOf(s, 'AAPL', 'STK');
    const r = await run('flatten', '--port', String(s.port), '--client-id', '66', '--scope', `conid:${aapl}`, '--trade', '--confirm-account', 'DU1234567');
    expect(r.code).toBe(6);
    expect(r.out).toContain('rejected');
    expect(r.out).toContain('read-only (error 321)');
    expect(positionOf(s, aapl).isZero()).toBe(false);
  });
});

describe('tws-risk cancel (headless)', () => {
  it("global cancel cancels another client's and a manual TWS order", async () => {
    const s = await sim();
    await s.trigger({ incident: 'foreign-order', clientId: 99, symbol: 'AAPL', secType: 'STK', action: 'BUY', quantity: '5', orderType: 'LMT', lmtPrice: 1 });
    await s.trigger({ incident: 'manual-order', symbol: 'AAPL', secType: 'STK', action: 'SELL', quantity: '5', orderType: 'LMT', lmtPrice: 100000 });
    expect(s.snapshot().openOrders.length).toBe(2);
    const dry = await run('cancel', '--port', String(s.port), '--client-id', '67', '--global');
    expect(dry.code).toBe(0);
    expect(dry.out).toContain('GLOBAL CANCEL: 2 open order(s), 2 of them from other API clients or typed into TWS by hand');
    // Each order it acts on is named, as the console's dialog names them: side, quantity, contract, limit, whose.
    expect(dry.out).toMatch(/^ {2}BUY 5 AAPL LMT @ 1\.00 · another client \(99\) · order \d+/m);
    expect(dry.out).toMatch(/^ {2}SELL 5 AAPL LMT @ 100,000\.00 · manual \(TWS\) · order p\d+/m);
    expect(s.snapshot().openOrders.length).toBe(2);
    const r = await run('cancel', '--port', String(s.port), '--client-id', '67', '--global', '--trade', '--confirm-account', 'DU1234567');
    expect(r.code).toBe(0);
    expect(s.snapshot().openOrders.length).toBe(0);
    const audits = readdirSync(join(dataDir(), 'audit')).filter((f) => f.includes('cancel'));
    expect(audits.length).toBeGreaterThan(0);
  });

  it('needs exactly one of --all, --global, --order', async () => {
    expect((await run('cancel', '--all', '--global')).code).toBe(2);
    expect((await run('cancel')).code).toBe(2);
  });
});
