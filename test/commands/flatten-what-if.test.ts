// Headless `tws-risk flatten` asks TWS for what-if margins of its plan (never transmitted) and says when TWS is silent.
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { flattenCommand } from '../../src/commands/trade.js';
import { Decimal, dec } from '../../src/model/money.js';
import { snapshotValue, startSimulator, type Simulator } from '../../src/sim/index.js';
import { T0, waitFor } from '../sim/helpers.js';
import { runCli } from '../support/cli.js';
import { JumpClock } from '../support/jump-clock.js';
import { startWhatIfSink } from '../support/what-if-sink.js';

const open: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (open.length) await open.pop()!();
});

/** A running market (an order that reached it would fill), its order log captured. */
async function sim(): Promise<{ s: Simulator; log: string[] }> {
  const log: string[] = [];
  const s = await startSimulator({ port: 0, controlPort: null, seed: 9, speed: 20, startTime: T0, log: (_l, m) => log.push(m) });
  open.push(() => s.close());
  return { s, log };
}

const conIdOf = (s: Simulator, symbol: string, secType: string) => s.snapshot().positions.find((p) => p.symbol === symbol && p.secType === secType)!.conId;
const placements = (log: string[], client: number) => log.filter((l) => l.startsWith(`client ${client}: place order`));
/** A decimal string in whole units with thousands separators, as the dialog shows money; signed for a difference. */
const whole = (x: string) => Number(dec(x).toFixed(0)).toLocaleString('en-US');
const signedWhole = (x: string) => `${dec(x).isNegative() ? '' : '+'}${whole(x)}`;
const gone = (s: Simulator, client: number) => waitFor(() => !s.snapshot().sessions.some((x) => x.clientId === client), 10_000, `client ${client} gone`);

interface WhatIfDoc {
  maintBefore: string | null;
  maintAfter: string | null;
  oursMaintAfter: string | null;
  perOrderSum: boolean;
  difference: string | null;
  missing: string[];
  legs: { conId: number; maintChange?: string | null; reason?: string }[];
  shown: string;
}

