// Whether the alert hook's program can run on this host: found (a bare name on PATH), a file, executable.
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';

/**
 * Where `program` resolves as spawn (no shell) would find it: a name with a slash is a path (relative to `cwd`), a
 * bare name is looked up on PATH. `undefined` when nothing there is an executable file.
 */
export function resolveProgram(program: string, env: NodeJS.ProcessEnv, cwd: string): { readonly found?: string; readonly why: string } {
  const runnable = (p: string): string | undefined => {
    try {
      if (!statSync(p).isFile()) return 'is not a file';
      accessSync(p, constants.X_OK);
      return undefined;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      return code === 'ENOENT' || code === 'ENOTDIR' ? 'does not exist' : code === 'EACCES' ? 'is not executable' : `cannot be run (${code ?? 'error'})`;
    }
  };
  if (program.includes('/') || isAbsolute(program)) {
    const path = resolve(cwd, program);
    const why = runnable(path);
    return why ? { why } : { found: path, why: '' };
  }
  const dirs = (env.PATH ?? '').split(delimiter).filter((d) => d !== '');
  let firstWhy: string | undefined;
  for (const d of dirs) {
    const path = resolve(cwd, join(d, program));
    const why = runnable(path);
    if (!why) return { found: path, why: '' };
    // A file of that name that cannot run says more than "not found" (spawn would fail on it with EACCES).
    if (why !== 'does not exist') firstWhy ??= `is found on PATH at ${path}, which ${why}`;
  }
  return { why: firstWhy ?? `is not found on PATH (${dirs.join(delimiter) || 'empty'})` };
}

/**
 * Warnings about `alerts.hook.command` (docs/alerts.md "Hook"): a program that does not exist, is not a file or is not
 * executable here, or whose name holds a space (hooks run without a shell, so `"page-me --tws"` is one program name).
 * Warnings, not refusals: the hook stays in force, since the program may be installed later on the target host; but a
 * hook that cannot start shows otherwise only at the first alert, when the page does not go out.
 */
export function hookProgramWarnings(command: readonly string[] | undefined, file: string, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string[] {
  const program = command?.[0];
  if (program === undefined) return [];
  const r = resolveProgram(program, env, cwd);
  if (r.found) return [];
  const at = `${file}: warning at alerts.hook.command: the hook program ${JSON.stringify(program)}`;
  const words = program.trim().split(/\s+/);
  if (words.length > 1) {
    // The name with a space does not resolve: almost surely a program and its arguments written as one string.
    const list = JSON.stringify([...words, ...(command ?? []).slice(1)]);
    return [`${at} ${r.why}; hooks run without a shell, so its name cannot hold arguments: give the program and its arguments as a list, "command": ${list}`];
  }
  return [`${at} ${r.why}; the hook cannot start, and each alert's page will fail (outcome spawnError) until it is installed`];
}
