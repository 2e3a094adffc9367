// Test helpers for the simulator: awaiting conditions, connecting real @stoqey/ib clients, recording events.
import { EventName, IBApi, IBApiNext } from '@stoqey/ib';
import { Decimal } from '../../src/model/money.js';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../src/sim/index.js';

/**
 * The shortest deadline any wait gets. A deadline only turns a hang into a readable failure; it never measures speed
 * (timing belongs in benchmarks), so on a busy machine a wait written as "5 s" may take longer before it gives up.
 */
export const MIN_WAIT_MS = 20_000;

/**
 * Polls `predicate` until it returns a truthy value (returned) or throws after `timeoutMs` (at least MIN_WAIT_MS). An
 * async predicate is awaited: its promise, always truthy, once ended every wait on a NATS stream at the first poll.
 */
export async function waitFor<T>(
  predicate: () => T | undefined | null | false | PromiseLike<T | undefined | null | false>,
  timeoutMs = MIN_WAIT_MS,
  what = 'condition',
): Promise<T> {
  timeoutMs = Math.max(timeoutMs, MIN_WAIT_MS);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await predicate();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Resolves with `value` after `ms`; used only to bound an await that must NOT complete (zombie). */
export function after<T>(ms: number, value: T): Promise<T> {
  return new Promise((r) => setTimeout(() => r(value), ms));
}

/** Everything one raw IBApi client received, by event name, plus info codes. */
export interface Recorder {
  readonly events: Map<string, unknown[][]>;
  readonly infos: Array<{ code: number; message: string }>;
  readonly errors: Array<{ code: number; reqId: number; message: string }>;
  of(name: string): unknown[][];
  clear(): void;
}

export function record(api: IBApi): Recorder {
  const events = new Map<string, unknown[][]>();
  const infos: Recorder['infos'] = [];
  const errors: Recorder['errors'] = [];
  api.on(EventName.all, (name: string, args: unknown[]) => {
    let list = events.get(name);
    if (!list) events.set(name, (list = []));
    list.push(args);
  });
  api.on(EventName.info, (message: string, code: number) => infos.push({ code, message }));
  api.on(EventName.error, (err: Error, code: number, reqId: number) => errors.push({ code, reqId, message: err.message }));
  return {
    events,
    infos,
    errors,
    of: (name) => events.get(name) ?? [],
    clear: () => {
      events.clear();
      infos.length = 0;
      errors.length = 0;
    },
  };
}

/** A raw IBApi client connected to the simulator and past nextValidId ("ready"). */
export async function connectApi(port: number, clientId: number): Promise<{ api: IBApi; rec: Recorder; nextValidId: number }> {
  const api = new IBApi({ host: '127.0.0.1', port });
  const rec = record(api);
  let nextValidId = -1;
  api.once(EventName.nextValidId, (id: number) => (nextValidId = id));
  api.connect(clientId);
  await waitFor(() => nextValidId >= 0, 10_000, `nextValidId for client ${clientId}`);
  return { api, rec, nextValidId };
}

/** An IBApiNext connected to the simulator, ready (nextValidId seen); the raw IBApi is `raw`. */
export async function connectNext(port: number, clientId: number, reconnectInterval = 0): Promise<{ ib: IBApiNext; raw: IBApi; rec: Recorder }> {
  const ib = new IBApiNext({ host: '127.0.0.1', port, reconnectInterval });
  // tws-protocol.md §2.2: the wrapped IBApi is only reachable as a private field.
  const raw = (ib as unknown as { api: IBApi }).api;
  const rec = record(raw);
  let ready = false;
  raw.once(EventName.nextValidId, () => (ready = true));
  ib.connect(clientId);
  await waitFor(() => ready, 10_000, `IBApiNext client ${clientId} ready`);
  return { ib, raw, rec };
}

/** Disconnects quietly (ignores "already disconnected"). */
export function disconnectAll(...clients: Array<IBApi | IBApiNext | undefined>): void {
  for (const c of clients) {
    try {
      c?.disconnect();
    } catch {
      // already gone
    }
  }
}

/** Fixed start so expiries and timestamps are the same on every run. */
export const T0 = '2026-03-02T14:30:00Z';

/** An advisor (FA) login's three sub-accounts, each with a book of its own (stocks in two currencies, cash; one EUR-based). */
export const FA_BOOKS: NonNullable<SimulatorOptions['subAccounts']> = {
  DU2000001: { positions: [{ conId: 265598, quantity: '100', avgPrice: '180' }], cash: { USD: '50000' } },
  DU2000002: { positions: [{ conId: 76792991, quantity: '-50', avgPrice: '250' }], cash: { USD: '80000', EUR: '10000' } },
  DU2000003: { positions: [{ conId: 14204, quantity: '200', avgPrice: '170' }], cash: { EUR: '30000' }, baseCurrency: 'EUR' },
};

/**
 * The simulator of an advisor login (FA_BOOKS unless `opts` says otherwise) with its market still (speed 0, no vol):
 * every figure a test compares stays put while the client catches up. Quiet, on a free port, without control channel.
 */
export function startAdvisorSim(opts: SimulatorOptions = {}): Promise<Simulator> {
  return startSimulator({ port: 0, controlPort: null, seed: 3, speed: 0, startTime: T0, log: false, market: { volScale: 0 }, subAccounts: FA_BOOKS, ...opts });
}

/** Starts a simulator on a free port, without control channel, logging into `logs` (printed on demand). */
export async function startTestSim(opts: SimulatorOptions = {}): Promise<{ sim: Simulator; logs: string[] }> {
  const logs: string[] = [];
  const sim = await startSimulator({
    port: 0,
    controlPort: null,
    startTime: T0,
    seed: 11,
    log: (level, message) => logs.push(`${level} ${message}`),
    ...opts,
  });
  return { sim, logs };
}

/** Last value a raw client received for an account value key/currency (from updateAccountValue events). */
export function lastAccountValue(rec: Recorder, key: string, currency: string): string | undefined {
  const rows = rec.of(EventName.updateAccountValue).filter((a) => a[0] === key && a[2] === currency);
  return rows.length ? (rows[rows.length - 1]![1] as string) : undefined;
}

/** Latest value of every (key, currency) a raw client received. */
export function accountValues(rec: Recorder): Map<string, Decimal | string> {
  const out = new Map<string, Decimal | string>();
  for (const [key, value, currency] of rec.of(EventName.updateAccountValue) as Array<[string, string, string]>) {
    out.set(`${key}|${currency}`, /^-?\d+(\.\d+)?$/.test(value) ? new Decimal(value) : value);
  }
  return out;
}

/** No decoding error (505) reached this client: every frame the simulator sent parsed cleanly. */
export function decodingErrors(rec: Recorder): Recorder['errors'] {
  return rec.errors.filter((e) => e.code === 505);
}
