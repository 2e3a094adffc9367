// The bundle's edit of Ink (text nodes not squashed again): a copy of Ink so edited draws every frame as Ink does.
import { EventEmitter } from 'node:events';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as React from 'react';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import chalk from 'chalk';
import { cacheInkSquash, cacheInkTextNodes } from '../../src/views/ink-text-cache.js';

type InkModule = typeof import('ink');

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const inkBuild = dirname(createRequire(import.meta.url).resolve('ink'));

class FakeStdout extends EventEmitter {
  frames: string[] = [];
  constructor(public columns: number) {
    super();
  }
  readonly rows = 30;
  write = (frame: string, done?: () => void): boolean => {
    this.frames.push(frame);
    done?.();
    return true;
  };
}

class FakeStdin extends EventEmitter {
  isTTY = false;
  read = () => null;
  setEncoding(): void {}
  setRawMode(): void {}
  resume(): void {}
  pause(): void {}
  ref(): void {}
  unref(): void {}
}

/** Counts its calls: Ink runs a nested transform each time it squashes the line around it. */
function counter() {
  const c = { calls: 0, fn: (s: string) => (c.calls++, s.toUpperCase()) };
  return c;
}

interface Step {
  readonly rows: readonly { readonly id: string; readonly text: string; readonly color?: string }[];
  readonly wrap: 'wrap' | 'truncate-end';
  readonly hidden: boolean;
}

/**
 * The same tree for either Ink: styled nested Texts, wide characters, a memoised line, wrapping and a hidden part. It
 * changes by its own state, as the console's App does (a rerender() from outside renders every Text again).
 */
function scene(ink: InkModule, count: ReturnType<typeof counter>, show: { set?: (s: Step) => void }) {
  const { Box, Text, Transform } = ink;
  // Never rendered again after mounting: its line is one Ink need not squash again.
  const Still = React.memo(function Still() {
    return (
      <Text wrap="truncate-end">
        <Text color="cyan">still </Text>
        <Transform transform={count.fn}>
          <Text bold>line 日本 📈</Text>
        </Transform>
      </Text>
    );
  });
  return function Scene() {
    const [step, setStep] = React.useState(steps[0]!);
    show.set = setStep;
    return (
      <Box flexDirection="column">
        <Still />
        {step.rows.map((r) => (
          <Text key={r.id} wrap="truncate-end">
            <Text dimColor>{r.id} </Text>
            <Text {...(r.color ? { color: r.color } : {})}>{r.text}</Text>
            {step.hidden ? null : <Text inverse> ✓</Text>}
          </Text>
        ))}
        <Box width={24}>
          <Text wrap={step.wrap}>
            wrapped words 漢字かな混じり and more <Text color="red">{step.rows.length}</Text> words to wrap
          </Text>
        </Box>
      </Box>
    );
  };
}

const steps: Step[] = [
  {
    rows: [
      { id: 'a', text: 'alpha 1.00' },
      { id: 'b', text: 'beta 日本語 2.00', color: 'green' },
      { id: 'c', text: 'gamma' },
    ],
    wrap: 'wrap',
    hidden: false,
  },
  // One string changes.
  {
    rows: [
      { id: 'a', text: 'alpha 1.01' },
      { id: 'b', text: 'beta 日本語 2.00', color: 'green' },
      { id: 'c', text: 'gamma' },
    ],
    wrap: 'wrap',
    hidden: false,
  },
  // Only a nested Text's colour changes (its transform).
  {
    rows: [
      { id: 'a', text: 'alpha 1.01' },
      { id: 'b', text: 'beta 日本語 2.00', color: 'red' },
      { id: 'c', text: 'gamma' },
    ],
    wrap: 'wrap',
    hidden: false,
  },
  // Rows move, one goes, one comes; a wide character moves to where a narrow one was.
  {
    rows: [
      { id: 'c', text: 'gamma' },
      { id: 'd', text: '📈 delta' },
      { id: 'a', text: 'alpha 1.01' },
    ],
    wrap: 'wrap',
    hidden: false,
  },
  // A nested part disappears, and the wrap mode changes.
  {
    rows: [
      { id: 'c', text: 'gamma' },
      { id: 'd', text: '📈 delta' },
      { id: 'a', text: 'alpha 1.01' },
    ],
    wrap: 'truncate-end',
    hidden: true,
  },
  // Nothing changes.
  {
    rows: [
      { id: 'c', text: 'gamma' },
      { id: 'd', text: '📈 delta' },
      { id: 'a', text: 'alpha 1.01' },
    ],
    wrap: 'truncate-end',
    hidden: true,
  },
  {
    rows: [
      { id: 'c', text: 'gamma' },
      { id: 'd', text: '📈 delta' },
      { id: 'a', text: 'alpha 1.01' },
    ],
    wrap: 'wrap',
    hidden: false,
  },
];

