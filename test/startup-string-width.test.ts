// The bundle's string-width fast path (scripts/string-width-table.ts): the same widths as the published package.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import publishedWidth from 'string-width';
import { afterAll, describe, expect, it } from 'vitest';
import { TABLE_FROM, TABLE_TO, widthTable, withWidthTable } from '../scripts/string-width-table.js';

type Width = (s: string, o?: { ambiguousIsNarrow?: boolean; countAnsiEscapeCodes?: boolean }) => number;

const root = join(import.meta.dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'tws-risk-string-width-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const published = publishedWidth as Width;
const indexJs = createRequire(join(root, 'package.json')).resolve('string-width');
const source = readFileSync(indexJs, 'utf8');
const table = widthTable(published);

/** string-width with its index.js edited, bundled with its own imports as the product's bundle does. */
async function editedWith(t: string, name: string): Promise<Width> {
  const edited = withWidthTable(source, t);
  if (edited === undefined) throw new Error('the edit does not apply to the installed string-width');
  const outfile = join(dir, `${name}.mjs`);
  await build({
    stdin: { contents: "export { default } from 'string-width';", resolveDir: root, loader: 'js' },
    bundle: true,
    format: 'esm',
    platform: 'node',
    outfile,
    logLevel: 'silent',
    plugins: [{ name: 'edit', setup: (b) => b.onLoad({ filter: /[\\/]string-width[\\/]index\.js$/ }, () => ({ contents: edited, loader: 'js' })) }],
  });
  return ((await import(pathToFileURL(outfile).href)) as { default: Width }).default;
}

/** A seeded generator, so a failing mix can be found again. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

describe('string-width table (the bundle)', () => {
  it('applies to the installed string-width, and the product bundle carries it', () => {
    expect(withWidthTable(source, table)).toContain('twsRiskTableWidth(string)');
    const chunks = join(root, 'dist', 'bundle', 'chunks');
    const withTable = readdirSync(chunks).filter((f) => f.endsWith('.js') && readFileSync(join(chunks, f), 'utf8').includes('twsRiskTableWidth'));
    expect(withTable).toHaveLength(1);
  });

  it('leaves out combining marks, joiners, variation selectors, jamo and controls, and keeps the UI glyphs', () => {
    const at = (c: string) => table[c.codePointAt(0)! - TABLE_FROM];
    for (const c of ['\u0301', '\u200d', '\u200c', '\u1100', '\u1161', '\u11a8', '\u0903']) expect(at(c), c).toBe('x');
    for (const c of ['─', '│', '·', '›', '−', '…', '•', '▶', '◆', '×', '±', '≤', '→', '✓', '⚠', '§', 'é', 'Ж']) expect(at(c), c).toBe('1');
    expect(at('⌚')).toBe('2');
    expect(at('\u00ad')).toBe('0');
  });

  it('is the table that measures: a doctored entry shows in the result', async () => {
    const doctored = await editedWith(table.slice(0, 0x2500 - TABLE_FROM) + '2' + table.slice(0x2500 - TABLE_FROM + 1), 'doctored');
    expect(doctored('a─b')).toBe(4);
    expect(published('a─b')).toBe(3);
    // Not for text outside the table, nor for the wide reading of ambiguous characters.
    expect(doctored('─\u0301')).toBe(published('─\u0301'));
    expect(doctored('─', { ambiguousIsNarrow: false })).toBe(published('─', { ambiguousIsNarrow: false }));
  });

  it('makes its segmenter only when a text needs one, not as it loads', async () => {
    const Real = Intl.Segmenter;
    // Intl's members are writable at run time; TypeScript's lib declares them read-only.
    const intl = Intl as { Segmenter: typeof Intl.Segmenter };
    let made = 0;
    intl.Segmenter = class extends Real {
      constructor(...args: ConstructorParameters<typeof Real>) {
        super(...args);
        made++;
      }
    };
    try {
      const edited = await editedWith(table, 'lazy');
      expect(edited('a─b · c')).toBe(7);
      expect(made).toBe(0);
      expect(edited('e\u0301─')).toBe(published('e\u0301─'));
      expect(made).toBe(1);
    } finally {
      intl.Segmenter = Real;
    }
  });

  it('gives the published width for every table character, alone and between others', async () => {
    const edited = await editedWith(table, 'edited');
    for (let cp = TABLE_FROM; cp < TABLE_TO; cp++) {
      const c = String.fromCodePoint(cp);
      for (const s of [c, `a${c}b`, `${c}${c}`, `\u001b[31m${c}\u001b[39m`, `${c}\u0301`, `${c}\ufe0f`, `${c}\u200d${c}`]) {
        if (edited(s) !== published(s)) expect.fail(`U+${cp.toString(16)} in ${JSON.stringify(s)}: ${edited(s)} against ${published(s)}`);
      }
    }
  });

  it('gives the published width for mixed texts, with either option', async () => {
    const edited = await editedWith(table, 'mixed');
    const pool = [
      ...'aZ 9─│┼·›−…•▶◆■×±≤≥→✓⚠§éЖ€⌚☔⏩ÆĀ',
      '\u0301',
      '\u200d',
      '\ufe0f',
      '\ufe0e',
      '\u1100',
      '\u1161',
      '\u11a8',
      '한',
      '中',
      '😀',
      '🇺',
      '🇸',
      '\t',
      '\r',
      '\n',
      '\u00ad',
      '\u001b[1m',
      '\u001b[0m',
    ];
    const next = lcg(21);
    for (let i = 0; i < 20_000; i++) {
      let s = '';
      for (let n = 1 + Math.floor(next() * 8); n > 0; n--) s += pool[Math.floor(next() * pool.length)];
      for (const o of [undefined, { ambiguousIsNarrow: false }, { countAnsiEscapeCodes: true }]) {
        if (edited(s, o) !== published(s, o)) expect.fail(`${JSON.stringify(s)} ${JSON.stringify(o)}: ${edited(s, o)} against ${published(s, o)}`);
      }
    }
  });
});
