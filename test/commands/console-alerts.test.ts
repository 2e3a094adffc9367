// The console's alert wiring end to end: the simulator's foreign-client order raises an alert in runConsole, which
// records it (alertChanged in the recording), rings the bell on the console's stdout, runs the hook with the JSON
// on its stdin, and writes it to the trading audit log, which `tws-risk verify` still accepts.
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { runConsole } from '../../src/commands/console.js';
import type { CommandIo } from '../../src/commands/io.js';
import { verifyCommand } from '../../src/commands/verify.js';
import { DEFAULT_SETTINGS } from '../../src/config/settings.js';
import type { FeedEvent } from '../../src/model/events.js';
import { startSimulator } from '../../src/sim/index.js';
import { Feed } from '../../src/streams/feed.js';
import { FlightRecorder } from '../../src/streams/recorder.js';
import { readRecording } from '../../src/streams/recording/reader.js';
import { RecordingWriter } from '../../src/streams/recording/writer.js';
import { TwsSource } from '../../src/streams/tws/source.js';
import { T0, waitFor } from '../sim/helpers.js';
import { Tty, TtyIn } from '../support/fake-tty.js';

const dir = mkdtempSync(join(tmpdir(), 'tws-risk-console-alerts-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CLIENT = 33;

describe('alerts in the console (runConsole on the simulator, --trade)', () => {
  it("records, rings, runs the hook and audits a foreign client's order; the audit log verifies", async () => {
    const sim = await startSimulator({ port: 0, controlPort: null, seed: 7, speed: 20, startTime: T0, log: false });
    const source = new TwsSource({
      host: '127.0.0.1',
      port: sim.port,
      clientId: CLIENT,
      heartbeatMs: 500,
      heartbeatTimeoutMs: 10_000,
      backoff: { initialMs: 100, maxMs: 400, jitter: 0.1 },
      openOrdersPollMs: 300,
    });
    const recording = join(dir, 'session.jsonl');
    const writer = new RecordingWriter({
      file: recording,
      appVersion: '0.0.0-test',
      source: 'live',
      account: null,
      baseCurrency: null,
      startedAtMs: Date.now(),
    });
    const feed = new Feed(source.events$, { sink: new FlightRecorder(writer) });
    source.start();
    const hookOut = join(dir, 'hook.jsonl');
    const hook = join(dir, 'hook.sh');
    writeFileSync(hook, '#!/bin/sh\ncat >> "$1"\n');
    chmodSync(hook, 0o755);
    const auditDir = join(dir, 'audit');
    const stdout = new Tty(120, 40);
    const stdin = new TtyIn();
    const out: string[] = [];
    const io: CommandIo = { out: (l) => out.push(l), err: (l) => out.push(`ERR ${l}`) };
    const settings = { ...DEFAULT_SETTINGS, keymap: [{ key: 'Q', command: 'app.quit' }], alerts: { bell: 'warning', hook: { command: [hook, hookOut] } } };
    try {
      await waitFor(() => feed.state.health === 'ready' && feed.state.complete.positions && feed.state.complete.openOrders, 20_000, 'a synchronised feed');
      const done = runConsole({
        feed,
        source,
        mode: 'live',
        settings,
        io,
        trading: 'trade',
        trade: { source, clientId: CLIENT, auditDir },
        close: async () => {
          source.stop();
          await feed.close('operator quit');
        },
        streams: {
          stdout: stdout as unknown as NodeJS.WriteStream,
          stdin: stdin as unknown as NodeJS.ReadStream,
          stderr: new Tty(120, 40) as unknown as NodeJS.WriteStream,
        },
      });
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
      const recorded: FeedEvent[] = [];
      for await (const it of readRecording(recording)) if (it.kind === 'event') recorded.push(it.event);
      expect(recorded.filter(raised)).toHaveLength(1);

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
      source.stop();
      await feed.close('test over');
      await sim.close();
    }
  }, 90_000);
});
