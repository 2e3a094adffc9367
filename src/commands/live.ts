// Opens a live session: TWS source → feed (→ flight recorder). Used by report, demo and the console.
import { dirname, resolve } from 'node:path';
import envPaths from 'env-paths';
import type { Settings } from '../config/settings.js';
import { Feed } from '../streams/feed.js';
import { RotatingRecorder } from '../streams/recorder.js';
import type { RecordingSource } from '../streams/recording/format.js';
import { TwsSource } from '../streams/tws/source.js';
import { appVersion } from '../version.js';

export interface LiveOptions {
  readonly host: string;
  readonly port: number;
  readonly clientId: number;
  readonly account?: string;
  /** Record to the settings' directory (rotating), or not at all. */
  readonly record: boolean;
  /** Record to this file instead (still rotating by size and day). */
  readonly recordFile?: string;
  readonly recordingSource: RecordingSource;
  readonly settings: Settings;
  readonly onRecorderError?: (err: Error) => void;
}

export interface LiveSession {
  readonly source: TwsSource;
  readonly feed: Feed;
  readonly recorder?: RotatingRecorder;
  close(reason: string): Promise<void>;
}

/** Where recordings go when the settings leave it empty: the platform data directory. */
export function defaultRecordingDir(settings: Settings): string {
  return settings.recorder.dir || `${envPaths('tws-risk', { suffix: '' }).data}/recordings`;
}

export function openLive(o: LiveOptions): LiveSession {
  const source = new TwsSource({ host: o.host, port: o.port, clientId: o.clientId, ...(o.account ? { account: o.account } : {}) });
  const r = o.settings.recorder;
  const recorder = o.record
    ? new RotatingRecorder({
        dir: o.recordFile ? dirname(resolve(o.recordFile)) : defaultRecordingDir(o.settings),
        ...(o.recordFile ? { firstFile: resolve(o.recordFile) } : {}),
        source: o.recordingSource,
        appVersion: appVersion(),
        gzip: r.gzip,
        rotateBytes: r.rotateBytes,
        policy: { everyEvents: r.keyframeEveryEvents, everyMs: r.keyframeEveryMs },
        meta: { host: o.host, port: o.port, clientId: o.clientId },
      })
    : undefined;
  const feed = new Feed(source.events$, { ...(recorder ? { sink: recorder } : {}), ...(o.onRecorderError ? { onSinkError: o.onRecorderError } : {}) });
  source.start();
  return {
    source,
    feed,
    ...(recorder ? { recorder } : {}),
    async close(reason: string) {
      source.stop();
      await feed.close(reason);
    },
  };
}
