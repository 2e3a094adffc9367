// Issue 16 item 14: a terminal whose locale is not UTF-8 (LANG=C) gets ASCII only, on the console's screen and in
// the text commands print; `ui.ascii` forces it. One function decides (theme.ts asciiOnly).
import { Subject } from 'rxjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runConsole } from '../../src/commands/console.js';
import type { CommandIo } from '../../src/commands/io.js';
import { DEFAULT_SETTINGS, type Settings } from '../../src/config/settings.js';
import type { FeedEventBody } from '../../src/model/events.js';
import { Feed } from '../../src/streams/feed.js';
import { ellipsis, setAsciiText, toAscii } from '../../src/views/format.js';
import { asciiOnly } from '../../src/views/theme.js';
import { accountEvents, positionEvents } from '../support/book.js';
import { runCli } from '../support/cli.js';
import { Tty, TtyIn, ttyStreams } from '../support/fake-tty.js';

const NON_ASCII = /[^\x00-\x7f]/;

afterEach(() => vi.unstubAllEnvs());

function locale(env: { LANG?: string; LC_ALL?: string; LC_CTYPE?: string }): void {
  vi.stubEnv('LANG', env.LANG ?? '');
  vi.stubEnv('LC_ALL', env.LC_ALL ?? '');
  vi.stubEnv('LC_CTYPE', env.LC_CTYPE ?? '');
}

describe('asciiOnly reads the locale as the C library does', () => {
  it('LC_ALL, then LC_CTYPE, then LANG; a charset other than UTF-8 means ASCII; the setting forces it', () => {
    expect(asciiOnly({ LANG: 'C' })).toBe(true);
    expect(asciiOnly({ LANG: 'POSIX' })).toBe(true);
    expect(asciiOnly({ LANG: 'en_US.ISO-8859-1' })).toBe(true);
    expect(asciiOnly({ LANG: 'C.UTF-8' })).toBe(false);
    expect(asciiOnly({ LANG: 'de_DE.utf8' })).toBe(false);
    expect(asciiOnly({ LANG: 'en_US.UTF-8', LC_ALL: 'C' })).toBe(true);
    expect(asciiOnly({ LANG: 'C', LC_CTYPE: 'en_US.UTF-8' })).toBe(false);
    expect(asciiOnly({ LANG: 'C', LC_ALL: '', LC_CTYPE: 'en_US.UTF-8' })).toBe(false);
    expect(asciiOnly({})).toBe(false);
    expect(asciiOnly({ LANG: 'en_US.UTF-8' }, true)).toBe(true);
  });

  it('swaps each glyph cell for cell on screen, and spells a few out in text', () => {
    const glyphs = '╭─┬─╮│▶1 Positions›█▀▄┼−12· … •×±≤→↓✓⚠é漢';
    const screen = toAscii(glyphs);
    expect(screen).not.toMatch(NON_ASCII);
    // "…" after text is a cut: "..." over the two cells before it.
    expect(screen).toBe("+-+-+|>1 Positions>#'.+-12... *x~<>v+!e??");
    expect(toAscii('…x')).toBe('~x');
    expect(toAscii('a … b ≤ c', false)).toBe('a ... b <= c');
  });

  it('draws a cut as "..." over its last two cells, never "~" (the dialogs\' "~108,000 USD" means approximately)', () => {
    // Ink's truncate-end and the tables' pad both end a cut text in "…".
    expect(toAscii('Sec-def data farm conne…')).toBe('Sec-def data farm con...');
    expect(toAscii('EUR, GBP, JP…')).toBe('EUR, GBP, ...');
    expect(toAscii('0 alerts · 3 log lines · …')).toBe('0 alerts | 3 log lines ...');
    // Cell for cell: the frame's width is unchanged.
    expect(toAscii('abc…  |')).toHaveLength('abc…  |'.length);
    // A colour code ending just before: its bytes are never taken for text.
    expect(toAscii('x\u001b[31m…')).toBe('x\u001b[31m~');
    expect(toAscii('\u001b[31mab…\u001b[39m')).toBe('\u001b[31m...\u001b[39m');
    // The views' own ellipses (progress, "… 4 more") are written "..." on an ASCII terminal.
    setAsciiText(true);
    try {
      expect(ellipsis()).toBe('...');
    } finally {
      setAsciiText(false);
    }
    expect(ellipsis()).toBe('…');
  });
});

async function consoleFrame(settings: Settings): Promise<string> {
  const source = new Subject<FeedEventBody>();
  const feed = new Feed(source);
  for (const b of [
    { type: 'healthChanged', health: 'ready', host: '127.0.0.1', port: 7497, clientId: 1 } as FeedEventBody,
    ...accountEvents(),
    ...positionEvents(),
  ])
    source.next(b);
  const stdout = new Tty(120, 40);
  const stdin = new TtyIn();
  const io: CommandIo = { out: () => {}, err: () => {} };
  const done = runConsole({
    feed,
    mode: 'demo',
    endpoint: { host: '127.0.0.1', port: 7497 },
    settings: { ...settings, keymap: [{ key: 'Q', command: 'app.quit' }] },
    io,
    close: async () => feed.close('test'),
    streams: ttyStreams(stdout, stdin),
  });
  await vi.waitFor(() => expect(stdout.out).toContain('Positions'), { timeout: 20_000 });
  stdin.type('Q');
  expect(await done).toBe(0);
  return stdout.out;
}

describe('the console on a non-UTF-8 terminal', () => {
  it('draws every frame in ASCII under LANG=C (and in glyphs under UTF-8, so the check can fail)', async () => {
    locale({ LANG: 'C.UTF-8' });
    expect(await consoleFrame(DEFAULT_SETTINGS)).toMatch(NON_ASCII);
    locale({ LANG: 'C' });
    const frame = await consoleFrame(DEFAULT_SETTINGS);
    expect(frame).toContain('Positions');
    expect(frame).not.toMatch(NON_ASCII);
  }, 60_000);

  it('ui.ascii forces ASCII under a UTF-8 locale', async () => {
    locale({ LANG: 'en_US.UTF-8' });
    const frame = await consoleFrame({ ...DEFAULT_SETTINGS, ui: { ...DEFAULT_SETTINGS.ui, ascii: true } });
    expect(frame).toContain('Positions');
    expect(frame).not.toMatch(NON_ASCII);
  }, 60_000);
});

describe('text commands on a non-UTF-8 terminal', () => {
  it('report prints ASCII under LC_ALL=C', async () => {
    locale({ LANG: 'en_US.UTF-8' });
    const utf8 = await runCli('report', '--replay', 'recordings/margin-spike.jsonl.gz');
    expect(utf8.out).toMatch(NON_ASCII);
    locale({ LANG: 'en_US.UTF-8', LC_ALL: 'C' });
    const plain = await runCli('report', '--replay', 'recordings/margin-spike.jsonl.gz');
    expect(plain.out).toContain('NetLiquidation');
    expect(plain.text).not.toMatch(NON_ASCII);
  }, 60_000);
});
