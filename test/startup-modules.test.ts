// Start-up loads only what a command needs, bundled or not: --help, verify and replay --events never load the TWS client, RxJS, Ink or React.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { GENESIS_HASH, SCHEMA_VERSION, hashFormOf, sealLine } from '../src/streams/recording/format.js';
import { runCli } from './support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'tws-risk-startup-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const BIN = resolve('bin/tws-risk');
const SAMPLE = resolve('recordings/sample-multicurrency.jsonl');
const BUNDLE = resolve('dist/bundle');

// A module hook in the child records every module it loads (ES and CommonJS alike) and prints them as it exits.
const HOOK = join(dir, 'modules-hook.mjs');
writeFileSync(
  HOOK,
  `import { registerHooks } from 'node:module';
const seen = new Set();
registerHooks({ load(url, ctx, next) { seen.add(url); return next(url, ctx); } });
process.on('exit', () => process.stderr.write('MODULES ' + JSON.stringify([...seen]) + '\\n'));
`,
);
// The unbundled build, started as the shim starts it when there is no bundle.
const SRC_ENTRY = join(dir, 'src-entry.mjs');
writeFileSync(
  SRC_ENTRY,
  `const cli = await import(${JSON.stringify(pathToFileURL(resolve('dist/src/cli.js')).href)});\nprocess.exitCode = await cli.main(process.argv.slice(2));\n`,
);

type Build = 'dist/src' | 'bundle';

/** The module URLs the CLI loaded for these arguments: the bundle through `bin/tws-risk`, or the unbundled dist/src. */
function modulesLoaded(build: Build, ...argv: string[]): string[] {
  return modulesWith(join(dir, 'none.json'), build, ...argv);
}

/** modulesLoaded with TWS_RISK_CONFIG naming `config` (a file, or none). */
function modulesWith(config: string, build: Build, ...argv: string[]): string[] {
  const r = spawnSync(process.execPath, ['--import', pathToFileURL(HOOK).href, build === 'bundle' ? BIN : SRC_ENTRY, ...argv], {
    encoding: 'utf8',
    env: { ...process.env, TWS_RISK_CONFIG: config },
    timeout: 60_000,
  });
  const line = r.stderr.split('\n').find((l) => l.startsWith('MODULES '));
  if (!line) throw new Error(`no module list (exit ${r.status}): ${r.stderr}`);
  return JSON.parse(line.slice('MODULES '.length)) as string[];
}

const HEAVY = ['@stoqey/ib', 'rxjs', 'ink', 'react', 'conf', 'ajv'];

/**
 * The packages behind the loaded modules: a file under node_modules names its package; a bundle chunk holds the
 * packages the build listed for it in dist/bundle/packages.json (esbuild's own account of its inputs).
 */
function packagesIn(urls: string[]): Set<string> {
  const chunks = JSON.parse(readFileSync(join(BUNDLE, 'packages.json'), 'utf8')) as Record<string, string[]>;
  const bundleUrl = pathToFileURL(BUNDLE).href + '/';
  return new Set(
    urls.flatMap((u) => {
      if (u.startsWith(bundleUrl)) {
        const pkgs = chunks[u.slice(bundleUrl.length)];
        if (!pkgs) throw new Error(`${u} is not in dist/bundle/packages.json: a stale bundle?`);
        return pkgs;
      }
      return /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(u)?.[1] ?? [];
    }),
  );
}

describe.each<[Build, string]>([
  ['dist/src', '/dist/src/cli.js'],
  ['bundle', '/dist/bundle/cli.js'],
])('start-up loads only what the command needs (%s)', (build, entry) => {
  it('--help loads no package at all', () => {
    const mods = modulesLoaded(build, '--help');
    expect(mods.some((u) => u.endsWith(entry))).toBe(true);
    expect([...packagesIn(mods)]).toEqual([]);
  });

  it('verify and replay --events load decimal.js but not the TWS client, RxJS, Ink, React or conf', () => {
    for (const argv of [
      ['verify', SAMPLE],
      ['replay', SAMPLE, '--events', '--kind', 'alertChanged'],
    ]) {
      const pkgs = packagesIn(modulesLoaded(build, ...argv));
      // The hook sees packages: decimal.js is what the recording reader does need.
      expect(pkgs.has('decimal.js'), argv.join(' ')).toBe(true);
      for (const p of HEAVY) expect(pkgs.has(p), `${argv.join(' ')} loaded ${p}`).toBe(false);
    }
  });

  it('the demo does load the TWS client: the check above can see it', () => {
    const pkgs = packagesIn(modulesLoaded(build, 'demo', '--once', '--no-record', '--start', '2026-03-02T14:30:00Z'));
    expect(pkgs.has('@stoqey/ib')).toBe(true);
  });
});

describe('the bundle', () => {
  it('runs the demo from its own chunks alone: no module from node_modules', () => {
    // ink-output-cache reaches Ink's Output by path; in the bundle that must be the bundled Ink, not a second copy.
    const mods = modulesLoaded('bundle', 'demo', '--once', '--no-record', '--start', '2026-03-02T14:30:00Z');
    expect(mods.filter((u) => u.includes('/node_modules/'))).toEqual([]);
    expect(mods.filter((u) => u.includes('/dist/bundle/')).length).toBeGreaterThan(1);
  });

  it('reads a settings file without a module from node_modules (conf and ajv, 170 modules, are gone)', () => {
    const settings = join(dir, 'settings.json');
    writeFileSync(settings, JSON.stringify({ ui: { maskAccount: true } }));
    const mods = modulesWith(settings, 'bundle', 'demo', '--once', '--no-record', '--start', '2026-03-02T14:30:00Z');
    expect(mods.filter((u) => u.includes('/node_modules/'))).toEqual([]);
  });
});

describe('verify checks without decoding', () => {
  it('still names the first event whose envelope is bad, with a chain that holds', async () => {
    // A writer bug, not tampering: the chain is intact, the event has no seq. verify must not call it valid.
    const lines = readFileSync(SAMPLE, 'utf8')
      .split('\n')
      .filter((l) => l !== '');
    const bodies = lines.map((l) => JSON.parse(l) as Record<string, unknown>).map(({ hash: _h, ...body }) => body);
    const i = bodies.findIndex((b) => b.kind === 'event' && (b.event as { type: string }).type === 'priceTicked');
    expect(i).toBeGreaterThan(0);
    const ev = { ...(bodies[i]!.event as Record<string, unknown>) };
    delete ev.seq;
    bodies[i] = { kind: 'event', event: ev };
    let prev = GENESIS_HASH;
    const out = bodies.slice(0, i + 1).map((b) => {
      const s = sealLine(prev, b, hashFormOf(SCHEMA_VERSION));
      prev = s.hash;
      return s.text;
    });
    const bad = join(dir, 'no-seq.jsonl');
    writeFileSync(bad, out.join('\n') + '\n');
    const r = await runCli('verify', bad);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${bad}:${i + 1}: bad event: event seq undefined is not a positive integer`);
  });
});
