// A small real file system for tests that need a full (or read-only) disk: a tmpfs mounted when running as root.
import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Tmpfs {
  readonly dir: string;
  unmount(): void;
}

/**
 * Mounts a tmpfs of `sizeKb` (read-only with `readOnly`), or returns the reason it cannot (not root, no mount
 * permission). CI runs as root, so there the tests that need one always run.
 */
export function mountTmpfs(name: string, sizeKb: number, readOnly = false): Tmpfs | string {
  if (process.getuid?.() !== 0) return 'not running as root, so no tmpfs can be mounted';
  const dir = mkdtempSync(join(tmpdir(), `tws-risk-${name}-`));
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeKb}k,mode=0755${readOnly ? ',ro' : ''}`, 'tmpfs', dir], { encoding: 'utf8' });
  if (r.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    return `mount -t tmpfs failed: ${(r.stderr || r.error?.message || '').trim()}`;
  }
  return {
    dir,
    unmount() {
      spawnSync('umount', ['-l', dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Fills the file system holding `dir` until a write fails with ENOSPC: nothing more fits. */
export function fillUp(dir: string): void {
  const file = join(dir, 'filler');
  const chunk = Buffer.alloc(4096, 0x78);
  for (;;) {
    try {
      appendFileSync(file, chunk);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOSPC') break;
      throw e;
    }
  }
  // Smaller writes can still fill a partly used last page.
  for (;;) {
    try {
      appendFileSync(file, 'x');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOSPC') return;
      throw e;
    }
  }
}
