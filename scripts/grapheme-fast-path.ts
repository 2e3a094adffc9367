// The bundle's edit of Ink's text packages: their grapheme segmenters, made at first use, skip ICU for plain text.
/*
 * Why: Ink's text packages (ansi-tokenize, slice-ansi, wrap-ansi, and Ink's own line-update) each make an
 * Intl.Segmenter as they load, and ansi-tokenize and slice-ansi segment the console's lines on its first frame. The
 * first segmenter of a process loads ICU's break rules: some 20 ms of CPU before the first frame, for text that is
 * all printable ASCII, box drawing and punctuation (docs/performance.md "Start-up, fourth pass").
 *
 * The stand-in below answers `segment(text)` itself when every character of the text is one whose grapheme cluster is
 * itself whatever surrounds it: printable ASCII, tab, line feed and ESC (controls are clusters of their own, UAX #29
 * GB4/GB5, but for CR LF, and CR is left out) and the
 * characters scripts/string-width-table.ts found so ("a" + c + "a" gives three clusters and c + c two; no combining
 * marks, joiners, variation selectors, regional indicators, jamo or controls). Such a text is one cluster per UTF-16
 * unit, so its segments are its characters, with the same `segment`, `index` and `input` as Intl's. Any other text
 * goes to a real Intl.Segmenter, made at its first use with the options the package gave. Only `segment()` and, on
 * its result, iteration and `containing()` are used by these packages, and those are what the stand-in has.
 * test/startup-graphemes.test.ts compares it with Intl.Segmenter on every such character and on mixed texts.
 */
import { TABLE_FROM } from './string-width-table.js';

/** A regex class body matching the characters that are always their own grapheme cluster, from string-width's table. */
export function aloneClass(table: string): string {
  const hex = (n: number) => `\\u${n.toString(16).padStart(4, '0')}`;
  let body = '\\u0009\\u000a\\u001b\\u0020-\\u007e';
  for (let i = 0; i < table.length;) {
    if (table[i] === 'x') {
      i++;
      continue;
    }
    let j = i;
    while (j + 1 < table.length && table[j + 1] !== 'x') j++;
    body += i === j ? hex(TABLE_FROM + i) : `${hex(TABLE_FROM + i)}-${hex(TABLE_FROM + j)}`;
    i = j + 1;
  }
  return body;
}

/** The stand-in's source: `twsRiskGraphemes(options)` returns an object whose `segment(text)` acts as Intl's. */
export function segmenterSource(table: string): string {
  return `
// tws-risk (scripts/grapheme-fast-path.ts): text of characters that are each their own grapheme cluster is segmented
// without ICU; any other text by an Intl.Segmenter made at its first use.
const twsRiskAlone = /^[${aloneClass(table)}]*$/;
class TwsRiskUnitSegments {
	constructor(input) {
		this.input = input;
	}
	containing(index = 0) {
		const i = Math.trunc(Number(index));
		if (!(i >= 0 && i < this.input.length)) return undefined;
		return {segment: this.input[i], index: i, input: this.input};
	}
	*[Symbol.iterator]() {
		const input = this.input;
		for (let i = 0; i < input.length; i++) yield {segment: input[i], index: i, input};
	}
}
function twsRiskGraphemes(options) {
	let real;
	return {
		segment(string) {
			const input = String(string);
			if (twsRiskAlone.test(input)) return new TwsRiskUnitSegments(input);
			real ??= new Intl.Segmenter(undefined, options);
			return real.segment(input);
		},
	};
}
`;
}

/** Each package file this edits: the line that makes its segmenter, and the stand-in that replaces it. */
export const SEGMENTER_LINES: readonly { readonly file: RegExp; readonly eager: string; readonly lazy: string }[] = [
  {
    file: /[\\/]@alcalzone[\\/]ansi-tokenize[\\/]build[\\/]tokenize\.js$/,
    eager: 'const segmenter = new Intl.Segmenter(undefined, { granularity: "grapheme" });\n',
    lazy: "const segmenter = twsRiskGraphemes({granularity: 'grapheme'});\n",
  },
  {
    file: /[\\/]slice-ansi[\\/]tokenize-ansi\.js$/,
    eager: "const GRAPHEME_SEGMENTER = new Intl.Segmenter(undefined, {granularity: 'grapheme'});\n",
    lazy: "const GRAPHEME_SEGMENTER = twsRiskGraphemes({granularity: 'grapheme'});\n",
  },
  { file: /[\\/]wrap-ansi[\\/]index\.js$/, eager: 'const segmenter = new Intl.Segmenter();\n', lazy: 'const segmenter = twsRiskGraphemes({});\n' },
  {
    file: /[\\/]ink[\\/]build[\\/]line-update\.js$/,
    eager: "const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });\n",
    lazy: "const segmenter = twsRiskGraphemes({granularity: 'grapheme'});\n",
  },
];

/**
 * The file with its segmenter replaced by the stand-in, or undefined when the file is not the one this edit knows (the
 * line is not there exactly once, or the name is used other than as `NAME.segment(`).
 */
export function withGraphemeFastPath(source: string, eager: string, lazy: string, table: string): string | undefined {
  const at = source.indexOf(eager);
  if (at === -1 || source.indexOf(eager, at + 1) !== -1) return undefined;
  const name = /^const (\w+) =/.exec(eager)![1]!;
  // Comments aside (wrap-ansi's mention the word), every use is a call of segment().
  const code = source.replace(/\/\/.*$/gm, '');
  const uses = code.split(new RegExp(`\\b${name}\\b`)).length - 2;
  const segmentCalls = code.split(`${name}.segment(`).length - 1;
  if (uses !== segmentCalls) return undefined;
  // After the imports (a declaration may not come before them), where the package made its segmenter.
  return source.slice(0, at) + segmenterSource(table) + lazy + source.slice(at + eager.length);
}
