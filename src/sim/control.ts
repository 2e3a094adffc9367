// Control channel: JSON lines on a loopback port to trigger incidents and inspect the simulator.
//
//   → {"incident":"fx-gap","currency":"CHF","pct":20}      ← {"ok":true}
//   → {"cmd":"snapshot"}                                    ← {"ok":true,"snapshot":{...}}
//   → not json                                              ← {"ok":false,"error":"invalid JSON: ..."}
import { createServer, type Server, type Socket } from 'node:net';
import { parseIncident, type Incident } from './incidents.js';
import type { SimLogger } from './log.js';
import type { SimSnapshot } from './snapshot.js';

/** What the control channel can do to the simulator. */
export interface ControlTarget {
  trigger(i: Incident): Promise<void>;
  snapshot(): SimSnapshot;
  setSpeed(speed: number): void;
  advance(ms: number): void;
  status(): Record<string, unknown>;
}

const MAX_LINE = 64 * 1024;

/** Handles one request line; never throws. Exported for unit tests. */
export async function handleControlLine(line: string, target: ControlTarget): Promise<Record<string, unknown>> {
  let msg: unknown;
  try {
    msg = JSON.parse(line);
  } catch (err) {
    return { ok: false, error: `invalid JSON: ${(err as Error).message}` };
  }
  if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) return { ok: false, error: 'expected a JSON object' };
  const o = msg as Record<string, unknown>;
  try {
    if ('incident' in o) {
      const r = parseIncident(o, 'request');
      if (!r.incident) return { ok: false, error: r.errors.join('; ') };
      await target.trigger(r.incident);
      return { ok: true };
    }
    switch (o.cmd) {
      case 'snapshot':
        return { ok: true, snapshot: target.snapshot() };
      case 'status':
        return { ok: true, status: target.status() };
      case 'speed':
        if (typeof o.value !== 'number' || !(o.value >= 0)) return { ok: false, error: 'speed: expected "value" ≥ 0' };
        target.setSpeed(o.value);
        return { ok: true };
      case 'advance':
        if (typeof o.ms !== 'number' || !(o.ms >= 0)) return { ok: false, error: 'advance: expected "ms" ≥ 0' };
        target.advance(o.ms);
        return { ok: true };
      default:
        return { ok: false, error: `unknown request: expected "incident" or "cmd" (snapshot, status, speed, advance)` };
    }
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
}

export class ControlChannel {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private boundPort = 0;

  constructor(
    private readonly target: ControlTarget,
    private readonly log: SimLogger,
  ) {}

  get port(): number {
    return this.boundPort;
  }

  /** Listens on 127.0.0.1 only: the channel can move markets and cut connections. */
  listen(port: number): Promise<number> {
    const server = createServer((socket) => this.onConnection(socket));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: '127.0.0.1', port, exclusive: true }, () => {
        server.off('error', reject);
        server.on('error', (err) => this.log('error', `control channel: ${err.message}`));
        const addr = server.address();
        this.boundPort = addr && typeof addr === 'object' ? addr.port : port;
        resolve(this.boundPort);
      });
    });
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    const server = this.server;
    this.server = undefined;
    return server ? new Promise((resolve) => server.close(() => resolve())) : Promise.resolve();
  }

  private onConnection(socket: Socket): void {
    this.sockets.add(socket);
    socket.setEncoding('utf8');
    socket.on('error', () => {});
    socket.on('close', () => this.sockets.delete(socket));
    let buf = '';
    let chain = Promise.resolve();
    socket.on('data', (chunk: string) => {
      buf += chunk;
      if (buf.length > MAX_LINE && !buf.includes('\n')) {
        socket.end(JSON.stringify({ ok: false, error: `line longer than ${MAX_LINE} bytes` }) + '\n');
        buf = '';
        return;
      }
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (!line) continue;
        // Answer in order, one request at a time (a restart answers once the listener is down).
        chain = chain.then(async () => {
          const reply = await handleControlLine(line, this.target);
          this.log('info', `control: ${line} → ${reply.ok ? 'ok' : String(reply.error)}`);
          if (!socket.destroyed) socket.write(JSON.stringify(reply) + '\n');
        });
      }
    });
  }
}
