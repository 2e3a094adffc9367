// The console's alert wiring end to end: the simulator's foreign-client order raises an alert in runConsole, which
// records it (alertChanged in the recording), rings the bell on the console's stdout, runs the hook with the JSON
// on its stdin, and writes it to the trading audit log, which `tws-risk verify` still accepts.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { runConsole } from '../../src/commands/console.js';
import type { CommandIo } from '../../src/commands/io.js';
import { verifyCommand } from '../../src/commands/verify.js';
import { DEFAULT_SETTINGS } from '../../src/config/settings.js';
import type { FeedEvent } from '../../src/model/events.js';
import { waitFor } from '../sim/helpers.js';
import { startRecordedConsole } from '../support/recorded-console.js';

const dir = mkdtempSync(join(tmpdir(), 'tws-risk-console-alerts-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CLIENT = 33;

describe('alerts in the console (runConsole on the simulator, --trade)', () => {
  it("records, rings, runs the hook and audits a foreign client's order; the audit log verifies", async () => {
    const rig = await startRecordedConsole(dir, CLIENT);
    const { sim, source, feed, stdout, stdin, hookOut } = rig;
    const auditDir = join(dir, 'audit');
    const out: string[] = [];
    const io: CommandIo = { out: (l) => out.push(l), err: (l) => out.push(`ERR ${l}`) };
    const settings = { ...DEFAULT_SETTINGS, keymap: [{ key: 'Q', command: 'app.quit' }], alerts: { bell: 'warning', hook: { command: [...rig.hook] } } };
    try {
      await waitFor(() => feed.state.health === 'ready' && feed.state.complete.positions && feed.state.complete.openOrders, 20_000, 'a synchronised feed');
      const done = runConsole({ ...rig.wiring, settings, io, trading: 'trade', trade: { source, clientId: CLIENT, auditDir } });
      await vi.waitFor(() => expect(stdout.out).toContain('Positions'), { timeout: 20_000 });
      // Arming is a trading action: it opens the session's audit log.
      stdin.type(':trade.arm\r');
      await vi.waitFor(() => expect(stdout.out).toContain('Type the last four characters'), { timeout: 20_000 });
      stdin.type('4567');
      stdin.type('\r');
      await vi.waitFor(() => expect(stdout.out).toMatch(/ ARMED \d/), { timeout: 20_000 });
      expect(readdirSync(auditDir)).toHaveLength(1);

      await sim.trigger({ incident: 'foreign-order', clientId: 42, symbol: 'AAPL', secType: 'STK', action: 'SELL', quantity: '300', orderType: 'MKT' });
      const raised = (ev: FeedEvent) => ev.type === 'alertChanged' && ev.kind === 'raised' && ev.alert.id === 'foreign.client:42';
      const seen: FeedEvent[] = [];
      const sub = feed.events$.subscribe((ev) => seen.push(ev));
      await waitFor(() => seen.some(raised), 30_000, 'foreign.client:42 raised and published');
      sub.unsubscribe();
      await waitFor(() => existsSync(hookOut) && readFileSync(hookOut, 'utf8').includes('"foreign.client:42"'), 10_000, 'the hook run');
      const lines = readFileSync(hookOut, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { kind: string; account: string; alert: { id: string; severity: string } });
      expect(lines.find((l) => l.alert.id === 'foreign.client:42')).toMatchObject({ kind: 'raised', account: 'DU1234567', alert: { severity: 'warning' } });
      expect(stdout.out).toContain('\u0007');

      stdin.type('Q');
      await vi.waitFor(() => expect(stdout.out).toContain('Quit while trading is ARMED?'), { timeout: 20_000 });
      stdin.type('y');
      expect(await done).toBe(0);

      // The recording has the transition, decoded like any event.
      expect((await rig.recorded()).filter(raised)).toHaveLength(1);

      // The audit log has an alert entry among the operator's steps, and its chain verifies.
      const auditFile = join(auditDir, readdirSync(auditDir)[0]!);
      const entries = readFileSync(auditFile, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { type?: string; detail?: { kind?: string; alert?: { id?: string } } });
      expect(entries.map((e) => e.type)).toContain('armed');
      expect(entries.some((e) => e.type === 'alert' && e.detail?.kind === 'raised' && e.detail.alert?.id === 'foreign.client:42')).toBe(true);
      const verifyOut: string[] = [];
      expect(await verifyCommand(auditFile, { strict: true, json: false }, { out: (l) => verifyOut.push(l), err: (l) => verifyOut.push(l) })).toBe(0);
      expect(verifyOut[0]).toMatch(/^VALID audit log .* \d+ entries/);
    } finally {
      await rig.close();
    }
  }, 90_000);
});
