// Connects to NATS from a URL, a creds file or the NATS_* environment variables, never logging a secret.
import { readFileSync } from 'node:fs';
import { connect, credsAuthenticator, type NatsConnection, type NodeConnectionOptions } from '@nats-io/transport-node';
import { redactedUrl } from './url.js';

export { natsUrlProblem, redactedUrl } from './url.js';

export interface NatsTarget {
  /** nats://[user:pass@]host:port, or several separated by commas. */
  readonly url: string;
  /** A .creds file (JWT + NKey seed), as `nats` and `nsc` write them. */
  readonly credsFile?: string;
  /** NATS_USER / NATS_PASSWORD / NATS_TOKEN / NATS_CREDS when the URL and the flag give none. */
  readonly env?: NodeJS.ProcessEnv;
  /** How the connection names itself in the server's monitoring (`tws-risk guard@host`). */
  readonly name?: string;
}

/** Connection options: servers without credentials, credentials from the URL, else the file, else the environment. */
export function connectionOptions(t: NatsTarget): NodeConnectionOptions {
  const env = t.env ?? process.env;
  const servers: string[] = [];
  let user: string | undefined;
  let pass: string | undefined;
  for (const raw of t.url.split(',')) {
    const u = new URL(raw.trim());
    if (u.username) {
      user = decodeURIComponent(u.username);
      pass = decodeURIComponent(u.password);
    }
    // WHATWG URL keeps an IPv6 literal's brackets in `hostname`: host:port as the client wants it, as is.
    servers.push(`${u.hostname}:${u.port || '4222'}`);
  }
  const creds = t.credsFile ?? env.NATS_CREDS;
  const o: NodeConnectionOptions = {
    servers,
    ...(t.name ? { name: t.name } : {}),
    // A console or a guard outlives a NATS restart: keep trying, quietly (the status line says "behind").
    maxReconnectAttempts: -1,
    // The servers in the order given: each host lists its nearest cluster node first (docs/fleet.md "cluster").
    noRandomize: true,
    reconnectTimeWait: 500,
  };
  if (user !== undefined) {
    if (pass) return { ...o, user, pass };
    return { ...o, token: user };
  }
  if (creds) return { ...o, authenticator: credsAuthenticator(readFileSync(creds)) };
  if (env.NATS_USER) return { ...o, user: env.NATS_USER, pass: env.NATS_PASSWORD ?? '' };
  if (env.NATS_TOKEN) return { ...o, token: env.NATS_TOKEN };
  return o;
}

export function connectNats(t: NatsTarget): Promise<NatsConnection> {
  return connect(connectionOptions(t));
}
