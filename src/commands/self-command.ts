// How a user runs this tool again from their shell: `tws-risk` when on PATH, `npx tws-risk` under npm, else the script as run.
import { realpathSync } from 'node:fs';
import { delimiter, isAbsolute, join, relative } from 'node:path';

/** Where the running program is and what it sees, injectable so tests need not be that program. */
export interface SelfContext {
  readonly env: NodeJS.ProcessEnv;
  /** The script node ran (process.argv[1]): the bin shim. */
  readonly script: string | undefined;
  readonly cwd: string;
  /** The node binary running it (process.execPath). */
  readonly execPath: string;
}

/*
 * The lines printed at exit name a next command ("check it with: tws-risk verify FILE"), which the user will type as
 * printed. The name on PATH counts only when it resolves to the very script running (another install is another
 * version). Under npm (`npm run demo`) the checkout's own `npx tws-risk` works where npm did. Run as `node
 * bin/tws-risk` from a checkout, neither exists for sure (npx only finds this package from inside it): say what ran,
 * the same node and the shim's path from the working directory, so the line works where it is printed.
 */
export function selfCommand(ctx: Partial<SelfContext> = {}): string {
  const env = ctx.env ?? process.env;
  const script = 'script' in ctx ? ctx.script : process.argv[1];
  const npx = 'npx tws-risk';
  if (!script) return npx;
  const me = real(script);
  if (me === undefined) return npx;
  if (onPath(env, 'tws-risk') === me) return 'tws-risk';
  if (env.npm_lifecycle_event !== undefined || env.npm_command !== undefined) return npx;
  const cwd = ctx.cwd ?? process.cwd();
  const execPath = ctx.execPath ?? process.execPath;
  const rel = relative(cwd, script);
  const shown = rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : script;
  // The node on PATH may be another version (the shim's shebang would find it too): name the one that ran, unless it is that.
  const node = onPath(env, 'node') === real(execPath) ? 'node' : execPath;
  return `${shellWord(node)} ${shellWord(shown)}`;
}

function real(p: string): string | undefined {
  try {
    return realpathSync(p);
  } catch {
    return undefined;
  }
}

/** The real path of the first `name` on PATH, as a shell would find it. */
function onPath(env: NodeJS.ProcessEnv, name: string): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const found = real(join(dir, name));
    if (found !== undefined) return found;
  }
  return undefined;
}

/** A path a POSIX shell reads back as one word: quoted when it holds anything beyond the plain characters. */
/**
 * "check it with: tws-risk verify FILE", with the file itself when there is one: a literal FILE after the path was just
 * printed left the user to copy the path in by hand.
 */
export function verifyHint(self: string, files: readonly string[]): string {
  return `check it with: ${self} verify ${files.length === 1 ? shellWord(files[0]!) : 'FILE'}`;
}

export function shellWord(s: string): string {
  return /^[\w./@%+=:,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
