// Ink's rows drawn again only where they changed: same screen as Ink's own whole-grid get(), far fewer rows drawn.
import chalk, { Chalk } from 'chalk';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inkRowCache, plainCells, serialiserOf, shareInkOutputCaches } from '../../src/views/ink-output-cache.js';
import { importAnsiTokenize } from '../../src/views/ink-output.js';
import { bookState } from '../support/book.js';
import { Box } from 'ink';
import { useState } from 'react';
import { Text } from '../../src/views/components/Text.js';
import { TestStore, renderApp, renderTui, type Tui } from '../support/render-tui.js';

interface OutputProto {
  get(this: unknown): { output: string; height: number };
}

let proto: OutputProto;
let installedGet: OutputProto['get'];
/** Every frame: was the row-reusing text the same as Ink's own get() of the same writes? */
const checks: { same: boolean; cached: string; whole: string }[] = [];

const chalkLevel = chalk.level;

beforeAll(async () => {
  // In colour, so that the frames compared carry the escape codes that the Texts' transformers add.
  chalk.level = 2;
  expect(await shareInkOutputCaches()).toBe(true);
  const entry = createRequire(import.meta.url).resolve('ink');
  const mod = (await import(pathToFileURL(entry.replace(/index\.js$/, 'output.js')).href)) as { default: { prototype: OutputProto } };
  proto = mod.default.prototype;
  installedGet = proto.get;
  // Each frame is drawn twice from the same writes: with row reuse (what is shown), then whole, as Ink draws it.
  proto.get = function (this: unknown) {
    const cached = installedGet.call(this);
    inkRowCache.reuse = false;
    try {
      const whole = installedGet.call(this);
      checks.push({ same: cached.output === whole.output && cached.height === whole.height, cached: cached.output, whole: whole.output });
    } finally {
      inkRowCache.reuse = true;
    }
    return cached;
  };
});

afterAll(() => {
  chalk.level = chalkLevel;
  proto.get = installedGet;
});

type Cell = { type: 'char'; value: string; fullWidth: boolean; styles: unknown[] };

/** The ansi-tokenize that Ink draws with: its cells and their serialiser are what the fast paths must equal. */
async function tokenizer() {
  return (await importAnsiTokenize()) as {
    tokenize: (s: string) => unknown[];
    styledCharsFromTokens: (t: unknown[]) => Cell[];
    styledCharsToString: (c: Cell[]) => string;
    ansiCodesToString: (codes: readonly unknown[]) => string;
    diffAnsiCodes: (from: readonly unknown[], to: readonly unknown[]) => unknown[];
  };
}

