// A port where something other than TWS answers (an HTTP server on a wrong --port): "not TWS", exit 3 (cannot
// connect) at once, never a blank report that waited for its timeout and exited 4.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../sim/helpers.js';
import { runCli } from '../support/cli.js';
import { connectFeed } from '../support/sim-feed.js';

/** What an HTTP server says to bytes that are not HTTP (our "API\0" greeting and version range), then it hangs up. */
const BAD_REQUEST = 'HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 11\r\nConnection: close\r\n\r\nBad Request';

let server: Server;
let port: number;
let connections = 0;
const sockets = new Set<Socket>();
const dir = mkdtempSync(join(tmpdir(), 'tws-risk-not-tws-'));

beforeAll(async () => {
  server = createServer((s) => {
    connections++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    s.once('data', () => s.end(BAD_REQUEST));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  port = (server.address() as { port: number }).port;
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

describe('a server that is not TWS', () => {
  it('the live source says so, with the cause notTws, and does not try again', async () => {
    const before = connections;
    const { feed, close } = connectFeed(port, 81);
    try {
      await waitFor(() => feed.state.healthCause === 'notTws', 20_000, 'the notTws cause');
      expect(feed.state.health).toBe('disconnected');
      expect(feed.state.healthReason).toBe(`127.0.0.1:${port} is not TWS: it answered like an HTTP server; check --host and --port`);
      // Fatal: no retry is scheduled (the health event carries no next try), so nothing will dial again.
      expect(feed.state.healthRetryAt).toBeUndefined();
      expect(connections - before).toBe(1);
    } finally {
      await close();
    }
  });

  for (const cmd of [['report'], ['flatten', '--scope', 'all', '--no-record'], ['cancel', '--all', '--no-record']]) {
    it(`${cmd[0]} exits 3 (cannot connect) naming it, not 4 (timed out) with a blank report`, async () => {
      const r = await runCli(...cmd, '--port', String(port), '--client-id', '82', '--timeout', '30');
      expect(r.code).toBe(3);
      expect(r.err).toContain(`tws-risk ${cmd[0]}: cannot connect: 127.0.0.1:${port} is not TWS: it answered like an HTTP server`);
      expect(r.err).not.toContain('claiming');
      expect(r.out).toBe('');
    }, 60_000);
  }

  it('the guard stops with exit 3, saying why in its log', async () => {
    const policy = join(dir, 'policy.json');
    writeFileSync(policy, JSON.stringify({ rules: [{ when: { alert: 'excess.negative', severity: 'critical' }, do: 'globalCancel' }] }));
    const r = await runCli('guard', '--policy', policy, '--port', String(port), '--client-id', '83', '--no-record', '--status-file', join(dir, 'status.json'));
    expect(r.code).toBe(3);
    expect(r.text).toMatch(/connection\.fatal/);
    expect(r.text).toContain(`127.0.0.1:${port} is not TWS: it answered like an HTTP server`);
  }, 60_000);
});
