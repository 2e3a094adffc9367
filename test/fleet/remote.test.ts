// The fleet view's remote kill switch below the view: arming for one account that expires, and summaries that list a guard's rules.
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { remoteControl } from '../../src/commands/fleet-remote.js';
import { fleetRows } from '../../src/commands/fleet.js';
import { ManualClock } from '../../src/model/clock.js';
import { verifyAuditLog } from '../../src/trading/audit.js';
import { commandSubject } from '../../src/streams/nats/subjects.js';
import { decodeSummary, type RiskSummary } from '../../src/streams/nats/summary.js';
import { runCli } from '../support/cli.js';
import { startNatsServer, type NatsServer } from '../support/nats-server.js';

let nats: NatsServer;
let nc: NatsConnection;
beforeAll(async () => {
  nats = await startNatsServer();
  nc = await connect({ servers: `127.0.0.1:${nats.port}` });
});
afterAll(async () => {
  await nc?.close();
  await nats?.stop();
});

const START = Date.UTC(2026, 2, 2, 15, 0, 0);
const target = { account: 'DU7654321', host: 'trader-1', session: 's1', guardMode: 'trade' as const, rules: [{ name: 'kill', action: 'globalCancel' }] };

describe('remote commands from the fleet view', () => {
  it('arms only on the last four characters of that account, for that account only, and expires by itself', async () => {
    const clock = new ManualClock(START);
    const reading = new ManualClock(0);
    const r = remoteControl({ nc, clock, readClock: reading, armMs: 5 * 60_000, timeoutMs: 5_000 });
    // A confirmation on screen, read: the arming alone decides below.
    r.onScreen('c1', () => undefined);
    reading.advance(500);
    // Whatever reaches the command subject is counted: a refusal must not ask the guard at all.
    const asked: string[] = [];
    const sub = nc.subscribe(commandSubject('DU7654321'), { callback: (_e, m) => void asked.push(m.string()) });

    expect(r.armed()).toBeUndefined();
    const notArmed = await r.send(target, 0, 'c1');
    expect(notArmed.outcome).toBe('refused');
    expect(notArmed.lines[0]).toMatch(/^Not sent: remote commands are not armed for DU7654321/);

    const wrong = r.arm('DU7654321', '4320');
    expect(wrong).toEqual({ ok: false, message: 'Not armed: "4320" is not the last four characters of DU7654321; nothing was sent' });
    expect(r.armed()).toBeUndefined();

    expect(r.arm('DU1111111', '1111')).toMatchObject({ ok: true });
    // Armed for another account: this one's guard is not asked.
    expect((await r.send(target, 0, 'c1')).lines[0]).toMatch(/^Not sent: remote commands are not armed for DU7654321/);

    expect(r.arm('DU7654321', ' 4321 ')).toEqual({ ok: true, until: START + 5 * 60_000 });
    expect(r.armed()).toEqual({ account: 'DU7654321', until: START + 5 * 60_000 });
    clock.advance(5 * 60_000);
    // Expired at its time: a dialog left open past it sends nothing.
    expect(r.armed()).toBeUndefined();
    expect((await r.send(target, 0, 'c1')).outcome).toBe('refused');

    expect(r.arm('DU7654321', '4321')).toMatchObject({ ok: true });
    r.disarm();
    expect(r.armed()).toBeUndefined();
    expect((await r.send(target, 0, 'c1')).outcome).toBe('refused');
    await nc.flush();
    expect(asked).toEqual([]);

    // Armed, with no guard listening: the request goes out, and the answer says no guard is there.
    sub.unsubscribe();
    expect(r.arm('DU7654321', '4321')).toMatchObject({ ok: true });
    const none = await r.send(target, 0, 'c1');
    expect(none.outcome).toBe('refused');
    expect(none.lines[0]).toMatch(/no guard of account DU7654321 listens/);
  });

  it("a guard's summary lists its rules; a summary whose list is not one is refused whole", () => {
    const base: RiskSummary = {
      format: 'tws-risk-summary',
      account: 'DU7654321',
      host: 'trader-1',
      session: 's1',
      role: 'guard',
      at: START,
      lastSeq: 10,
      lastEventAt: START,
      health: 'ready',
      baseCurrency: 'USD',
      netLiquidation: '100000',
      excessLiquidity: '50000',
      cushion: '0.5',
      worstStress: null,
      alerts: { critical: 0, warning: 0, info: 0 },
      armed: false,
      mode: 'trade',
      publishing: { behind: 0, dropped: 0 },
    };
    const withRules = { ...base, commands: [{ name: 'kill', action: 'globalCancel' }] };
    expect(decodeSummary(JSON.stringify(withRules))).toEqual(withRules);
    expect(decodeSummary(JSON.stringify(base))).toEqual(base);
    for (const commands of [
      'kill',
      [{ name: 'kill' }],
      [{ name: '', action: 'notify' }],
      [{ name: 'x'.repeat(201), action: 'notify' }],
      Array.from({ length: 51 }, (_, i) => ({ name: `r${i}`, action: 'notify' })),
    ])
      expect(decodeSummary(JSON.stringify({ ...base, commands }))).toBe('a field is missing or of the wrong type');
    const [row] = fleetRows([withRules], START + 1_000, 5_000);
    expect(row!.commands).toEqual([{ name: 'kill', action: 'globalCancel' }]);
    expect(fleetRows([base], START, 5_000)[0]!.commands).toBeNull();
  });

  it('--trade is for the interactive view only, and --operator/--timeout come with it; each misuse sends nothing and says why', async () => {
    const url = `nats://127.0.0.1:${nats.port}`;
    const cases: Array<[string[], RegExp]> = [
      [['--trade', '--json'], /--trade is for the interactive view, not --json; from a script, use fleet command/],
      [['--trade'], /--trade is for the interactive view on a terminal; from a script, use fleet command/],
      [['--operator', 'me'], /--operator and --timeout go with --trade/],
      [['--trade', '--timeout', 'soon'], /--timeout expects whole seconds, got "soon"/],
      [['--open', 'DU7654321', '--trade'], /--trade is for the table, not --open \(a followed account is read-only\)/],
    ];
    for (const [args, why] of cases) {
      const r = await runCli('fleet', '--nats', url, ...args);
      expect(r.code, `${args.join(' ')}: ${r.err}`).toBe(2);
      expect(r.err).toMatch(why);
    }
    const cmd = await runCli('fleet', 'command', '--nats', url, '--trade', '--account', 'DU7654321', '--rule', 'kill', '--confirm-account', 'DU7654321');
    expect(cmd.code).toBe(2);
    expect(cmd.err).toMatch(/--trade is for the fleet view, not fleet command/);
  });

  it("writes the operator's side to an audit log of its own: armings, each request and its answer, what was not sent", async () => {
    const clock = new ManualClock(START);
    const auditDir = mkdtempSync(join(tmpdir(), 'tws-risk-fleet-audit-'));
    try {
      const reading = new ManualClock(0);
      const r = remoteControl({ nc, clock, readClock: reading, armMs: 60_000, timeoutMs: 5_000, auditDir, appVersion: 'test', operator: 'desk-lead' });
      expect(r.auditFile()).toBeUndefined(); // nothing done, no file
      r.arm('DU7654321', '0000');
      await r.send(target, 0, 'c1'); // not armed: not sent
      r.arm('DU7654321', '4321');
      const off = r.onScreen('c1', () => undefined);
      reading.advance(100);
      expect(r.readyIn('c1')).toBe(400);
      expect(r.tooSoon(target, 'kill', 'c1')).toBe(100); // a y before the confirmation's reading time: nothing asked
      // The port holds the rule too: a request before the reading time (a view that did not check) is not sent.
      expect(await r.send(target, 0, 'c1')).toEqual({
        outcome: 'refused',
        lines: [expect.stringMatching(/^Not sent: the confirmation had not been on screen/)],
      });
      expect(await r.send(target, 0, 'never-shown')).toMatchObject({ outcome: 'refused' });
      reading.advance(400);
      await r.send(target, 0, 'c1'); // read; no guard listens: asked, answered by the server
      off();
      r.disarm();
      r.close();
      const file = r.auditFile()!;
      expect(await verifyAuditLog(file)).toMatchObject({ ok: true, sealed: true, entries: 9 });
      const steps = readFileSync(file, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { kind: string; type?: string; detail?: { step?: string; outcome?: string; shownMs?: number; readMs?: number } })
        .filter((e) => e.kind === 'entry')
        .map((e) => [e.type, e.detail!.step, e.detail!.outcome ?? null, e.detail!.shownMs ?? null, e.detail!.readMs ?? null]);
      expect(steps).toEqual([
        ['fleetCommand', 'armRefused', null, null, null],
        ['fleetCommand', 'notSent', null, null, null],
        ['fleetCommand', 'armed', null, null, null],
        ['fleetCommand', 'tooSoon', null, 100, 500],
        ['fleetCommand', 'tooSoon', null, 100, 500],
        ['fleetCommand', 'tooSoon', null, null, 500],
        ['fleetCommand', 'asked', null, null, null],
        ['fleetCommand', 'answer', 'notAnswered', null, null],
        ['fleetCommand', 'disarmed', null, null, null],
      ]);
    } finally {
      rmSync(auditDir, { recursive: true, force: true });
    }
  });
});