describe('tws-risk flatten: IBKR what-if margins in the preview', () => {
  it("a dry run shows IBKR's post-flatten requirement beside ours, asked as whatIf with transmit=false, nothing placed", async () => {
    const { s, log } = await sim();
    // The cap on the wait is a safety net, not what is tested here: generous, so a loaded machine cannot reach it.
    const r = await runCli('flatten', '--port', String(s.port), '--client-id', '71', '--scope', 'underlying:AAPL', '--what-if-timeout', '60', '--json');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out) as { plan: { legs: { conId: number }[] }; afterFlatten: { after: { maintMargin: string } }; whatIf: WhatIfDoc };
    const w = doc.whatIf;
    expect(w.missing).toEqual([]);
    expect(w.legs.map((l) => l.conId)).toEqual(doc.plan.legs.map((l) => l.conId));
    // IBKR's figure is TWS's requirement now plus each order's change, as TWS sent them.
    const changes = w.legs.reduce((a, l) => a.add(dec(l.maintChange!)), new Decimal(0));
    expect(dec(w.maintAfter!).eq(dec(w.maintBefore!).add(changes))).toBe(true);
    // "Before" is the requirement the simulator reports (the market moves meanwhile: within 2%).
    const reported = Number(snapshotValue(s.snapshot(), 'MaintMarginReq'));
    expect(Math.abs(Number(w.maintBefore) - reported) / reported).toBeLessThan(0.02);
    // Ours is the preview's "after", and the difference is IBKR − ours.
    expect(w.oursMaintAfter).toBe(doc.afterFlatten.after.maintMargin);
    expect(dec(w.difference!).eq(dec(w.maintAfter!).sub(dec(w.oursMaintAfter!)))).toBe(true);
    // Several orders, each judged alone by TWS: the line never calls their sum the margin after the plan.
    expect(doc.plan.legs.length).toBeGreaterThan(1);
    expect(w.perOrderSum).toBe(true);
    expect(w.shown).toBe(
      `IBKR what-if: maint when asked ${whole(w.maintBefore!)} USD + sum of ${doc.plan.legs.length} per-order changes = ${whole(w.maintAfter!)};` +
        ` ours after the plan ${whole(w.oursMaintAfter!)}, difference ${signedWhole(w.difference!)}` +
        ` (each order alone against today's portfolio, not TWS's margin after the whole plan)`,
    );
    expect(w.shown).not.toMatch(/maint after/);

    // The order log: each leg placed once, as a what-if not transmitted, answered and not placed; nothing traded.
    await gone(s, 71);
    const placed = placements(log, 71);
    expect(placed).toHaveLength(doc.plan.legs.length);
    for (const l of placed) expect(l).toMatch(/whatIf=true transmit=false$/);
    expect(log.filter((l) => /^client 71: what-if order \d+ answered, not placed/.test(l))).toHaveLength(placed.length);
    expect(s.snapshot().executions).toEqual([]);
    expect(s.snapshot().openOrders).toEqual([]);

    // The text preview prints the same line, under the picture before and after.
    const t = await runCli('flatten', '--port', String(s.port), '--client-id', '72', '--scope', 'underlying:AAPL', '--what-if-timeout', '60');
    expect(t.code).toBe(0);
    expect(t.out).toMatch(
      /^after: maint [\d,]+ USD \(TWS's now [+-][\d,]+, moved as our estimate [\d,]+ -> [\d,]+\).*\n(.*\n)*IBKR what-if: maint when asked [\d,]+ USD \+ sum of \d+ per-order changes = [\d,]+; ours after the plan [\d,]+, difference [+-][\d,]+ \(each order alone against today's portfolio, not TWS's margin after the whole plan\)\n/m,
    );
    expect(t.out).toMatch(/dry run: nothing sent/);
  }, 60_000);

  it('--trade asks before sending, audits the answer, and only the real orders are transmitted', async () => {
    const { s, log } = await sim();
    const aapl = conIdOf(s, 'AAPL', 'STK');
    const r = await runCli(
      'flatten',
      '--port',
      String(s.port),
      '--client-id',
      '73',
      '--scope',
      `conid:${aapl}`,
      '--what-if-timeout',
      '60',
      '--trade',
      '--confirm-account',
      'DU1234567',
      '--json',
    );
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out) as { whatIf: WhatIfDoc; result: { flat: boolean }; audit: string };
    expect(doc.result.flat).toBe(true);
    expect(doc.whatIf.missing).toEqual([]);
    expect(doc.whatIf.shown).toMatch(/^IBKR what-if: maint after [\d,]+ USD; ours [\d,]+, difference [+-][\d,]+$/);
    // First the what-if (not transmitted), then the order itself.
    const placed = placements(log, 73);
    expect(placed).toHaveLength(2);
    expect(placed[0]).toMatch(/SELL 500 AAPL .*whatIf=true transmit=false$/);
    expect(placed[1]).toMatch(/SELL 500 AAPL .*whatIf=false transmit=true$/);
    expect(new Set(s.snapshot().executions.map((e) => e.orderId)).size).toBe(1);
    const kinds = readFileSync(doc.audit, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type?: string; detail?: { shown?: string } })
      .filter((e) => e.type);
    const at = (k: string) => kinds.findIndex((e) => e.type === k);
    expect(at('planShown')).toBeLessThan(at('whatIf'));
    expect(at('whatIf')).toBeLessThan(at('decision'));
    expect(kinds[at('whatIf')]!.detail!.shown).toBe(doc.whatIf.shown);
  }, 60_000);

  it('when TWS does not answer in time it says so, asks no more, and the flatten goes on', async () => {
    const { s, log } = await sim();
    const sink = await startWhatIfSink(s.port);
    open.push(() => sink.close());
    const dry = await runCli('flatten', '--port', String(sink.port), '--client-id', '74', '--scope', 'underlying:AAPL', '--what-if-timeout', '1');
    expect(dry.code).toBe(0);
    // The first order waits the whole second; the others are not asked at all.
    expect(dry.out).toMatch(/^IBKR what-if: no post-flatten requirement \(\w+ \d+ .+: no what-if answer from TWS within 1 s, \+2 more\)$/m);
    expect(sink.swallowed()).toBe(1);

    const aapl = conIdOf(s, 'AAPL', 'STK');
    const r = await runCli(
      'flatten',
      '--port',
      String(sink.port),
      '--client-id',
      '75',
      '--scope',
      `conid:${aapl}`,
      '--what-if-timeout',
      '1',
      '--trade',
      '--confirm-account',
      'DU1234567',
      '--json',
    );
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out) as { whatIf: WhatIfDoc; result: { flat: boolean } };
    expect(doc.whatIf.maintAfter).toBeNull();
    expect(doc.whatIf.missing).toEqual(['SELL 500 AAPL: no what-if answer from TWS within 1 s']);
    expect(doc.result.flat).toBe(true);
    // The what-ifs never reached the simulator; the one order that did is the flatten's own.
    expect(sink.swallowed()).toBe(2);
    expect([...placements(log, 74), ...placements(log, 75)]).toEqual([expect.stringMatching(/SELL 500 AAPL .*whatIf=false transmit=true$/)]);
  }, 60_000);

  it('--trade: a mark that goes stale during the what-if wait stops the flatten before anything is sent', async () => {
    const { s, log } = await sim();
    // The session's clock runs from the simulator's start at the real pace, and jumps past the mark's freshness limit
    // (portfolio marks: 200 s) the moment the what-if goes out. The simulator keeps pushing marks meanwhile, so the
    // streams are fresh again when the wait ends: only the plan's own marks, priced before the wait, are old.
    const clock = new JumpClock(Date.parse(T0));
    const sink = await startWhatIfSink(s.port, () => (clock.offset += 250_000));
    open.push(() => sink.close());
    const aapl = conIdOf(s, 'AAPL', 'STK');
    const out: string[] = [];
    const io = { out: (l: string) => out.push(l), err: (l: string) => out.push(l) };
    const flags = { port: String(sink.port), 'client-id': '77', scope: `conid:${aapl}`, 'what-if-timeout': '3', trade: true, 'confirm-account': 'DU1234567' };
    const code = await flattenCommand({ ...flags, json: true, 'no-record': true }, io, { clock });
    // Nothing reached the market: the what-if was kept back, and no order followed it.
    await gone(s, 77);
    expect(sink.swallowed()).toBe(1);
    expect(placements(log, 77)).toEqual([]);
    expect(s.snapshot().executions).toEqual([]);
    expect(JSON.parse(out.join('\n'))).toMatchObject({ denial: { code: 'MARK_STALE', message: expect.stringContaining('AAPL') } });
    expect(code).toBe(1);
  }, 60_000);

  it('--what-if-timeout 0 does not ask, and a bad value is a usage error', async () => {
    const { s, log } = await sim();
    const r = await runCli('flatten', '--port', String(s.port), '--client-id', '76', '--scope', 'underlying:AAPL', '--what-if-timeout', '0', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).whatIf).toBeNull();
    await gone(s, 76);
    expect(placements(log, 76)).toEqual([]);
    const bad = await runCli('flatten', '--port', String(s.port), '--scope', 'all', '--what-if-timeout', 'soon');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--what-if-timeout expects seconds from 0 to 120, got "soon"');
  }, 60_000);
});
