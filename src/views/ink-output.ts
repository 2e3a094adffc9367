// Ink's Output class module, reached by file path because Ink does not export it (the bundle swaps this file out).
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

/** The module of Ink's Output: the same URL Ink's renderer imports, hence the same class (scripts/bundle.ts). */
export function importInkOutput(): Promise<unknown> {
  const inkEntry = createRequire(import.meta.url).resolve('ink');
  return import(pathToFileURL(inkEntry.replace(/index\.js$/, 'output.js')).href);
}
