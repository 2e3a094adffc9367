// An unbracketed paste (one read of text with control bytes in it) reaches the key queue as its text: no BEL, DEL or Ctrl-U in it acts as a key.
import { EventEmitter } from 'node:events';
import { render } from 'ink';
import { createElement } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { useKeyQueue, type KeyQueueOptions } from '../../src/views/hooks/use-key-queue.js';
import { TtyIn } from '../support/fake-tty.js';

/*
 * The real Ink reads a fake terminal whose every typed string is one read, and tells its length before it is read
 * (as a terminal's stdin does): the queue's handler records what reaches it, as key, or key and the text it types.
 */
let unmount: (() => void) | undefined;
afterEach(() => {
  unmount?.();
  unmount = undefined;
});

async function probe(o: Partial<KeyQueueOptions> = {}): Promise<{ stdin: TtyIn; seen: string[] }> {
  const seen: string[] = [];
  const options: KeyQueueOptions = {
    dialogOpen: () => false,
    dialogTakesText: () => false,
    lineOpen: () => true,
    dialogEpoch: () => 0,
    stopped: () => false,
    ...o,
  };
  function Probe() {
    useKeyQueue((key, text) => {
      if (key !== undefined || text !== undefined) seen.push(text ?? key!);
    }, options);
    return null;
  }
  const stdin = new TtyIn();
  stdin.reportsLength = true;
  const stdout = Object.assign(new EventEmitter(), { columns: 80, rows: 24, write: (_s: string, done?: () => void) => (done?.(), true) });
  const instance = render(createElement(Probe), {
    stdin: stdin as unknown as NodeJS.ReadStream,
    stdout: stdout as unknown as NodeJS.WriteStream,
    stderr: stdout as unknown as NodeJS.WriteStream,
    debug: true,
    exitOnCtrlC: false,
    patchConsole: false,
  });
  unmount = () => instance.unmount();
  await vi.waitFor(() => expect(stdin.listenerCount('readable')).toBeGreaterThan(0));
  return { stdin, seen };
}

/** What `bytes`, typed as one read and followed by a lone `.` (a read of its own), bring to the handler before that dot. */
async function typed(bytes: string, o: Partial<KeyQueueOptions> = {}): Promise<string[]> {
  const { stdin, seen } = await probe(o);
  stdin.type(bytes);
  // Something of the read has arrived (a lone Esc only after Ink's escape wait); the queue keeps order, so once the
  // dot, a keystroke of its own, is handled, everything the read brought has been.
  await vi.waitFor(() => expect(seen.length).toBeGreaterThan(0));
  stdin.type('.');
  await vi.waitFor(() => expect(seen.at(-1)).toBe('.'));
  return seen.slice(0, -1);
}

describe('an unbracketed paste into a text line is text', () => {
  it.each([
    ['a BEL (Ctrl-g, which cancels)', 'ab\u0007co'],
    ['a title sequence ending in BEL', 'ab\u001b]0;title\u0007co'],
    ['a title sequence ending in ST', 'ab\u001b]0;title\u001b\\co'],
    ['a DEL (Backspace)', 'ab\u007fco'],
    ['a Ctrl-U (clear the line)', 'ab\u0015co'],
    ['a DCS sequence', 'ab\u001bPq#0\u001b\\co'],
    ['an arrow key sequence', 'ab\u001b[Aco'],
    ['an ETX and a BS', 'a\u0003b\bco'],
  ])('%s in it is dropped, and the rest is typed', async (_what, bytes) => {
    expect(await typed(bytes)).toEqual(['a', 'b', 'c', 'o']);
  });

  it('in the arming dialog (a text dialog), a pasted BEL does not close it: the X after it is typed, not run', async () => {
    expect(await typed('45\u0007Xc', { dialogOpen: () => true, dialogTakesText: () => true })).toEqual(['4', '5', 'X', 'c']);
  });

  it('Backspaces that open a read are keys (typed behind a busy loop, then letters): a control byte after them is still dropped', async () => {
    expect(await typed('\u007f\u007fAP')).toEqual(['backspace', 'backspace', 'A', 'P']);
    expect(await typed('\u007f\u0007ab\u007f')).toEqual(['backspace', 'a', 'b']);
  });

  it('a pasted line still ends at its Enter, with what follows it dropped', async () => {
    expect(await typed('a\u0007b\rq\u007f')).toEqual(['a', 'b', 'enter']);
  });
});

describe('a keystroke alone in its read still acts', () => {
  it.each([
    ['Esc', '\u001b', ['esc']],
    ['Backspace', '\u007f', ['backspace']],
    ['Ctrl-U', '\u0015', ['ctrl+u']],
    ['Ctrl-G', '\u0007', ['ctrl+g']],
    ['a held Backspace (several in one read)', '\u007f\u007f\u007f', ['backspace', 'backspace', 'backspace']],
    ['an arrow', '\u001b[A', ['up']],
    ['two arrows in one read', '\u001b[A\u001b[B', ['up', 'down']],
  ])('%s', async (_what, bytes, keys) => {
    expect(await typed(bytes)).toEqual(keys);
  });
});
