// Start-up loads only what a command needs: --help, verify and replay --events never load the TWS client, RxJS, Ink or React.
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

/** The modules the built CLI loaded for these arguments (the child runs what `bin/tws-risk` runs). */
function modulesLoaded(...argv: string[]): string[] {
  const r = spawnSync(process.execPath, ['--import', pathToFileURL(HOOK).href, BIN, ...argv], {
    encoding: 'utf8',
    env: { ...process.env, TWS_RISK_CONFIG: join(dir, 'none.json') },
    timeout: 60_000,
  });
  const line = r.stderr.split('\n').find((l) => l.startsWith('MODULES '));
  if (!line) throw new Error(`no module list (exit ${r.status}): ${r.stderr}`);
  return JSON.parse(line.slice('MODULES '.length)) as string[];
}

const HEAVY = ['@stoqey/ib', 'rxjs', 'ink', 'react', 'conf', 'ajv'];
const packagesIn = (urls: string[]): Set<string> => new Set(urls.flatMap((u) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(u)?.[1] ?? []));

describe('start-up loads only what the command needs', () => {
  it('--help loads no package at all', () => {
    const mods = modulesLoaded('--help');
    expect(mods.some((u) => u.endsWith('/dist/src/cli.js'))).toBe(true);
    expect([...packagesIn(mods)]).toEqual([]);
  });

  it('verify and replay --events load decimal.js but not the TWS client, RxJS, Ink, React or conf', () => {
    for (const argv of [
      ['verify', SAMPLE],
      ['replay', SAMPLE, '--events', '--kind', 'alertChanged'],
    ]) {
      const pkgs = packagesIn(modulesLoaded(...argv));
      // The hook sees packages: decimal.js is what the recording reader does need.
      expect(pkgs.has('decimal.js'), argv.join(' ')).toBe(true);
      for (const p of HEAVY) expect(pkgs.has(p), `${argv.join(' ')} loaded ${p}`).toBe(false);
    }
  });

  it('the demo does load the TWS client: the check above can see it', () => {
    const pkgs = packagesIn(modulesLoaded('demo', '--once', '--no-record', '--start', '2026-03-02T14:30:00Z'));
    expect(pkgs.has('@stoqey/ib')).toBe(true);
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
