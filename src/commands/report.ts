// `tws-risk report`: connect (or read a recording), wait for a complete snapshot, print it once, exit.
import { loadSettings } from '../config/load.js';
import type { PortfolioState } from '../model/state.js';
import { RecordingError } from '../streams/recording/reader.js';
import { parseAt, recordingStart, stateAt } from '../streams/replay/state-at.js';
import { EXIT, type CommandIo } from './io.js';
import { openLive } from './live.js';
import { missingData, stateJson } from './state-json.js';
import { stateText } from './state-text.js';

export interface ReportFlags {
  readonly host?: string;
  readonly port?: string;
  readonly 'client-id'?: string;
  readonly account?: string;
  readonly timeout?: string;
  readonly json?: boolean;
  readonly replay?: string;
  readonly at?: string;
  readonly config?: string;
}

/** How long a report waits for the socket before saying it cannot connect. */
const CONNECT_DEADLINE_MS = 4_000;

function int(name: string, v: string | undefined, min: number, max: number): number | string | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) return `--${name} expects an integer from ${min} to ${max}, got ${JSON.stringify(v)}`;
  return Number(v);
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
  const c = loaded.settings.connection;
  const port = int('port', f.port, 1, 65535);
  const clientId = int('client-id', f['client-id'], 0, 2147483647);
  const timeout = int('timeout', f.timeout, 1, 3600);
  for (const v of [port, clientId, timeout]) {
    if (typeof v === 'string') {
      io.err(`tws-risk report: ${v}`);
      return EXIT.usage;
    }
  }
  const host = f.host ?? c.host;
  const p = (port as number | undefined) ?? c.port;
  const session = openLive({
    host,
    port: p,
    clientId: (clientId as number | undefined) ?? c.clientId,
    ...(f.account || c.account ? { account: f.account || c.account } : {}),
    record: false,
    recordingSource: 'live',
    settings: loaded.settings,
  });
  const started = Date.now();
  const deadline = started + ((timeout as number | undefined) ?? 20) * 1000;
  try {
    let everConnected = false;
    for (;;) {
      const s = session.feed.state;
      if (s.health !== 'disconnected' && s.health !== 'connecting') everConnected = true;
      const fatal = s.health === 'disconnected' && /in use|not managed/.test(s.healthReason ?? '');
      if ((!everConnected && (Date.now() - started > CONNECT_DEADLINE_MS || /cannot connect/.test(s.healthReason ?? ''))) || fatal) {
        io.err(`tws-risk report: cannot connect to TWS at ${host}:${p}: ${s.healthReason ?? 'no answer'}`);
        io.err('  Is TWS or IB Gateway running with the API enabled on that port? To try tws-risk without a broker: tws-risk demo');
        return EXIT.cannotConnect;
      }
      if ((s.health === 'ready' || s.health === 'degraded') && missingData(s).length === 0) {
        print(s, json, io);
        return EXIT.ok;
      }
      if (Date.now() > deadline) {
        const missing = missingData(s);
        io.err(`tws-risk report: timed out after ${Math.round((Date.now() - started) / 1000)} s waiting for ${missing.join('; ') || `a usable connection (${s.health})`}`);
        print(s, json, io);
        return EXIT.timedOut;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
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
