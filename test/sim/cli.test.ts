// `tws-risk sim` argument handling and its foreground lifecycle (start line, SIGTERM → resolves 0).
import { describe, it, expect, vi, afterEach } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventName } from '@stoqey/ib';
import { simCommand } from '../../src/sim/cli.js';
import { connectApi, waitFor } from './helpers.js';

function capture(stream: NodeJS.WriteStream): { text: () => string } {
  let out = '';
  vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  return { text: () => out };
}

afterEach(() => vi.restoreAllMocks());

describe('tws-risk sim', () => {
  it('--help prints the usage and returns 0', async () => {
    const out = capture(process.stdout);
    expect(await simCommand(['--help'])).toBe(0);
    expect(out.text()).toMatch(/^usage: tws-risk sim/);
    expect(out.text()).toContain('--read-only-api');
    expect(out.text()).toContain('--no-live-data');
  });

  it('an unknown flag or a bad value gives a one-line error, the usage on stderr, and 2', async () => {
    const err = capture(process.stderr);
    expect(await simCommand(['--bogus'])).toBe(2);
    const lines = err.text().split('\n');
    // The main CLI's wording (src/cli.ts), not parseArgs'.
    expect(lines[0]).toBe('tws-risk sim: unknown option --bogus');
    expect(lines[1]).toBe('usage: tws-risk sim [options]');
    expect(await simCommand(['--port', 'abc'])).toBe(2);
    expect(await simCommand(['--scenario', '/no/such/file.json', '--port', '0'])).toBe(2);
    expect(err.text()).toContain('--port expects an integer from 0 to 65535, got "abc"');
    // A negative number after a flag is its value, judged by the flag's own check, never "ambiguous".
    expect(await simCommand(['--port', '-1'])).toBe(2);
    expect(err.text()).toContain('tws-risk sim: --port expects an integer from 0 to 65535, got "-1"\n');
    expect(await simCommand(['--speed', '-3'])).toBe(2);
    expect(err.text()).toContain('tws-risk sim: --speed expects a number from 0 to 100000, got "-3"\n');
    expect(err.text()).not.toMatch(/ambiguous|Unknown option/);
    // A day February does not have is refused, not rolled over into March.
    expect(await simCommand(['--start', '2026-02-30T14:30:00Z', '--port', '0'])).toBe(2);
    expect(err.text()).toContain('tws-risk sim: --start expects an ISO date-time like 2026-03-02T14:30:00Z, got "2026-02-30T14:30:00Z": no such date and time');
  });

  it('runs in the foreground until SIGTERM, announcing host:port, control port and account', async () => {
    const err = capture(process.stderr);
    const log = join(mkdtempSync(join(tmpdir(), 'sim-cli-')), 'sim.log');
    // Keep the test runner's own signal handlers out of the way while we emit a synthetic SIGTERM.
    const saved = process.listeners('SIGTERM');
    process.removeAllListeners('SIGTERM');
    try {
      const running = simCommand(['--port', '0', '--control-port', '0', '--seed', '3', '--speed', '5', '--log', log, '--account', 'DU7654321']);
      const line = await waitFor(
        () =>
          err
            .text()
            .split('\n')
            .find((l) => l.includes('TWS API on')),
        5_000,
        'start line',
      );
      expect(line).toMatch(/^tws-risk sim: TWS API on 127\.0\.0\.1:\d+, control 127\.0\.0\.1:\d+, account DU7654321 \(USD\), seed 3$/);
      const port = Number(/127\.0\.0\.1:(\d+),/.exec(line)![1]);
      const { api, rec } = await connectApi(port, 1);
      await waitFor(() => rec.of(EventName.managedAccounts).length > 0);
      expect(rec.of(EventName.managedAccounts)[0]).toEqual(['DU7654321']);
      api.disconnect();
      process.emit('SIGTERM', 'SIGTERM');
      expect(await running).toBe(0);
      expect(readFileSync(log, 'utf8')).toContain('simulator up on 127.0.0.1:');
    } finally {
      for (const l of saved) process.on('SIGTERM', l as NodeJS.SignalsListener);
    }
  });
});
