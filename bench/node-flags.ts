// The Node flags the product runs with, read from bin/tws-risk's shebang, so each benchmark measures what users run.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** From bench/ or dist/bench/: the first ancestor directory that holds bin/tws-risk. */
function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    try {
      readFileSync(join(dir, 'bin', 'tws-risk'));
      return dir;
    } catch {
      dir = dirname(dir);
    }
  }
  throw new Error('bin/tws-risk not found above bench/');
}

/** The flags Node is started with: the bin's shebang (and `npm run demo`). */
export function shebangNodeFlags(): string[] {
  const shebang = readFileSync(join(projectRoot(), 'bin', 'tws-risk'), 'utf8').split('\n')[0]!;
  return shebang.split(/\s+/).filter((w) => w.startsWith('--'));
}

/** The V8 flags the bin sets once start-up is over (LATE_V8_FLAGS: they would cost start-up time in the shebang). */
export function lateNodeFlags(): string[] {
  const m = /^var LATE_V8_FLAGS = '([^']*)';$/m.exec(readFileSync(join(projectRoot(), 'bin', 'tws-risk'), 'utf8'));
  if (!m) throw new Error('bin/tws-risk: no LATE_V8_FLAGS line');
  return m[1]!.split(/\s+/).filter((w) => w.startsWith('--'));
}

/**
 * Every flag the product runs with, for a benchmark that runs the product's code in its own process. One that starts
 * the bin passes shebangNodeFlags() only: the bin adds the late ones itself, and the start-up benchmark times that.
 * Given at start they also hide what setting them late does: the console's memory bench read 143 MB that way while the
 * bin as users run it held 176 (docs/performance.md "The late flag took effect only at the next full collection").
 */
export function productNodeFlags(): string[] {
  return [...shebangNodeFlags(), ...lateNodeFlags()];
}
