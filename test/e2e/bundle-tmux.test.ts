// The bundled CLI, as bin/tws-risk runs it: --help, verify, and the demo console's first frame in a real terminal.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONFIG_ENV, DATA_DIR_ENV } from '../../src/config/load.js';
import { T0 } from '../sim/helpers.js';
import { ensureBuilt, exitStatus, hasTmux, ROOT, tmuxServer } from '../support/tmux.js';

const server = tmuxServer('bundle');
const { dir, newSession, freshUser, waitForScreen, press } = server;
if (!hasTmux) console.warn('test/e2e/bundle-tmux.test.ts: the console case skipped because tmux is not installed (on PATH); .ci/run installs it');

const BUNDLE = join(ROOT, 'dist', 'bundle');
const SAMPLE = resolve('recordings/sample-multicurrency.jsonl');
// Each child lists the modules it loaded as it exits, so a test can tell the bundle from dist/src by what ran.
const HOOK = join(dir, 'modules-hook.mjs');
writeFileSync(
  HOOK,
  `import { registerHooks } from 'node:module';
const seen = new Set();
registerHooks({ load(url, ctx, next) { seen.add(url); return next(url, ctx); } });
// The one-file console runs as a script, not a module (bin/tws-risk): the bin says which file it ran.
let consoleCode = null;
process.on('tws-risk:console-code', (c) => { consoleCode = c; });
process.on('exit', () => {
  process.stderr.write('CONSOLE ' + JSON.stringify(consoleCode) + '\\n');
  process.stderr.write('MODULES ' + JSON.stringify([...seen]) + '\\n');
  process.stderr.write('BUILTINS ' + JSON.stringify(process.moduleLoadList) + '\\n');
});
`,
);
const modules = (stderr: string): string[] => {
  const line = stderr.split('\n').find((l) => l.startsWith('MODULES '));
  if (!line) throw new Error(`no module list in: ${stderr}`);
  return JSON.parse(line.slice('MODULES '.length)) as string[];
};
const fromBundle = (urls: string[]) => urls.filter((u) => u.startsWith(pathToFileURL(BUNDLE).href + '/'));
const chunkPackages = (): Record<string, string[]> => JSON.parse(readFileSync(join(BUNDLE, 'packages.json'), 'utf8')) as Record<string, string[]>;

beforeAll(() => ensureBuilt(), 120_000);
afterAll(() => {
  if (hasTmux) server.kill();
  rmSync(dir, { recursive: true, force: true });
});

function bin(...argv: string[]) {
  return spawnSync(process.execPath, ['--import', pathToFileURL(HOOK).href, join(ROOT, 'bin', 'tws-risk'), ...argv], {
    encoding: 'utf8',
    env: { ...process.env, [CONFIG_ENV]: join(dir, 'none.json'), [DATA_DIR_ENV]: join(dir, 'data') },
    timeout: 60_000,
  });
}

