// The bundle's edit of Ink's input parser: a paste with no end marker can be closed, and a huge one is handed over in parts.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { guardInkPasteApp, guardInkPasteParser, PASTE_CAP } from '../../src/views/ink-paste-guard.js';

const inkBuild = dirname(createRequire(import.meta.url).resolve('ink'));
const ESC = '\u001b';

interface Parser {
  push(chunk: string): (string | { paste: string })[];
  hasPendingEscape(): boolean;
  pasteHeld(): boolean;
  closePaste(): string | undefined;
}

/** Ink's own input-parser.js as the bundle edits it (the file imports nothing, so it loads from a data: URL). */
async function guardedParser(): Promise<Parser> {
  const edited = guardInkPasteParser(readFileSync(join(inkBuild, 'input-parser.js'), 'utf8'));
  expect(edited, 'the edit applies to the installed Ink').toBeDefined();
  const mod = (await import(`data:text/javascript,${encodeURIComponent(edited!)}`)) as { createInputParser: () => Parser };
  return mod.createInputParser();
}

describe("the bundle's paste guard in Ink's input parser", () => {
  it('applies to the installed Ink (the App edit too), so the bundle carries it', () => {
    const app = guardInkPasteApp(readFileSync(join(inkBuild, 'components', 'App.js'), 'utf8'));
    expect(app).toBeDefined();
    expect(app).toContain('closePaste');
  });

  it('holds an unterminated paste, closes it as a paste, and parses the input after it as keys', async () => {
    const p = await guardedParser();
    expect(p.push(`x${ESC}[200~abc`)).toEqual(['x']);
    expect(p.pasteHeld()).toBe(true);
    // Unguarded Ink holds every later key (Ctrl-C too) in the paste: that is the hang.
    expect(p.push('5\u0003')).toEqual([]);
    expect(p.hasPendingEscape()).toBe(false);
    expect(p.closePaste()).toBe('abc5\u0003');
    expect(p.pasteHeld()).toBe(false);
    expect(p.push('5')).toEqual(['5']);
    expect(p.push('\u0003')).toEqual(['\u0003']);
    // Nothing held: closing again hands over nothing.
    expect(p.closePaste()).toBeUndefined();
  });

  it('leaves a terminated paste as Ink parses it', async () => {
    const p = await guardedParser();
    expect(p.push(`${ESC}[200~ab`)).toEqual([]);
    expect(p.push(`c${ESC}[201~q`)).toEqual([{ paste: 'abc' }, 'q']);
    expect(p.pasteHeld()).toBe(false);
  });

  it('hands a paste past the cap over as pasted text in parts and keeps it open: the rest is still text, not keys', async () => {
    const p = await guardedParser();
    const big = 'q'.repeat(PASTE_CAP + 10);
    expect(p.push(`${ESC}[200~${big}`)).toEqual([{ paste: big }]);
    expect(p.pasteHeld()).toBe(true);
    expect(p.push('q3')).toEqual([]);
    expect(p.push(`4${ESC}[201~5`)).toEqual([{ paste: 'q34' }, '5']);
  });
});
