// Reference data TWS answers from its contract database: option chains (reqSecDefOptParams), symbol search
// (reqMatchingSymbols) and how far back history goes (reqHeadTimestamp), drawn from the simulated universe.
import { isListed, type Instrument } from './instruments.js';
import type { SymbolSampleView } from './messages.js';

/** The simulator keeps a year of history before its start for every underlying. */
export const HISTORY_DAYS = 365;
const DAY_MS = 86_400_000;

export interface ChainRow {
  readonly exchange: string;
  readonly underlyingConId: number;
  readonly tradingClass: string;
  readonly multiplier: string;
  readonly expirations: string[];
  readonly strikes: number[];
}

/**
 * The option chains on an underlying, one row per exchange and trading class as TWS sends them (SMART and each
 * listing exchange). `futFopExchange` '' means every exchange; the underlying is found by conId, else by symbol.
 */
export function optionChains(universe: readonly Instrument[], symbol: string, futFopExchange: string, conId: number, now: number): ChainRow[] {
  const options = universe.filter(
    (i) =>
      (i.secType === 'OPT' || i.secType === 'FOP') &&
      isListed(i, now) &&
      (conId > 0 ? i.underConId === conId : i.underSymbol.toUpperCase() === symbol.toUpperCase()),
  );
  const rows = new Map<string, { row: ChainRow; exp: Set<string>; strikes: Set<number> }>();
  for (const o of options) {
    const exchanges = o.secType === 'FOP' ? [o.exchange] : ['SMART', ...o.validExchanges.split(',').filter((e) => e && e !== 'SMART')];
    for (const exchange of exchanges) {
      if (futFopExchange && futFopExchange.toUpperCase() !== exchange.toUpperCase()) continue;
      const key = `${exchange}|${o.tradingClass}`;
      let r = rows.get(key);
      if (!r) {
        r = {
          row: { exchange, underlyingConId: o.underConId, tradingClass: o.tradingClass, multiplier: o.multiplier, expirations: [], strikes: [] },
          exp: new Set(),
          strikes: new Set(),
        };
        rows.set(key, r);
      }
      r.exp.add(o.lastTradeDateOrContractMonth);
      r.strikes.add(o.strike);
    }
  }
  return [...rows.values()].map(({ row, exp, strikes }) => ({ ...row, expirations: [...exp].sort(), strikes: [...strikes].sort((a, b) => a - b) }));
}

/** Symbol search as TWS does it: underlyings whose symbol starts with, or whose name contains, the pattern (16 at most). */
export function matchingSymbols(universe: readonly Instrument[], pattern: string, now: number): SymbolSampleView[] {
  const p = pattern.trim().toUpperCase();
  if (!p) return [];
  const roots = universe.filter((i) => i.secType === 'STK' || i.secType === 'IND' || i.secType === 'CASH' || i.secType === 'BOND');
  const hit = (i: Instrument) => i.symbol.toUpperCase().startsWith(p) || i.longName.toUpperCase().includes(p);
  return roots
    .filter(hit)
    .slice(0, 16)
    .map((i) => ({
      conId: i.conId,
      symbol: i.symbol,
      secType: i.secType,
      primaryExch: i.primaryExch || i.exchange,
      currency: i.currency,
      derivativeSecTypes: [...new Set(universe.filter((d) => d.underConId === i.conId && isListed(d, now)).map((d) => d.secType))].sort(),
      description: i.longName,
    }));
}

/** The earliest bar the simulator can give (its start less HISTORY_DAYS), as TWS formats it for formatDate 1 or 2. */
export function headTimestampOf(startTime: number, formatDate: number): string {
  const t = startTime - HISTORY_DAYS * DAY_MS;
  if (formatDate === 2) return String(Math.floor(t / 1000));
  const d = new Date(t);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}-${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}
