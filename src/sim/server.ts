// The listening TCP socket for API clients; it can stop and start again on the same port (TWS restart).
import { createServer, type Server, type Socket } from 'node:net';
import type { SimLogger } from './log.js';
import type { Transport } from './world.js';

export class TcpTransport implements Transport {
  private server: Server | undefined;
  private boundPort: number;
  /** Sockets accepted by this listener, so that stop() can cut them all. */
  private readonly sockets = new Set<Socket>();

  constructor(
    readonly host: string,
    port: number,
    private readonly onSocket: (socket: Socket) => void,
    private readonly log: SimLogger,
  ) {
    this.boundPort = port;
  }

  /** The bound port (the real one once listening, even when 0 was asked for). */
  get port(): number {
    return this.boundPort;
  }

  get listening(): boolean {
    return this.server?.listening ?? false;
  }

  /** Starts listening; after a restart it binds the same port again. */
  start(): Promise<void> {
    if (this.server?.listening) return Promise.resolve();
    const server = createServer({ noDelay: true }, (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      // A client that vanishes mid-write must never raise an unhandled error.
      socket.on('error', () => {});
      this.onSocket(socket);
    });
    server.on('error', (err) => this.log('error', `listener error: ${err.message}`));
    this.server = server;
    return new Promise((resolve, reject) => {
      const fail = (err: Error) => reject(err);
      server.once('error', fail);
      server.listen({ host: this.host, port: this.boundPort, exclusive: true }, () => {
        server.off('error', fail);
        const addr = server.address();
        if (addr && typeof addr === 'object') this.boundPort = addr.port;
        resolve();
      });
    });
  }

  /** Stops accepting connections (clients now get "connection refused") and cuts the open ones. */
  stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    if (!server) return Promise.resolve();
    return new Promise((resolve) => server.close(() => resolve()));
  }
}