describe('ink row cache', () => {
  let tui: Tui | undefined;
  afterAll(() => tui?.unmount());

  it('draws only the rows a moved mark changed, and every frame equals the whole-grid drawing, across a resize and an overlay', async () => {
    const store = new TestStore(bookState());
    tui = renderApp(store, { columns: 200, rows: 50 }, { theme: { name: 'dark', depth: '256', noColor: false } });
    await tui.waitForFrame((f) => f.includes('Positions') && f.includes('AAPL'), 'the console');

    const drawn0 = inkRowCache.rowsDrawn;
    const reused0 = inkRowCache.rowsReused;
    const moved = bookState({ prices: { aapl: '231.25' } });
    store.set({ state: moved, live: moved });
    await tui.waitForFrame((f) => f.includes('231.25'), 'the new AAPL mark');
    const drawn = inkRowCache.rowsDrawn - drawn0;
    const reused = inkRowCache.rowsReused - reused0;
    // One frame of 50 rows: the AAPL row, its totals and the figures that follow it, not the whole screen. Lines whose
    // words and styles did not change are not rendered again (components/Text.tsx), so their rows are reused too.
    expect(drawn + reused).toBe(50);
    expect(drawn).toBeGreaterThan(0);
    expect(drawn).toBeLessThanOrEqual(6);

    tui.resize(120, 40);
    await tui.waitForFrame((f) => f.split('\n').length === 40 && f.split('\n').every((l) => l.length <= 120), 'the 120x40 layout');
    await tui.write('?');
    await tui.waitForFrame((f) => /help/i.test(f), 'the help overlay');
    await tui.write('\u001B');
    tui.resize(200, 50);
    await tui.waitForFrame((f) => f.split('\n').length === 50 && f.includes('231.25'), 'the 200x50 layout again');

    expect(checks.length).toBeGreaterThan(4);
    const differing = checks.filter((c) => !c.same);
    expect(differing.map((c) => ({ cached: c.cached.split('\n'), whole: c.whole.split('\n') }))).toEqual([]);
  });

  it('places wide characters, clipped and overlapping, as Ink does, and reuses the writes of unchanged lines', async () => {
    // Two clipped columns side by side: wide characters cut by the clip's edge, and rows that change under them.
    let set: ((n: number) => void) | undefined;
    const lines = (n: number) => [`行 ${n} 日本語テキスト📈 wide`, `row ${n % 2 ? '漢字' : 'ab'} 表 ${'x'.repeat(n)}`, 'still 📈📈 unchanged 日本'];
    function Scene() {
      const [n, setN] = useState(0);
      set = setN;
      return (
        <Box flexDirection="row">
          <Box width={13} overflow="hidden" flexDirection="column">
            {lines(n).map((l, i) => (
              <Text key={i} wrap="truncate-end" color={i === 1 && n % 2 ? 'red' : 'green'}>
                {l}
              </Text>
            ))}
          </Box>
          <Box width={9} overflow="hidden" flexDirection="column" marginLeft={-1}>
            {lines(n + 1).map((l, i) => (
              <Text key={i}>{l}</Text>
            ))}
          </Box>
          <Box flexDirection="column">
            <Text>{`| ${n} 표`}</Text>
            {/* The same word in another colour every other frame: the write kept from the frame before must not be placed. */}
            <Text color={n % 2 ? 'cyan' : undefined}>same</Text>
          </Box>
        </Box>
      );
    }
    const checked = checks.length;
    const reused0 = inkRowCache.writesReused;
    const tui = renderTui(<Scene />, { columns: 40, rows: 8 });
    try {
      await tui.waitForFrame((f) => f.includes('| 0'), 'the first frame');
      for (let n = 1; n <= 6; n++) {
        set!(n);
        await tui.waitForFrame((f) => f.includes(`| ${n} `), `frame ${n}`);
        if (n === 3) {
          tui.resize(30, 8);
          await tui.waitForFrame((f) => f.split('\n').every((l) => l.length <= 30), 'the narrower terminal');
        }
      }
    } finally {
      tui.unmount();
    }
    const frames = checks.slice(checked);
    expect(frames.length).toBeGreaterThan(6);
    expect(frames.filter((c) => !c.same).map((c) => ({ cached: c.cached.split('\n'), whole: c.whole.split('\n') }))).toEqual([]);
    // The unchanged line's writes were placed from what the frame before prepared.
    expect(inkRowCache.writesReused - reused0).toBeGreaterThan(0);
    expect(frames.at(-1)!.whole).toContain('表');
    // Its colour alone changed a line, and the frames follow it (cyan at n = 5, none at n = 6, the last).
    expect(frames.some((c) => c.cached.includes('\u001B[36msame'))).toBe(true);
    expect(frames.at(-1)!.cached).toMatch(/(^|[^m])same/);
  });

  it("serialises cells as ansi-tokenize's styledCharsToString does, holes skipped, without its garbage", async () => {
    const tk = await tokenizer();
    // Given only the two functions it calls, so that the serialiser under test is the joined one, not styledCharsToString.
    const serialise = serialiserOf({ ansiCodesToString: tk.ansiCodesToString, diffAnsiCodes: tk.diffAnsiCodes })!;
    const c = new Chalk({ level: 3 });
    const texts = [
      '',
      'plain text   ',
      c.red('red') + ' plain ' + c.bold.dim('bold dim') + c.bold(' bold') + ' end',
      c.bgBlue.white(' on blue ') + c.underline.green('under') + c.inverse('inv'),
      ' ' + c.hex('#ff8800')('orange 24-bit') + c.bgHex('#001122')(' bg ') + '\u001B]8;;https://example.com\u0007link\u001B]8;;\u0007 after',
      c.yellow('all styled to the end'),
      c.dim('dim ') + c.bold('bold ') + c.dim.bold('both') + ' none',
    ];
    for (const text of texts) {
      const cells = tk.styledCharsFromTokens(tk.tokenize(text));
      expect(serialise(cells)).toBe(tk.styledCharsToString(cells));
      // Holes, as a grid's wide characters leave them, are dropped as Ink's filter drops them.
      const holed: (Cell | undefined)[] = cells.flatMap((cell, i) => (i % 3 === 1 ? [undefined, cell, undefined] : [cell]));
      expect(serialise(holed)).toBe(tk.styledCharsToString(cells));
    }
    // The pieces array is shared: a second call starts empty.
    expect(serialise(tk.styledCharsFromTokens(tk.tokenize('x')))).toBe('x');
  });

  it('makes the cells of a plain or SGR-styled line as the tokeniser does, and leaves every other line to it', async () => {
    const tk = await tokenizer();
    const serialiseInk = serialiserOf({ ansiCodesToString: tk.ansiCodesToString, diffAnsiCodes: tk.diffAnsiCodes })!;
    // Ink's getStyledChars (output.js 8.0), the cells the fast path stands in for.
    const ink = (line: string) => tk.styledCharsFromTokens(tk.tokenize(line)).filter((c) => !/^\p{Default_Ignorable_Code_Point}+$/u.test(c.value));
    // Every character the fast path takes, each alone and all in one line (so also each after another).
    const plain = Array.from({ length: 0x3000 }, (_, code) => String.fromCharCode(code)).filter((ch) => plainCells(ch) !== undefined);
    expect(plain.length).toBeGreaterThan(850);
    for (const ch of plain) expect(plainCells(ch), `U+${ch.charCodeAt(0).toString(16)}`).toEqual(ink(ch));
    for (const line of ['', plain.join(''), 'AAPL  231.25 −1.2% · 3 → 4 │ ▶ ✓ ⚠ …\n  second line ~|{}', ' \n\n ']) {
      expect(plainCells(line)).toEqual(ink(line));
    }
    // Styled as the console's Texts write them (lines of the demo), and the SGR forms the tokeniser splits or resets.
    const e = '\u001B[';
    const styled = [
      `${e}1m${e}48;5;45m${e}38;5;16m DEMO ${e}39m${e}49m${e}22m ${e}2m127.0.0.1:39395${e}22m DU1234567 ${e}2mUSD${e}22m ${e}38;5;76mREADY data 0s${e}39m`,
      `›${e}7mUS-T               ${e}27m ${e}7m${e}2mBOND ${e}22m${e}27m ${e}7mUSD${e}27m ${e}7m  50,000${e}27m`,
      ` ES 20260320 6300 C  ${e}2mFOP  ${e}22m ${e}38;5;196m      -3${e}39m      13.91 ${e}2m      −2,087${e}22m ↑ ± × …`,
      `${e}1;31mcompound${e}0m after reset ${e}38;2;10;20;30mtrue colour${e}m empty ${e}1m${e}2mbold dim${e}22m none`,
      `${e}4m${e}9munder strike${e}24m strike only${e}29m ${e}48;5;124m${e}38;5;255m alert ${e}49m${e}39m end unstyled`,
      `${e}31m${e}32m${e}33mlast colour wins${e}39m${e}1m`,
    ];
    for (const line of styled) {
      expect(plainCells(line), JSON.stringify(line)).toEqual(ink(line));
      // The serialiser's steps between interned styles are ansi-tokenize's, from its own cells.
      expect(serialiseInk(plainCells(line)!)).toBe(tk.styledCharsToString(ink(line)));
      expect(serialiseInk(plainCells(line)!)).toBe(tk.styledCharsToString(ink(line)));
    }
    // Escapes, other controls, tabs, carriage returns, wide, zero-width and combining characters, soft hyphens,
    // variation selectors: the tokeniser's.
    for (const line of [
      '\u001B]8;;https://example.com\u0007link\u001B]8;;\u0007',
      '\u001B[31',
      '\u001B[2J',
      '\u001Bc',
      'a\tb',
      'a\r\nb',
      '\u007F',
      '\u009B31m',
      'e\u0301',
      '表',
      '📈',
      'soft\u00ADhyphen',
      '\u0000',
      'a\u200Bb',
      '⚠\uFE0F',
      '◽',
      '✅',
    ]) {
      expect(plainCells(line), JSON.stringify(line)).toBe(undefined);
    }
  });
});
