// A frame-exact proxy in front of the simulator that lets a test slip its own bytes into what the client reads.
import type { Socket } from 'node:net';
import { decodeFields, encodeFrame } from '../../src/sim/wire.js';
import { startLoopbackProxy } from './proxy.js';

export interface ProxyLink {
  /** The client's side of this connection (the proxy writes what TWS "said" here). */
  readonly client: Socket;
  /** Whole frames forwarded from the simulator so far. */
  framesForwarded: number;
  /**
   * Writes `bytes` to the client between two whole simulator frames (never inside one), so what follows the
   * injection is still a well-framed stream.
   */
  inject(bytes: Buffer): void;
}

export interface FrameProxy {
  readonly port: number;
  /** Connections in the order the client made them. */
  readonly links: ProxyLink[];
  /** Upstream port for the next connections (e.g. a second simulator managing another account). */
  retarget(port: number): void;
  close(): Promise<void>;
}

/**
 * Starts a proxy on a free loopback port forwarding to the simulator on `upstreamPort`. `rewrite` may change the
 * fields of each frame after the server's hello (a hostile TWS: the same stream, with its own text in it).
 */
export async function startFrameProxy(upstreamPort: number, rewrite?: (fields: string[]) => string[]): Promise<FrameProxy> {
  let target = upstreamPort;
  const links: ProxyLink[] = [];
  const proxy = await startLoopbackProxy(
    () => target,
    (client, upstream) => {
      let pending = Buffer.alloc(0);
      const link: ProxyLink = {
        client,
        framesForwarded: 0,
        inject: (bytes) => {
          if (!client.destroyed) client.write(bytes);
        },
      };
      links.push(link);
      client.on('data', (d) => upstream.write(d));
      upstream.on('data', (d: Buffer) => {
        pending = Buffer.concat([pending, d]);
        let pos = 0;
        while (pending.length - pos >= 4) {
          const len = pending.readUInt32BE(pos);
          if (pending.length - pos - 4 < len) break;
          const frame = pending.subarray(pos, pos + 4 + len);
          const out = rewrite && link.framesForwarded > 0 ? encodeFrame(rewrite(decodeFields(frame.subarray(4)))) : frame;
          if (!client.destroyed) client.write(out);
          link.framesForwarded++;
          pos += 4 + len;
        }
        pending = pending.subarray(pos);
      });
    },
  );
  return {
    port: proxy.port,
    links,
    retarget: (p) => {
      target = p;
    },
    close: () => proxy.close(),
  };
}

/** An ERR_MSG frame as TWS 193 writes it (reqId -1 reaches the client as an info message). */
export function errFrame(reqId: number, code: number, message: string, advancedOrderReject = ''): Buffer {
  return encodeFrame(['4', '2', String(reqId), String(code), message, advancedOrderReject]);
}

/** A frame header claiming `length` bytes, read unsigned (2^31 and above turn negative under readInt32BE). */
export function lengthHeader(length: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(length, 0);
  return b;
}
