// The bundle's grapheme stand-in for Ink's text packages (scripts/grapheme-fast-path.ts): Intl.Segmenter's segments.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import publishedWidth from 'string-width';
import { afterAll, describe, expect, it } from 'vitest';
import { SEGMENTER_LINES, segmenterSource, withGraphemeFastPath } from '../scripts/grapheme-fast-path.js';
import { TABLE_FROM, widthTable } from '../scripts/string-width-table.js';

interface SegmentLike {
  readonly segment: string;
  readonly index: number;
  readonly input: string;
}
interface SegmentsLike extends Iterable<SegmentLike> {
  containing(index?: number): SegmentLike | undefined;
}
type Graphemes = (options: Intl.SegmenterOptions) => { segment(s: string): SegmentsLike };

const root = join(import.meta.dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'tws-risk-graphemes-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const table = widthTable(publishedWidth as (s: string) => number);

/** The stand-in as the bundle writes it into each package, loaded as a module of its own. */
async function standIn(name: string): Promise<Graphemes> {
  const file = join(dir, `${name}.mjs`);
  writeFileSync(file, `${segmenterSource(table)}\nexport { twsRiskGraphemes };\n`);
  return ((await import(pathToFileURL(file).href)) as { twsRiskGraphemes: Graphemes }).twsRiskGraphemes;
}

const plain = (xs: Iterable<SegmentLike> | undefined) =>
  xs === undefined ? undefined : [...xs].map(({ segment, index, input }) => ({ segment, index, input }));
const one = (x: SegmentLike | undefined) => (x === undefined ? undefined : { segment: x.segment, index: x.index, input: x.input });

/** Fails with the text when the stand-in's segments, or any containing(i), differ from Intl.Segmenter's. */
function same(graphemes: Graphemes, s: string): void {
  const real = new Intl.Segmenter(undefined, { granularity: 'grapheme' }).segment(s);
  const ours = graphemes({ granularity: 'grapheme' }).segment(s);
  const a = JSON.stringify(plain(ours));
  const b = JSON.stringify(plain(real));
  if (a !== b) expect.fail(`${JSON.stringify(s)}: ${a} against ${b}`);
  for (let i = -1; i <= s.length; i++) {
    const x = JSON.stringify(one(ours.containing(i)));
    const y = JSON.stringify(one(real.containing(i)));
    if (x !== y) expect.fail(`${JSON.stringify(s)} containing(${i}): ${x} against ${y}`);
  }
}

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

describe('grapheme stand-in (the bundle)', () => {
  it('applies to each installed package that makes a segmenter as it loads, and the console bundle carries it', () => {
    // Where Ink's own imports find them (their package exports hide these files from a resolver).
    const modules = join(root, 'node_modules');
    const files = [
      join(modules, '@alcalzone', 'ansi-tokenize', 'build', 'tokenize.js'),
      join(modules, 'slice-ansi', 'tokenize-ansi.js'),
      join(modules, 'wrap-ansi', 'index.js'),
      join(modules, 'ink', 'build', 'line-update.js'),
    ];
    for (const file of files) {
      const edit = SEGMENTER_LINES.find((l) => l.file.test(file));
      expect(edit, file).toBeDefined();
      const edited = withGraphemeFastPath(readFileSync(file, 'utf8'), edit!.eager, edit!.lazy, table);
      expect(edited, file).toBeDefined();
      // The only segmenter left is the stand-in's own, made at a first use that needs it.
      expect(edited!.split('new Intl.Segmenter(').length - 1, file).toBe(1);
    }
    const bundle = readFileSync(join(root, 'dist', 'bundle', 'console', 'cli.js'), 'utf8');
    // esbuild numbers the names that several packages share (twsRiskAlone2...).
    expect(bundle.match(/twsRiskAlone\d*\.test\(/g)?.length).toBe(files.length);
  });

  it('is refused where a package uses its segmenter other than through segment()', () => {
    const [edit] = SEGMENTER_LINES;
    const src = `import x from "y";\n${edit!.eager}const s = segmenter.segment("a");\n`;
    expect(withGraphemeFastPath(src, edit!.eager, edit!.lazy, table)).toBeDefined();
    expect(withGraphemeFastPath(`${src}const r = segmenter.resolvedOptions();\n`, edit!.eager, edit!.lazy, table)).toBeUndefined();
    expect(withGraphemeFastPath(src.replace(edit!.eager, ''), edit!.eager, edit!.lazy, table)).toBeUndefined();
  });

  it('makes no segmenter for plain text, and one, once, for text that needs it', async () => {
    const Real = Intl.Segmenter;
    const intl = Intl as { Segmenter: typeof Intl.Segmenter };
    let made = 0;
    intl.Segmenter = class extends Real {
      constructor(...args: ConstructorParameters<typeof Real>) {
        super(...args);
        made++;
      }
    };
    try {
      const g = (await standIn('lazy'))({ granularity: 'grapheme' });
      const text = '\u001b[1m─│ a·b › 1,234\u001b[22m\n\t║';
      expect([...g.segment(text)].length).toBe(text.length);
      expect(made).toBe(0);
      expect([...g.segment('e\u0301')].map((x) => x.segment)).toEqual(['e\u0301']);
      expect([...g.segment('👍🏽 ok')].length).toBe(4);
      expect(made).toBe(1);
    } finally {
      intl.Segmenter = Real;
    }
  });

  it("gives Intl's segments for every character the table holds, alone and among others", async () => {
    const g = await standIn('every');
    for (let i = 0; i < table.length; i++) {
      if (table[i] === 'x') continue;
      const c = String.fromCodePoint(TABLE_FROM + i);
      for (const s of [c, `a${c}b`, `${c}${c}`, `\u001b[31m${c}\u001b[39m`, `${c}\n${c}`, `${c}\u0301`, `${c}\ufe0f`, `${c}\u200d${c}`, `${c}\r\n`]) same(g, s);
    }
  });

  it("gives Intl's segments for mixed texts", async () => {
    const g = await standIn('mixed');
    const pool = [
      ...'aZ 9─│┼·›−…•▶◆■×±≤≥→✓⚠§éЖ€⌚☔⏩ÆĀ©',
      ...['\u0301', '\u200d', '\ufe0f', '\ufe0e', '\u1100', '\u1161', '\u11a8', '한', '中', '😀', '🇺', '🇸', '\t', '\r', '\n', '\u00ad'],
      ...['\u001b[1m', '\u001b[0m', '\u001b]8;;https://example.com\u0007', '\u009b', '\u0085'],
    ];
    const next = lcg(7);
    for (let i = 0; i < 20_000; i++) {
      let s = '';
      for (let n = 1 + Math.floor(next() * 10); n > 0; n--) s += pool[Math.floor(next() * pool.length)];
      same(g, s);
    }
  });
});
