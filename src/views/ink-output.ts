// Ink's Output class module and the tokenizer Ink uses, reached by file path because Ink does not export them (the bundle swaps this file out).
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

function inkEntry(): string {
  return createRequire(import.meta.url).resolve('ink');
}

/** The module of Ink's Output: the same URL Ink's renderer imports, hence the same class (scripts/bundle.ts). */
export function importInkOutput(): Promise<unknown> {
  return import(pathToFileURL(inkEntry().replace(/index\.js$/, 'output.js')).href);
}

function ancestors(dir: string): string[] {
  const out = [dir];
  while (dirname(out.at(-1)!) !== out.at(-1)) out.push(dirname(out.at(-1)!));
  return out;
}

/** The tokenizer Ink itself imports (import-only, so found as Node would: the nearest node_modules above Ink); {} when absent. */
export function importAnsiTokenize(): Promise<unknown> {
  const tokenizer = ancestors(dirname(inkEntry()))
    .map((d) => join(d, 'node_modules', '@alcalzone', 'ansi-tokenize', 'build', 'index.js'))
    .find((f) => existsSync(f));
  return tokenizer ? import(pathToFileURL(tokenizer).href).catch(() => ({})) : Promise.resolve({});
}