describe('the bundled CLI', () => {
  it('is what bin/tws-risk runs, and --help is its entry alone: none of the console chunks', () => {
    const r = bin('--help');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^tws-risk \d+\.\d+\.\d+: a terminal risk console/);
    expect(r.stdout).toContain('demo');
    const loaded = fromBundle(modules(r.stderr));
    expect(loaded[0]).toBe(pathToFileURL(join(BUNDLE, 'cli.js')).href);
    // Not one file of dist/src: the shim chose the bundle.
    expect(modules(r.stderr).filter((u) => u.includes('/dist/src/'))).toEqual([]);
    const chunks = chunkPackages();
    const inkChunks = Object.keys(chunks).filter((c) => chunks[c]!.some((p) => p === 'ink' || p === 'react'));
    expect(inkChunks.length).toBeGreaterThan(0);
    for (const u of loaded) expect(inkChunks.map((c) => pathToFileURL(join(BUNDLE, c)).href)).not.toContain(u);
  });

  it('verifies a recording', () => {
    const r = bin('verify', SAMPLE);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`VALID ${SAMPLE}`);
    expect(r.stdout).toMatch(/\d+ events \(seq 1-\d+\), \d+ keyframes/);
    expect(fromBundle(modules(r.stderr)).length).toBeGreaterThan(1);
  });

  it("holds React's production build and RxJS's ES build only, with its functions marked for eager compilation", () => {
    const chunkDir = join(BUNDLE, 'chunks');
    const maps = readdirSync(chunkDir).filter((n) => n.endsWith('.js.map'));
    const sources = maps.flatMap((n) => (JSON.parse(readFileSync(join(chunkDir, n), 'utf8')) as { sources: string[] }).sources);
    expect(sources.some((s) => s.includes('node_modules/react-reconciler/cjs/react-reconciler.production'))).toBe(true);
    expect(sources.filter((s) => /\.development\.js$/.test(s))).toEqual([]);
    expect(sources.some((s) => s.includes('node_modules/rxjs/dist/esm/'))).toBe(true);
    expect(sources.filter((s) => s.includes('node_modules/rxjs/dist/cjs/'))).toEqual([]);
    // scripts/eager-compile.ts: esbuild's CommonJS wrappers (here @stoqey/ib's) as parenthesised function expressions.
    const chunks = readdirSync(chunkDir).filter((n) => n.endsWith('.js'));
    const wrapped = chunks.filter((n) => /__commonJS\(\{"[^"]+":\(function\(/.test(readFileSync(join(chunkDir, n), 'utf8')));
    expect(wrapped.some((n) => chunkPackages()[`chunks/${n}`]!.includes('@stoqey/ib'))).toBe(true);
  });

  it("marks for eager compilation the console file's own modules, not the commands it is never started for", () => {
    const text = readFileSync(join(BUNDLE, 'console', 'cli.js'), 'utf8');
    // esbuild's lazy-module wrappers, `"path"() {...}`, become `"path":(function() {...})` when marked.
    expect(text).toMatch(/"src\/commands\/console\.ts":\(function\(/);
    expect(text).toMatch(/"src\/views\/theme\.ts":\(function\(/);
    for (const other of ['guard', 'fleet', 'verify', 'report']) expect(text, other).toMatch(new RegExp(`"src/commands/${other}\\.ts"\\(\\)\\{`));
  });

  it('reads its version from the package.json above the bundle', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(bin('--version').stdout.trim()).toContain(pkg.version);
  });

  it('says which shipped scenarios exist: scenarios/ is found from the bundle', () => {
    const r = bin('demo', '--scenario', 'no-such-scenario', '--no-record');
    expect(r.status).toBe(2);
    const shipped = readdirSync(join(ROOT, 'scenarios'))
      .filter((n) => n.endsWith('.json'))
      .map((n) => n.slice(0, -'.json'.length));
    expect(shipped.length).toBeGreaterThan(0);
    expect(r.stderr).toContain(`not a shipped scenario (${shipped.sort().join(', ')})`);
  });

  it("keeps V8's compile cache in the user's cache dir, private to the user", () => {
    const cache = join(dir, 'xdg-cache');
    const env: NodeJS.ProcessEnv = { ...process.env, XDG_CACHE_HOME: cache, [CONFIG_ENV]: join(dir, 'none.json') };
    delete env.NODE_COMPILE_CACHE;
    delete env.NODE_DISABLE_COMPILE_CACHE;
    const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'tws-risk'), 'verify', SAMPLE], { encoding: 'utf8', env, timeout: 60_000 });
    expect(r.status).toBe(0);
    const v8 = join(cache, 'tws-risk', 'v8');
    expect(statSync(v8).mode & 0o777).toBe(0o700);
    // Node writes the cache as the process exits: one directory per Node version, holding the compiled chunks.
    const entries = readdirSync(v8, { recursive: true });
    expect(entries.length).toBeGreaterThan(1);
    // NODE_DISABLE_COMPILE_CACHE is Node's own switch: the shim honours it and creates nothing.
    const off = join(dir, 'xdg-cache-off');
    const r2 = spawnSync(process.execPath, [join(ROOT, 'bin', 'tws-risk'), '--help'], {
      encoding: 'utf8',
      env: { ...env, XDG_CACHE_HOME: off, NODE_DISABLE_COMPILE_CACHE: '1' },
      timeout: 60_000,
    });
    expect(r2.status).toBe(0);
    expect(existsSync(off)).toBe(false);
  });

  it('runs without the cache, promptly, where the cache dir cannot be made', () => {
    const file = join(dir, 'not-a-dir');
    writeFileSync(file, '');
    const homes: NodeJS.ProcessEnv[] = [
      { XDG_CACHE_HOME: file },
      // A parent under which Node's recursive mkdir loops for ever: the shim must not hang there.
      ...(process.platform === 'linux' ? [{ XDG_CACHE_HOME: '', HOME: '/proc/no-such-home' }] : []),
    ];
    for (const home of homes) {
      const env: NodeJS.ProcessEnv = { ...process.env, ...home, [CONFIG_ENV]: join(dir, 'none.json') };
      delete env.NODE_COMPILE_CACHE;
      const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'tws-risk'), 'verify', SAMPLE], { encoding: 'utf8', env, timeout: 60_000 });
      expect(r.status, JSON.stringify(home)).toBe(0);
      expect(r.stdout).toContain(`VALID ${SAMPLE}`);
      expect(r.stderr).toBe('');
    }
  });

  it.skipIf(!hasTmux)(
    'draws the demo console in a terminal from the one-file bundle: Ink, React and yoga bundled, nothing from node_modules, no fetch',
    async () => {
      const err = join(dir, 'demo-stderr.txt');
      const exitFile = join(dir, 'demo-exit.txt');
      newSession(
        'demo',
        {
          columns: 100,
          rows: 30,
          // Ink's React DevTools switch, set for other reasons in many shells: the bundled console must not mind it.
          // No settings file (a new user's): the settings loader and its schema validator (conf, ajv) are then never
          // loaded; a --config or TWS_RISK_CONFIG that names a file loads them from node_modules.
          env: [...freshUser().filter((e) => !e.startsWith(`${CONFIG_ENV}=`)), `${CONFIG_ENV}=${join(dir, 'no-settings.json')}`, 'DEV=true'],
          exitFile,
        },
        `node --import ${pathToFileURL(HOOK).href} bin/tws-risk demo --start ${T0} --seed 1 --speed 1 --no-record 2>${err}`,
      );
      const screen = await waitForScreen('demo', (s) => /READY/.test(s) && /Positions/.test(s) && /AAPL/.test(s), 'the demo console with its positions');
      expect(screen).toMatch(/DU\d+/);
      expect(screen).not.toMatch(/Failed to load|DevTools|ENOENT/);
      await press('demo', 'q');
      expect(await exitStatus(exitFile)).toBe('exit 0');
      // Ink's console.warn goes to stderr, here the file.
      expect(readFileSync(err, 'utf8')).not.toMatch(/Failed to load|DevTools/);
      const loaded = modules(readFileSync(err, 'utf8'));
      // The Ink output cache reaches Ink's Output class by path: in the bundle that must be the bundled Ink, or the
      // console would load a second Ink from node_modules and the cache would patch the copy nobody draws with.
      expect(loaded.filter((u) => u.includes('/node_modules/'))).toEqual([]);
      // On a terminal the console starts from the one-file bundle of the CLI, not the split chunks (scripts/bundle.ts),
      // run as a script (scripts/console-script.ts): no module of the bundle is loaded.
      expect(fromBundle(loaded)).toEqual([]);
      const ran = JSON.parse(
        readFileSync(err, 'utf8')
          .split('\n')
          .find((l) => l.startsWith('CONSOLE '))!
          .slice('CONSOLE '.length),
      ) as { file: string };
      expect(ran.file).toBe(join(BUNDLE, 'console', 'cli.script.js'));
      const chunks = chunkPackages();
      const packages = new Set(chunks['console/cli.script.js']);
      for (const p of ['ink', 'react', 'yoga-layout', '@stoqey/ib', 'rxjs']) expect(packages.has(p), p).toBe(true);
      // yoga's wasm decoded without fetch(): Node's HTTP client (undici, a built-in) never loaded (scripts/bundle.ts).
      const builtins = JSON.parse(
        readFileSync(err, 'utf8')
          .split('\n')
          .find((l) => l.startsWith('BUILTINS '))!
          .slice('BUILTINS '.length),
      ) as string[];
      expect(builtins.some((m) => m.includes('internal/deps/undici'))).toBe(false);
      expect(builtins.some((m) => m.includes('node:net') || m.endsWith(' net'))).toBe(true);
    },
    90_000,
  );
});
