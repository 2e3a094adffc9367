// A live console on one simulator's account publishing to NATS, drawn in a fake terminal: the fleet tests' console.
import { runConsole } from '../../src/commands/console.js';
import { openLive } from '../../src/commands/live.js';
import { holdFeed } from '../../src/commands/publish.js';
import { DEFAULT_SETTINGS } from '../../src/config/settings.js';
import { Tty, TtyIn, ttyStreams } from './fake-tty.js';

export interface PublishingConsole {
  /** The notes its log was given (what the console says of publishing among them), in order. */
  readonly notes: string[];
  /** What the fake terminal was sent. */
  readonly stdout: Tty;
  /** Quits (Q) and waits for the console to close; its exit code. */
  quit(): Promise<number>;
}

export function startPublishingConsole(o: { readonly port: number; readonly clientId: number; readonly publish: string }): PublishingConsole {
  // As live-console.ts wires it: the events from seq 1 are held until the console's publisher takes them.
  const held = holdFeed();
  const session = openLive({
    host: '127.0.0.1',
    port: o.port,
    clientId: o.clientId,
    record: false,
    recordingSource: 'live',
    settings: DEFAULT_SETTINGS,
    onFeed: held.onFeed,
  });
  const notes: string[] = [];
  session.feed.events$.subscribe({
    next: (ev) => {
      if (ev.type === 'operatorActed' && ev.action === 'note') notes.push(ev.detail.text);
    },
  });
  const stdout = new Tty(140, 40);
  const stdin = new TtyIn();
  const done = runConsole({
    feed: session.feed,
    source: session.source,
    mode: 'live',
    endpoint: { host: '127.0.0.1', port: o.port },
    settings: { ...DEFAULT_SETTINGS, keymap: [{ key: 'Q', command: 'app.quit' }] },
    io: { out: () => {}, err: () => {} },
    publish: { publish: o.publish },
    publishHeld: held,
    clientId: o.clientId,
    clock: session.clock,
    close: (r, end) => session.close(r, end),
    streams: ttyStreams(stdout, stdin),
  });
  let quitting: Promise<number> | undefined;
  return {
    notes,
    stdout,
    quit: () => {
      if (!quitting) {
        stdin.type('Q');
        quitting = done;
      }
      return quitting;
    },
  };
}
