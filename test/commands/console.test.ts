// runConsole end to end on a fake terminal: alternate screen in and out, quit by key, session closed, one-line summary.
import { Subject } from 'rxjs';
import { describe, expect, it, vi } from 'vitest';
import { runConsole, sessionSummary, type ConsoleOptions } from '../../src/commands/console.js';
import { EXIT, outputClosed } from '../../src/commands/io.js';
import { DEFAULT_SETTINGS } from '../../src/config/settings.js';
import type { FeedEventBody } from '../../src/model/events.js';
import { Feed } from '../../src/streams/feed.js';
import { ReplayPlayer } from '../../src/streams/replay/player.js';
import { accountEvents, positionEvents } from '../support/book.js';
import { Tty, TtyIn, ttyStreams } from '../support/fake-tty.js';

/** A session's feed as the demo's is once connected: ready, its account's values in, and `more` after them. */
function readyFeed(...more: FeedEventBody[]): Feed {
  const source = new Subject<FeedEventBody>();
  const feed = new Feed(source);
  for (const b of [{ type: 'healthChanged', health: 'ready', host: '127.0.0.1', port: 7497, clientId: 1 } as FeedEventBody, ...accountEvents(), ...more])
    source.next(b);
  return feed;
}

/** runConsole on fake terminals, what it prints collected in `out` (an error line marked ERR). */
function startConsole(o: Omit<ConsoleOptions, 'io' | 'streams'>, stdout = new Tty()) {
  const stdin = new TtyIn();
  const out: string[] = [];
  const done = runConsole({ ...o, io: { out: (l) => out.push(l), err: (l) => out.push(`ERR ${l}`) }, streams: ttyStreams(stdout, stdin) });
  return { stdout, stdin, out, done };
}

describe('runConsole', () => {
  it('draws on the alternate screen, quits on q, restores the screen, closes the session and prints one line', async () => {
    const feed = readyFeed(...positionEvents());
    const close = vi.fn(async () => feed.close('test'));
    const { stdout, stdin, out, done } = startConsole({
      feed,
      mode: 'demo',
      endpoint: { host: '127.0.0.1', port: 7497 },
      settings: { ...DEFAULT_SETTINGS, keymap: [{ key: 'Q', command: 'app.quit' }] },
      close,
      recorder: { files: ['/tmp/x.jsonl'] },
    });
    await vi.waitFor(() => expect(stdout.out).toContain('Positions'), { timeout: 20_000 });
    expect(stdout.out).toContain('\u001b[?1049h'); // entered the alternate screen
    stdin.type('Q'); // the user's own binding, from the settings
    expect(await done).toBe(0);
    expect(stdout.out).toContain('\u001b[?1049l'); // and left it
    expect(close).toHaveBeenCalledWith('operator quit', 'quit');
    expect(out).toHaveLength(1);
    expect(out[0]).toMatch(
      /^tws-risk demo: \d+s, \d+ events, account DU1234567 \(USD\), last health READY; recorded to \/tmp\/x\.jsonl \(check it with: \S.* verify \/tmp\/x\.jsonl\)(; \d+ frames? took over 100 ms \(slowest \d+ ms\))?$/, // how vitest was started decides the command (self-command.test.ts); a loaded machine adds the slow frames
    );
  });

  // The terminal gone without a SIGHUP reaching us (a wrapper that traps it): the read fails with EIO, or ends.
  for (const [how, gone] of [
    ['fails (EIO)', (stdin: TtyIn) => stdin.emit('error', Object.assign(new Error('read EIO'), { code: 'EIO' }))],
    ['ends', (stdin: TtyIn) => stdin.emit('end')],
  ] as const) {
    it(`ends the session as a closed terminal, not a quit, when its terminal's input ${how}`, async () => {
      const feed = readyFeed();
      const close = vi.fn(async () => feed.close('test'));
      const { stdout, stdin, out, done } = startConsole({ feed, mode: 'demo', settings: DEFAULT_SETTINGS, close });
      await vi.waitFor(() => expect(stdout.out).toContain('Positions'), { timeout: 20_000 });
      gone(stdin);
      expect(await done).toBe(0);
      expect(close).toHaveBeenCalledWith('terminal closed (its input ended)', 'terminalGone');
      expect(out).toHaveLength(1);
      expect(out[0]).toMatch(/; ended: terminal closed \(its input ended\)$/);
      expect(stdin.listenerCount('error')).toBe(0);
    });
  }
});

describe('runConsole whose output is closed', () => {
  it('ends the session sealed, as a closed terminal ends it, and exits 141 when stderr meets EPIPE', async () => {
    const feed = readyFeed();
    const close = vi.fn(async () => feed.close('test'));
    const { stdout, out, done } = startConsole({ feed, mode: 'demo', settings: DEFAULT_SETTINGS, close });
    await vi.waitFor(() => expect(stdout.out).toContain('Positions'), { timeout: 20_000 });
    // What the CLI's EPIPE handler calls (src/cli.ts main): a session listening takes it.
    expect(outputClosed()).toBe(true);
    expect(await done).toBe(EXIT.outputClosed);
    expect(close).toHaveBeenCalledWith('output closed', 'outputClosed');
    expect(out[0]).toMatch(/; ended: output closed$/);
  });
});

