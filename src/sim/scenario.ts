// Scenario files: load, validate (every problem reported with file and key path), and resolve names.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseIsoTime } from '../model/iso-time.js';
import type { Cadence } from './cadence.js';
import { parseIncident, type Incident } from './incidents.js';
import type { JumpOptions, MarketOptions } from './market.js';
import type { OrderOptions } from './orders.js';
import type { SeedPosition } from './instruments.js';

export interface ScheduledIncident {
  /** Virtual ms after the simulation start. */
  readonly atMs: number;
  readonly incident: Incident;
}

export interface Scenario {
  readonly name: string;
  readonly description: string;
  /** The file it came from, if any. */
  readonly file?: string;
  readonly seed?: number;
  readonly speed?: number;
  readonly startTime?: number;
  readonly account?: string;
  readonly baseCurrency?: string;
  readonly readOnlyApi?: boolean;
  /** false: the account has no live market-data subscription (delayed data only). */
  readonly liveMarketData?: boolean;
  readonly market?: Partial<MarketOptions>;
  readonly cadence?: Partial<Cadence>;
  readonly orders?: Partial<OrderOptions>;
  readonly cash?: Readonly<Record<string, string>>;
  /** Positions held besides the demo book (by conId of the instrument table, e.g. the front-month options). */
  readonly positions?: readonly SeedPosition[];
  /** An advisor (FA) login: sub-accounts with books of their own (SimulatorOptions.subAccounts). */
  readonly subAccounts?: Readonly<Record<string, SubAccountBook>>;
  /**
   * Start this many minutes before the front monthly option expiry (16:00 New York): the next one after the
   * requested start, unless the start is already within that many minutes of it.
   */
  readonly startBeforeExpiryMinutes?: number;
  readonly events: readonly ScheduledIncident[];
}

/** One FA sub-account's opening book, in the shared market. */
export interface SubAccountBook {
  readonly positions: readonly SeedPosition[];
  readonly cash: Readonly<Record<string, string>>;
  /** Its own base currency (default: the login's); its values are reported in it. */
  readonly baseCurrency?: string;
}

/** A scenario file with problems; `problems` lists each as "file: key: message". */
export class ScenarioError extends Error {
  constructor(
    readonly file: string,
    readonly problems: readonly string[],
  ) {
    super(`scenario ${file} is invalid:\n  ${problems.join('\n  ')}`);
  }
}

const TOP_KEYS = [
  'name',
  'description',
  'seed',
  'speed',
  'startTime',
  'account',
  'baseCurrency',
  'readOnlyApi',
  'liveMarketData',
  'market',
  'cadence',
  'orders',
  'cash',
  'positions',
  'subAccounts',
  'startBeforeExpiryMinutes',
  'events',
];

/** Directory of the shipped scenarios: `scenarios/` at the package root (works from src/ and dist/). */
export function scenarioDir(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, 'scenarios');
    if (existsSync(join(dir, 'package.json')) && existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  return undefined;
}

/** Loads a shipped scenario by name (`chf-gap`) or any file by path. */
export function loadScenario(nameOrFile: string): Scenario {
  let file = nameOrFile;
  if (/^[a-z0-9][a-z0-9-]*$/i.test(nameOrFile)) {
    const dir = scenarioDir();
    const shipped = dir ? join(dir, `${nameOrFile}.json`) : undefined;
    if (shipped && existsSync(shipped)) file = shipped;
  }
  file = resolve(file);
  if (!existsSync(file) || !statSync(file).isFile()) {
    const dir = scenarioDir();
    throw new ScenarioError(nameOrFile, [`${nameOrFile}: no such scenario file or shipped scenario${dir ? ` (shipped ones are in ${dir})` : ''}`]);
  }
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ScenarioError(file, [`${file}: not valid JSON: ${(err as Error).message}`]);
  }
  return parseScenario(json, file);
}

