// A private tmux server for end-to-end tests: the console run as a user runs it, keys pressed, screens captured.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { CONFIG_ENV, DATA_DIR_ENV } from '../../src/config/load.js';
import { waitFor } from '../sim/helpers.js';

/*
 * The console is spawned exactly as a user runs it (`node bin/tws-risk ...`, built dist, the project's Node first on
 * PATH) inside a private tmux server (its own socket, no user config), so these tests never touch the user's tmux.
 * `remain-on-exit` keeps the pane after the console exits, so the summary it prints on the normal screen can be read.
 */

export const ROOT = resolve('.');
const BIN = join(ROOT, 'node_modules', '.bin');
export const hasTmux = spawnSync('tmux', ['-V'], { encoding: 'utf8' }).status === 0;

function newestMtime(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  return Math.max(st.mtimeMs, ...readdirSync(path).map((e) => newestMtime(join(path, e))));
}

/** Builds dist and the bundle when any source is newer than either (npm ci builds both through `prepare`). */
export function ensureBuilt(): void {
  const env = { ...process.env, PATH: `${BIN}:${process.env.PATH ?? ''}` };
  const cli = join(ROOT, 'dist', 'src', 'cli.js');
  // bin/tws-risk runs the bundle when there is one: a stale bundle would test yesterday's code.
  const bundle = join(ROOT, 'dist', 'bundle', 'cli.js');
  // scripts/: the bundle's build and the edits it makes to packages (scripts/bundle.ts and what it imports).
  const newest = Math.max(newestMtime(join(ROOT, 'src')), newestMtime(join(ROOT, 'scripts')));
  const fresh = (f: string) => existsSync(f) && newest <= statSync(f).mtimeMs;
  if (fresh(cli) && fresh(bundle)) return;
  // Compared with the file's own earlier mtime, not with Date.now(): the suite may run under a faked clock
  // (faketime), while the file system stamps real times.
  const before = existsSync(cli) ? statSync(cli).mtimeMs : undefined;
  const r = spawnSync(join(BIN, 'tsc'), ['-p', 'tsconfig.build.json'], { cwd: ROOT, encoding: 'utf8', env });
  // tsc emits despite type errors; those fail `npm run typecheck` on their own, so only a missing output stops this test.
  if (!existsSync(cli) || statSync(cli).mtimeMs === before) throw new Error(`build failed:\n${r.stdout}${r.stderr}`);
  if (r.status !== 0) console.warn(`test/e2e: tsc reported type errors (the build was still written):\n${r.stdout}`);
  const b = spawnSync(process.execPath, [join(ROOT, 'dist', 'scripts', 'bundle.js')], { cwd: ROOT, encoding: 'utf8', env });
  if (b.status !== 0 || !existsSync(bundle)) throw new Error(`bundle failed:\n${b.stdout}${b.stderr}`);
}

export interface SessionOptions {
  readonly columns: number;
  readonly rows: number;
  /** NAME=value pairs set in the session, over the server's environment. */
  readonly env?: readonly string[];
  /**
   * A file the command's exit line ("exit N") goes to once it ends: tmux may take its time to reap a finished pane
   * (pane_dead_status stays empty), so the test reads the code from here (`exitStatus`).
   */
  readonly exitFile?: string;
}

export interface TmuxServer {
  /** A private temporary directory for the test's files. */
  readonly dir: string;
  readonly socket: string;
  readonly env: NodeJS.ProcessEnv;
  tmux(...args: string[]): string;
  /** Opens a detached session `session` running `command` (a shell line) in a terminal of the given size. */
  newSession(session: string, o: SessionOptions, command: string): void;
  /** The variables of a user with no settings file and a data directory of their own (`data`, under `dir`). */
  freshUser(data?: string): string[];
  capture(session: string): string;
  waitForScreen(session: string, predicate: (screen: string) => boolean, what: string, timeoutMs?: number): Promise<string>;
  /** Sends keys one by one, each as its own write (tmux names like Escape, Tab, Enter, BTab, Down are keys). */
  press(session: string, ...keys: string[]): Promise<void>;
  /** Arms trading from the palette with `code` (the account's last four characters), waiting for each step on screen. */
  arm(session: string, code: string): Promise<void>;
  kill(): void;
}

