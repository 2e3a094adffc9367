// Audit log: append-only, hash-chained, fsync'd JSON lines of every trading decision and what TWS answered.
import { closeSync, createReadStream, fsyncSync, writeSync } from 'node:fs';
import { mkdirPrivate, openExclusive } from '../streams/recording/open-unique.js';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import type { JsonValue } from '../model/events.js';
import { GENESIS_HASH, chainHash, sealLine, unsealLine } from '../streams/recording/format.js';

export const AUDIT_FORMAT = 'tws-risk-audit';
export const AUDIT_SCHEMA_VERSION = 1;

/**
 * What gets audited: the operator's steps and the broker's answers, each with its context, and (`alert`) each alert
 * transition the console saw while the log was open (its transitionJson, docs/alerts.md "Recording").
 * `orderSent` is written when an order is handed to the socket, `orderConfirmed` when TWS first says anything about
 * it (open order, status, execution, error): a sent order without a confirmation may never have reached TWS.
 * `reconciled`: an order's outcome decided after a lost connection from what the reconnected TWS lists.
 * `policy`, `guardDecision`, `guardResult`: the guard daemon's policy (by hash), each evaluation that led to an
 * action (the alert, the rule, how long it held) and what became of it (docs/guard.md "Audit").
 */
export type AuditKind =
  | 'armed'
  | 'disarmed'
  | 'planShown'
  | 'decision'
  | 'denied'
  | 'orderSent'
  | 'orderConfirmed'
  | 'cancelSent'
  | 'globalCancelSent'
  | 'orderStatus'
  | 'reconciled'
  | 'brokerError'
  | 'result'
  | 'alert'
  /** TWS's what-if margins for a shown plan's orders (asked, never transmitted: what-if.ts). */
  | 'whatIf'
  /** The guard daemon: a policy loaded or refused, an action it decided (rule, alert, plan) and that action's result. */
  | 'policy'
  | 'guardDecision'
  | 'guardResult'
  /** A remote command the guard refused before any action (who asked, from where, why); an accepted one is a guardDecision. */
  | 'guardCommand'
  /** The fleet view's operator side of a remote command: armed, disarmed, asked, the answer, or not sent and why. */
  | 'fleetCommand';

export interface AuditEntry {
  readonly kind: AuditKind;
  readonly detail: { readonly [k: string]: JsonValue };
}

/**
 * One session's audit file. Every line is written and fsync'd before `append` returns: an order that left the
 * process has its audit line on disk first (the caller appends before it sends).
 */
export class AuditLog {
  private readonly fd: number;
  private prev = GENESIS_HASH;
  private n = 0;
  private closed = false;

  /** The file written (a `-2`... suffix is added when two sessions start in the same second). */
  readonly file: string;

  constructor(
    file: string,
    header: { appVersion: string; account: string | null; mode: string; meta?: Record<string, string | number | boolean | null> },
    private readonly now: () => number = Date.now,
  ) {
    // Private like recordings: it names the account and every order (docs/security.md).
    mkdirPrivate(dirname(file));
    const opened = openExclusive(file, true);
    this.fd = opened.fd;
    this.file = opened.file;
    this.write({ kind: 'header', format: AUDIT_FORMAT, schemaVersion: AUDIT_SCHEMA_VERSION, startedAt: new Date(now()).toISOString(), ...header });
  }

  append(entry: AuditEntry): void {
    this.write({ kind: 'entry', n: ++this.n, at: new Date(this.now()).toISOString(), type: entry.kind, detail: entry.detail });
  }

  close(): void {
    if (this.closed) return;
    try {
      this.write({ kind: 'footer', entries: this.n, endedAt: new Date(this.now()).toISOString() });
    } finally {
      // Closed even when the footer could not be written (a full disk): the caller is told by the throw, and a
      // second close does not try again on a descriptor that is gone.
      this.closed = true;
      closeSync(this.fd);
    }
  }

  private write(body: object): void {
    if (this.closed) throw new Error(`audit log ${this.file} is closed`);
    const { text, hash } = sealLine(this.prev, body);
    this.prev = hash;
    const buf = Buffer.from(`${text}\n`);
    let off = 0;
    while (off < buf.length) off += writeSync(this.fd, buf, off);
    fsyncSync(this.fd);
  }
}

export type AuditVerify =
  | { readonly ok: true; readonly entries: number; readonly sealed: boolean; readonly finalHash: string }
  | { readonly ok: false; readonly line: number; readonly reason: string };

/** Verifies an audit file's chain and structure, naming the first bad line. */
export async function verifyAuditLog(file: string): Promise<AuditVerify> {
  let prev = GENESIS_HASH;
  let line = 0;
  let entries = 0;
  let sealed = false;
  const rl = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  for await (const text of rl) {
    line++;
    if (sealed) return { ok: false, line, reason: 'content after the footer' };
    const sealedLine = unsealLine(text);
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return { ok: false, line, reason: 'line is not valid JSON' };
    }
    if (!sealedLine) return { ok: false, line, reason: 'line has no hash field at its end' };
    if (chainHash(prev, sealedLine.body) !== sealedLine.hash) return { ok: false, line, reason: `line breaks the hash chain; intact up to line ${line - 1}` };
    prev = sealedLine.hash;
    if (line === 1) {
      if (o.kind !== 'header' || o.format !== AUDIT_FORMAT) return { ok: false, line, reason: 'not a tws-risk audit log' };
      continue;
    }
    if (o.kind === 'entry') {
      if (o.n !== entries + 1) return { ok: false, line, reason: `entry ${String(o.n)} does not follow ${entries}` };
      entries++;
    } else if (o.kind === 'footer') {
      if (o.entries !== entries) return { ok: false, line, reason: `footer says ${String(o.entries)} entries, file has ${entries}` };
      sealed = true;
    } else return { ok: false, line, reason: `unknown line kind ${JSON.stringify(o.kind)}` };
  }
  if (line === 0) return { ok: false, line: 0, reason: 'empty file' };
  return { ok: true, entries, sealed, finalHash: prev };
}

/** The format named on a file's first line (to dispatch `tws-risk verify`), or undefined. */
export async function fileFormat(file: string): Promise<string | undefined> {
  const rl = createInterface({ input: createReadStream(file, { encoding: 'utf8', end: 64 * 1024 }), crlfDelay: Infinity });
  try {
    for await (const text of rl) {
      try {
        const o = JSON.parse(text) as { format?: unknown };
        return typeof o.format === 'string' ? o.format : undefined;
      } catch {
        return undefined;
      }
    }
  } finally {
    rl.close();
  }
  return undefined;
}
