// A client for the simulator's JSON-lines control channel: what a test knows about the account comes from here, never from the console under test.
import { connect, type Socket } from 'node:net';

export interface ControlChannel {
  /** Sends one request and resolves with its answer; an answer with ok false rejects. */
  request(req: object): Promise<Record<string, unknown>>;
  close(): void;
}

/** The simulator's view of the account (`{"cmd":"snapshot"}`), in the fields the tests read. */
export interface SimSnapshot {
  readonly account: string;
  readonly positions: ReadonlyArray<{ conId: number; symbol: string; secType: string; localSymbol: string; position: string }>;
  readonly openOrders: ReadonlyArray<{ orderId: number; clientId: number; status: string }>;
}

export async function controlChannel(port: number, host = '127.0.0.1'): Promise<ControlChannel> {
  const socket: Socket = connect(port, host);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  // Answers come in request order, one line each.
  const waiting: Array<{ resolve: (v: Record<string, unknown>) => void; reject: (e: Error) => void }> = [];
  let buffer = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    buffer += chunk;
    for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      const w = waiting.shift();
      if (!w) continue;
      const answer = JSON.parse(line) as Record<string, unknown>;
      if (answer.ok === true) w.resolve(answer);
      else w.reject(new Error(`control channel: ${String(answer.error)}`));
    }
  });
  socket.on('error', (e) => {
    for (const w of waiting.splice(0)) w.reject(e);
  });
  return {
    request: (req) =>
      new Promise((resolve, reject) => {
        waiting.push({ resolve, reject });
        socket.write(`${JSON.stringify(req)}\n`);
      }),
    close: () => socket.destroy(),
  };
}

export async function simSnapshot(control: ControlChannel): Promise<SimSnapshot> {
  return (await control.request({ cmd: 'snapshot' })).snapshot as SimSnapshot;
}