describe('runConsole ended by a signal', () => {
  it('still listens while the session closes: a second hangup (a shell forwarding the one the terminal sent) finds a handler, not the default that kills before the seal', async () => {
    const feed = readyFeed();
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    const close = vi.fn(async () => {
      // The seal takes its time: the second signal comes meanwhile.
      await released;
      await feed.close('test');
    });
    const before = process.listenerCount('SIGHUP');
    const { stdout, stdin, out, done } = startConsole({ feed, mode: 'demo', settings: DEFAULT_SETTINGS, close });
    await vi.waitFor(() => expect(stdout.out).toContain('Positions'), { timeout: 20_000 });
    const listening = process.listenerCount('SIGHUP');
    process.kill(process.pid, 'SIGHUP');
    await vi.waitFor(() => expect(close).toHaveBeenCalled(), { timeout: 20_000 });
    // Every listener of the session is still there: with ours gone, the one left (signal-exit's, from Ink) re-raises a
    // SIGHUP it hears alone, which would end this process (the test's worker) at once.
    expect(process.listenerCount('SIGHUP')).toBe(listening);
    process.kill(process.pid, 'SIGHUP');
    await new Promise((r) => setImmediate(r));
    release();
    expect(await done).toBe(0);
    expect(close).toHaveBeenCalledTimes(1);
    expect(close).toHaveBeenCalledWith('terminal closed (SIGHUP)', 'SIGHUP');
    expect(out).toHaveLength(1);
    expect(process.listenerCount('SIGHUP')).toBe(before);
    expect(stdin.listenerCount('error')).toBe(0);
  });
});

describe('runConsole on a replay', () => {
  it('draws its first frame before verifying the recording, saying it is verifying, then shows what verification found', async () => {
    // scan 'later', as replayCommand opens it: runConsole starts the scan once Ink has written the first frame.
    const player = await ReplayPlayer.open('recordings/sample-multicurrency.jsonl', { scan: 'later' });
    const frames: string[] = [];
    const stdout = new Tty(100, 40);
    const write = stdout.write;
    stdout.write = (s: string, cb?: () => void) => {
      frames.push(s);
      return write(s, cb);
    };
    const { stdin, out, done } = startConsole(
      { replay: player, mode: 'replay', trading: 'replay', settings: { ...DEFAULT_SETTINGS, keymap: [{ key: 'Q', command: 'app.quit' }] } },
      stdout,
    );
    await vi.waitFor(() => expect(stdout.out).toContain('Sealed and verified: 94 events'), { timeout: 20_000 });
    const first = frames.find((f) => f.includes('Positions'))!;
    expect(first).toContain('Verifying the hash chain… 0 events so far');
    expect(first).not.toContain('Sealed');
    stdin.type('Q');
    expect(await done).toBe(0);
    expect(out.at(-1)).toContain('replayed recordings/sample-multicurrency.jsonl (read-only)');
  });
});

describe('sessionSummary', () => {
  it('says how long, how much, which account, and where it was recorded, in one line', () => {
    expect(
      sessionSummary({
        command: 'live',
        startedAt: 0,
        endedAt: 3_725_000,
        events: 12345,
        account: 'U1',
        baseCurrency: 'EUR',
        health: 'disconnected',
        files: [],
      }),
    ).toBe('tws-risk live: 1h02m, 12,345 events, account U1 (EUR), last health DISCONNECTED; not recorded');
    expect(sessionSummary({ command: 'demo', startedAt: 0, endedAt: 1000, events: 1, health: 'ready', files: ['a.jsonl'], slowFrames: [120, 250.4] })).toBe(
      'tws-risk demo: 1s, 1 event, no account seen, last health READY; recorded to a.jsonl (check it with: tws-risk verify a.jsonl); 2 frames took over 100 ms (slowest 250 ms)',
    );
    // Several accounts: the connection's count, and each account's own (its arming, alerts and notes are only there).
    expect(
      sessionSummary({
        command: 'demo',
        startedAt: 0,
        endedAt: 1000,
        events: 900,
        accounts: [
          { account: 'DU1', events: 1200 },
          { account: 'DU2', events: 1 },
        ],
        health: 'ready',
        files: [],
      }),
    ).toBe('tws-risk demo: 1s, 900 events on the connection, accounts DU1 (1,200 events), DU2 (1 event), last health READY; not recorded');
  });
});

describe('tws-risk live and demo flags', () => {
  const run = async (...argv: string[]) => {
    const { main } = await import('../../src/cli.js');
    const lines: string[] = [];
    const code = await main(argv, { out: (l) => lines.push(l), err: (l) => lines.push(l) });
    return { code, text: lines.join('\n') };
  };

  it('refuses to open the console without a terminal, pointing to report', async () => {
    const r = await run('live', '--port', '7497');
    expect(r.code).toBe(1);
    expect(r.text).toMatch(/the console needs a terminal; for scripts and cron use `tws-risk report`/);
  });

  it('checks --color before starting anything', async () => {
    expect(await run('demo', '--color', '8')).toEqual({ code: 2, text: 'tws-risk demo: --color expects 16, 256, truecolor or auto, got "8"' });
    expect((await run('--color', 'many')).code).toBe(2);
  });
});
