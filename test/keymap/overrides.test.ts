// User key overrides: applied when valid, each bad entry named with what would be valid, defaults kept.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/config/load.js';
import { DEFAULT_BINDINGS } from '../../src/keymap/bindings.js';
import { keyOf, keyOfChar, parseKeySpec, textOf, type KeyFlags } from '../../src/keymap/keys.js';
import { applyOverrides, findConflicts } from '../../src/keymap/overrides.js';

describe('applyOverrides', () => {
  it('adds a key in front of the defaults and removes one with "-command"', () => {
    const r = applyOverrides([
      { key: 'ctrl+n', command: 'nav.down' },
      { key: 'down', command: '-nav.down' },
    ]);
    expect(r.errors).toEqual([]);
    expect(r.bindings['nav.down']).toEqual(['ctrl+n', 'j']);
    expect(DEFAULT_BINDINGS['nav.down']).toEqual(['j', 'down']);
  });

  it('names an unknown command and lists the valid ones', () => {
    const r = applyOverrides([{ key: 'x', command: 'nav.dwn' }]);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatch(/^keymap\[0\]: unknown command "nav\.dwn"; valid commands are app\.quit, .*nav\.down/);
    expect(r.bindings).toEqual(DEFAULT_BINDINGS);
  });

  it('names a bad key and lists the valid forms', () => {
    const r = applyOverrides([{ key: 'ctl+x', command: 'nav.down' }]);
    expect(r.errors[0]).toMatch(/^keymap\[0\]: "ctl\+x" is not a key; valid keys are a single printable character .* ctrl\+<letter>/);
  });

  it('refuses a dangerous command on an escape-sequence tail or Enter, and says why', () => {
    const r = applyOverrides([
      { key: 'B', command: 'trade.flatten' },
      { key: '[', command: 'trade.globalCancel' },
      { key: 'enter', command: 'trade.cancel' },
      { key: '5', command: 'trade.arm' },
    ]);
    expect(r.errors).toHaveLength(4);
    expect(r.errors[0]).toMatch(/^keymap\[0\]: refused: trade\.flatten is dangerous and "B" can be the tail of an escape sequence/);
    expect(r.errors[2]).toMatch(/"enter" auto-repeats/);
    expect(r.bindings['trade.flatten']).toEqual(['X']);
    expect(r.bindings['trade.globalCancel']).toEqual([]);
  });

  it('refuses Esc for a dangerous command, and Enter, Esc, Space or an escape tail for the confirm key (issue 16)', () => {
    const r = applyOverrides([
      { key: 'esc', command: 'trade.flatten' },
      { key: 'enter', command: 'dialog.confirm' },
      { key: 'Escape', command: 'dialog.confirm' },
      { key: ' ', command: 'dialog.confirm' },
      { key: 'B', command: 'dialog.confirm' },
    ]);
    expect(r.errors).toEqual([
      expect.stringMatching(/^keymap\[0\]: refused: trade\.flatten is dangerous and "esc" starts every escape sequence/),
      expect.stringMatching(/^keymap\[1\]: refused: dialog\.confirm confirms dialogs and "enter" auto-repeats/),
      expect.stringMatching(/^keymap\[2\]: refused: dialog\.confirm confirms dialogs and "esc" starts every escape sequence/),
      expect.stringMatching(/^keymap\[3\]: refused: dialog\.confirm confirms dialogs and "space" auto-repeats/),
      expect.stringMatching(/^keymap\[4\]: refused: dialog\.confirm confirms dialogs and "B" can be the tail of an escape sequence/),
    ]);
    expect(r.bindings['dialog.confirm']).toEqual(['y']);
    expect(r.bindings['trade.flatten']).toEqual(['X']);
  });

  it('refuses a confirm key that also opens a dialog, in either order, and names both commands', () => {
    const r = applyOverrides([
      { key: 'X', command: 'dialog.confirm' }, // opens the flatten dialog
      { key: 'q', command: 'dialog.confirm' }, // opens the quit dialog while armed
      { key: ':', command: 'dialog.confirm' }, // opens the palette, whose Enter opens a dialog
      { key: 'y', command: 'trade.cancelAll' }, // y is the confirm key
      { key: 'z', command: 'trade.globalCancel' },
      { key: 'z', command: 'dialog.confirm' },
    ]);
    expect(r.errors).toEqual([
      'keymap[0]: refused: "X" would both open a dialog (trade.flatten) and confirm it (dialog.confirm), so a doubled key could confirm what it opened; choose another key',
      'keymap[1]: refused: "q" would both open a dialog (app.quit) and confirm it (dialog.confirm), so a doubled key could confirm what it opened; choose another key',
      'keymap[2]: refused: ":" would both open a dialog (palette.open) and confirm it (dialog.confirm), so a doubled key could confirm what it opened; choose another key',
      'keymap[3]: refused: "y" would both open a dialog (trade.cancelAll) and confirm it (dialog.confirm), so a doubled key could confirm what it opened; choose another key',
      'keymap[5]: refused: "z" would both open a dialog (trade.globalCancel) and confirm it (dialog.confirm), so a doubled key could confirm what it opened; choose another key',
    ]);
    expect(r.bindings['dialog.confirm']).toEqual(['y']);
    expect(r.bindings['trade.globalCancel']).toEqual(['z']);
    // A safe confirm key is taken.
    expect(applyOverrides([{ key: 'Y', command: 'dialog.confirm' }]).bindings['dialog.confirm']).toEqual(['Y', 'y']);
  });

  it('reads the keymap list exactly as the README writes it, from a real settings file', () => {
    const readme = readFileSync('README.md', 'utf8');
    // The two README examples, pasted into a settings file's keymap list.
    const add = /`(\{"key": "ctrl\+n", "command":\s+"nav\.down"\})`/.exec(readme)?.[1];
    const remove = /`(\{"key": "j", "command": "-nav\.down"\})`/.exec(readme)?.[1];
    expect(add && remove).toBeTruthy();
    const dir = mkdtempSync(join(tmpdir(), 'tws-risk-keymap-'));
    try {
      const file = join(dir, 'config.json');
      writeFileSync(file, `{ "keymap": [${add!.replace(/\s+/g, ' ')}, ${remove}] }`, { mode: 0o600 });
      const loaded = loadSettings(file, {});
      expect(loaded.problems).toEqual([]);
      const r = applyOverrides(loaded.settings.keymap);
      expect(r.errors).toEqual([]);
      expect(r.bindings['nav.down']).toEqual(['ctrl+n', 'down']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a key that would mean two things in one pane, and says how to free it', () => {
    const r = applyOverrides([{ key: 'j', command: 'positions.group' }]);
    expect(r.errors).toEqual([
      'keymap[0]: "j" for positions.group conflicts with nav.down in the positions pane; unbind it first with {"key": "j", "command": "-nav.down"} or choose another key',
    ]);
    const freed = applyOverrides([
      { key: 'j', command: '-nav.down' },
      { key: 'j', command: 'positions.group' },
    ]);
    expect(freed.errors).toEqual([]);
    expect(freed.bindings['positions.group']).toEqual(['j', 'c']);
    expect(findConflicts(freed.bindings)).toEqual([]);
  });

  it('lets different panes use one key, and layers (help, input, dialog) shadow global keys', () => {
    expect(applyOverrides([{ key: 'g', command: 'stress.columns' }]).errors).toHaveLength(1); // g is nav.top in every list pane
    expect(
      applyOverrides([
        { key: 'v', command: 'stress.columns' },
        { key: 'v', command: 'positions.group' },
      ]).errors,
    ).toEqual([]);
    expect(applyOverrides([{ key: 'ctrl+c', command: 'input.cancel' }]).errors).toEqual([]);
  });

  it('keeps the defaults for a value that is not a list, and for malformed entries', () => {
    expect(applyOverrides({ 'nav.down': 'j' }).errors).toEqual(['keymap: expected a list of {"key": "...", "command": "..."} entries; using the default keys']);
    expect(applyOverrides([42]).errors).toEqual(['keymap[0]: expected {"key": "...", "command": "..."}']);
    expect(applyOverrides(undefined)).toEqual({ bindings: DEFAULT_BINDINGS, errors: [], applied: [] });
  });

  it('reports removing a key that is not bound', () => {
    expect(applyOverrides([{ key: 'z', command: '-nav.down' }]).errors).toEqual(['keymap[0]: "z" is not bound to nav.down, so there is nothing to remove']);
  });
});

describe('key names', () => {
  const none: KeyFlags = {
    upArrow: false,
    downArrow: false,
    leftArrow: false,
    rightArrow: false,
    pageUp: false,
    pageDown: false,
    home: false,
    end: false,
    return: false,
    escape: false,
    ctrl: false,
    shift: false,
    tab: false,
    backspace: false,
    delete: false,
    meta: false,
  };
  it('parses config spellings into one canonical form', () => {
    expect(parseKeySpec('Ctrl-D')).toEqual({ key: 'ctrl+d' });
    expect(parseKeySpec('Escape')).toEqual({ key: 'esc' });
    expect(parseKeySpec('Return')).toEqual({ key: 'enter' });
    expect(parseKeySpec('PgDn')).toEqual({ key: 'pagedown' });
    expect(parseKeySpec(' ')).toEqual({ key: 'space' });
    expect(parseKeySpec('alt+x')).toEqual({ key: 'alt+x' });
    expect(parseKeySpec('G')).toEqual({ key: 'G' });
  });

  it('names Ink key events, and refuses multi-character input (a split sequence tail, a paste)', () => {
    expect(keyOf('', { ...none, downArrow: true })).toBe('down');
    expect(keyOf('', { ...none, tab: true, shift: true })).toBe('shift+tab');
    expect(keyOf('d', { ...none, ctrl: true })).toBe('ctrl+d');
    expect(keyOf('j', { ...none, meta: true })).toBe('alt+j');
    expect(keyOf(' ', none)).toBe('space');
    expect(keyOf('G', { ...none, shift: true })).toBe('G');
    expect(keyOf('[B', none)).toBeUndefined();
    expect(textOf('[B', none)).toBe('[B');
    expect(textOf('', { ...none, escape: true })).toBeUndefined();
  });

  it('names the bytes of a chunk', () => {
    expect(['\r', '\t', '\u007f', '\u0004', ' ', 'x'].map(keyOfChar)).toEqual(['enter', 'tab', 'backspace', 'ctrl+d', 'space', 'x']);
  });
});
