// The binding table is complete, conflict-free, and keeps dangerous commands off escape-sequence tails.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CATEGORIES, COMMANDS, COMMAND_IDS, DEFAULT_BINDINGS, PANE_IDS, SCOPES, keyTable, resolveKey } from '../../src/keymap/bindings.js';
import { helpSections, keysMarkdown } from '../../src/keymap/help.js';
import { ESCAPE_TAIL_KEYS, parseKeySpec, unsafeForDangerous } from '../../src/keymap/keys.js';
import { findConflicts } from '../../src/keymap/overrides.js';

describe('the default binding table', () => {
  it('binds, describes and categorises every command exactly once', () => {
    expect(new Set(COMMAND_IDS).size).toBe(COMMAND_IDS.length);
    for (const id of COMMAND_IDS) {
      const c = COMMANDS[id];
      expect(c.description.length, id).toBeGreaterThan(5);
      expect(CATEGORIES, id).toContain(c.category);
      expect(SCOPES, id).toContain(c.scope);
      // Bound: to at least one key, or reachable from the palette.
      expect(DEFAULT_BINDINGS[id].length > 0 || c.palette === true, `${id} has neither a key nor a palette entry`).toBe(true);
    }
  });

  it('spells every default key the way a config file would', () => {
    for (const id of COMMAND_IDS) for (const key of DEFAULT_BINDINGS[id]) expect(parseKeySpec(key), `${id}: ${key}`).toEqual({ key });
  });

  it('has no key meaning two commands in any pane (its own scope, every list pane, global) or layer', () => {
    expect(findConflicts(DEFAULT_BINDINGS)).toEqual([]);
  });

  it('never puts a dangerous command on an escape-sequence tail, Enter or Space', () => {
    const dangerous = COMMAND_IDS.filter((id) => COMMANDS[id].dangerous);
    expect(dangerous).toEqual(expect.arrayContaining(['trade.flatten', 'trade.cancel', 'trade.cancelAll', 'trade.globalCancel', 'trade.arm']));
    for (const id of dangerous) for (const key of DEFAULT_BINDINGS[id]) expect(unsafeForDangerous(key), `${id} on ${key}`).toBe(false);
  });

  it('arms trading from the palette only, never from a key', () => {
    expect(DEFAULT_BINDINGS['trade.arm']).toEqual([]);
    expect(COMMANDS['trade.arm'].palette).toBe(true);
  });

  it('lists the tails reference/ux-and-peers.md §2.5 names', () => {
    for (const k of ['[', 'O', 'A', 'B', 'C', 'D', 'F', 'H', 'P', 'Q', 'R', 'S', 'Z', 'u', '~', ';', '0', '9']) expect(ESCAPE_TAIL_KEYS.has(k), k).toBe(true);
  });

  it('follows the proposed keymap of reference/ux-and-peers.md §2.6', () => {
    const t = keyTable(DEFAULT_BINDINGS);
    const on = (key: string, pane: (typeof PANE_IDS)[number] = 'positions') => resolveKey(t, key, [pane, 'pane', 'global']);
    expect(on('?')).toBe('help.toggle');
    expect(on(':')).toBe('palette.open');
    expect(on('/')).toBe('filter.open');
    expect(on('tab')).toBe('pane.next');
    expect(on('shift+tab')).toBe('pane.prev');
    expect(PANE_IDS.map((_, i) => on(String(i + 1)))).toEqual(PANE_IDS.map((p) => `pane.${p}`));
    expect([on('j'), on('k'), on('g'), on('G'), on('ctrl+d'), on('ctrl+u')]).toEqual([
      'nav.down',
      'nav.up',
      'nav.top',
      'nav.bottom',
      'nav.pageDown',
      'nav.pageUp',
    ]);
    expect(on('space')).toBe('view.freeze');
    expect(on('q')).toBe('app.quit');
    expect(on('[', 'stress')).toBe('stress.subjectPrev');
    expect(on('X', 'positions')).toBe('trade.flatten');
    expect(on('X', 'orders')).toBeUndefined();
  });
});

describe('help generated from the table', () => {
  it("lists the focused pane's commands and the global ones, dims trading without --trade", () => {
    const sections = helpSections(DEFAULT_BINDINGS, 'orders', false);
    const rows = sections.flatMap((s) => s.rows);
    expect(rows.find((r) => r.command === 'trade.cancel')).toMatchObject({ keys: 'x', disabled: 'needs --trade' });
    expect(rows.find((r) => r.command === 'trade.flatten')).toBeUndefined();
    expect(rows.find((r) => r.command === 'positions.group')).toBeUndefined();
    expect(rows.find((r) => r.command === 'app.quit')).toMatchObject({ keys: 'q Ctrl-c' });
    expect(rows.find((r) => r.command === 'trade.arm')).toMatchObject({ keys: ':trade.arm' });
    const traded = helpSections(DEFAULT_BINDINGS, 'orders', true).flatMap((s) => s.rows);
    expect(traded.every((r) => r.disabled === undefined)).toBe(true);
  });

  it('keeps the README keys table in step with the table (regenerate it from keysMarkdown)', () => {
    const readme = readFileSync('README.md', 'utf8');
    const m = /<!-- KEYS:BEGIN generated from src\/keymap\/bindings\.ts -->\n([\s\S]*?)\n<!-- KEYS:END -->/.exec(readme);
    expect(m, 'README.md has the generated keys section').not.toBeNull();
    expect(m![1], 'regenerate it: npm run build && node dist/scripts/keys-readme.js').toBe(keysMarkdown(DEFAULT_BINDINGS));
  });
});
