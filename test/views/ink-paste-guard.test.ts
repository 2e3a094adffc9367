// The bundle's edit of Ink's input parser: a paste with no end marker can be closed, and a huge one is handed over in parts.
import { EventEmitter } from 'node:events';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createElement } from 'react';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { guardInkPasteApp, guardInkPasteParser, PASTE_CAP, PASTE_IDLE_MS } from '../../src/views/ink-paste-guard.js';
import { TtyIn } from '../support/fake-tty.js';

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

/*
 * The idle close runs in Ink's App, so it is tested in Ink itself: a copy of Ink's build with both edits, in a
 * node_modules folder under the project's tmp/ (so Node loads it as a package, and its imports find the project's
 * React and Ink's other dependencies), rendered with a fake stdin and a fake clock.
 */
const copyRoot = join(fileURLToPath(new URL('../../tmp/', import.meta.url)), `paste-guard-${process.pid}`);
afterAll(() => rmSync(copyRoot, { recursive: true, force: true }));
afterEach(() => vi.useRealTimers());

type InkModule = typeof import('ink');

async function guardedInk(): Promise<InkModule> {
  const dir = join(copyRoot, 'node_modules', 'ink');
  mkdirSync(dir, { recursive: true });
  cpSync(dirname(inkBuild), dir, { recursive: true });
  const parser = guardInkPasteParser(readFileSync(join(inkBuild, 'input-parser.js'), 'utf8'));
  const app = guardInkPasteApp(readFileSync(join(inkBuild, 'components', 'App.js'), 'utf8'));
  writeFileSync(join(dir, 'build', 'input-parser.js'), parser!);
  writeFileSync(join(dir, 'build', 'components', 'App.js'), app!);
  return (await import(pathToFileURL(join(dir, 'build', 'index.js')).href)) as InkModule;
}

describe('the idle close in the guarded Ink', () => {
  it('closes a paste quiet for the limit as a paste; keys after it are keys, Ctrl-C included; each read restarts the wait', async () => {
    const ink = await guardedInk();
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const seen: string[] = [];
    function Probe() {
      ink.useInput((input, key) => seen.push(key.ctrl && input === 'c' ? 'key:ctrl-c' : `key:${input}`));
      ink.usePaste((text) => seen.push(`paste:${text}`));
      return null;
    }
    // A terminal's stdin: each typed string is one read.
    const stdin = new TtyIn();
    const stdout = Object.assign(new EventEmitter(), { columns: 80, rows: 24, write: (_s: string, done?: () => void) => (done?.(), true) });
    const instance = ink.render(createElement(Probe), {
      stdin: stdin as unknown as NodeJS.ReadStream,
      stdout: stdout as unknown as NodeJS.WriteStream,
      stderr: stdout as unknown as NodeJS.WriteStream,
      debug: true,
      exitOnCtrlC: false,
      patchConsole: false,
    });
    try {
      // Effects (raw mode, the readable listener) run once React has committed.
      await vi.waitFor(() => expect(stdin.listenerCount('readable')).toBeGreaterThan(0));
      stdin.type('\u001b[200~abc');
      vi.advanceTimersByTime(PASTE_IDLE_MS - 1);
      // More input inside the limit: still the paste, and the wait starts again.
      stdin.type('5');
      vi.advanceTimersByTime(PASTE_IDLE_MS - 1);
      expect(seen).toEqual([]);
      vi.advanceTimersByTime(1);
      expect(seen).toEqual(['paste:abc5']);
      stdin.type('5');
      stdin.type('\u0003');
      expect(seen).toEqual(['paste:abc5', 'key:5', 'key:ctrl-c']);
      // A terminated paste is untouched: nothing is held, so no timer hands anything over later.
      stdin.type('\u001b[200~xy\u001b[201~');
      vi.advanceTimersByTime(PASTE_IDLE_MS * 2);
      expect(seen).toEqual(['paste:abc5', 'key:5', 'key:ctrl-c', 'paste:xy']);
    } finally {
      instance.unmount();
    }
  });
});
