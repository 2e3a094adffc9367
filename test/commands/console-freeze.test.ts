// Freezing the panes freezes the picture only: during a margin spike with the panes frozen, the console still raises
// the alert, rings the bell, runs the hook and records the transition (runConsole on the simulator).
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { runConsole } from '../../src/commands/console.js';
import type { CommandIo } from '../../src/commands/io.js';
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

const dir = mkdtempSync(join(tmpdir(), 'tws-risk-console-freeze-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The house-margin jump, made critical at 2× our estimate in these settings (report-alerts.test.ts does the same). */
const isExcessAlert = (ev: FeedEvent) =>
  ev.type === 'alertChanged' && ev.kind === 'raised' && ev.alert.id === 'margin.jump' && ev.alert.severity === 'critical';

describe('a frozen console during a margin spike', () => {
  it('raises, rings, hooks and records the critical alert while the panes stay frozen', async () => {
    const sim = await startSimulator({ port: 0, controlPort: null, seed: 7, speed: 20, startTime: T0, log: false });
    const source = new TwsSource({
      host: '127.0.0.1',
      port: sim.port,
      clientId: 34,
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
    const stdout = new Tty(120, 40);
    const stdin = new TtyIn();
    const io: CommandIo = { out: () => {}, err: () => {} };
    const settings = {
      ...DEFAULT_SETTINGS,
      keymap: [{ key: 'Q', command: 'app.quit' }],
      alerts: { bell: 'critical', hook: { command: [hook, hookOut] }, rules: { 'margin.jump': { factorAbove: { critical: 2 } } } },
    };
    try {
      await waitFor(() => feed.state.health === 'ready' && feed.state.complete.accountDownload && feed.state.complete.positions, 20_000, 'a synchronised feed');
      const done = runConsole({
        feed,
        source,
        mode: 'live',
        settings,
        io,
        trading: 'readOnly',
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
      expect(stdout.out).not.toContain('\u0007'); // nothing critical before the spike
      stdin.type(' ');
      await vi.waitFor(() => expect(stdout.out).toMatch(/FROZEN/), { timeout: 20_000 });
      const seen: FeedEvent[] = [];
      const sub = feed.events$.subscribe((ev) => seen.push(ev));
      // House margins for futures ×2.5: the reported requirement jumps to 2.5× our estimate.
      await sim.trigger({ incident: 'margin-spike', factor: 2.5, secTypes: ['FUT', 'FOP'] });
      await waitFor(() => seen.some(isExcessAlert), 30_000, 'a critical alert raised while frozen');
      sub.unsubscribe();
      await waitFor(() => existsSync(hookOut) && readFileSync(hookOut, 'utf8').includes('"critical"'), 20_000, 'the hook run');
      expect(stdout.out).toContain('\u0007');
      // Still frozen: the panes did not thaw to show it, the status bar says so.
      expect(stdout.out.slice(stdout.out.lastIndexOf('FROZEN') - 2000)).toMatch(/FROZEN/);
      stdin.type('Q');
      expect(await done).toBe(0);
      const recorded: FeedEvent[] = [];
      for await (const it of readRecording(recording)) if (it.kind === 'event') recorded.push(it.event);
      expect(recorded.filter(isExcessAlert).length).toBeGreaterThan(0);
    } finally {
      source.stop();
      await feed.close('test over');
      await sim.close();
    }
  }, 120_000);
});
