// `tws-risk verify <file>`: checks a recording's JSON, hash chain, sequence and seal, and says where it breaks.
import { existsSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { RecordingError, unreadableFile, verifyRecording } from '../streams/recording/reader.js';
import { indexPathOf } from '../streams/recording/format.js';
import { indexPastEnd } from '../streams/replay/seek.js';
import { AUDIT_FORMAT, fileFormat, verifyAuditLog } from '../trading/audit.js';
import { EXIT, type CommandIo } from './io.js';

function time(ms: number): string {
  return ms > 0 ? new Date(ms).toISOString() : '-';
}

/** A seek index (`FILE.idx`, format.ts IndexEntry) passed for its recording: empty, or its first line an entry. */
async function seekIndexOf(file: string): Promise<string | undefined> {
  if (!file.endsWith('.idx')) return undefined;
  const fh = await open(file, 'r');
  let head: string;
  try {
    const { buffer, bytesRead } = await fh.read(Buffer.alloc(4096), 0, 4096, 0);
    head = buffer.toString('utf8', 0, bytesRead);
  } finally {
    await fh.close();
  }
  const first = head.split('\n', 1)[0]!;
  if (first !== '') {
    try {
      const e = JSON.parse(first) as Record<string, unknown>;
      if (!['seq', 'offset', 'line', 'prevHash'].every((k) => k in e) || 'hash' in e) return undefined;
    } catch {
      // A first line longer than the read (or not JSON): not an index entry, whose lines are short.
      return undefined;
    }
  }
  return file.slice(0, -'.idx'.length);
}

/** Exit 0 when valid (sealed, or unsealed without --strict), 1 when invalid, cut short or (with --strict) unsealed. */
export async function verifyCommand(file: string, opts: { strict: boolean; json: boolean }, io: CommandIo): Promise<number> {
  const invalid = (error: RecordingError, linesRead: number): number => {
    if (opts.json) {
      io.out(JSON.stringify({ file, valid: false, problem: error.problem, line: error.line, reason: error.detail, linesRead }));
    } else {
      io.err(`INVALID ${error.message}`);
      if (error.line > 1) io.err(`  lines 1-${error.line - 1} are intact and readable`);
    }
    return EXIT.invalid;
  };
  // Before anything opens it for reading: a FIFO would block that open (and the read) forever.
  const unreadable = await unreadableFile(file);
  if (unreadable) return invalid(unreadable, 0);
  if ((await fileFormat(file).catch(() => undefined)) === AUDIT_FORMAT) return verifyAudit(file, opts, io);
  const recording = await seekIndexOf(file).catch(() => undefined);
  if (recording !== undefined) {
    const there = existsSync(recording) ? '' : ' (it is not there)';
    return invalid(
      new RecordingError(file, 0, 'unsupported', `this is the seek index of a recording, not a recording: verify ${recording} instead${there}`),
      0,
    );
  }
  // Integrity only: the chain, sequence and seal, without building the Decimals and states a replay needs.
  const r = await verifyRecording(file, { decode: false });
  if (!r.ok) return invalid(r.error, r.linesRead);
  const s = r.summary;
  // Valid as far as it goes, but the index beside it names keyframes that were written past its end: the file was
  // cut (truncated, copied short), and calling it a crash's unsealed end would hide what is missing.
  const past = s.sealed ? undefined : await indexPastEnd(file).catch(() => undefined);
  if (past) {
    const k = past.last;
    const detail =
      `cut short: the file ends at byte ${past.size} after line ${s.lines} (seq ${s.lastSeq}, ${time(s.lastAt)}), but its index ` +
      `${indexPathOf(file)} names ${past.missing} keyframe(s) from there on, the last at line ${k.line} (seq ${k.seq}, ${time(k.at)}, byte ${k.offset}): ` +
      `the file was longer when written, it did not end in a crash`;
    return invalid(new RecordingError(file, s.lines + 1, 'cut', detail), s.lines);
  }
  // The header is written before the login and may name neither the account nor the base; the events then do.
  const { account, baseCurrency } = r;
  const named = (inHeader: string | null, fromEvents: string | undefined) => inHeader ?? (fromEvents ? `${fromEvents} (from its events)` : '-');
  if (opts.json) {
    io.out(
      JSON.stringify({
        file,
        valid: true,
        sealed: s.sealed,
        truncatedTail: s.truncatedTail,
        header: s.header,
        account: account ?? null,
        baseCurrency: baseCurrency ?? null,
        lines: s.lines,
        events: s.events,
        keyframes: s.keyframes,
        firstSeq: s.firstSeq,
        lastSeq: s.lastSeq,
        firstAt: s.firstAt,
        lastAt: s.lastAt,
        finalHash: s.finalHash,
        ...(s.footer ? { footer: s.footer } : {}),
      }),
    );
  } else {
    const h = s.header;
    io.out(`${s.sealed ? 'VALID' : 'VALID (UNSEALED)'} ${file}`);
    io.out(`  source ${h.source}, account ${named(h.account, account)}, base ${named(h.baseCurrency, baseCurrency)}, written by tws-risk ${h.appVersion}`);
    io.out(`  ${s.events} events (seq ${s.firstSeq}-${s.lastSeq}), ${s.keyframes} keyframes, ${s.lines} lines`);
    io.out(`  from ${time(s.firstAt)} to ${time(s.lastAt)}`);
    if (s.sealed) io.out(`  sealed: ${s.footer?.reason ?? ''} at ${s.footer?.endedAt ?? ''}`);
    else io.out(`  not sealed: the writer crashed or is still writing${s.truncatedTail ? '; a cut-off last line was ignored' : ''}`);
    io.out(`  final hash ${s.finalHash}`);
  }
  return !s.sealed && opts.strict ? EXIT.invalid : EXIT.ok;
}

/** Audit logs use the same hash chain; verify says where one breaks. */
async function verifyAudit(file: string, opts: { strict: boolean; json: boolean }, io: CommandIo): Promise<number> {
  const r = await verifyAuditLog(file);
  if (opts.json) io.out(JSON.stringify({ file, kind: 'audit', ...r }));
  else if (r.ok) io.out(`${r.sealed ? 'VALID' : 'VALID (UNSEALED)'} audit log ${file}: ${r.entries} entries, final hash ${r.finalHash}`);
  else io.err(`INVALID ${file}:${r.line}: ${r.reason}`);
  if (!r.ok) return EXIT.invalid;
  return !r.sealed && opts.strict ? EXIT.invalid : EXIT.ok;
}
