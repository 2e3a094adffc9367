// JSON codec for FeedEvents and PortfolioState: Decimals travel as strings and are revived by path, maps as entries.
import type { FeedEvent, FeedEventType } from './events.js';
import { STREAM_OF } from './events.js';
import { Decimal, decimalFromString } from './money.js';
import { operatorProblem, upgradeOperatorV1 } from './operator.js';
import { PMap } from './pmap.js';
import { nextArming } from './reduce/session.js';
import { INITIAL_STATE, type Arming, type OperatorActionRow, type PortfolioState } from './state.js';

/** A problem decoding a recorded value; the reader adds file and line. */
export class CodecError extends Error {}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = Record<string, unknown>;

const CONTRACT_DECIMALS = ['strike', 'multiplier'];
const CONTRACT_PATHS = CONTRACT_DECIMALS.map((f) => `contract.${f}`);
const ORDER_INFO = ['contract', 'totalQuantity', 'limitPrice', 'auxPrice'];

/**
 * Decimal fields per event type, as dotted paths. `contract` (or `x.contract`) revives a contract's decimals;
 * `prices.*` revives every key of an object. Every event type must be listed (the type checks completeness).
 */
const EVENT_DECIMALS: { readonly [T in FeedEventType]: readonly string[] } = {
  healthChanged: [],
  snapshotRequested: [],
  managedAccountsReceived: [],
  accountChanged: [],
  accountValueUpdated: [],
  accountTimeUpdated: [],
  brokerTimeReceived: [],
  accountDownloadEnded: [],
  accountSummaryUpdated: [],
  accountSummaryEnded: [],
  portfolioUpdated: ['contract', 'position', 'marketPrice', 'marketValue', 'averageCost', 'unrealizedPnl', 'realizedPnl'],
  positionUpdated: ['contract', 'position', 'averageCost'],
  positionsEnded: [],
  priceTicked: ['price'],
  optionComputed: [],
  dividendsReceived: ['past12Months', 'next12Months', 'nextAmount'],
  pnlUpdated: ['dailyPnl', 'unrealizedPnl', 'realizedPnl'],
  openOrderUpdated: ORDER_INFO.map((p) => `order.${p}`),
  openOrdersEnded: [],
  orderStatusUpdated: ['filled', 'remaining', 'avgFillPrice', 'lastFillPrice'],
  executionReceived: ['contract', 'shares', 'price', 'cumQty', 'avgPrice'],
  executionsEnded: [],
  commissionReceived: ['commission', 'realizedPnl'],
  brokerMessage: [],
  operatorActed: [],
  guardActed: [],
  alertChanged: [],
};

/** The decimal fields of an event type, as dotted paths (`contract` for a contract's decimals). */
export function eventDecimalPaths(type: FeedEventType): readonly string[] {
  return EVENT_DECIMALS[type];
}

/** `where` and `field` are joined only for an error: building the path for every field of every event costs. */
function toDecimal(v: unknown, where: string, field?: string): Decimal {
  if (typeof v !== 'string' && typeof v !== 'number') throw notDecimal(v, where, field);
  try {
    return typeof v === 'string' ? decimalFromString(v) : new Decimal(v);
  } catch {
    throw notDecimal(v, where, field);
  }
}

function notDecimal(v: unknown, where: string, field: string | undefined): CodecError {
  return new CodecError(`${field === undefined ? where : `${where}.${field}`} is not a decimal (got ${JSON.stringify(v)})`);
}

/**
 * True when `text` is a decimal that Decimal prints back as the same text (`dec(text).toString() === text`): an
 * optional minus, an integer part without leading zeros, and a fraction, if any, that does not end in 0; not -0 (it
 * prints as 0), and within the exponents decimal.js prints without an exponent (toExpNeg -7, toExpPos 21). A
 * command that only prints a recorded amount can then carry its text instead of building a Decimal to print it.
 */
