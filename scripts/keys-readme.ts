// Regenerates the README's keys table from the binding table (src/keymap/bindings.ts); `--check` only compares.
import { readFileSync, writeFileSync } from 'node:fs';
import { DEFAULT_BINDINGS } from '../src/keymap/bindings.js';
import { keysMarkdown } from '../src/keymap/help.js';

const BEGIN = '<!-- KEYS:BEGIN generated from src/keymap/bindings.ts -->';
const END = '<!-- KEYS:END -->';
const check = process.argv.includes('--check');
const readme = readFileSync('README.md', 'utf8');
const start = readme.indexOf(BEGIN);
const end = readme.indexOf(END);
if (start < 0 || end < start) {
  process.stderr.write(`README.md has no ${BEGIN} ... ${END} section\n`);
  process.exit(1);
}
const next = `${readme.slice(0, start + BEGIN.length)}\n${keysMarkdown(DEFAULT_BINDINGS)}\n${readme.slice(end)}`;
if (next === readme) process.stdout.write('README.md keys table is up to date\n');
else if (check) {
  process.stderr.write('README.md keys table is out of date: run `npm run build && node dist/scripts/keys-readme.js`\n');
  process.exit(1);
} else {
  writeFileSync('README.md', next);
  process.stdout.write('README.md keys table regenerated\n');
}
