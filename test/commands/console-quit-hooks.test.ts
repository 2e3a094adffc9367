// A hook still running when the operator quits the console: the quit says on stderr which hook it waits for and for
// how long at most, and Ctrl-C then kills it, said too; a hangup does not (docs/alerts.md "Hook"). Real console,
// simulator and hook.
import { closeSync, constants, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { runConsole } from '../../src/commands/console.js';
import type { CommandIo } from '../../src/commands/io.js';
import { DEFAULT_SETTINGS } from '../../src/config/settings.js';
import { waitFor } from '../sim/helpers.js';
import { startRecordedConsole } from '../support/recorded-console.js';

const dir = mkdtempSync(join(tmpdir(), 'tws-risk-quit-hooks-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('quitting the console while a hook runs', () => {
  it('says which hook it waits for and how long at most, and Ctrl-C kills it, said on stderr; exit 0', async () => {
    const rig = await startRecordedConsole(dir, 34);
    const { sim, feed, stdout, stdin } = rig;
    // The hook says it started, then blocks on a FIFO nobody writes: it runs until it is killed.
    const started = join(dir, 'started');
    const fifo = join(dir, 'never');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const hook = join(dir, 'page-me');
    writeFileSync(hook, `#!/bin/sh\necho up > "${started}"\nread x < "${fifo}"\n`, { mode: 0o755 });
    const out: string[] = [];
    const err: string[] = [];
    const io: CommandIo = { out: (l) => out.push(l), err: (l) => err.push(l) };
    const settings = { ...DEFAULT_SETTINGS, keymap: [{ key: 'Q', command: 'app.quit' }], alerts: { hook: { command: [hook], timeoutMs: 60_000 } } };
    try {
      await waitFor(() => feed.state.health === 'ready' && feed.state.complete.positions && feed.state.complete.openOrders, 20_000, 'a synchronised feed');
      const done = runConsole({ ...rig.wiring, settings, io });
      await vi.waitFor(() => expect(stdout.out).toContain('Positions'), { timeout: 20_000 });
      await sim.trigger({ incident: 'foreign-order', clientId: 42, symbol: 'AAPL', secType: 'STK', action: 'SELL', quantity: '300', orderType: 'MKT' });
      await waitFor(() => existsSync(started), 30_000, 'the hook running');
      stdin.type('Q');
      await waitFor(() => err.some((l) => l.includes('waiting up to')), 20_000, 'the quit saying what it waits for');
      // The exit line first, then what holds the exit: the hook, since when, and the bound (60 s + the 2 s kill grace).
      expect(out.some((l) => /^live /.test(l) || l.includes('events'))).toBe(true);
      expect(err).toHaveLength(1);
      expect(err[0]).toMatch(
        /^tws-risk: waiting up to (6[0-2]|5\d) s for the alert hook \(.*page-me for foreign\.client:42 raised, started \d+ s ago\); Ctrl-C again stops waiting and kills it$/,
      );
      // Ctrl-C once the console has left the terminal's raw mode arrives as SIGINT.
      process.emit('SIGINT');
      expect(await done).toBe(0);
      expect(err[1]).toMatch(/^tws-risk: alert hook .*page-me killed \(Ctrl-C at quit\) for foreign\.client:42 raised$/);
    } finally {
      // A failed run must not leave the hook blocked: opening the FIFO's write end and closing it ends its read.
      try {
        closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
      } catch {
        // No reader: the hook is gone already.
      }
      await rig.close();
    }
  }, 90_000);

  it('a hangup during the wait (the window closed after q) neither kills the hook nor ends the wait: the page goes out', async () => {
    const sub = join(dir, 'hangup');
    mkdirSync(sub);
    const rig = await startRecordedConsole(sub, 35);
    const { sim, feed, stdout, stdin } = rig;
    // The hook blocks on a FIFO until the test writes it, then leaves its effect: the page it was sending.
    const started = join(sub, 'started');
    const sent = join(sub, 'sent');
    const fifo = join(sub, 'pager');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const hook = join(sub, 'page-me');
    writeFileSync(hook, `#!/bin/sh\necho up > "${started}"\nread x < "${fifo}"\necho "$x" > "${sent}"\n`, { mode: 0o755 });
    const out: string[] = [];
    const err: string[] = [];
    const io: CommandIo = { out: (l) => out.push(l), err: (l) => err.push(l) };
    const settings = { ...DEFAULT_SETTINGS, keymap: [{ key: 'Q', command: 'app.quit' }], alerts: { hook: { command: [hook], timeoutMs: 60_000 } } };
    // Opens the FIFO's write end without blocking: ENXIO while no reader has it open (not yet, or killed).
    const release = (line: string): boolean => {
      try {
        const fd = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
        writeSync(fd, line);
        closeSync(fd);
        return true;
      } catch {
        return false;
      }
    };
    try {
      await waitFor(() => feed.state.health === 'ready' && feed.state.complete.positions && feed.state.complete.openOrders, 20_000, 'a synchronised feed');
      const done = runConsole({ ...rig.wiring, settings, io });
      await vi.waitFor(() => expect(stdout.out).toContain('Positions'), { timeout: 20_000 });
      await sim.trigger({ incident: 'foreign-order', clientId: 42, symbol: 'AAPL', secType: 'STK', action: 'SELL', quantity: '300', orderType: 'MKT' });
      await waitFor(() => existsSync(started), 30_000, 'the hook running');
      stdin.type('Q');
      await waitFor(() => err.some((l) => l.includes('waiting up to')), 20_000, 'the quit saying what it waits for');
      // The terminal window closes: SIGHUP, then a supervisor's SIGTERM for good measure.
      process.emit('SIGHUP');
      process.emit('SIGTERM');
      expect(err.slice(1)).toEqual([
        'tws-risk: SIGHUP: still waiting for the alert hooks, not killing them (Ctrl-C kills them)',
        'tws-risk: SIGTERM: still waiting for the alert hooks, not killing them (Ctrl-C kills them)',
      ]);
      // The hook is still there to read the FIFO (killed, it would have no reader left), and completes.
      await waitFor(() => release('paged\n'), 20_000, 'the hook still reading its FIFO');
      expect(await done).toBe(0);
      expect(readFileSync(sent, 'utf8')).toBe('paged\n');
      expect(err.some((l) => l.includes('killed'))).toBe(false);
    } finally {
      release('\n');
      await rig.close();
    }
  }, 90_000);
});