export function printsAsItself(text: string): boolean {
  const n = text.length;
  let i = text.charCodeAt(0) === 45 ? 1 : 0;
  if (i >= n) return false;
  const c = text.charCodeAt(i);
  if (c === 48) {
    if (++i === n) return n === 1;
    if (text.charCodeAt(i) !== 46) return false;
    const zerosFrom = ++i;
    while (i < n && text.charCodeAt(i) === 48) i++;
    // 0.000000x has its first digit at 10^-7: decimal.js writes it with an exponent.
    if (i - zerosFrom > 5) return false;
  } else {
    const from = i;
    while (i < n && isDigit(text.charCodeAt(i))) i++;
    // 22 integer digits put the first at 10^21: written with an exponent.
    if (i === from || i - from > 21) return false;
    if (i === n) return true;
    if (text.charCodeAt(i++) !== 46) return false;
  }
  const fraction = i;
  for (; i < n; i++) if (!isDigit(text.charCodeAt(i))) return false;
  return n > fraction && text.charCodeAt(n - 1) !== 48;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/**
 * A decimal field's value: a Decimal, or with `asText` the recorded text itself when Decimal would print it so
 * (anything else, a number or `1.50`, still becomes a Decimal, and a bad one fails as it always did).
 */
function decimalOrText(v: unknown, asText: boolean, where: string, field: string): Decimal | string {
  return asText && typeof v === 'string' && printsAsItself(v) ? v : toDecimal(v, where, field);
}

/**
 * Replaces decimal strings with Decimal at `path` inside `obj` (mutates the freshly parsed JSON object); with
 * `asText`, keeps those that print as themselves (decimalOrText).
 */
function reviveAt(obj: Obj, path: string, where: string, asText = false): void {
  const dot = path.indexOf('.');
  if (dot < 0) {
    if (path === 'contract') {
      const c = obj.contract;
      if (c === undefined) return;
      if (typeof c !== 'object' || c === null) throw new CodecError(`${where}.contract is not an object`);
      for (let i = 0; i < CONTRACT_DECIMALS.length; i++) {
        const v = (c as Obj)[CONTRACT_DECIMALS[i]!];
        if (v !== undefined && v !== null) (c as Obj)[CONTRACT_DECIMALS[i]!] = decimalOrText(v, asText, where, CONTRACT_PATHS[i]!);
      }
      return;
    }
    if (path === '*') {
      for (const k of Object.keys(obj)) reviveAt(obj, k, where, asText);
      return;
    }
    const v = obj[path];
    if (v !== undefined && v !== null) obj[path] = decimalOrText(v, asText, where, path);
    return;
  }
  const head = path.slice(0, dot);
  const child = obj[head];
  if (child === undefined || child === null) return;
  if (typeof child !== 'object') throw new CodecError(`${where}.${head} is not an object`);
  reviveAt(child as Obj, path.slice(dot + 1), `${where}.${head}`, asText);
}

function revive(obj: Obj, paths: readonly string[], where: string, asText = false): void {
  for (const p of paths) reviveAt(obj, p, where, asText);
}

const TYPE_NAMES = new Map<string, string>(Object.keys(STREAM_OF).map((t) => [t, t]));

/**
 * What is wrong with an event's envelope (an object with a known type, a positive seq and a receivedAt), or
 * undefined. Checking a recording without decoding it (`tws-risk verify`) asks only this of each event.
 */
export function envelopeProblem(raw: unknown): string | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return 'event is not an object';
  const o = raw as Obj;
  const type = o.type;
  if (typeof type !== 'string' || !TYPE_NAMES.has(type)) return `unknown event type ${JSON.stringify(type)}`;
  if (!Number.isSafeInteger(o.seq) || (o.seq as number) < 1) return `event seq ${JSON.stringify(o.seq)} is not a positive integer`;
  if (typeof o.receivedAt !== 'number' || !Number.isFinite(o.receivedAt)) return 'event receivedAt is not a number';
  return undefined;
}

/**
 * Turns a parsed JSON object back into a FeedEvent, checking the envelope and reviving Decimals. `legacy`: the
 * recording is schema 1, whose operator details were free JSON: they are upgraded to the typed events
 * (model/operator.ts) instead of checked.
 */
export function decodeEvent(raw: unknown, legacy = false): FeedEvent {
  return decodeInto(raw, legacy, false) as unknown as FeedEvent;
}

/**
 * An event to be printed, not computed with (`replay --events`): checked exactly as `decodeEvent` checks it, but a
 * decimal field whose recorded text is how Decimal prints it stays that text, so a line costs no Decimal to build
 * and none to format. Any other decimal (a number, `1.50`, `-0`, an exponent) is a Decimal as in decodeEvent.
 */
export function decodeEventText(raw: unknown, legacy = false): TextEvent {
  return decodeInto(raw, legacy, true) as unknown as TextEvent;
}

/** An event from `decodeEventText`: its envelope, and fields whose decimals are Decimals or their own text. */
export interface TextEvent {
  readonly type: FeedEventType;
  readonly seq: number;
  readonly receivedAt: number;
  readonly [field: string]: unknown;
}

function decodeInto(raw: unknown, legacy: boolean, asText: boolean): Obj {
  const problem = envelopeProblem(raw);
  if (problem) throw new CodecError(problem);
  const o = raw as Obj;
  // The type as the program's own constant string: a parsed one is a fresh string, which every switch case and
  // keyed lookup in the reducer compares by its characters instead of by reference.
  const type = TYPE_NAMES.get(o.type as string)!;
  o.type = type;
  revive(o, EVENT_DECIMALS[type as FeedEventType], type, asText);
  if (type === 'operatorActed') {
    if (legacy) {
      const up = upgradeOperatorV1(o.action, o.detail);
      o.action = up.action;
      o.detail = up.detail;
    } else {
      const problem = operatorProblem(o.action, o.detail);
      if (problem) throw new CodecError(problem);
    }
  }
  return o;
}

/** JSON text of an event (Decimal serialises itself as a string through toJSON). */
export function encodeEvent(ev: FeedEvent): string {
  return JSON.stringify(ev);
}

// ---- state (keyframes) ----

