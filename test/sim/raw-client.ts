// A bare TCP client for the simulator's wire: frames built and parsed here, independently of src/sim/wire.ts.
import { connect, type Socket } from 'node:net';
import { waitFor } from './helpers.js';

export function frame(fields: Array<string | number>): Buffer {
  const payload = Buffer.from(fields.map((f) => `${f}\0`).join(''), 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32BE(payload.length);
  return Buffer.concat([len, payload]);
}

export function handshake(range = 'v100..193'): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(range.length);
  return Buffer.concat([Buffer.from('API\0', 'latin1'), len, Buffer.from(range)]);
}

/** A bare TCP client that collects the server's frames (as field arrays) and notices when it is closed. */
export class RawClient {
  readonly frames: string[][] = [];
  closed = false;
  private buf = Buffer.alloc(0);
  readonly socket: Socket;

  constructor(port: number) {
    this.socket = connect({ host: '127.0.0.1', port });
    this.socket.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      while (this.buf.length >= 4 && this.buf.length >= 4 + this.buf.readUInt32BE(0)) {
        const n = this.buf.readUInt32BE(0);
        this.frames.push(
          this.buf
            .subarray(4, 4 + n)
            .toString('utf8')
            .split('\0')
            .slice(0, -1),
        );
        this.buf = this.buf.subarray(4 + n);
      }
    });
    this.socket.on('close', () => (this.closed = true));
    this.socket.on('error', () => {});
  }

  write(b: Buffer): void {
    this.socket.write(b);
  }

  /** Writes one byte per TCP write, yielding between them so chunks really arrive split. */
  async trickle(b: Buffer): Promise<void> {
    for (const byte of b) {
      this.socket.write(Buffer.from([byte]));
      await new Promise((r) => setImmediate(r));
    }
  }

  count(msgId: number): number {
    return this.frames.filter((f) => f[0] === String(msgId)).length;
  }

  async start(clientId: number, range = 'v100..193'): Promise<void> {
    this.write(handshake(range));
    await waitFor(() => this.frames.length >= 1, 5_000, 'server version');
    this.write(frame([71, 2, clientId, '']));
    await waitFor(() => this.count(9) === 1, 5_000, 'nextValidId');
  }

  close(): void {
    this.socket.destroy();
  }
}
