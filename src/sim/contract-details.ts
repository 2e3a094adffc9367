// The CONTRACT_DATA / BOND_CONTRACT_DATA view of a simulated instrument, as TWS fills it: dated trading and liquid
// hours in the contract's time zone, size rules per secType, and per-instrument market rules (reqMarketRule).
import { addDays, isUsHoliday, ymd, type Day } from './calendar.js';
import { secIdsOf, type Instrument } from './instruments.js';
import type { ContractDetailsView } from './messages.js';

/** Days of sessions TWS lists in tradingHours/liquidHours: today and the six after it. */
const SESSION_DAYS = 7;

/** The calendar day at instant `t` in an IANA (or legacy, e.g. US/Eastern) time zone. */
function dayIn(t: number, timeZone: string): Day {
  let parts: Intl.DateTimeFormatPart[];
  try {
    parts = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(t);
  } catch {
    parts = new Intl.DateTimeFormat('en-CA', { timeZone: 'UTC', year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(t);
  }
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  return { year: get('year'), month: get('month') - 1, day: get('day') };
}

const weekday = (d: Day) => new Date(Date.UTC(d.year, d.month, d.day)).getUTCDay();

/** US-listed contracts close on US exchange holidays; the others only at weekends here (no foreign holiday rules). */
function isUsListed(inst: Instrument): boolean {
  return inst.currency === 'USD' && inst.secType !== 'CASH';
}

/**
 * Dated sessions from an "HHMM-HHMM" template, as TWS sends them:
 * `20260302:0930-20260302:1600;…;20260307:CLOSED`. A template whose end is before its start is an overnight session
 * (futures' 1700-1600): it opens the evening before the trading day, and Sunday evening opens Monday's session.
 */
export function datedSessions(inst: Instrument, template: string, now: number, days = SESSION_DAYS): string {
  const m = /^(\d{4})-(\d{4})$/.exec(template);
  if (!m) return template;
  const [open, close] = [m[1]!, m[2]!];
  const overnight = close <= open;
  const today = dayIn(now, inst.timeZoneId);
  const out: string[] = [];
  for (let k = 0; k < days; k++) {
    const d = addDays(today, k);
    const w = weekday(d);
    const closed = w === 0 || w === 6 || (isUsListed(inst) && isUsHoliday(d));
    if (closed) {
      out.push(`${ymd(d)}:CLOSED`);
      continue;
    }
    const start = overnight ? addDays(d, -1) : d;
    out.push(`${ymd(start)}:${open}-${ymd(d)}:${close}`);
  }
  return out.join(';');
}

/** A price-increment ladder: [lowEdge, increment] pairs, lowest edge first. */
export type MarketRule = ReadonlyArray<readonly [number, number]>;

/**
 * The market rules the simulator's instruments use, by id. The ids are IB's for US stocks (26) and the shapes are
 * the exchanges' tick rules; the other ids are the simulator's own numbering.
 */
export const MARKET_RULES: Readonly<Record<number, MarketRule>> = {
  26: [[0, 0.01]], // US stocks
  32: [
    [0, 0.01],
    [3, 0.05],
  ], // US equity options (penny class)
  33: [
    [0, 0.05],
    [3, 0.1],
  ], // SPX options
  67: [[0, 0.25]], // ES futures and options
  68: [[0, 0.01]], // CL futures
  239: [[0, 0.00005]], // EUR.USD on IDEALPRO
  250: [[0, 0.0001]], // Treasuries (percent of par)
  1001: [[0, 0.01]], // European stocks
  1002: [[0, 0.5]], // Tokyo stocks
  1003: [[0, 0.01]], // indices
};

/**
 * The market rule id of an instrument, on every one of its valid exchanges (TWS lists one id per exchange; the
 * simulator's exchanges share one). Its first rung is the instrument's minTick, the finest price it quotes on.
 */
export function marketRuleIdOf(inst: Instrument): number {
  switch (inst.secType) {
    case 'STK':
      if (inst.currency === 'USD') return 26;
      return inst.currency === 'JPY' ? 1002 : 1001;
    case 'OPT':
      return inst.symbol === 'SPX' ? 33 : 32;
    case 'FUT':
    case 'FOP':
      return inst.symbol === 'ES' ? 67 : 68;
    case 'CASH':
      return 239;
    case 'BOND':
      return 250;
    case 'IND':
      return 1003;
  }
}

/** The price increment at `price` on an instrument's market rule ladder: the rung of the highest edge at or below it. */
export function priceIncrementAt(inst: Instrument, price: number): number {
  const rule = MARKET_RULES[marketRuleIdOf(inst)] ?? [[0, inst.minTick]];
  let inc = rule[0]![1];
  for (const [edge, step] of rule) if (price >= edge) inc = step;
  return inc;
}

/** Size rules per secType: whole contracts for options and futures, fractions for stocks, whole units for FX. */
function sizeRules(inst: Instrument): { minSize: string; sizeIncrement: string; suggestedSizeIncrement: string } {
  switch (inst.secType) {
    case 'STK':
      return { minSize: '0.0001', sizeIncrement: '0.0001', suggestedSizeIncrement: '100' };
    case 'BOND':
      return { minSize: '1000', sizeIncrement: '1000', suggestedSizeIncrement: '1000' };
    default:
      return { minSize: '1', sizeIncrement: '1', suggestedSizeIncrement: '1' };
  }
}

/** The contract as TWS lists it at `now` (sessions are dated from that day). */
export function detailsOf(inst: Instrument, now: number): ContractDetailsView {
  const derivative = inst.secType === 'OPT' || inst.secType === 'FOP' || inst.secType === 'FUT';
  const lastDay = derivative ? inst.lastTradeDateOrContractMonth : '';
  return {
    ...inst,
    marketName: inst.tradingClass,
    orderTypes: 'ACTIVETIM,AD,ADJUST,ALERT,ALLOC,DAY,GTC,LMT,MKT,NONALGO,OCA,STP,TRAIL,WHATIF',
    contractMonth: derivative ? (inst.contractMonth ?? lastDay.slice(0, 6)) : '',
    subcategory: '',
    // The stocks' real ISINs and the bond's CUSIP; the other instruments list none rather than invented ones.
    secIdList: secIdsOf(inst),
    marketRuleIds: inst.validExchanges
      .split(',')
      .map(() => String(marketRuleIdOf(inst)))
      .join(','),
    realExpirationDate: lastDay,
    lastTradeDate: derivative && inst.expiryMs ? ymd(dayIn(inst.expiryMs, inst.timeZoneId)) : '',
    stockType: inst.secType === 'STK' ? 'COMMON' : '',
    tradingHours: datedSessions(inst, inst.tradingHours, now),
    liquidHours: datedSessions(inst, inst.liquidHours, now),
    ...sizeRules(inst),
  };
}
