// A port that accepts the connection and never answers the API handshake (a control port, a hung TWS): a headless
// command says what did not happen, not the state it gave up in ("opening the socket and handshake").
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';

let server: Server;
let port: number;
const sockets = new Set<Socket>();

beforeAll(async () => {
  server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  port = (server.address() as { port: number }).port;
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((r) => server.close(r));
});

describe('a port that accepts and never answers', () => {
  it('report exits 3 saying the API handshake did not complete, not what it was doing when it gave up', async () => {
    const r = await runCli('report', '--port', String(port), '--client-id', '84', '--timeout', '30');
    expect(r.code).toBe(3);
    // The headless deadline (4 s) comes before the source's own handshake timeout (10 s); on a machine so loaded that
    // the source's fired first, its reason says the same.
    expect(r.err).toMatch(
      new RegExp(
        `tws-risk report: cannot connect to TWS at 127\\.0\\.0\\.1:${port}: (the API handshake did not complete within 4 s|TWS accepted the connection but did not complete the API handshake)`,
      ),
    );
    expect(r.err).not.toContain('opening the socket and handshake');
    expect(r.out).toBe('');
  }, 60_000);
});
