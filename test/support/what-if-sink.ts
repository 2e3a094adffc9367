// A proxy in front of the simulator that never delivers what-if orders: a TWS that does not answer them, all else passes.
import { isWhatIfOrder, onClientFrames, startLoopbackProxy } from './proxy.js';

export interface WhatIfSink {
  readonly port: number;
  /** What-if placements the client wrote that the simulator never saw. */
  readonly swallowed: () => number;
  close(): Promise<void>;
}

/** `onSwallow` runs as each what-if is kept from the simulator: the moment the client starts waiting for its answer. */
export async function startWhatIfSink(upstreamPort: number, onSwallow?: () => void): Promise<WhatIfSink> {
  let swallowed = 0;
  const proxy = await startLoopbackProxy(
    () => upstreamPort,
    (client, upstream) => {
      onClientFrames(
        client,
        (prefix) => upstream.write(prefix),
        (frame, body) => {
          if (isWhatIfOrder(body)) {
            swallowed++;
            onSwallow?.();
          } else upstream.write(frame);
        },
      );
      upstream.on('data', (d: Buffer) => {
        if (!client.destroyed) client.write(d);
      });
    },
  );
  return { port: proxy.port, swallowed: () => swallowed, close: () => proxy.close() };
}
