// The views match commands, never keys: no key letters, key flags or escape bytes anywhere in src/views.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : /\.tsx?$/.test(e.name) ? [join(dir, e.name)] : [],
  );
}

const VIEWS = files('src/views');

/** Lines of a file matching a pattern, as "file:line: text" for a readable failure. */
function hits(re: RegExp): string[] {
  return VIEWS.flatMap((f) =>
    readFileSync(f, 'utf8')
      .split('\n')
      .flatMap((line, i) => (re.test(line) && !/^\s*(\/\/|\*)/.test(line) ? [`${f}:${i + 1}: ${line.trim()}`] : [])),
  );
}

describe('src/views and keys (STYLE.md "Match commands, not keys")', () => {
  it('has view files to check', () => {
    expect(VIEWS.length).toBeGreaterThan(20);
  });

  it('compares no input with a key letter or key name', () => {
    const keyish = String.raw`(?:.|esc|escape|enter|return|tab|space|up|down|left|right|home|end|pageup|pagedown|backspace|delete|ctrl\+\w|alt\+.|shift\+tab)`;
    const inputLike = String.raw`\b(?:input|key|k|ch|char|pressed|keyName|sequence|data)`;
    expect(hits(new RegExp(String.raw`${inputLike}\s*(?:===|!==|==|!=)\s*(['"\`])${keyish}\1`))).toEqual([]);
    expect(hits(new RegExp(String.raw`(['"\`])${keyish}\1\s*(?:===|!==|==|!=)\s*${inputLike}\b`))).toEqual([]);
    expect(hits(new RegExp(String.raw`\bcase\s+(['"\`])${keyish}\1\s*:`))).toEqual([]);
  });

  it("reads no key flags of Ink's Key object", () => {
    expect(hits(/\bkey\.(upArrow|downArrow|leftArrow|rightArrow|pageUp|pageDown|home|end|return|escape|ctrl|shift|tab|backspace|delete|meta)\b/)).toEqual([]);
  });

  it('holds no escape bytes', () => {
    expect(hits(/\\x1b|\\u001b|\\u{1b}|\\e\[/i)).toEqual([]);
  });

  it('has one input listener (useInput only in the key queue, which feeds the one dispatcher)', () => {
    const users = VIEWS.filter((f) => /\buseInput\s*\(/.test(readFileSync(f, 'utf8')));
    expect(users).toEqual([join('src/views', 'hooks', 'use-key-queue.ts')]);
  });
});
