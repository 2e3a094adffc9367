// Themes: every slot in every theme, NO_COLOR means mono, --color picks the depth, and mono uses no colour at all.
import { describe, expect, it } from 'vitest';
import { SLOTS, THEME_NAMES, forceColorLevel, resolveTheme, themeFor } from '../../src/views/theme.js';

describe('themes', () => {
  it('define every slot at every depth', () => {
    for (const name of THEME_NAMES)
      for (const depth of ['16', '256', 'truecolor'] as const) {
        expect(Object.keys(themeFor(name, depth)).sort(), `${name} ${depth}`).toEqual([...SLOTS].sort());
      }
  });

  it('speak the depth asked for: names at 16, ansi256() at 256, hex at truecolor', () => {
    expect(themeFor('dark', '16')['pnl.loss'].color).toBe('red');
    expect(themeFor('dark', '256')['pnl.loss'].color).toMatch(/^ansi256\(\d+\)$/);
    expect(themeFor('dark', 'truecolor')['pnl.loss'].color).toMatch(/^#[0-9a-f]{6}$/);
  });

  it('keeps mono to bold, inverse and dim', () => {
    for (const style of Object.values(themeFor('mono', 'truecolor'))) {
      expect(style.color).toBeUndefined();
      expect(style.backgroundColor).toBeUndefined();
    }
    expect(themeFor('mono', '16')['risk.breach']).toEqual({ bold: true, inverse: true });
  });

  it('takes mono under NO_COLOR whatever the setting, and detects the depth otherwise', () => {
    expect(resolveTheme({ theme: 'dark', color: 'truecolor', env: { NO_COLOR: '1' } })).toEqual({ name: 'mono', depth: 'truecolor', noColor: true });
    expect(resolveTheme({ theme: 'light', color: 'auto', env: { COLORTERM: 'truecolor' } }).depth).toBe('truecolor');
    expect(resolveTheme({ theme: 'light', color: 'auto', env: { TERM: 'tmux-256color' } }).depth).toBe('256');
    expect(resolveTheme({ theme: 'light', color: 'auto', env: { TERM: 'screen' } })).toEqual({ name: 'light', depth: '16', noColor: false });
    expect(resolveTheme({ theme: 'dark', color: '256', env: { COLORTERM: 'truecolor' } }).depth).toBe('256');
    expect([forceColorLevel('16'), forceColorLevel('256'), forceColorLevel('truecolor'), forceColorLevel('auto')]).toEqual(['1', '2', '3', undefined]);
  });
});
