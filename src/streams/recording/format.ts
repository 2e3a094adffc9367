// Recording format: line kinds, the header, and the SHA-256 hash chain that seals every line (docs/recording-format.md).
import { hash } from 'node:crypto';

export const FORMAT_NAME = 'tws-risk-recording';
/**
 * 2: operator events are typed (model/events.ts OperatorEvent) and checked on read. 1: their details were free JSON;
 * still read, each upgraded to the typed event it meant (model/operator.ts, docs/recording-format.md "Versioning").
 */
export const SCHEMA_VERSION = 2;
export const LEGACY_SCHEMA_VERSION = 1;
/** The chain starts from 64 zeros, so the header is hashed like every other line. */
export const GENESIS_HASH = '0'.repeat(64);

/** Where the events came from; a replay can never trade, whatever its source was. */
export type RecordingSource = 'live' | 'paper' | 'demo' | 'sim' | 'synthetic';

/** The first line of every recording. */
export interface RecordingHeader {
  readonly kind: 'header';
  readonly format: typeof FORMAT_NAME;
  readonly schemaVersion: number;
  readonly appVersion: string;
  readonly source: RecordingSource;
  /** Account id, or null when not yet known at start (the keyframes carry it). */
  readonly account: string | null;
  readonly baseCurrency: string | null;
  /** ISO-8601 UTC start time, and the same in epoch ms. */
  readonly startedAt: string;
  readonly startedAtMs: number;
  /** Free-form context (host:port, client id, read-only or trade mode...). */
  readonly meta?: Readonly<Record<string, string | number | boolean | null>>;
}

/** The last line of a cleanly closed recording. */
export interface RecordingFooter {
  readonly kind: 'footer';
  readonly events: number;
  readonly keyframes: number;
  readonly lastSeq: number;
  readonly endedAt: string;
  readonly reason: string;
}

/** `,"hash":"` + 64 hex digits + `"}`: the fixed-length tail every sealed line ends with. */
const HASH_TAIL = 9 + 64 + 2;

/** The hash of a line's body chained to the previous line's hash. */
export function chainHash(prev: string, body: string): string {
  // One-shot crypto.hash is markedly cheaper per line than createHash().update().digest() (bench: reader).
  return hash('sha256', `${prev}\n${body}`, 'hex');
}

/** Serialises one line: the body JSON with its chained hash appended as the last field. Returns line and hash. */
export function sealLine(prev: string, body: object): { text: string; hash: string } {
  const json = JSON.stringify(body);
  const h = chainHash(prev, json);
  return { text: `${json.slice(0, -1)},"hash":"${h}"}`, hash: h };
}

/** Splits a stored line into its body JSON and stated hash, or undefined if it does not end with a hash field. */
export function unsealLine(text: string): { body: string; hash: string } | undefined {
  // Sliced, not matched with an end-anchored regex: keyframe lines are megabytes long and a regex scans them all.
  if (text.length < HASH_TAIL + 1 || !text.endsWith('"}') || !text.startsWith(',"hash":"', text.length - HASH_TAIL)) return undefined;
  // No hex check: a stated hash that is not 64 hex digits can never equal a computed one, so the chain check
  // reports it as tampering (and the check cost a regex per line).
  const hash = text.slice(text.length - 66, text.length - 2);
  return { body: `${text.slice(0, text.length - HASH_TAIL)}}`, hash };
}

/**
 * One keyframe in the seek index (`FILE.idx`, JSON lines, written beside the recording). A reader can start at
 * `offset` (a line start, and in gzip files a member start) with `prevHash` as the chain's previous hash: the
 * index only says where to look; the recording's own hashes still prove what is read. A missing or damaged index
 * only makes seeking slower.
 */
export interface IndexEntry {
  readonly seq: number;
  readonly at: number;
  /** Byte offset of the keyframe line in the (possibly compressed) file. */
  readonly offset: number;
  /** Its 1-based line number. */
  readonly line: number;
  /** Hash of the line before it. */
  readonly prevHash: string;
}

export function indexPathOf(recording: string): string {
  return `${recording}.idx`;
}
