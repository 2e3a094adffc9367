// Every glyph the views draw has an ASCII stand-in, so a non-UTF-8 terminal never shows "?" where a mark was meant.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ASCII_GLYPHS } from '../../src/views/theme.js';

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : /\.tsx?$/.test(e.name) ? [join(dir, e.name)] : [],
  );
}

describe('ASCII stand-ins', () => {
  it('cover every non-ASCII character in the views’ code (comments aside)', () => {
    const missing = new Map<string, string>();
    for (const f of sources('src/views')) {
      const code = readFileSync(f, 'utf8')
        .replace(/\/\*[\s\S]*?\*\//g, '')
        .replace(/\/\/.*$/gm, '');
      for (const ch of code) if (ch.codePointAt(0)! > 0x7f && ASCII_GLYPHS[ch] === undefined) missing.set(ch, f);
    }
    expect([...missing].map(([ch, f]) => `${ch} (U+${ch.codePointAt(0)!.toString(16)}) in ${f}`)).toEqual([]);
  });
});
