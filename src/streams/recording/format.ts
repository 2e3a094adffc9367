// Recording format: line kinds, the header, and the SHA-256 hash chain that seals every line (docs/recording-format.md).
import { hash } from 'node:crypto';

export const FORMAT_NAME = 'tws-risk-recording';
/**
 * 3: each line states its chain hash as a 64-bit tag (below). 2: operator events are typed (model/events.ts
 * OperatorEvent) and checked on read. 1: their details were free JSON; still read, each upgraded to the typed event
 * it meant (model/operator.ts, docs/recording-format.md "Versioning").
 */
export const SCHEMA_VERSION = 3;
export const LEGACY_SCHEMA_VERSION = 1;
/** Every version this reader reads. */
export const READABLE_SCHEMA_VERSIONS: readonly number[] = [1, 2, 3];
/** The chain starts from 64 zeros, so the header is hashed like every other line. */
export const GENESIS_HASH = '0'.repeat(64);

/**
 * How a line states its chain hash. `hex`: the whole SHA-256 in 64 hex digits (schemas 1 and 2, audit logs).
 * `tag`: its first 64 bits in base64url, 11 characters (schema 3). The chain itself is the same full SHA-256 in
 * both: each line's hash covers the previous line's full hash, so the final hash still pins the whole file, and a
 * tag only has to name the first line that does not match (a changed line keeps its tag by chance once in 2^64,
 * and then the next line's tag breaks). Hex digits of a hash do not compress: they were 63% of a gzip recording.
 */
export type HashForm = 'hex' | 'tag';
const TAG_BYTES = 8;
/** Characters of a schema-3 tag: base64url of 8 bytes, unpadded. */
const TAG_CHARS = 11;

export function hashFormOf(schemaVersion: number): HashForm {
  return schemaVersion >= 3 ? 'tag' : 'hex';
}

/** Characters of the stated hash in a line of this form. */
export function statedChars(form: HashForm): number {
  return form === 'tag' ? TAG_CHARS : 64;
}

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

/** `,"hash":"` + the stated hash + `"}`: the fixed-length tail every sealed line of a form ends with. */
export function hashTail(form: HashForm): number {
  return 9 + statedChars(form) + 2;
}

/** The full hash (64 hex digits) of a line's body chained to the previous line's full hash. */
export function chainHash(prev: string, body: string): string {
  // One-shot crypto.hash is markedly cheaper per line than createHash().update().digest() (bench: reader).
  return hash('sha256', `${prev}\n${body}`, 'hex');
}

/** What a line of this form states for a full hash. */
export function statedHash(full: string, form: HashForm): string {
  return form === 'hex' ? full : Buffer.from(full.slice(0, TAG_BYTES * 2), 'hex').toString('base64url');
}

/**
 * Serialises one line: the body JSON with its chained hash, as the form states it, appended as the last field.
 * Returns the line and the full hash the next line chains to.
 */
export function sealLine(prev: string, body: object, form: HashForm = 'hex'): { text: string; hash: string } {
  const json = JSON.stringify(body);
  const h = chainHash(prev, json);
  return { text: `${json.slice(0, -1)},"hash":"${statedHash(h, form)}"}`, hash: h };
}

/**
 * Splits a stored line into its body JSON and stated hash, or undefined if it does not end with a hash field of
 * the form (`any`: either, for a header whose version is not known yet).
 */
export function unsealLine(text: string, form: HashForm | 'any' = 'hex'): { body: string; hash: string } | undefined {
  if (form === 'any') return unsealLine(text, 'hex') ?? unsealLine(text, 'tag');
  const tail = hashTail(form);
  // Sliced, not matched with an end-anchored regex: keyframe lines are megabytes long and a regex scans them all.
  if (text.length < tail + 1 || !text.endsWith('"}') || !text.startsWith(',"hash":"', text.length - tail)) return undefined;
  // No alphabet check: a stated hash with a wrong character can never equal a computed one, so the chain check
  // reports it as tampering (and the check cost a regex per line).
  const hash = text.slice(text.length - tail + 9, text.length - 2);
  return { body: `${text.slice(0, text.length - tail)}}`, hash };
}

/**
 * One keyframe in the seek index (`FILE.idx`, JSON lines, written beside the recording). A reader can start at
 * `offset` (a line start, and in gzip files a member start) with `prevHash` as the chain's previous hash: the
 * index only says where to look; the recording's own hashes still prove what is read. `prevHash` is the full hash
 * (64 hex digits) in every schema. A missing or damaged index
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
