// reqMktData's generic tick list as TWS checks it: which ticks are legal for a security type, and the 321 that refuses a list.

/** Which security types a generic tick is legal for. */
type Legality = 'all' | 'dividends' | 'index' | 'shortTermVolume';

const LEGAL_FOR: Readonly<Record<Exclude<Legality, 'all'>, readonly string[]>> = {
  dividends: ['STK', 'CFD', 'OPT', 'FOP', 'FUT', 'IND', 'SLB'],
  index: ['IND'],
  shortTermVolume: ['STK', 'CFD', 'OPT', 'FOP', 'WAR', 'FUT', 'FWD', 'BOND', 'BILL', 'SLB', 'IOPT', 'CRYPTO'],
};

/**
 * The ticks TWS lists as legal, in its order, as `id[/alias](name)`: the "Legal ones" of a refusal a gateway sent for
 * an STK list on 10 Feb 2026 (the 321 text below), with the types 456, 162 and 595 are limited to.
 */
const LISTED: ReadonlyArray<readonly [id: number, alias: number | undefined, name: string, legal: Legality]> = [
  [100, undefined, 'Option Volume', 'all'],
  [101, undefined, 'Option Open Interest', 'all'],
  [105, undefined, 'Average Opt Volume', 'all'],
  [106, undefined, 'impvolat', 'all'],
  [162, undefined, 'Index Future Premium', 'index'],
  [165, undefined, 'Misc. Stats', 'all'],
  [221, 220, 'Creditman Mark Price', 'all'],
  [225, undefined, 'Auction', 'all'],
  [232, 221, 'Pl Price', 'all'],
  [233, undefined, 'RTVolume', 'all'],
  [236, undefined, 'inventory', 'all'],
  [258, 47, 'Fundamentals', 'all'],
  [292, undefined, 'Wide_news', 'all'],
  [293, undefined, 'TradeCount', 'all'],
  [294, undefined, 'TradeRate', 'all'],
  [295, undefined, 'VolumeRate', 'all'],
  [318, undefined, 'LastRTHTrade', 'all'],
  [375, undefined, 'RTTrdVolume', 'all'],
  [411, undefined, 'rthistvol', 'all'],
  [456, 59, 'IBDividends', 'dividends'],
  [460, undefined, 'Bond Factor Multiplier', 'all'],
  [577, undefined, 'EtfNavLast(navlast)', 'all'],
  [586, undefined, 'IPOHLMPRC', 'all'],
  [587, undefined, 'Pl Price Delayed', 'all'],
  [588, undefined, 'Futures Open Interest', 'all'],
  [595, undefined, 'Short-Term Volume X Mins', 'shortTermVolume'],
  [614, undefined, 'EtfNavMisc(high/low)', 'all'],
  [619, undefined, 'Creditman Slow Mark Price', 'all'],
  [623, undefined, 'EtfFrozenNavLast(fznavlast)', 'all'],
];

function allows(legal: Legality, secType: string): boolean {
  return legal === 'all' || LEGAL_FOR[legal].includes(secType.toUpperCase());
}

/** How TWS reads an id: its own entry, an alias (220, 47, 59), or 104 (an unlisted tick's alias); else unknown. */
function legalityOf(id: number): Legality | undefined {
  if (id === 104 || id === 220 || id === 47) return 'all';
  if (id === 59) return 'dividends';
  return LISTED.find(([code]) => code === id)?.[3];
}

/**
 * Whether TWS accepts a (non-empty) generic tick list for a security type: comma-separated ids, blanks skipped,
 * "mdoff" no tick, "id:param" allowed; one unknown or illegal id refuses the whole list, as does a list of no tick.
 */
export function genericTicksValid(list: string, secType: string): boolean {
  let ticks = 0;
  for (const raw of list.split(',')) {
    const token = raw.trim();
    if (token === '' || token.toLowerCase() === 'mdoff') continue;
    const [idText, ...params] = token.split(':');
    if (token.includes(':') && (params[0] ?? '') === '') return false;
    if (!/^[+-]?\d+$/.test(idText!)) return false;
    const legal = legalityOf(Number(idText));
    if (legal === undefined || !allows(legal, secType)) return false;
    ticks++;
  }
  return ticks > 0;
}

/** TWS's "Legal ones" for a security type. */
function legalOnes(secType: string): string {
  return LISTED.filter(([, , , legal]) => allows(legal, secType))
    .map(([id, alias, name]) => `${id}${alias === undefined ? '' : `/${alias}`}(${name})`)
    .join(',');
}

/** The 321 of a refused list, in the words of the captured gateway answer. */
export function genericTicksRefusal(list: string, secType: string): string {
  const type = secType.toUpperCase();
  return `Error validating request.-'bQ' : cause - Incorrect generic tick list of ${list}.  Legal ones for (${type}) are: ${legalOnes(type)}`;
}

/** TWS refuses generic ticks on a snapshot request (they are streamed, never part of a snapshot). */
export const SNAPSHOT_GENERIC_REFUSAL = "Error validating request.-'bQ' : cause - Snapshot market data subscription is not applicable to generic ticks";