const ROW_DECIMALS = {
  accountValues: ['value'],
  accountSummary: ['value'],
  fxRates: [] as string[],
  portfolio: EVENT_DECIMALS.portfolioUpdated,
  positions: EVENT_DECIMALS.positionUpdated,
  unknownQuantities: ['contract', 'marketPrice'],
  prices: ['prices.*'],
  options: [] as string[],
  dividends: EVENT_DECIMALS.dividendsReceived,
  orders: ['filled', 'remaining', 'avgFillPrice', 'lastFillPrice', ...ORDER_INFO.map((p) => `info.${p}`)],
  orderKeyByPermId: [] as string[],
  executions: [...EVENT_DECIMALS.executionReceived, 'commission', 'realizedPnl'],
  pendingCommissions: ['commission', 'realizedPnl'],
  alerts: [] as string[],
} as const;

type MapField = keyof typeof ROW_DECIMALS;
const MAP_FIELDS = Object.keys(ROW_DECIMALS) as MapField[];
const PENDING_FIELDS = ['positions', 'portfolio', 'accountValues'] as const;

function mapToJson(m: PMap<string | number, unknown>): Json {
  return JSON.parse(JSON.stringify([...m.entries()])) as Json;
}

/** A JSON-safe copy of the whole state, for keyframes. */
export function encodeState(state: PortfolioState): Json {
  const out: Obj = { ...state };
  for (const f of MAP_FIELDS) out[f] = mapToJson(state[f] as PMap<string | number, unknown>);
  // Rare, and newer than the shipped recordings: left out when empty, so keyframes of a normal session keep their shape.
  if (state.unknownQuantities.size === 0) delete out.unknownQuantities;
  // Likewise the recorded alerts: a keyframe without them is read as "none recorded here"; a seek then rebuilds them
  // from the file's alertChanged events, since keyframes written before alerts were kept lack them too.
  if (state.alerts.size === 0) delete out.alerts;
  // Newer still (tick 456): a session that never received one keeps the keyframe shape of the recordings before it.
  if (state.dividends.size === 0) delete out.dividends;
  const pending: Obj = {};
  for (const f of PENDING_FIELDS) {
    const m = state.pending[f];
    if (m) pending[f] = mapToJson(m as PMap<string | number, unknown>);
  }
  out.pending = pending;
  return JSON.parse(JSON.stringify(out)) as Json;
}

function mapFromJson(raw: unknown, paths: readonly string[], where: string, fxValues = false): PMap<string | number, unknown> {
  if (!Array.isArray(raw)) throw new CodecError(`${where} is not a list of entries`);
  return PMap.from(
    raw.map((entry, i) => {
      if (!Array.isArray(entry) || entry.length !== 2) throw new CodecError(`${where}[${i}] is not a [key, value] pair`);
      const [k, v] = entry as [string | number, unknown];
      if (fxValues) return [k, toDecimal(v, `${where}[${i}]`)] as const;
      if (typeof v === 'object' && v !== null) revive(v as Obj, paths, `${where}[${i}]`);
      return [k, v] as const;
    }),
  );
}

/**
 * Rebuilds a PortfolioState from a keyframe's JSON. `legacy` (schema 1): the operator log's rows are upgraded as
 * their events are, and the arming in force is folded from them, since those keyframes predate `arming`.
 */
export function decodeState(raw: unknown, legacy = false): PortfolioState {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new CodecError('keyframe state is not an object');
  // The fields in the order a fold builds them (INITIAL_STATE's), so that a map a keyframe left out (empty) takes its
  // usual place and a state folded on from the keyframe encodes exactly like one played from the top.
  const o: Obj = {};
  for (const k of Object.keys(INITIAL_STATE)) if (k in (raw as Obj) || (MAP_FIELDS as readonly string[]).includes(k)) o[k] = (raw as Obj)[k];
  Object.assign(o, raw);
  if (!Number.isSafeInteger(o.lastSeq)) throw new CodecError('keyframe state has no lastSeq');
  for (const f of MAP_FIELDS) o[f] = mapFromJson(o[f] ?? [], ROW_DECIMALS[f], f, f === 'fxRates');
  const pending: Obj = {};
  const rawPending = (o.pending ?? {}) as Obj;
  for (const f of PENDING_FIELDS) {
    if (rawPending[f] !== undefined) pending[f] = mapFromJson(rawPending[f], ROW_DECIMALS[f], `pending.${f}`);
  }
  o.pending = pending;
  if (o.pnl && typeof o.pnl === 'object') revive(o.pnl as Obj, EVENT_DECIMALS.pnlUpdated, 'pnl');
  if (legacy && Array.isArray(o.operatorActions)) {
    const rows = (o.operatorActions as Obj[]).map((r) => ({ seq: r.seq, at: r.at, ...upgradeOperatorV1(r.action, r.detail) }) as OperatorActionRow);
    o.operatorActions = rows;
    let arming: Arming | undefined;
    for (const r of rows) arming = nextArming(arming, r);
    if (arming) o.arming = arming;
  }
  return o as unknown as PortfolioState;
}
