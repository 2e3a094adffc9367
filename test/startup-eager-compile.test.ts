// The bundle's eager-compile marking (scripts/eager-compile.ts): same behaviour, functions parenthesised, source map still true.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { SourceMap, type SourceMapPayload } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, transform } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { loadParser, markEager } from '../scripts/eager-compile.js';

const dir = mkdtempSync(join(tmpdir(), 'tws-risk-eager-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// The shapes esbuild writes: a CommonJS module wrapper, arrows and function expressions as values and arguments,
// methods, accessors and classes (which cannot be marked), async and generator functions, names inferred from bindings.
const SOURCE = `
const __commonJS = (cb, mod) => function __require() { return mod || (0, cb[Object.keys(cb)[0]])((mod = { exports: {} }).exports, mod), mod.exports; };
const require_lib = __commonJS({
  "node_modules/lib/index.js"(exports, module) {
    module.exports = { triple: (x) => x * 3, label: function () { return "lib"; } };
  }
});
const double = (x) => x * 2;
const shout = function (s) { return s.toUpperCase() + "!"; };
const obj = {
  method(a) { return a + 1; },
  get size() { return 7; },
  arrow: (a) => a - 1,
};
class Counter {
  #n = 0;
  bump() { this.#n += 1; return this.#n; }
}
async function later(v) { return await Promise.resolve(v); }
const gen = function* () { yield 1; yield 2; };
const asyncArrow = async (v) => v * 10;
export const result = async () => {
  const lib = require_lib();
  const c = new Counter();
  c.bump();
  return {
    values: [double(4), shout("hi"), obj.method(1), obj.size, obj.arrow(5), c.bump(), await later(9), [...gen()], await asyncArrow(2), lib.triple(3), lib.label()],
    names: [double.name, shout.name, obj.arrow.name, asyncArrow.name],
    sorted: [3, 1, 2].sort((a, b) => a - b),
  };
};
`;

async function compiled() {
  const r = await transform(SOURCE, {
    loader: 'js',
    format: 'esm',
    sourcemap: 'external',
    sourcefile: 'sample.js',
    minifyWhitespace: true,
    minifySyntax: true,
  });
  return { code: r.code, map: r.map };
}

async function run(code: string, name: string): Promise<unknown> {
  const file = join(dir, name);
  writeFileSync(file, code);
  const mod = (await import(pathToFileURL(file).href)) as { result: () => Promise<unknown> };
  return mod.result();
}

describe('markEager', () => {
  const parse = loadParser();

  it('finds its parser (acorn, installed with the linters)', () => {
    expect(parse).toBeDefined();
  });

  it('parenthesises function expressions, arrows and the CommonJS wrapper, and the module behaves the same', async () => {
    const { code, map } = await compiled();
    const marked = markEager(parse!, code, map);
    expect(marked.marked).toBeGreaterThan(8);
    expect(marked.code).not.toBe(code);
    // esbuild's per-module wrapper becomes a parenthesised function expression, the form V8 compiles eagerly.
    expect(marked.code).toContain('"node_modules/lib/index.js":(function(exports,module){');
    expect(marked.code).toMatch(/\(x=>x\*2\)/);
    expect(marked.code).toMatch(/\(function\(s\)\{/);
    const before = await run(code, 'before.mjs');
    const after = await run(marked.code, 'after.mjs');
    expect(after).toEqual(before);
    expect(after).toEqual({
      values: [8, 'HI!', 2, 7, 4, 2, 9, [1, 2], 20, 9, 'lib'],
      names: ['double', 'shout', 'arrow', 'asyncArrow'],
      sorted: [1, 2, 3],
    });
  });

  it('keeps the source map true: each token the map names maps to the same place in the source as before', async () => {
    const { code, map } = await compiled();
    const marked = markEager(parse!, code, map);
    // Every identifier or keyword that starts a mapping, with the source position the map gives it.
    const tokens = (text: string, mapText: string): string[] => {
      const sm = new SourceMap(JSON.parse(mapText) as SourceMapPayload);
      const out: string[] = [];
      text.split('\n').forEach((line, l) => {
        for (const m of line.matchAll(/[A-Za-z_$][\w$]*/g)) {
          const entry = sm.findEntry(l, m.index);
          if ('generatedColumn' in entry && entry.generatedLine === l && entry.generatedColumn === m.index)
            out.push(`${m[0]}@${entry.originalLine}:${entry.originalColumn}`);
        }
      });
      return out;
    };
    const before = tokens(code, map);
    expect(before.length).toBeGreaterThan(30);
    expect(tokens(marked.code, marked.map!)).toEqual(before);
  });

  it('marks only the functions of the sources it is told to, by the source map', async () => {
    writeFileSync(join(dir, 'kept.js'), 'import { other } from "./left.js";\nexport const kept = (x) => x * 2;\nexport const both = () => kept(other(1));\n');
    writeFileSync(join(dir, 'left.js'), 'export const other = (y) => y + 40;\nexport const unused = function () { return 0; };\n');
    const r = await build({
      entryPoints: [join(dir, 'kept.js')],
      bundle: true,
      write: false,
      format: 'esm',
      outfile: join(dir, 'out.js'),
      sourcemap: 'external',
      minifyWhitespace: true,
      treeShaking: false,
      logLevel: 'silent',
    });
    const code = r.outputFiles.find((f) => f.path.endsWith('.js'))!.text;
    const map = r.outputFiles.find((f) => f.path.endsWith('.map'))!.text;
    const marked = markEager(parse!, code, map, (source) => source.endsWith('kept.js'));
    expect(marked.code).toContain('kept=(x=>x*2)');
    expect(marked.code).toContain('both=(()=>');
    expect(marked.code).toContain('other=y=>y+40');
    expect(marked.code).toContain('unused=function(){');
    expect(marked.marked).toBe(2);
    const all = markEager(parse!, code, map);
    expect(all.code).toContain('other=(y=>y+40)');
    expect(markEager(parse!, code, map, () => false)).toEqual({ code, map, marked: 0 });
  });

  it('leaves code it cannot parse as it is', () => {
    const r = markEager(parse!, 'const x = (;', '{"version":3,"sources":[],"mappings":""}');
    expect(r).toEqual({ code: 'const x = (;', map: '{"version":3,"sources":[],"mappings":""}', marked: 0 });
  });
});