/** "HH:MM:SS" or "MM:SS" or a number of seconds → ms. */
function parseAt(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return v * 1000;
  if (typeof v === 'string') {
    const m = /^(?:(\d+):)?(\d{1,2}):(\d{2}(?:\.\d+)?)$/.exec(v.trim());
    if (m) return ((Number(m[1] ?? 0) * 60 + Number(m[2])) * 60 + Number(m[3])) * 1000;
  }
  return undefined;
}

/** Validates a parsed scenario object; throws ScenarioError listing every problem. */
export function parseScenario(json: unknown, file = '<inline>'): Scenario {
  const problems: string[] = [];
  const p = (key: string, msg: string) => problems.push(`${file}: ${key}: ${msg}`);
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new ScenarioError(file, [`${file}: expected a JSON object`]);
  const o = json as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!TOP_KEYS.includes(k)) p(k, 'unknown key');

  const optNum = (key: string, v: unknown, min: number, max: number, int = false): number | undefined => {
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max || (int && !Number.isInteger(v))) {
      p(key, `expected ${int ? 'an integer' : 'a number'} in [${min}, ${max}], got ${JSON.stringify(v)}`);
      return undefined;
    }
    return v;
  };
  const optStr = (key: string, v: unknown, re?: RegExp): string | undefined => {
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || (re && !re.test(v))) {
      p(key, `expected ${re ? `a string matching ${re}` : 'a string'}, got ${JSON.stringify(v)}`);
      return undefined;
    }
    return v;
  };
  const optObj = (key: string, v: unknown, keys: readonly string[]): Record<string, unknown> | undefined => {
    if (v === undefined) return undefined;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) {
      p(key, `expected an object, got ${JSON.stringify(v)}`);
      return undefined;
    }
    const r = v as Record<string, unknown>;
    for (const k of Object.keys(r)) if (!keys.includes(k)) p(`${key}.${k}`, 'unknown key');
    return r;
  };

  const name = optStr('name', o.name) ?? (file === '<inline>' ? 'inline' : file.replace(/^.*[\\/]/, '').replace(/\.json$/, ''));
  const description = optStr('description', o.description) ?? '';
  const seed = optNum('seed', o.seed, 0, 2 ** 32 - 1, true);
  const speed = optNum('speed', o.speed, 0, 100_000);
  let startTime: number | undefined;
  if (o.startTime !== undefined) {
    const t = typeof o.startTime === 'string' ? parseIsoTime(o.startTime.trim()) : 'form';
    if (typeof t === 'string')
      p(
        'startTime',
        `expected an ISO date-time like "2026-03-02T14:30:00Z"${t === 'form' ? '' : ' (a date and time that exist)'}, got ${JSON.stringify(o.startTime)}`,
      );
    else startTime = t;
  }
  const account = optStr('account', o.account, /^[A-Za-z0-9]{3,20}$/);
  const baseCurrency = optStr('baseCurrency', o.baseCurrency, /^[A-Z]{3}$/);
  let readOnlyApi: boolean | undefined;
  if (o.readOnlyApi !== undefined) {
    if (typeof o.readOnlyApi !== 'boolean') p('readOnlyApi', `expected true or false, got ${JSON.stringify(o.readOnlyApi)}`);
    else readOnlyApi = o.readOnlyApi;
  }
  let liveMarketData: boolean | undefined;
  if (o.liveMarketData !== undefined) {
    if (typeof o.liveMarketData !== 'boolean') p('liveMarketData', `expected true or false, got ${JSON.stringify(o.liveMarketData)}`);
    else liveMarketData = o.liveMarketData;
  }

  const m = optObj('market', o.market, ['tickMs', 'volScale', 'jumps']);
  let market: Partial<MarketOptions> | undefined;
  if (m) {
    let jumps: JumpOptions | null | undefined;
    if (m.jumps === null) jumps = null;
    else {
      const j = optObj('market.jumps', m.jumps, ['perDay', 'meanPct', 'stdPct']);
      if (j) {
        const perDay = optNum('market.jumps.perDay', j.perDay, 0, 1000);
        const meanPct = optNum('market.jumps.meanPct', j.meanPct, -50, 50);
        const stdPct = optNum('market.jumps.stdPct', j.stdPct, 0, 50);
        jumps = { perDay: perDay ?? 0, meanPct: meanPct ?? 0, stdPct: stdPct ?? 0 };
      }
    }
    market = {
      ...(m.tickMs !== undefined ? { tickMs: optNum('market.tickMs', m.tickMs, 10, 60_000) } : {}),
      ...(m.volScale !== undefined ? { volScale: optNum('market.volScale', m.volScale, 0, 100) } : {}),
      ...(jumps !== undefined ? { jumps } : {}),
    };
  }

  const c = optObj('cadence', o.cadence, ['portfolioMs', 'accountMs', 'summaryMs', 'pnlMs']);
  let cadence: Partial<Cadence> | undefined;
  if (c) {
    const entries = Object.entries(c).map(([k, v]) => [k, optNum(`cadence.${k}`, v, 10, 86_400_000)] as const);
    cadence = Object.fromEntries(entries.filter(([, v]) => v !== undefined)) as Partial<Cadence>;
  }

  const or = optObj('orders', o.orders, ['slippageBps', 'ackDelayMs', 'fillDelayMs', 'partialIntervalMs', 'maxFillSize']);
  let orders: Partial<OrderOptions> | undefined;
  if (or) {
    const mf = optObj('orders.maxFillSize', or.maxFillSize, ['STK', 'OPT', 'FUT', 'FOP', 'CASH', 'BOND']);
    const maxFillSize: Record<string, string> = {};
    for (const [k, v] of Object.entries(mf ?? {})) {
      if ((typeof v === 'number' && v > 0) || (typeof v === 'string' && /^\d+(\.\d+)?$/.test(v) && Number(v) > 0)) maxFillSize[k] = String(v);
      else p(`orders.maxFillSize.${k}`, `expected a positive number, got ${JSON.stringify(v)}`);
    }
    orders = {
      ...(or.slippageBps !== undefined ? { slippageBps: optNum('orders.slippageBps', or.slippageBps, 0, 1000) } : {}),
      ...(or.ackDelayMs !== undefined ? { ackDelayMs: optNum('orders.ackDelayMs', or.ackDelayMs, 0, 600_000) } : {}),
      ...(or.fillDelayMs !== undefined ? { fillDelayMs: optNum('orders.fillDelayMs', or.fillDelayMs, 0, 600_000) } : {}),
      ...(or.partialIntervalMs !== undefined ? { partialIntervalMs: optNum('orders.partialIntervalMs', or.partialIntervalMs, 1, 600_000) } : {}),
      ...(mf ? { maxFillSize } : {}),
    } as Partial<OrderOptions>;
  }

  const cashOf = (at: string, value: unknown): Record<string, string> | undefined => {
    if (value === undefined) return undefined;
    const cc = optObj(at, value, ['USD', 'EUR', 'CHF', 'JPY', 'GBP']);
    if (!cc) return undefined;
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(cc)) {
      if ((typeof v === 'number' && Number.isFinite(v)) || (typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v))) out[k] = String(v);
      else p(`${at}.${k}`, `expected a number, got ${JSON.stringify(v)}`);
    }
    return out;
  };
  const cash = cashOf('cash', o.cash);

  const positionsOf = (at: string, list: unknown): SeedPosition[] | undefined => {
    if (list === undefined) return undefined;
    if (!Array.isArray(list)) {
      p(at, `expected a list, got ${JSON.stringify(list)}`);
      return undefined;
    }
    const positions: SeedPosition[] = [];
    list.forEach((e: unknown, i: number) => {
      const key = `${at}[${i}]`;
      if (typeof e !== 'object' || e === null || Array.isArray(e)) {
        p(key, `expected {"conId", "quantity", "avgPrice"}, got ${JSON.stringify(e)}`);
        return;
      }
      const r = e as Record<string, unknown>;
      for (const k of Object.keys(r)) if (!['conId', 'quantity', 'avgPrice'].includes(k)) p(`${key}.${k}`, 'unknown key');
      const conId = typeof r.conId === 'number' && Number.isInteger(r.conId) && r.conId > 0 ? r.conId : undefined;
      if (conId === undefined) p(`${key}.conId`, `expected a positive integer, got ${JSON.stringify(r.conId)}`);
      const num = (k: string, v: unknown) => {
        if ((typeof v === 'number' && Number.isFinite(v)) || (typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v))) return String(v);
        p(`${key}.${k}`, `expected a number, got ${JSON.stringify(v)}`);
        return undefined;
      };
      const quantity = num('quantity', r.quantity);
      const avgPrice = num('avgPrice', r.avgPrice);
      if (conId !== undefined && quantity !== undefined && avgPrice !== undefined) positions.push({ conId, quantity, avgPrice });
    });
    return positions;
  };
  const positions = positionsOf('positions', o.positions);

  // An advisor login: sub-accounts by name, each with its book (see SimulatorOptions.subAccounts).
  let subAccounts: Record<string, SubAccountBook> | undefined;
  if (o.subAccounts !== undefined) {
    if (typeof o.subAccounts !== 'object' || o.subAccounts === null || Array.isArray(o.subAccounts))
      p('subAccounts', `expected an object of accounts, got ${JSON.stringify(o.subAccounts)}`);
    else {
      subAccounts = {};
      for (const [name, book] of Object.entries(o.subAccounts as Record<string, unknown>)) {
        const at = `subAccounts.${name}`;
        if (!/^[A-Za-z0-9]{3,20}$/.test(name)) p(at, 'expected an account id of 3 to 20 letters and digits');
        const b = optObj(at, book ?? {}, ['positions', 'cash', 'baseCurrency']);
        if (!b) continue;
        const baseCcy = optStr(`${at}.baseCurrency`, b.baseCurrency, /^[A-Z]{3}$/);
        subAccounts[name] = {
          positions: positionsOf(`${at}.positions`, b.positions) ?? [],
          cash: cashOf(`${at}.cash`, b.cash) ?? {},
          ...(baseCcy ? { baseCurrency: baseCcy } : {}),
        };
      }
    }
  }
  const startBeforeExpiryMinutes = optNum('startBeforeExpiryMinutes', o.startBeforeExpiryMinutes, 0, 24 * 60);

  const events: ScheduledIncident[] = [];
  if (o.events !== undefined && !Array.isArray(o.events)) p('events', `expected a list, got ${JSON.stringify(o.events)}`);
  else if (Array.isArray(o.events)) {
    o.events.forEach((e: unknown, i: number) => {
      const key = `events[${i}]`;
      const at = typeof e === 'object' && e !== null ? parseAt((e as Record<string, unknown>).at) : undefined;
      if (at === undefined) p(`${key}.at`, `expected seconds (number) or "HH:MM:SS", got ${JSON.stringify((e as Record<string, unknown> | null)?.at)}`);
      const r = parseIncident(e, key, ['at']);
      for (const err of r.errors) problems.push(`${file}: ${err}`);
      if (r.incident && at !== undefined) events.push({ atMs: at, incident: r.incident });
    });
  }
  if (problems.length) throw new ScenarioError(file, problems);
  events.sort((a, b) => a.atMs - b.atMs);
  return {
    name,
    description,
    file: file === '<inline>' ? undefined : file,
    seed,
    speed,
    startTime,
    account,
    baseCurrency,
    readOnlyApi,
    liveMarketData,
    market,
    cadence,
    orders,
    cash,
    positions,
    ...(subAccounts ? { subAccounts } : {}),
    startBeforeExpiryMinutes,
    events,
  };
}
