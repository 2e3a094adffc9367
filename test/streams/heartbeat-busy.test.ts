// A busy client is not a silent TWS: a heartbeat timeout that fires late, with TWS's answer already waiting unread
// in the socket, must not drop the connection. The simulator runs in its own process, as TWS would, so it answers
// while this process is blocked.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { EventName, type IBApi } from '@stoqey/ib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Feed } from '../../src/streams/feed.js';
import { TwsSource } from '../../src/streams/tws/source.js';
import { T0, waitFor } from '../sim/helpers.js';
import { ensureBuilt, ROOT } from '../support/tmux.js';

let child: ChildProcess | undefined;
let port = 0;

beforeAll(async () => {
  ensureBuilt();
  child = spawn(process.execPath, [join(ROOT, 'bin', 'tws-risk'), 'sim', '--port', '0', '--control-port', '0', '--start', T0, '--seed', '3'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const m = await waitFor(() => /TWS API on 127\.0\.0\.1:(\d+)/.exec(err), 20_000, `the simulator's start line (stderr so far: ${err})`);
  port = Number(m[1]);
}, 120_000);

afterAll(() => {
  child?.kill('SIGTERM');
});

const busy = (ms: number) => {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // the event loop is blocked, as by a large first render on a small box
  }
};

describe('heartbeat on a busy machine', () => {
  it('stays connected when the event loop is blocked past the timeout while TWS has already answered', async () => {
    const TIMEOUT_MS = 1_500; // long enough for a loaded machine's simulator process to answer an ordinary heartbeat
    const ROUNDS = 1;
    const source = new TwsSource({
      host: '127.0.0.1',
      port,
      clientId: 61,
      heartbeatMs: 500,
      heartbeatTimeoutMs: TIMEOUT_MS,
      backoff: { initialMs: 100, maxMs: 400, jitter: 0.1 },
    });
    const feed = new Feed(source.events$);
    source.start();
    try {
      await waitFor(() => feed.state.health === 'ready', 20_000, 'ready');
      const api = (source as unknown as { api: IBApi }).api;
      let blocked = 0;
      let lastBlockAt = Infinity;
      // Right after the next heartbeat request goes out, block for three timeouts: TWS (another process, with seconds
      // to answer even on a loaded machine) answers meanwhile, and our timeout timer comes due before the answer is read.
      const onSent = (tokens: unknown[]) => {
        if (Number(tokens[0]) !== 49 || blocked >= ROUNDS) return; // 49: REQ_CURRENT_TIME
        blocked++;
        setImmediate(() => {
          lastBlockAt = Date.now();
          busy(3 * TIMEOUT_MS);
        });
      };
      api.on(EventName.sent, onSent);
      const drops: string[] = [];
      const sub = feed.events$.subscribe((ev) => {
        if (ev.type === 'healthChanged' && ev.health !== 'ready') drops.push(`${ev.health}: ${ev.reason ?? ''}`);
      });
      const answered = source.lastHeartbeatAt ?? 0;
      // Done when the heartbeat sent before the last block has been answered (its answer is stamped after the block).
      await waitFor(() => drops.length > 0 || (blocked >= ROUNDS && (source.lastHeartbeatAt ?? 0) > lastBlockAt), 30_000, 'the blocked heartbeats answered');
      api.off(EventName.sent, onSent);
      sub.unsubscribe();
      expect(drops).toEqual([]);
      expect(feed.state.health).toBe('ready');
      expect(source.lastHeartbeatAt).toBeGreaterThan(answered);
    } finally {
      source.stop();
      await feed.close('test over');
    }
  });
});
