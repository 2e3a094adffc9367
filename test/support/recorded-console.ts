// The console as a live session runs it, on the simulator: the real source, a recording feed, a hook script and fake terminals.
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ConsoleOptions } from '../../src/commands/console.js';
import type { FeedEvent } from '../../src/model/events.js';
import { startSimulator, type Simulator } from '../../src/sim/index.js';
import { Feed } from '../../src/streams/feed.js';
import { FlightRecorder } from '../../src/streams/recorder.js';
import { readRecording } from '../../src/streams/recording/reader.js';
import { RecordingWriter } from '../../src/streams/recording/writer.js';
import { TwsSource } from '../../src/streams/tws/source.js';
import { T0 } from '../sim/helpers.js';
import { Tty, TtyIn, ttyStreams } from './fake-tty.js';
import { QUICK_SOURCE } from './sim-feed.js';

export interface RecordedConsole {
  readonly sim: Simulator;
  readonly source: TwsSource;
  readonly feed: Feed;
  /** The flight recording every event goes to. */
  readonly recording: string;
  /** An alert hook command that appends what it reads on stdin to `hookOut`. */
  readonly hook: readonly string[];
  readonly hookOut: string;
  readonly stdout: Tty;
  readonly stdin: TtyIn;
  /** What runConsole takes from the rig: the feed and source, the terminals, and a close that ends the session. */
  readonly wiring: Pick<ConsoleOptions, 'feed' | 'source' | 'mode' | 'close' | 'streams'>;
  /** The recording's events, once the console has closed it. */
  recorded(): Promise<FeedEvent[]>;
  /** Stops the source, the feed and the simulator (after a test, whatever happened). */
  close(): Promise<void>;
}

/** Starts the simulator (seed 7, at 20×, from T0) and connects to it as `clientId`; files go in `dir`. */
export async function startRecordedConsole(dir: string, clientId: number): Promise<RecordedConsole> {
  const sim = await startSimulator({ port: 0, controlPort: null, seed: 7, speed: 20, startTime: T0, log: false });
  const source = new TwsSource({ host: '127.0.0.1', port: sim.port, clientId, ...QUICK_SOURCE });
  const recording = join(dir, 'session.jsonl');
  const writer = new RecordingWriter({ file: recording, appVersion: '0.0.0-test', source: 'live', account: null, baseCurrency: null, startedAtMs: Date.now() });
  const feed = new Feed(source.events$, { sink: new FlightRecorder(writer) });
  source.start();
  const hookOut = join(dir, 'hook.jsonl');
  const hook = join(dir, 'hook.sh');
  writeFileSync(hook, '#!/bin/sh\ncat >> "$1"\n');
  chmodSync(hook, 0o755);
  const stdout = new Tty(120, 40);
  const stdin = new TtyIn();
  return {
    sim,
    source,
    feed,
    recording,
    hook: [hook, hookOut],
    hookOut,
    stdout,
    stdin,
    wiring: {
      feed,
      source,
      mode: 'live',
      close: async () => {
        source.stop();
        await feed.close('operator quit');
      },
      streams: ttyStreams(stdout, stdin, new Tty(120, 40)),
    },
    async recorded() {
      const events: FeedEvent[] = [];
      for await (const it of readRecording(recording)) if (it.kind === 'event') events.push(it.event);
      return events;
    },
    async close() {
      source.stop();
      await feed.close('test over');
      await sim.close();
    },
  };
}
