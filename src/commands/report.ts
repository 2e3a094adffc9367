// `tws-risk report`: connect (or read a recording), wait for a complete snapshot, print it once, exit.
import { loadSettings } from '../config/load.js';
import type { PortfolioState } from '../model/state.js';
import { RecordingError } from '../streams/recording/reader.js';
import { parseAt, recordingStart, stateAt } from '../streams/replay/state-at.js';
import { EXIT, type CommandIo } from './io.js';
import { cannotConnectLines, openLive, resolveConnection, waitForData, type ConnectionFlags } from './live.js';
import { missingData, stateJson } from './state-json.js';
import { stateText } from './state-text.js';

export interface ReportFlags extends ConnectionFlags {
  readonly json?: boolean;
  readonly replay?: string;
  readonly at?: string;
  readonly config?: string;
}

function print(state: PortfolioState, json: boolean, io: CommandIo, extra: Record<string, unknown> = {}): void {
  if (json) io.out(JSON.stringify({ ...stateJson(state, Date.now()), ...extra }, null, 2));
  else for (const l of stateText(state)) io.out(l);
}

export async function reportCommand(f: ReportFlags, io: CommandIo): Promise<number> {
  const json = f.json === true;
  if (f.replay) return reportFromRecording(f.replay, f.at, json, io);
  if (f.at) {
    io.err('tws-risk report: --at needs --replay FILE');
    return EXIT.usage;
  }
  const loaded = loadSettings(f.config);
  for (const p of loaded.problems) io.err(`warning: ${p} (using defaults)`);
  const c = resolveConnection(f, loaded.settings, 20);
  if (typeof c === 'string') {
    io.err(`tws-risk report: ${c}`);
    return EXIT.usage;
  }
  const session = openLive({ ...c, record: false, recordingSource: 'live', settings: loaded.settings });
  const started = Date.now();
  try {
    const r = await waitForData(session, (s) => missingData(s).length === 0, c.timeoutMs);
    const s = session.feed.state;
    if (r.kind === 'cannotConnect') {
      for (const l of cannotConnectLines('report', c.host, c.port, r.reason)) io.err(l);
      return EXIT.cannotConnect;
    }
    if (r.kind === 'timedOut') {
      const missing = missingData(s);
      io.err(`tws-risk report: timed out after ${Math.round((Date.now() - started) / 1000)} s waiting for ${missing.join('; ') || `a usable connection (${s.health})`}`);
      print(s, json, io);
      return EXIT.timedOut;
    }
    print(s, json, io);
    return EXIT.ok;
  } finally {
    await session.close('report done');
  }
}

async function reportFromRecording(file: string, at: string | undefined, json: boolean, io: CommandIo): Promise<number> {
  try {
    let atMs: number | undefined;
    if (at) {
      const parsed = parseAt(at, await recordingStart(file));
      if (typeof parsed === 'string') {
        io.err(`tws-risk report: ${parsed}`);
        return EXIT.usage;
      }
      atMs = parsed;
    }
    const r = await stateAt(file, atMs);
    if (r.summary && !r.summary.sealed) io.err(`warning: ${file} is not sealed (the writer crashed or is still writing); showing what it holds`);
    print(r.state, json, io, { replay: { file, at: atMs === undefined ? null : new Date(atMs).toISOString(), events: r.events } });
    return EXIT.ok;
  } catch (e) {
    if (e instanceof RecordingError) {
      io.err(`tws-risk report: ${e.message}`);
      return EXIT.invalid;
    }
    throw e;
  }
}
