// A proxy in front of the simulator that never delivers what-if orders: a TWS that does not answer them, all else passes.
import { parseRequest } from '../../src/sim/requests.js';
import { startLoopbackProxy } from './proxy.js';

export interface WhatIfSink {
  readonly port: number;
  /** What-if placements the client wrote that the simulator never saw. */
  readonly swallowed: () => number;
  close(): Promise<void>;
}

/** True for a PLACE_ORDER frame body with the whatIf flag set (read by the simulator's own parser). */
function isWhatIf(body: Buffer): boolean {
  const fields = body.toString('latin1').split('\0');
  if (fields[fields.length - 1] === '') fields.pop();
  if (fields[0] !== '3') return false;
  const r = parseRequest(fields);
  return r.type === 'placeOrder' && r.order.whatIf;
}

/** `onSwallow` runs as each what-if is kept from the simulator: the moment the client starts waiting for its answer. */
export async function startWhatIfSink(upstreamPort: number, onSwallow?: () => void): Promise<WhatIfSink> {
  let swallowed = 0;
  const proxy = await startLoopbackProxy(
    () => upstreamPort,
    (client, upstream) => {
      let pending = Buffer.alloc(0);
      let prefixDone = false;
      client.on('data', (d: Buffer) => {
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
          if (isWhatIf(frame.subarray(4))) {
            swallowed++;
            onSwallow?.();
          } else upstream.write(frame);
        }
      });
      upstream.on('data', (d: Buffer) => {
        if (!client.destroyed) client.write(d);
      });
    },
  );
  return { port: proxy.port, swallowed: () => swallowed, close: () => proxy.close() };
}