export function tmuxServer(name: string): TmuxServer {
  const dir = mkdtempSync(join(tmpdir(), `tws-risk-${name}-`));
  const socket = `tws-risk-${name}-${process.pid}`;
  const conf = join(dir, 'tmux.conf');
  writeFileSync(conf, 'set -g remain-on-exit on\nset -sg escape-time 10\nset -g status off\n');
  // The defaults, as settings: `--config DIR/none.json` names a file, and a --config naming no file is refused.
  writeFileSync(join(dir, 'none.json'), '{}');
  const env = { ...process.env, PATH: `${BIN}:${process.env.PATH ?? ''}` };
  const tmux = (...args: string[]): string => {
    const r = spawnSync('tmux', ['-L', socket, '-f', conf, ...args], { encoding: 'utf8', env });
    if (r.status !== 0) throw new Error(`tmux ${args.join(' ')} failed: ${r.stderr}`);
    return r.stdout;
  };
  const capture = (session: string) => tmux('capture-pane', '-p', '-J', '-t', session); // -J: a wrapped line reads as one
  const waitForScreen: TmuxServer['waitForScreen'] = async (session, predicate, what, timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const screen = capture(session);
      if (predicate(screen)) return screen;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; screen:\n${screen}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const press: TmuxServer['press'] = async (session, ...keys) => {
    for (const k of keys) {
      tmux('send-keys', '-t', session, k);
      await new Promise((r) => setTimeout(r, 80));
    }
  };
  return {
    dir,
    socket,
    env,
    tmux,
    newSession(session, o, command) {
      // Written whole by a rename: a waiter polling for the file could read it between the shell creating it and echo
      // writing it.
      const exit = o.exitFile ? `; echo "exit $?" > ${o.exitFile}.part && mv ${o.exitFile}.part ${o.exitFile}` : '';
      const vars = (o.env ?? []).flatMap((e) => ['-e', e]);
      tmux('new-session', '-d', '-s', session, '-x', String(o.columns), '-y', String(o.rows), ...vars, `${command}${exit}`);
    },
    freshUser: (data = 'data') => [`${DATA_DIR_ENV}=${join(dir, data)}`, `${CONFIG_ENV}=${join(dir, 'none.json')}`],
    capture,
    waitForScreen,
    press,
    async arm(session, code) {
      await press(session, ':');
      await waitForScreen(session, (s) => /^:/m.test(s), 'the palette line');
      await press(session, 'trade.arm', 'Enter');
      await waitForScreen(session, (s) => /Type the last four characters of the account id/.test(s), 'the arming dialog');
      await press(session, code, 'Enter');
      await waitForScreen(session, (s) => / ARMED \d/.test(s.split('\n')[0]!), 'ARMED in the status bar');
    },
    kill() {
      spawnSync('tmux', ['-L', socket, 'kill-server']);
    },
  };
}

/** The exit line a session's `exitFile` received ("exit 0"), once the command has ended. */
export function exitStatus(exitFile: string, what = 'the console to exit'): Promise<string> {
  return waitFor(() => existsSync(exitFile) && readFileSync(exitFile, 'utf8').trim(), 30_000, what);
}

/**
 * One test file's tmux server: the build checked before its tests, the server killed and its directory removed after
 * them (`close` first, for what the file opened beside it). Without tmux the file's tests skip, and it says so.
 */
export function tmuxSuite(name: string, file: string, close?: () => void | Promise<void>): TmuxServer {
  const server = tmuxServer(name);
  if (!hasTmux) console.warn(`${file}: skipped because tmux is not installed (on PATH); .ci/run installs it with apt-get`);
  beforeAll(() => {
    if (hasTmux) ensureBuilt();
  }, 120_000);
  afterAll(async () => {
    await close?.();
    if (hasTmux) server.kill();
    rmSync(server.dir, { recursive: true, force: true });
  });
  return server;
}
