// The --publish flags checked before anything connects; light, so a console start does not load the NATS client.
import { natsUrlProblem } from '../streams/nats/url.js';

export interface PublishFlags {
  readonly publish?: string;
  readonly 'nats-creds'?: string;
  readonly 'nats-stream'?: string;
}

/** How often a summary goes out: once a second is what a fleet row needs, and costs little in the stream. */
export const SUMMARY_EVERY_MS = 1_000;

/** Why the publish flags cannot work, as a usage sentence, else undefined. */
export function publishFlagsProblem(f: PublishFlags): string | undefined {
  if (f.publish === undefined) {
    if (f['nats-creds'] !== undefined || f['nats-stream'] !== undefined) return '--nats-creds and --nats-stream go with --publish nats://HOST:PORT';
    return undefined;
  }
  const p = natsUrlProblem(f.publish);
  if (p) return `--publish ${p}`;
  if (f['nats-stream'] !== undefined && !/^[A-Za-z0-9_-]{1,64}$/.test(f['nats-stream']))
    return `--nats-stream expects a stream name (letters, digits, _ and -), got ${JSON.stringify(f['nats-stream'])}`;
  return undefined;
}
