// A proxy in front of the simulator that lets the first N orders of a connection through, then goes silent both ways.
import { isPlaceOrder, isWhatIfOrder, onClientFrames, startLoopbackProxy } from './proxy.js';

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
      const link: GateLink = {
        passed: 0,
        swallowed: 0,
        cut: () => {
          client.destroy();
          upstream.destroy();
        },
      };
      links.push(link);
      if (!gated) client.on('data', (d: Buffer) => upstream.write(d));
      else
        onClientFrames(
          client,
          (prefix) => upstream.write(prefix),
          (frame, body) => {
            // A what-if (a preview asking TWS for margins, never an order TWS keeps) is not one of the N orders.
            const isOrder = isPlaceOrder(body) && !isWhatIfOrder(body);
            if (closed) {
              if (isOrder) link.swallowed++;
              return;
            }
            upstream.write(frame);
            if (isOrder && ++link.passed >= passOrders) closed = true;
          },
        );
      upstream.on('data', (d: Buffer) => {
        if (!closed && !client.destroyed) client.write(d);
      });
    },
  );
  return { port: proxy.port, links, close: () => proxy.close() };
}
