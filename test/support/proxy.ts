// A loopback TCP proxy in front of the simulator: the tests' hostile peers decide what crosses it, this owns the sockets.
import { connect, createServer, type Server, type Socket } from 'node:net';

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
