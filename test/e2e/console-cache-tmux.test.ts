// The console's own code cache (bin/tws-risk): made after a run, taken by the next, remade when refused or stale, private,
// written under an unguessable name with nothing left behind by a failed write, and the command's old caches pruned.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { CONFIG_ENV, DATA_DIR_ENV } from '../../src/config/load.js';
import { waitFor } from '../sim/helpers.js';
import { hasTmux, ROOT, tmuxSuite } from '../support/tmux.js';

const server = tmuxSuite('console-cache', 'test/e2e/console-cache-tmux.test.ts');
const { dir, tmux, newSession, waitForScreen } = server;

const SAMPLE = resolve('recordings/sample-multicurrency.jsonl');
const SCRIPT = join(ROOT, 'dist', 'bundle', 'console', 'cli.script.js');
// Each run appends what the bin said about the console's code: which file, and whether V8 took the cache; and whether
// its cache was then written (or why not).
const REPORT = join(dir, 'console-code.jsonl');
const WRITES = join(dir, 'console-code-writes.jsonl');
const PRELOAD = join(dir, 'console-code.cjs');
writeFileSync(
  PRELOAD,
  [
    `const say = (f, o) => require('node:fs').appendFileSync(f, JSON.stringify(o) + '\\n');`,
    `process.on('tws-risk:console-code', (c) => say(${JSON.stringify(REPORT)}, c));`,
    `process.on('tws-risk:console-code-cached', (file) => say(${JSON.stringify(WRITES)}, { file }));`,
    `process.on('tws-risk:console-code-not-cached', (file, code) => say(${JSON.stringify(WRITES)}, { file, failed: code ?? 'unknown' }));`,
    '',
  ].join('\n'),
);
const writes = (): { file: string; failed?: string }[] =>
  existsSync(WRITES)
    ? readFileSync(WRITES, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { file: string; failed?: string })
    : [];
const reports = (): { file: string; cache: string }[] =>
  existsSync(REPORT)
    ? readFileSync(REPORT, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { file: string; cache: string })
    : [];

let runs = 0;
/**
 * `tws-risk replay` in a terminal to its first frame with the recording's verification, kept open until `until` (if
 * given) resolves, then closed; what the bin said.
 */
async function replay(env: Record<string, string>, until?: () => Promise<unknown>): Promise<{ file: string; cache: string } | undefined> {
  const session = `r${++runs}`;
  const before = reports().length;
  newSession(
    session,
    {
      columns: 100,
      rows: 30,
      env: Object.entries({ ...env, [CONFIG_ENV]: join(dir, 'none.json'), [DATA_DIR_ENV]: join(dir, 'data') }).map(([k, v]) => `${k}=${v}`),
    },
    `node --require ${PRELOAD} bin/tws-risk replay ${SAMPLE}`,
  );
  await waitForScreen(session, (s) => /Sealed and verified: 94 events/.test(s), 'the replay with its verification');
  // The bin says it before the console draws anything: none said by the first frame is none at all.
  const said = reports()[before];
  await until?.();
  tmux('kill-session', '-t', session);
  return said;
}

const cacheFiles = (cacheDir: string) => (existsSync(cacheDir) ? readdirSync(cacheDir).filter((n) => /^console-replay-.*\.v8$/.test(n)) : []);

