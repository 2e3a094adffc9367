// A proxy in front of the simulator that lets the first N orders of a connection through, then goes silent both ways.
import { parseRequest } from '../../src/sim/requests.js';
import { startLoopbackProxy } from './proxy.js';

/** PLACE_ORDER's message id on the wire (text field, server version 193). */
const PLACE_ORDER = '3';

/** True for a PLACE_ORDER frame body with the whatIf flag set (read by the simulator's own parser). */
function isWhatIf(body: Buffer): boolean {
  const fields = body.toString('latin1').split('\0');
  if (fields[fields.length - 1] === '') fields.pop();
  const r = parseRequest(fields);
  return r.type === 'placeOrder' && r.order.whatIf;
}

export interface GateLink {
  /** Orders this link passed on to the simulator. */
  passed: number;
  /** Orders the client wrote after the gate closed: they never reach the simulator. */
  swallowed: number;
  /** Drops the connection (both sockets), as TWS going away would. */
  cut(): void;
}

export interface OrderGate {
  readonly port: number;
  /** Connections in the order the client made them; only the first is gated, reconnects pass everything. */
  readonly links: GateLink[];
  close(): Promise<void>;
}

/**
 * After `passOrders` PLACE_ORDER frames on the first connection, nothing more goes through in either direction: the
 * orders after it never reach TWS, and TWS's answers about the ones before are lost. The client only notices when
 * the test cuts the link (or its heartbeat times out).
 */
export async function startOrderGate(upstreamPort: number, passOrders: number): Promise<OrderGate> {
  const links: GateLink[] = [];
  const proxy = await startLoopbackProxy(
    () => upstreamPort,
    (client, upstream) => {
      const gated = links.length === 0;
      let closed = false;
      let pending = Buffer.alloc(0);
      let prefixDone = false;
      const link: GateLink = {
        passed: 0,
        swallowed: 0,
        cut: () => {
          client.destroy();
          upstream.destroy();
        },
      };
      links.push(link);
      client.on('data', (d: Buffer) => {
        if (!gated) {
          upstream.write(d);
          return;
        }
        pending = Buffer.concat([pending, d]);
        if (!prefixDone) {
          if (pending.length < 4) return;
          // "API\0" opens the handshake, outside any frame.
          upstream.write(pending.subarray(0, 4));
          pending = pending.subarray(4);
          prefixDone = true;
        }
        while (pending.length >= 4) {
          const len = pending.readUInt32BE(0);
          if (pending.length < 4 + len) break;
          const frame = pending.subarray(0, 4 + len);
          pending = pending.subarray(4 + len);
          const body = frame.subarray(4);
          const nul = body.indexOf(0);
          // A what-if (a preview asking TWS for margins, never an order TWS keeps) is not one of the N orders.
          const isOrder = (nul < 0 ? body : body.subarray(0, nul)).toString('latin1') === PLACE_ORDER && !isWhatIf(body);
          if (closed) {
            if (isOrder) link.swallowed++;
            continue;
          }
          upstream.write(frame);
          if (isOrder && ++link.passed >= passOrders) closed = true;
        }
      });
      upstream.on('data', (d: Buffer) => {
        if (!closed && !client.destroyed) client.write(d);
      });
    },
  );
  return { port: proxy.port, links, close: () => proxy.close() };
}
