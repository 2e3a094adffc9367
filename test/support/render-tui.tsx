// Renders console components in a fake terminal of a given size (80, 120, 200 columns) and types raw bytes into it.
import { EventEmitter } from 'node:events';
import { render, type Instance } from 'ink';
import type { ReactElement } from 'react';
import { DEFAULT_BINDINGS } from '../../src/keymap/bindings.js';
import type { PortfolioState } from '../../src/model/state.js';
import { App, type AppProps } from '../../src/views/App.js';
import type { ConsoleSnapshot } from '../../src/views/store.js';
import type { RiskResult } from '../../src/session/stress-model.js';

/*
 * Like ink-testing-library (same fake streams, `debug: true` so every render is written whole and at once), but
 * with a terminal size: ink-testing-library's stdout is fixed at 100 columns and has no rows, and this console lays
 * itself out by both. Key tests write raw bytes to stdin, so Ink's real input parser runs (escape sequences,
 * split sequences and its 20 ms escape flush included).
 */

class FakeStdout extends EventEmitter {
  frames: string[] = [];
  bytes = 0;
  constructor(
    public columns: number,
    public rows: number,
  ) {
    super();
  }
  // A real stream calls back once written; Ink's unmount waits on that before `waitUntilExit` resolves.
  write = (frame: string, done?: () => void): boolean => {
    this.frames.push(frame);
    this.bytes += Buffer.byteLength(frame);
    done?.();
    return true;
  };
}

class FakeStdin extends EventEmitter {
  isTTY = true;
  private data: string | null = null;
  write = (data: string): void => {
    this.data = data;
    this.emit('readable');
    this.emit('data', data);
  };
  // What a real stream reports before Ink reads the chunk (the console tells a paste from a key by it).
  get readableLength(): number {
    return this.data?.length ?? 0;
  }
  read = (): string | null => {
    const d = this.data;
    this.data = null;
    return d;
  };
  setEncoding(): void {}
  setRawMode(): void {}
  resume(): void {}
  pause(): void {}
  ref(): void {}
  unref(): void {}
}

const ANSI = /\u001B\[[0-9;?]*[ -/]*[@-~]|\u001B\][^\u0007]*\u0007|\u001B[()][0-9A-Za-z]/g;

/** A frame as plain text. */
export function strip(s: string): string {
  return s.replace(ANSI, '');
}

export interface Tui {
  /** The newest frame, without colour codes. */
  lastFrame(): string;
  /** The newest frame with its escape codes (to check that styles are applied). */
  lastRawFrame(): string;
  readonly stdout: FakeStdout;
  /**
   * Writes raw bytes as one read, as a terminal would, then yields to the event loop: two reads from a real
   * terminal never arrive in the same tick, and React applies an input's update in a microtask.
   */
  write(bytes: string): Promise<void>;
  /** Writes each chunk, waiting `gapMs` between them (30 ms is past Ink's 20 ms escape flush). */
  writeSplit(chunks: readonly string[], gapMs?: number): Promise<void>;
  /** Polls until the frame satisfies `predicate` (no fixed sleeps: rendering is synchronous in debug mode). */
  waitForFrame(predicate: (frame: string) => boolean, what?: string, timeoutMs?: number): Promise<string>;
  resize(columns: number, rows: number): void;
  unmount(): void;
  readonly instance: Instance;
}

export function renderTui(tree: ReactElement, size: { columns: number; rows: number }): Tui {
  const stdout = new FakeStdout(size.columns, size.rows);
  const stdin = new FakeStdin();
  const stderr = new FakeStdout(size.columns, size.rows);
  const instance = render(tree, {
    stdout: stdout as unknown as NodeJS.WriteStream,
    stdin: stdin as unknown as NodeJS.ReadStream,
    stderr: stderr as unknown as NodeJS.WriteStream,
    debug: true,
    exitOnCtrlC: false,
    patchConsole: false,
  });
  const last = () => stdout.frames[stdout.frames.length - 1] ?? '';
  return {
    lastFrame: () => strip(last()),
    lastRawFrame: last,
    stdout,
    async write(bytes) {
      stdin.write(bytes);
      await new Promise((r) => setImmediate(r));
    },
    async writeSplit(chunks, gapMs = 30) {
      for (const c of chunks) {
        stdin.write(c);
        await new Promise((r) => setTimeout(r, gapMs));
      }
    },
    async waitForFrame(predicate, what = 'a frame', timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const f = strip(last());
        if (predicate(f)) return f;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last frame:\n${f}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    resize(columns, rows) {
      stdout.columns = columns;
      stdout.rows = rows;
      stdout.emit('resize');
    },
    unmount: () => instance.unmount(),
    instance,
  };
}

/** A store that publishes what the test gives it (the real store is tested on its own). */
export class TestStore {
  private snapshot: ConsoleSnapshot;
  private readonly listeners = new Set<() => void>();
  freezes = 0;
  constructor(state: PortfolioState, risk?: RiskResult, now = state.lastEventAt || Date.UTC(2026, 10, 23, 15)) {
    this.snapshot = { state, live: state, ...(risk ? { risk } : {}), now, version: 1 };
  }
  readonly subscribe = (l: () => void) => {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  };
  readonly getSnapshot = () => this.snapshot;
  acks = 0;
  acknowledgeAlerts(): readonly string[] {
    this.acks++;
    return [];
  }
  toggleFreeze(): void {
    this.freezes++;
    this.set({ frozen: this.snapshot.frozen ? undefined : { at: this.snapshot.now, seq: this.snapshot.state.lastSeq } });
  }
  set(change: Partial<ConsoleSnapshot>): void {
    const next = { ...this.snapshot, ...change, version: this.snapshot.version + 1 } as ConsoleSnapshot & { frozen?: unknown };
    if (next.frozen === undefined) delete next.frozen;
    this.snapshot = next;
    for (const l of [...this.listeners]) l();
  }
}

/**
 * The text rows of the box (a dialog's double border, the replay strip's single one) whose top border is the first in
 * `frame`, its title first; a row the view wrapped (continued two columns in) is joined back to the row it continues.
 */
export function boxRows(frame: string): string[] {
  const lines = frame.split('\n');
  const top = lines.findIndex((l) => /^[┌╔]/.test(l));
  const rows: string[] = [];
  for (const l of lines.slice(top + 1)) {
    if (/^[└╚]/.test(l)) break;
    const text = l.replace(/^[│║] +/, '').replace(/ *[│║]$/, '');
    if (/^[│║] {3,}\S/.test(l) && rows.length > 0) rows[rows.length - 1] += ` ${text}`;
    else rows.push(text);
  }
  return rows;
}

export const WIDTHS = [80, 120, 200] as const;
/** Rows used with each width in these tests: 80x24 (tabs), 120x40 (sidebar), 200x50 (every pane). */
export const ROWS: Readonly<Record<number, number>> = { 80: 24, 120: 40, 200: 50 };

/** The App with test defaults: mono theme, default keys, read-only demo; any prop can be overridden. */
export function renderApp(store: AppProps['store'], size: { columns: number; rows: number }, props: Partial<AppProps> = {}): Tui {
  return renderTui(
    <App store={store} mode="demo" trading="readOnly" bindings={DEFAULT_BINDINGS} theme={{ name: 'mono', depth: '16', noColor: true }} {...props} />,
    size,
  );
}