describe("the console's code cache", () => {
  it.skipIf(!hasTmux)(
    'is written after a run (private), taken by the next, and made again when V8 refuses it or it was made from other code',
    async () => {
      const cacheDir = join(dir, 'v8');
      const env = { NODE_COMPILE_CACHE: cacheDir };
      // No cache yet: the console compiles, and writes one once it has run for a while (or as it exits).
      const written = () => waitFor(() => (cacheFiles(cacheDir).length === 1 ? cacheFiles(cacheDir) : undefined), 30_000, 'the cache file');
      expect(await replay(env, written)).toEqual({ file: SCRIPT, cache: 'none' });
      const [name] = await written();
      const file = join(cacheDir, name!);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(name).toContain(process.version);
      // The next start takes it.
      expect((await replay(env))?.cache).toBe('accepted');

      // Damaged past the CRC of the code it was made from: V8 refuses it, the console still opens, and a new one is written.
      const good = readFileSync(file);
      const damaged = Buffer.from(good);
      for (let i = 4; i < 36; i++) damaged[i] = damaged[i]! ^ 0xff;
      writeFileSync(file, damaged);
      const rewritten = (from: Buffer) => () => waitFor(() => !readFileSync(file).equals(from), 30_000, 'the cache to be written again');
      expect((await replay(env, rewritten(damaged)))?.cache).toBe('rejected');
      expect((await replay(env))?.cache).toBe('accepted');

      // A cache made from other code (its CRC differs from the file's) is never handed to V8, however V8 would take it.
      const other = Buffer.from(readFileSync(file));
      other.writeUInt32LE((other.readUInt32LE(0) + 1) >>> 0, 0);
      writeFileSync(file, other);
      expect((await replay(env, rewritten(other)))?.cache).toBe('none');
      expect(cacheFiles(cacheDir)).toEqual([name]);
      expect((await replay(env))?.cache).toBe('accepted');
    },
    180_000,
  );

  it.skipIf(!hasTmux)(
    "leaves no temporary file when its write fails, and writing one prunes the command's caches unused for 30 days, keeping 3 others",
    async () => {
      const cacheDir = join(dir, 'v8-prune');
      mkdirSync(cacheDir, { recursive: true, mode: 0o700 });
      const env = { NODE_COMPILE_CACHE: cacheDir };
      const ours = join(cacheDir, `console-replay-${process.version}-${process.arch}-${(crc32(SCRIPT) >>> 0).toString(16)}.v8`);
      const DAY = 86_400_000;
      const aged = (file: string, days: number) => {
        const at = new Date(Date.now() - days * DAY);
        utimesSync(file, at, at);
      };
      const seed = (name: string, days: number) => {
        writeFileSync(join(cacheDir, name), 'not a cache', { mode: 0o600 });
        aged(join(cacheDir, name), days);
      };
      // Other checkouts and Node versions of the same command, by when they were last used; a writer that died; another
      // command's cache (its own runs prune it).
      seed('console-replay-v22.12.0-x64-0a0a0a0a.v8', 40);
      seed('console-replay-v24.1.0-x64-1b1b1b1b.v8', 1);
      seed('console-replay-v24.1.0-x64-2c2c2c2c.v8', 2);
      seed('console-replay-v24.1.0-x64-3d3d3d3d.v8', 3);
      seed('console-replay-v24.1.0-x64-4e4e4e4e.v8', 4);
      seed('console-replay-v24.1.0-x64-1b1b1b1b.v8.5f5f5f5f5f5f5f5f5f5f5f5f.tmp', 2);
      seed('console-demo-v22.12.0-x64-0a0a0a0a.v8', 40);
      // The console's files only: Node's own compile cache keeps a dir of its own beside them.
      const listed = () =>
        readdirSync(cacheDir)
          .filter((n) => n.startsWith('console-'))
          .sort();
      const seeded = listed();
      const wrote = (n: number) => () => waitFor(() => (writes().filter((w) => w.file === ours).length >= n ? true : undefined), 30_000, 'the write');

      // (a) The write fails (a directory stands where the cache goes): its temporary file is removed, nothing is pruned.
      mkdirSync(ours);
      writeFileSync(join(ours, 'in the way'), '');
      expect((await replay(env, wrote(1)))?.cache).toBe('none');
      expect(writes().filter((w) => w.file === ours)).toEqual([{ file: ours, failed: expect.stringMatching(/^E/) as unknown }]);
      expect(listed()).toEqual([...seeded, ours.slice(cacheDir.length + 1)].sort());

      // (b) Written: private, whole, under its own name; the command's cache unused for 40 days, the oldest beyond the
      // three newest others and the dead writer's file are gone; the other command's cache stays.
      rmSync(ours, { recursive: true });
      expect((await replay(env, wrote(2)))?.cache).toBe('none');
      expect(writes().filter((w) => w.file === ours)).toEqual([{ file: ours, failed: expect.any(String) as unknown }, { file: ours }]);
      expect(statSync(ours).mode & 0o777).toBe(0o600);
      expect(listed()).toEqual(
        [
          ours.slice(cacheDir.length + 1),
          'console-replay-v24.1.0-x64-1b1b1b1b.v8',
          'console-replay-v24.1.0-x64-2c2c2c2c.v8',
          'console-replay-v24.1.0-x64-3d3d3d3d.v8',
          'console-demo-v22.12.0-x64-0a0a0a0a.v8',
        ].sort(),
      );

      // (c) A cache in use counts as used: taken 40 days after it was written, it is touched, so no other write prunes it.
      aged(ours, 40);
      const touched = () => waitFor(() => (Date.now() - statSync(ours).mtimeMs < DAY ? true : undefined), 30_000, 'the cache touched');
      expect((await replay(env, touched))?.cache).toBe('accepted');
    },
    180_000,
  );

  it.skipIf(!hasTmux)('is not used under TWS_RISK_DEBUG, where the console starts as the ES module, whose source maps Node reads', async () => {
    const cacheDir = join(dir, 'v8-debug');
    expect(await replay({ NODE_COMPILE_CACHE: cacheDir, TWS_RISK_DEBUG: '1' })).toBeUndefined();
    expect(cacheFiles(cacheDir)).toEqual([]);
  });

  it.skipIf(!hasTmux)("is neither read nor written under Node's NODE_DISABLE_COMPILE_CACHE=1", async () => {
    const cacheDir = join(dir, 'v8-off');
    expect(await replay({ NODE_COMPILE_CACHE: cacheDir, NODE_DISABLE_COMPILE_CACHE: '1' })).toEqual({ file: SCRIPT, cache: 'none' });
    expect(cacheFiles(cacheDir)).toEqual([]);
  });
});
