// A real nats-server with JetStream for tests: a free port, a private temp store, stopped by the test. Never skipped.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface NatsServer {
  readonly port: number;
  readonly url: string;
  readonly dir: string;
  stop(): Promise<void>;
}

/**
 * Starts `nats-server -js` on a port the OS picks; `config` (the text of a server configuration) is written beside the
 * store and used with `-c`. Fails, naming the fix, when nats-server is not installed (.ci/run installs it).
 */
export async function startNatsServer(o: { config?: string } = {}): Promise<NatsServer> {
  const dir = mkdtempSync(join(tmpdir(), 'tws-risk-nats-'));
  // A configuration names its own store (STORE in its text becomes the temp one); nats-server refuses it twice.
  const args = ['-js', ...(o.config === undefined ? ['-sd', join(dir, 'store')] : []), '-a', '127.0.0.1', '-p', '-1'];
  if (o.config !== undefined) {
    writeFileSync(join(dir, 'server.conf'), o.config.replace(/STORE/g, join(dir, 'store')));
    args.unshift('-c', join(dir, 'server.conf'));
  }
  let child: ChildProcess;
  try {
    child = spawn('nats-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    throw new Error(`cannot start nats-server (apt-get install nats-server): ${(e as Error).message}`);
  }
  let log = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`nats-server did not say its port within 20 s:\n${log}`)), 20_000);
    const onData = (b: Buffer) => {
      log += b.toString();
      const m = /Listening for client connections on [^\s]*:(\d+)/.exec(log);
      if (m && /Server is ready/.test(log)) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    child.stderr!.on('data', onData);
    child.stdout!.on('data', onData);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`cannot start nats-server (apt-get install nats-server; .ci/run does): ${e.message}`));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`nats-server exited (${code}):\n${log}`));
    });
  });
  return {
    port,
    url: `nats://127.0.0.1:${port}`,
    dir,
    async stop() {
      if (child.exitCode === null) {
        const gone = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await gone;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A TCP relay to `port` that a test can cut (every connection dropped, new ones refused) and mend: a network outage. */
export async function startRelay(port: number): Promise<{ readonly port: number; cut(): Promise<void>; mend(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let listenPort = 0;
  const mend = () =>
    new Promise<void>((resolve) => {
      server = createServer((client) => {
        const up = connect(port, '127.0.0.1');
        sockets.add(client);
        sockets.add(up);
        client.pipe(up).pipe(client);
        const end = () => {
          client.destroy();
          up.destroy();
          sockets.delete(client);
          sockets.delete(up);
        };
        client.on('error', end).on('close', end);
        up.on('error', end).on('close', end);
      });
      // The same port again after a cut, so the client's reconnect finds it.
      server.listen(listenPort, '127.0.0.1', () => {
        listenPort = (server!.address() as { port: number }).port;
        resolve();
      });
    });
  const cut = async () => {
    const closed = new Promise((r) => server!.close(r));
    for (const s of sockets) s.destroy();
    sockets.clear();
    await closed;
  };
  await mend();
  return { port: listenPort, cut, mend };
}
