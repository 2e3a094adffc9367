// The bundle's edit of string-width: text of characters that each stand alone is measured from a table, not ICU.
/*
 * Why: string-width (Ink's text measuring) takes a fast path for printable ASCII only. Any other character, and the
 * console's first frame has many (box drawing, "·", "›", "−"), goes through Intl.Segmenter and a `\p{RGI_Emoji}`
 * regex, and the first test of that regex compiles it: 30-40 ms of CPU before the first frame, about a tenth of the
 * console's start-up (docs/performance.md "Start-up, third pass"). The widths themselves are a property of each
 * character, so scripts/bundle.ts asks the installed string-width for them as it bundles it, and this edit adds a
 * second fast path: when every character of the (ANSI-stripped) text is printable ASCII or in the table, the width is
 * the sum of the table's widths, else string-width measures it as published. Its segmenter and emoji regex are made
 * at their first use rather than as it loads.
 *
 * A character goes in the table only when it is its own grapheme cluster whatever surrounds it (the segmenter splits
 * "a" + c + "a" into three and c + c into two, and it is not a control), so a text made only of such characters is
 * clustered one character per cluster, and each cluster's width is what string-width gives for that character alone.
 * Combining marks, joiners, variation selectors, Hangul jamo, controls and anything outside the table's range take
 * string-width's own path. test/startup-string-width.test.ts compares both on every table character and on mixed texts.
 */

/** The table covers U+00A0 up to (not including) this: Latin to Cyrillic, punctuation, arrows, maths, box drawing, shapes. */
export const TABLE_FROM = 0xa0;
export const TABLE_TO = 0x2c00;

/** One character per code point from TABLE_FROM: its width '0', '1' or '2', or 'x' for "measure as published". */
export function widthTable(stringWidth: (s: string) => number): string {
  const segmenter = new Intl.Segmenter();
  const clusters = (s: string) => [...segmenter.segment(s)].length;
  let table = '';
  for (let cp = TABLE_FROM; cp < TABLE_TO; cp++) {
    const c = String.fromCodePoint(cp);
    const alone = !/\p{Cc}/u.test(c) && clusters(`a${c}a`) === 3 && clusters(c + c) === 2;
    const w = alone ? stringWidth(c) : -1;
    table += w >= 0 && w <= 2 ? String(w) : 'x';
  }
  return table;
}

/** string-width 8.x's ASCII fast path, after which the edit inserts the table's. */
const ASCII_FAST_PATH = `	if (/^[\\u0020-\\u007E]*$/.test(string)) {
		return string.length;
	}
`;
const SIGNATURE = 'export default function stringWidth(input, options = {}) {';

/*
 * The segmenter and the emoji regex, made as the module loads, are made at their first use instead: the table answers
 * most texts without them, and making them (ICU's break rules, the RGI_Emoji set) costs CPU before the first frame.
 */
const EAGER_SEGMENTER = 'const segmenter = new Intl.Segmenter();\n';
const LAZY_SEGMENTER = 'let twsRiskSegmenter;\nconst segmenter = {segment: string => (twsRiskSegmenter ??= new Intl.Segmenter()).segment(string)};\n';
const EAGER_RGI = 'const rgiEmojiRegex = /^\\p{RGI_Emoji}$/v;\n';
const LAZY_RGI = "let twsRiskRgiEmoji;\nconst rgiEmojiRegex = {test: string => (twsRiskRgiEmoji ??= new RegExp('^\\\\p{RGI_Emoji}$', 'v')).test(string)};\n";

/** string-width's index.js with the table's fast path, or undefined when the file is not the one this edit knows. */
export function withWidthTable(source: string, table: string): string | undefined {
  const at = source.indexOf(ASCII_FAST_PATH);
  if (at === -1 || source.indexOf(ASCII_FAST_PATH, at + 1) !== -1 || !source.includes(SIGNATURE) || !source.includes('ambiguousIsNarrow = true'))
    return undefined;
  if (table.length !== TABLE_TO - TABLE_FROM || !/^[012x]*$/.test(table)) return undefined;
  // Each used only as `segmenter.segment(s)` and `rgiEmojiRegex.test(s)`, which the stand-ins keep.
  const once = (s: string) => source.indexOf(s) !== -1 && source.indexOf(s) === source.lastIndexOf(s);
  if (!once(EAGER_SEGMENTER) || !once(EAGER_RGI)) return undefined;
  if (source.split('segmenter').length !== 4 || source.split('rgiEmojiRegex').length !== 3) return undefined;
  const lookup = `
// tws-risk (scripts/string-width-table.ts): widths of the characters that are always a cluster of their own.
const twsRiskWidths = ${JSON.stringify(table)};
function twsRiskTableWidth(string) {
	let width = 0;
	for (let i = 0; i < string.length; i++) {
		const c = string.charCodeAt(i);
		if (c >= 0x20 && c <= 0x7E) {
			width++;
			continue;
		}
		const w = c >= ${TABLE_FROM} && c < ${TABLE_TO} ? twsRiskWidths.charCodeAt(c - ${TABLE_FROM}) - 48 : -1;
		if (w < 0 || w > 2) return undefined;
		width += w;
	}
	return width;
}
`;
  // The table holds the default (narrow) reading of ambiguous characters; the wide one is measured as published.
  const fastPath = `	if (ambiguousIsNarrow) {
		const tableWidth = twsRiskTableWidth(string);
		if (tableWidth !== undefined) return tableWidth;
	}
`;
  const end = at + ASCII_FAST_PATH.length;
  const sigAt = source.indexOf(SIGNATURE);
  const edited = source.slice(0, sigAt) + lookup + source.slice(sigAt, end) + fastPath + source.slice(end);
  // Functions, not strings: LAZY_RGI holds a "$'", which a replacement string would read as a pattern.
  return edited.replace(EAGER_SEGMENTER, () => LAZY_SEGMENTER).replace(EAGER_RGI, () => LAZY_RGI);
}
