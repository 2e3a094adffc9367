// The status file's lock: one guard per status file, claimed in one step (a hard link exists or not), a dead holder's taken over.
import { linkSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname } from 'node:path';
import { mkdirPrivate } from '../streams/recording/open-unique.js';

/** Who holds a lock: the pid, and on Linux the boot and the process's start, so that a reused pid is not taken for it. */
interface Holder {
  readonly pid: number;
  readonly bootId?: string;
  readonly startTime?: string;
}

export type LockClaim =
  { readonly ok: true; readonly lock: string; release(): void } | { readonly ok: false; readonly lock: string; readonly holder?: number; readonly why: string };

/** The locks this process holds: a second guard in one process (tests, embedding) is refused as another process is. */
const held = new Set<string>();

function bootId(): string | undefined {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** Field 22 of /proc/PID/stat (clock ticks after boot): a pid reused by another process has another start. */
function startTime(pid: number): string | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return s.slice(s.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** Whether the process `pid` exists (one of another user's answers EPERM: it exists). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

function parseHolder(text: string | undefined): Holder | undefined {
  try {
    const h = JSON.parse(text ?? '') as Holder;
    return Number.isInteger(h.pid) && h.pid > 0 ? h : undefined;
  } catch {
    return undefined;
  }
}

/** A holder is alive while its process is: same boot, pid there, same start (when /proc says). This process only by `held`. */
function holderAlive(h: Holder, lock: string): boolean {
  if (h.pid === process.pid) return held.has(lock);
  const boot = bootId();
  if (h.bootId !== undefined && boot !== undefined && h.bootId !== boot) return false;
  if (!pidAlive(h.pid)) return false;
  const st = startTime(h.pid);
  return !(h.startTime !== undefined && st !== undefined && h.startTime !== st);
}

/**
 * Creates `file` holding `text`, or fails with false when it exists. Written aside whole, then hard-linked in: link(2)
 * fails on an existing name as O_EXCL does, and the file is never seen empty or half written by the other claimant.
 */
function createWhole(file: string, text: string): boolean {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(tmp, text, { mode: 0o600, flag: 'wx' });
  try {
    linkSync(tmp, file);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  } finally {
    unlinkSync(tmp);
  }
}

/**
 * Claims `<statusFile>.lock` for this process. A lock whose holder is gone (a crash, a reboot, a reused pid) or that
 * names no one (a power loss can leave it empty) is removed and claimed again; the removal is done under a second lock
 * (`.lock.takeover`) after reading the lock once more, so two guards that both found it stale cannot each remove the
 * other's fresh claim. A takeover lock left by a process that died in that instant is refused, not guessed at.
 */
export function claimStatusLock(statusFile: string): LockClaim {
  const lock = `${statusFile}.lock`;
  mkdirPrivate(dirname(lock));
  const me: Holder = { pid: process.pid, ...withDefined('bootId', bootId()), ...withDefined('startTime', startTime(process.pid)) };
  const mine = `${JSON.stringify({ ...me, at: new Date().toISOString() })}\n`;
  for (let attempt = 0; attempt < 3; attempt++) {
    if (createWhole(lock, mine)) {
      held.add(lock);
      // Once only: a second call must not drop from `held` a lock a later guard of this process holds.
      let released = false;
      return {
        ok: true,
        lock,
        release: () => {
          if (!released) release(lock, mine);
          released = true;
        },
      };
    }
    const seen = readText(lock);
    if (seen === undefined) continue; // its holder stopped between the two steps
    const h = parseHolder(seen);
    if (h && holderAlive(h, lock)) return { ok: false, lock, holder: h.pid, why: 'held' };
    const takeover = `${lock}.takeover`;
    if (!createWhole(takeover, mine)) {
      const t = parseHolder(readText(takeover));
      return {
        ok: false,
        lock,
        ...(t ? { holder: t.pid } : {}),
        why: `another guard${t ? ` (pid ${t.pid})` : ''} is taking the lock over (${takeover}; if no guard is starting, it was left by one that died then: remove it)`,
      };
    }
    try {
      if (readText(lock) === seen) unlinkSync(lock);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    } finally {
      unlinkSync(takeover);
    }
  }
  return { ok: false, lock, why: 'other guards claimed it in turn three times' };
}

function release(lock: string, mine: string): void {
  held.delete(lock);
  try {
    if (readText(lock) === mine) unlinkSync(lock);
  } catch {
    // Left behind, it names this process, which is about to be gone: the next guard takes it over.
  }
}

function withDefined<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return value === undefined ? {} : ({ [key]: value } as { [P in K]: string });
}
