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

export function productNodeFlags(): string[] {
  const shebang = readFileSync(join(projectRoot(), 'bin', 'tws-risk'), 'utf8').split('\n')[0]!;
  return shebang.split(/\s+/).filter((w) => w.startsWith('--'));
}
