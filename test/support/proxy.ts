// A loopback TCP proxy in front of the simulator: the tests' hostile peers decide what crosses it, this owns the sockets.
import { connect, createServer, type Server, type Socket } from 'node:net';
import { parseRequest } from '../../src/sim/requests.js';

export interface LoopbackProxy {
  readonly port: number;
  /** Destroys every connection it made and stops listening. */
  close(): Promise<void>;
}

/**
 * Listens on a free loopback port; each client connection gets its own upstream connection to `target()` (read at
 * connect time, so a test can switch backends), and `wire` decides what flows between the two. Either side closing
 * or failing closes both.
 */
export async function startLoopbackProxy(target: () => number, wire: (client: Socket, upstream: Socket) => void): Promise<LoopbackProxy> {
  const sockets = new Set<Socket>();
  const server: Server = createServer({ noDelay: true }, (client) => {
    const upstream = connect({ host: '127.0.0.1', port: target(), noDelay: true });
    sockets.add(client);
    sockets.add(upstream);
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
    wire(client, upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** PLACE_ORDER's message id on the wire (text field, server version 193). */
const PLACE_ORDER = '3';

/** True for a frame body (length word stripped) that is a PLACE_ORDER, what-if or not. */
export function isPlaceOrder(body: Buffer): boolean {
  const nul = body.indexOf(0);
  return (nul < 0 ? body : body.subarray(0, nul)).toString('latin1') === PLACE_ORDER;
}

/** True for a PLACE_ORDER frame body with the whatIf flag set (read by the simulator's own parser). */
export function isWhatIfOrder(body: Buffer): boolean {
  if (!isPlaceOrder(body)) return false;
  const fields = body.toString('latin1').split('\0');
  if (fields[fields.length - 1] === '') fields.pop();
  const r = parseRequest(fields);
  return r.type === 'placeOrder' && r.order.whatIf;
}

/**
 * Reads what the client writes as TWS does: the handshake's "API\0" prefix, outside any frame, goes to `prefix`;
 * then each whole frame (length word included) goes to `frame` with its body, however TCP cut the bytes.
 */
export function onClientFrames(client: Socket, prefix: (bytes: Buffer) => void, frame: (frame: Buffer, body: Buffer) => void): void {
  let pending = Buffer.alloc(0);
  let prefixDone = false;
  client.on('data', (d: Buffer) => {
    pending = Buffer.concat([pending, d]);
    if (!prefixDone) {
      if (pending.length < 4) return;
      prefix(pending.subarray(0, 4));
      pending = pending.subarray(4);
      prefixDone = true;
    }
    while (pending.length >= 4) {
      const len = pending.readUInt32BE(0);
      if (pending.length < 4 + len) break;
      const whole = pending.subarray(0, 4 + len);
      pending = pending.subarray(4 + len);
      frame(whole, whole.subarray(4));
    }
  });
}
