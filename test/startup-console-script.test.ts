// The one-file console as a script (scripts/console-script.ts): the module's behaviour, its lines kept, module-only code refused.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Script } from 'node:vm';
import { afterAll, describe, expect, it } from 'vitest';
import { BANNER } from '../scripts/bundle.js';
import { asConsoleScript } from '../scripts/console-script.js';
import { loadParser } from '../scripts/eager-compile.js';

const dir = mkdtempSync(join(tmpdir(), 'tws-risk-console-script-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const parse = loadParser()!;

// What the bundle holds: the banner, a lazily evaluated module (esbuild's __esm), import.meta, an export list.
const MODULE = `${BANNER}
var where = () => import.meta.url;
function resolved(name) { try { return import.meta.resolve(name); } catch { return 'unresolved'; } }
async function main(args) { await Promise.resolve(); return args.length * 2; }
const mode = function () { return this === undefined ? 'strict' : 'sloppy'; };
export{main,where as location,resolved,mode,__filename as file,require as req};
`;

describe('asConsoleScript', () => {
  it('runs as the module does, given import.meta, and keeps every line of the module at its length', async () => {
    const file = join(dir, 'cli.js');
    writeFileSync(file, MODULE);
    const asModule = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    const script = asConsoleScript(parse, MODULE, BANNER);
    if (!('code' in script)) throw new Error(script.problem);
    const url = pathToFileURL(file).href;
    const meta = {
      url,
      resolve: (s: string) => {
        throw new Error(`no ${s}`);
      },
    };
    const asScript = (new Script(script.code, { filename: file }).runInThisContext() as (m: typeof meta) => Record<string, unknown>)(meta);
    expect(Object.keys(asScript).sort()).toEqual(Object.keys(asModule).sort());
    expect(await (asScript.main as (a: string[]) => Promise<number>)(['a', 'b'])).toBe(4);
    expect((asScript.location as () => string)()).toBe((asModule.location as () => string)());
    expect((asScript.resolved as (n: string) => string)('no-such-package')).toBe('unresolved');
    // Strict, as a module is, whether or not the bundle says so.
    const detached = asScript.mode as () => string;
    expect(detached()).toBe('strict');
    expect(asScript.file).toBe(asModule.file);
    expect((asScript.req as NodeJS.Require).resolve('./cli.js')).toBe(file);
    // The module's source map serves the script: the same lines, each as long, after the banner's.
    const a = MODULE.split('\n');
    const b = script.code.split('\n');
    for (let i = BANNER.split('\n').length; i < a.length; i++) expect(b[i]!.length, `line ${i + 1}`).toBe(a[i]!.length);
  });

  it('refuses what only a module may hold: another import, a dynamic import, a top-level await, a default export', () => {
    const cases: [string, RegExp][] = [
      [`${BANNER}\nimport { x } from './x.js';\nexport{x};\n`, /a module declaration/],
      [`${BANNER}\nconst load = () => import('./x.js');\nexport{load};\n`, /a dynamic import/],
      [`${BANNER}\nconst v = await Promise.resolve(1);\nexport{v};\n`, /a top-level await/],
      [`${BANNER}\nexport default 1;\n`, /a module declaration/],
      [`const x = 1;\nexport{x};\n`, /banner/],
    ];
    for (const [code, problem] of cases) {
      const r = asConsoleScript(parse, code, BANNER);
      expect('problem' in r ? r.problem : 'converted', code).toMatch(problem);
    }
  });
});
