// What a benchmark reads of another process from /proc (Linux): its CPU time so far and its resident memory.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second, the unit of /proc/PID/stat's CPU times. */
export const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** CPU ticks (user + system) of a process so far. */
export function cpuTicks(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // After the command name, which may itself hold ') ': utime and stime are fields 14 and 15; `rest` starts at field 3.
  const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return Number(rest[11]) + Number(rest[12]);
}

/**
 * CPU ticks so far per kind of thread: the main thread (the process's own id), V8's platform workers (`V8Worker`:
 * parallel and concurrent garbage collection, optimising compilation) and the rest (libuv's pool, zlib, crypto). The
 * process's total counts all of them; a CPU profile shows the main thread only.
 */
export function threadTicks(pid: number): { main: number; v8Workers: number; other: number } {
  const out = { main: 0, v8Workers: 0, other: 0 };
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let f: string;
    try {
      f = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    } catch {
      continue; // the thread ended between the listing and the read
    }
    const comm = f.slice(f.indexOf('(') + 1, f.lastIndexOf(')'));
    const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(rest[11]) + Number(rest[12]);
    if (Number(tid) === pid) out.main += ticks;
    else if (comm.startsWith('V8Worker')) out.v8Workers += ticks;
    else out.other += ticks;
  }
  return out;
}

/** Resident memory of a process now, in MB. */
export function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}