/** Waits until `ok()` holds, up to a generous deadline. */
async function until(what: string, ok: () => boolean): Promise<void> {
  const end = Date.now() + 20_000;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Renders the steps, resizing between some of them, and returns the frame after each (and the transform's calls). */
async function frames(ink: InkModule): Promise<{ frames: string[]; calls: number[] }> {
  const count = counter();
  const show: { set?: (s: Step) => void } = {};
  const Scene = scene(ink, count, show);
  const stdout = new FakeStdout(40);
  const out: string[] = [];
  const calls: number[] = [];
  const instance = ink.render(<Scene />, {
    stdout: stdout as unknown as NodeJS.WriteStream,
    stdin: new FakeStdin() as unknown as NodeJS.ReadStream,
    debug: true,
    // Ink follows resizes only when interactive.
    interactive: true,
    patchConsole: false,
    exitOnCtrlC: false,
  });
  // Debug mode writes every render whole: the frame after a change is the next write.
  const next = async (change: () => void) => {
    const n = stdout.frames.length;
    change();
    await until('the next frame', () => stdout.frames.length > n);
    out.push(stdout.frames.at(-1)!);
    calls.push(count.calls);
  };
  try {
    await until('the first frame', () => stdout.frames.length > 0 && show.set !== undefined);
    out.push(stdout.frames.at(-1)!);
    calls.push(count.calls);
    for (const [i, step] of steps.entries()) {
      if (i === 0) continue;
      // Narrower than the rows (truncated), then wide again.
      if (i === 3) await next(() => ((stdout.columns = 12), stdout.emit('resize')));
      if (i === 5) await next(() => ((stdout.columns = 40), stdout.emit('resize')));
      await next(() => show.set!(step));
    }
  } finally {
    instance.unmount();
  }
  return { frames: out, calls };
}

let dir: string;
let edited: InkModule;
const chalkLevel = chalk.level;

beforeAll(async () => {
  // Colours on (the test's stdout is no terminal): a change of colour alone is one of the steps.
  chalk.level = 2;
  // A copy of Ink's build beside a node_modules that links the project's: its React, Yoga and chalk are the same modules.
  dir = mkdtempSync(join(tmpdir(), 'tws-risk-ink-text-cache-'));
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
  const copy = join(dir, 'ink-copy');
  mkdirSync(join(copy, 'build'), { recursive: true });
  writeFileSync(join(copy, 'package.json'), JSON.stringify({ type: 'module' }));
  cpSync(inkBuild, join(copy, 'build'), { recursive: true, filter: (f) => !f.endsWith('.map') });
  const file = join(copy, 'build', 'render-node-to-output.js');
  const patched = cacheInkTextNodes(readFileSync(file, 'utf8'));
  expect(patched, "the edit applies to this Ink's render-node-to-output.js").toBeDefined();
  writeFileSync(file, patched!);
  const squashFile = join(copy, 'build', 'squash-text-nodes.js');
  const squash = cacheInkSquash(readFileSync(squashFile, 'utf8'));
  expect(squash, "the edit applies to this Ink's squash-text-nodes.js").toBeDefined();
  writeFileSync(squashFile, squash!);
  expect(readdirSync(join(copy, 'build'))).toContain('index.js');
  edited = (await import(pathToFileURL(join(copy, 'build', 'index.js')).href)) as InkModule;
}, 60_000);

afterAll(() => {
  chalk.level = chalkLevel;
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('ink text cache (the bundle edits of render-node-to-output.js and squash-text-nodes.js)', () => {
  it('leaves a file it does not know as it is', () => {
    expect(cacheInkTextNodes('export default () => {};\n')).toBeUndefined();
    expect(cacheInkSquash('export default () => {};\n')).toBeUndefined();
  });

  it('draws every frame as Ink does (text, colour, order, hiding, wrap mode, resizes, wide characters)', async () => {
    const ink = (await import('ink')) as InkModule;
    const want = await frames(ink);
    const got = await frames(edited);
    expect(want.frames.length).toBe(steps.length + 2);
    // The frames differ from each other (the steps are seen), and the edited Ink draws each one as Ink does.
    expect(new Set(want.frames).size).toBeGreaterThan(4);
    expect(got.frames).toEqual(want.frames);
    expect(want.frames.at(-1)).toContain('LINE 日本 📈');
    expect(want.frames.join('')).toContain('\u001B[');
  });

  it('does not squash a line again while nothing under it changed', async () => {
    const ink = (await import('ink')) as InkModule;
    const want = await frames(ink);
    const got = await frames(edited);
    // Ink runs the still line's transform on every frame (and again to measure it); the edited Ink only when the width
    // changes (two resizes: measured and drawn again).
    expect(want.calls.at(-1)! - want.calls[0]!).toBeGreaterThanOrEqual(steps.length);
    expect(got.calls.at(-1)).toBeGreaterThan(0);
    expect(got.calls.at(-1)! - got.calls[0]!).toBeLessThanOrEqual(4);
  });

  it('squashes a line once for Yoga to measure and Ink to draw, and not again at a new width', async () => {
    const got = await frames(edited);
    // Mounted: squashed once (Ink alone squashes it to measure, and again to draw). Resized twice since, measured and
    // drawn at each width: the squashed text does not depend on the width, and nothing under the line changed.
    expect(got.calls[0]).toBe(1);
    expect(got.calls.at(-1)).toBe(1);
  });
});
