// Scenario text form (px:STK=-10%,fx:EUR=-8%,rates=+50bp,vol=+30%,days=1): parse, format, labels, built-ins, user files.
import { isCurrencyFutureSymbol, type AssetClass, type FutureUnderlying } from '../model/contract.js';
import type { PositionClass } from './positions.js';
import { PRICE_DRIVER_CLASSES, ZERO_SHOCKS, type Scenario, type ScenarioFamily, type ScenarioShocks } from './scenario-types.js';

/*
 * One grammar for the CLI and the config (docs/scenarios.md is its reference). The parser collects
 * every problem before answering, each naming the offending token, as STYLE.md "Risk core" asks of
 * config parsers. The canonical form doubles as the scenario id: px in PRICE_DRIVER_CLASSES order,
 * then sym and fx sorted by code point, then rates, vol, then days; percentages and basis points always
 * signed; zero rates, zero vol, zero days and the empty scenario ("base") left out.
 */

// ── Parsing ──────────────────────────────────────────────────────────────────────────────────────

export type ShocksResult = { readonly ok: true; readonly shocks: ScenarioShocks } | { readonly ok: false; readonly problems: readonly string[] };

export type ScenarioResult = { readonly ok: true; readonly scenario: Scenario } | { readonly ok: false; readonly problems: readonly string[] };

export interface ParseOptions {
  /** When known, an fx shock on the base currency is reported (its value against itself cannot move). */
  readonly baseCurrency?: string;
}

/** Largest move accepted, +10000%: anything bigger is a typo, not a scenario. */
const MAX_MOVE = 100;
const PERCENT = /^[+-]?(\d+(\.\d+)?|\.\d+)%$/;
const BASIS_POINTS = /^[+-]?(\d+(\.\d+)?|\.\d+)bp$/;
/** Largest rates move accepted, ±1000 bp (10 percentage points). */
const MAX_RATES_BP = 1000;
const BARE_NUMBER = /^[+-]?(\d+(\.\d+)?|\.\d+)$/;
const WHOLE = /^\+?\d+$/;
const CURRENCY = /^[A-Z]{3}$/;
/** IB symbols: upper-case letters, digits, '.', '/', '-', and single inner spaces ("BRK B", "BF.B"). */
const SYMBOL = /^[A-Z0-9][A-Z0-9./-]*( [A-Z0-9./-]+)*$/;

/** Parses the text form into shocks, or returns every problem found, each naming its token. */
export function parseShocks(text: string, options: ParseOptions = {}): ShocksResult {
  const trimmed = text.trim();
  if (trimmed === '' || trimmed === 'base') return { ok: true, shocks: ZERO_SHOCKS };
  const problems: string[] = [];
  const px: Partial<Record<AssetClass, number>> = {};
  const sym: Record<string, number> = {};
  const fx: Record<string, number> = {};
  let vol = 0;
  let days = 0;
  let rates = 0;
  let volTermDays = 0;
  const firstToken = new Map<string, string>(); // canonical key → token that set it
  const items = trimmed.split(',');
  items.forEach((raw, index) => {
    const token = raw.trim();
    if (token === '') {
      problems.push(`shock ${index + 1} of ${items.length} is empty: remove the extra comma`);
      return;
    }
    if (token === 'base') {
      problems.push('"base" is the zero scenario and stands alone: drop it or the other shocks');
      return;
    }
    const fail = (message: string) => void problems.push(`"${token}": ${message}`);
    const eq = token.indexOf('=');
    if (eq < 0) return fail('expected kind=value, e.g. px:STK=-10%, vol=+30% or days=1');
    const lhs = token.slice(0, eq).trim();
    const value = token
      .slice(eq + 1)
      .trim()
      .replaceAll('\u2212', '-'); // accept "−" as typed in labels
    const colon = lhs.indexOf(':');
    const kind = colon < 0 ? lhs : lhs.slice(0, colon).trim();
    const name = colon < 0 ? undefined : lhs.slice(colon + 1).trim();
    const claim = (key: string): void => {
      const first = firstToken.get(key);
      if (first === undefined) firstToken.set(key, token);
      else fail(`${key} is already set by "${first}"`);
    };
    switch (kind) {
      case 'px':
      case 'sym':
      case 'fx': {
        if (!name) return fail(`${kind} needs a name, e.g. ${EXAMPLES[kind]}`);
        const nameProblem = kind === 'px' ? assetClassProblem(name) : kind === 'sym' ? symbolProblem(name) : currencyProblem(name, options);
        const move = parseMove(value, kind === 'fx' ? 'a currency' : 'a price');
        // Report a bad name and a bad value together; check duplicates only for a valid name.
        if (nameProblem) fail(nameProblem);
        if (typeof move === 'string') fail(move);
        if (nameProblem) return;
        claim(`${kind}:${name}`);
        if (typeof move === 'string') return;
        if (kind === 'px') px[name as AssetClass] = move;
        else (kind === 'sym' ? sym : fx)[name] = move;
        return;
      }
      case 'rates': {
        if (name !== undefined) return fail(`rates takes no name: write rates=${value}`);
        claim('rates');
        const parsed = parseBasisPoints(value);
        if (typeof parsed === 'string') return fail(parsed);
        rates = parsed;
        return;
      }
      case 'vol':
      case 'days': {
        if (name !== undefined) return fail(`${kind} takes no name: write ${kind}=${value}`);
        claim(kind);
        const parsed = kind === 'vol' ? parseMove(value, 'vol') : parseDays(value);
        if (typeof parsed === 'string') return fail(parsed);
        if (kind === 'vol') vol = parsed;
        else days = parsed;
        return;
      }
      case 'volterm': {
        if (name !== undefined) return fail(`volterm takes no name: write volterm=${value}`);
        claim(kind);
        const parsed = parseDays(value);
        if (typeof parsed === 'string') return fail(parsed);
        if (parsed < 1) return fail('volterm is the days to expiry up to which the vol move applies in full: at least 1');
        volTermDays = parsed;
        return;
      }
      default:
        return fail(`unknown shock kind "${kind}" (expected px:, sym:, fx:, rates, vol, volterm or days)`);
    }
  });
  if (problems.length > 0) return { ok: false, problems };
  // Without a vol move the term scaling changes nothing: dropped, so equal shocks keep one id.
  const term = vol !== 0 && volTermDays > 0 ? { volTermDays } : {};
  return { ok: true, shocks: { px, sym, fx, vol, days, ...(rates !== 0 ? { rates } : {}), ...term } };
}

const EXAMPLES = { px: 'px:STK=-10%', sym: 'sym:AAPL=-25%', fx: 'fx:EUR=-8%' } as const;

/** A signed percentage as a fraction, or the problem. `what` names what moves, for the floor message. */
function parseMove(value: string, what: 'a price' | 'a currency' | 'vol'): number | string {
  if (value === '') return 'missing value after "="';
  if (!PERCENT.test(value)) {
    return BARE_NUMBER.test(value) ? `missing %: moves are percentages, write ${value}%` : `"${value}" is not a percentage like -10% or +2.5%`;
  }
  const x = fractionOf(value.slice(0, -1));
  if (x < -1) {
    return what === 'vol' ? 'vol cannot fall below -100% (the vol would be negative)' : `${what} cannot fall more than 100%`;
  }
  if (x > MAX_MOVE) return `${value} is beyond +${MAX_MOVE * 100}%`;
  return x;
}

/** A signed move in basis points (+50bp) as a fraction (0.005), or the problem. */
function parseBasisPoints(value: string): number | string {
  if (value === '') return 'missing value after "="';
  if (!BASIS_POINTS.test(value)) {
    if (BARE_NUMBER.test(value)) return `missing bp: rates moves are basis points, write ${value}bp`;
    if (PERCENT.test(value)) return 'rates moves are basis points, not %: write +50bp for +0.5%';
    return `"${value}" is not a move in basis points like +50bp or -100bp`;
  }
  const bp = Number(value.slice(0, -2));
  if (Math.abs(bp) > MAX_RATES_BP) return `${value} is beyond ±${MAX_RATES_BP}bp`;
  const x = Number(`${value.slice(0, -2)}e-4`);
  return x === 0 ? 0 : x;
}

function parseDays(value: string): number | string {
  if (value === '') return 'missing value after "="';
  if (WHOLE.test(value)) {
    const n = Number(value);
    return Number.isSafeInteger(n) ? n : `${value} days is too large`;
  }
  if (value.endsWith('%')) return 'days is a whole number of calendar days, without %';
  if (/^-\d+$/.test(value)) return 'days cannot be negative: scenarios only move forward in time';
  if (BARE_NUMBER.test(value)) return 'days must be a whole number';
  return `"${value}" is not a whole number of days`;
}

function assetClassProblem(name: string): string | undefined {
  if (PRICE_DRIVER_CLASSES.includes(name as AssetClass)) return undefined;
  const upper = name.toUpperCase();
  if (upper !== name && PRICE_DRIVER_CLASSES.includes(upper as AssetClass)) {
    return `asset class "${name}" must be upper case: ${upper}`;
  }
  switch (upper) {
    case 'OPT':
    case 'WAR':
      return `${upper} is not a price driver: options move with their underlying (px:STK or px:IND)`;
    case 'FOP':
      return 'FOP is not a price driver: futures options move with their future (px:FUT)';
    case 'CASH':
      return 'CASH is not a price driver: currency pairs move with fx shocks (fx:EUR=-8%)';
    default:
      return `unknown asset class "${name}" (expected one of ${PRICE_DRIVER_CLASSES.join(', ')})`;
  }
}

function symbolProblem(name: string): string | undefined {
  if (SYMBOL.test(name)) return undefined;
  const upper = name.toUpperCase();
  if (SYMBOL.test(upper)) return `symbol "${name}" must be upper case, as IB spells it: ${upper}`;
  return `symbol "${name}" may contain only A-Z, 0-9, ".", "/", "-" and single inner spaces`;
}

function currencyProblem(name: string, options: ParseOptions): string | undefined {
  if (name === 'BASE') return '"BASE" is TWS\'s converted-total row, not a currency';
  if (!CURRENCY.test(name)) {
    const upper = name.toUpperCase();
    return CURRENCY.test(upper) ? `currency "${name}" must be upper case: ${upper}` : `currency "${name}" is not a 3-letter ISO code like EUR`;
  }
  if (name === options.baseCurrency) {
    return `${name} is the base currency: shock the other currencies against it instead`;
  }
  return undefined;
}

export interface ScenarioMeta extends ParseOptions {
  /** Human label; default describeShocks() of the parsed shocks. */
  readonly label?: string;
  /** Default 'user'. */
  readonly family?: ScenarioFamily;
}

/** Parses the text form into a Scenario whose id is the canonical form, or returns every problem. */
export function parseScenario(text: string, meta: ScenarioMeta = {}): ScenarioResult {
  const parsed = parseShocks(text, meta);
  if (!parsed.ok) return parsed;
  return { ok: true, scenario: makeScenario(parsed.shocks, meta.family ?? 'user', meta.label, meta.baseCurrency) };
}

function makeScenario(shocks: ScenarioShocks, family: ScenarioFamily, label?: string, base?: string): Scenario {
  return { id: formatScenario(shocks), label: label ?? describeShocks(shocks, base), family, shocks };
}

// ── Formatting ───────────────────────────────────────────────────────────────────────────────────

/** Canonical text form; parseShocks(formatScenario(s)) gives back s, and the result is the scenario id. */
export function formatScenario(shocks: ScenarioShocks): string {
  const parts: string[] = [];
  for (const c of pxOrder(shocks)) parts.push(`px:${c}=${signedPercent(shocks.px[c]!, '-')}`);
  for (const s of sortedKeys(shocks.sym)) parts.push(`sym:${s}=${signedPercent(shocks.sym[s]!, '-')}`);
  for (const c of sortedKeys(shocks.fx)) parts.push(`fx:${c}=${signedPercent(shocks.fx[c]!, '-')}`);
  if (shocks.rates) parts.push(`rates=${signedBasisPoints(shocks.rates, '-')}`);
  if (shocks.vol !== 0) parts.push(`vol=${signedPercent(shocks.vol, '-')}`);
  if (shocks.vol !== 0 && shocks.volTermDays) parts.push(`volterm=${shocks.volTermDays}`);
  if (shocks.days !== 0) parts.push(`days=${shocks.days}`);
  return parts.length > 0 ? parts.join(',') : 'base';
}

/** Asset classes present in px: price drivers in canonical order, then any other key (kept, not dropped). */
function pxOrder(shocks: ScenarioShocks): AssetClass[] {
  const keys = Object.keys(shocks.px) as AssetClass[];
  const known = PRICE_DRIVER_CLASSES.filter((c) => keys.includes(c));
  return [...known, ...keys.filter((k) => !PRICE_DRIVER_CLASSES.includes(k)).sort()];
}

/** Keys in code-point order (not localeCompare, whose order depends on the machine's locale). */
function sortedKeys(o: Readonly<Record<string, number>>): string[] {
  return Object.keys(o).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** "+30%", "-2.5%": signed percentage text; `minus` is '-' for the text form, '−' for labels. */
function signedPercent(x: number, minus: '-' | '\u2212'): string {
  return `${x < 0 ? minus : '+'}${percentDigits(Math.abs(x))}%`;
}

/** "+50bp", "-12.5bp": signed basis points of a fraction. */
function signedBasisPoints(x: number, minus: '-' | '\u2212'): string {
  return `${x < 0 ? minus : '+'}${percentDigits(Math.abs(x), 4)}bp`;
}

/**
 * The digits of 10^places·x for x ≥ 0 (100·x by default), written without an exponent: the shortest
 * decimal that reads back as x (toExponential() with no argument gives it) with its point moved. Moving
 * the point is exact in decimal, and fractionOf() reads "12.5" as 12.5e-2, so every finite x round-trips.
 */
function percentDigits(x: number, places = 2): string {
  if (x === 0) return '0';
  const [mantissa = '0', exponent = '0'] = x.toExponential().split('e');
  const digits = mantissa.replace('.', '');
  const point = Number(exponent) + 1 + places; // digits before the point in 10^places·x
  if (point >= digits.length) return digits + '0'.repeat(point - digits.length);
  if (point <= 0) return `0.${'0'.repeat(-point)}${digits}`;
  return `${digits.slice(0, point)}.${digits.slice(point)}`;
}

/** The fraction a percentage's digits stand for: "12.5" → 0.125, rounded once from the decimal. */
function fractionOf(percentDigitsText: string): number {
  const x = Number(`${percentDigitsText}e-2`);
  return x === 0 ? 0 : x; // -0% is 0
}

/** Rounds a fraction to 0.01% exactly as parsing its text would, so built-in shocks round-trip. */
function roundToBasisPoint(x: number): number {
  return fractionOf((x * 100).toFixed(2));
}

// ── Labels ───────────────────────────────────────────────────────────────────────────────────────

/** Names of the price-driver classes in labels ("Equities −10%"). */
export const ASSET_CLASS_NAMES: Readonly<Partial<Record<AssetClass, string>>> = {
  STK: 'Equities',
  FUT: 'Futures',
  BOND: 'Bonds',
  CFD: 'CFDs',
  IND: 'Indexes',
  FUND: 'Funds',
  CMDTY: 'Commodities',
  CRYPTO: 'Crypto',
};

/** A short human description: "Equities −10%, EUR −8% vs USD, vol +30%, 1 day forward". */
export function describeShocks(shocks: ScenarioShocks, baseCurrency?: string): string {
  const pct = (x: number) => signedPercent(x, '\u2212');
  const vs = baseCurrency ? ` vs ${baseCurrency}` : '';
  const parts = [
    ...pxOrder(shocks).map((c) => `${ASSET_CLASS_NAMES[c] ?? c} ${pct(shocks.px[c]!)}`),
    // A name held still while its class moves (a commodity crash's equity-index futures): "ES unchanged", not "ES +0%";
    // a currency future held so still moves with its currency's fx shock, which the label may list beside it.
    ...sortedKeys(shocks.sym).map((s) =>
      shocks.sym[s] !== 0 ? `${s} ${pct(shocks.sym[s]!)}` : isCurrencyFutureSymbol(s) ? `${s} futures by FX only` : `${s} unchanged`,
    ),
    ...sortedKeys(shocks.fx).map((c) => `${c} ${pct(shocks.fx[c]!)}${vs}`),
  ];
  if (shocks.rates) parts.push(`rates ${signedBasisPoints(shocks.rates, '\u2212')}`);
  if (shocks.vol !== 0) {
    parts.push(shocks.volTermDays ? `vol ${pct(shocks.vol)} to ${shocks.volTermDays}d, less beyond` : `vol ${pct(shocks.vol)}`);
  }
  if (shocks.days !== 0) parts.push(`${shocks.days} ${shocks.days === 1 ? 'day' : 'days'} forward`);
  return parts.length > 0 ? parts.join(', ') : 'No change';
}

// ── Built-in families (docs/scenarios.md lists them; sizes cite risk-model.md) ───────────────────

/** Each price-driver class alone: ±5, 10, 20, 30%, Risk Navigator's price steps (§1.6) plus ±5%. */
export const ASSET_LADDER: readonly number[] = [-0.3, -0.2, -0.1, -0.05, 0.05, 0.1, 0.2, 0.3];

/** Each non-base currency alone: ±5, 10, 20% against base (§4.2 uniform ladders). */
export const FX_LADDER: readonly number[] = [-0.2, -0.1, -0.05, 0.05, 0.1, 0.2];

/**
 * Peg break, sized on 15 January 2015 (§0.9, §4.2): EUR/CHF 1.2009 → 0.8681 within minutes, i.e. the
 * franc worth 1.2009/0.8681 − 1 = +38.3% more euros, or the euro −27.7% in francs. Both directions,
 * because a peg can break either way; rounded to whole percents. The liquidation engine sells at
 * market in real time (§0.1), so the intraday jump, not the day's close, is what an account must survive.
 */
export const PEG_BREAK = { up: 0.38, down: -0.28 } as const;

/**
 * Vol coordinated with the fall (docs/stress-model.md "Volatility that moves with price"): each down rung of the
 * asset ladder also comes with implied vol up `perFall` × the fall (−10% → vol +30%, the corner of Risk Navigator's
 * grid, §1.6), in full to options expiring within `termDays` and by √(termDays / days to expiry) beyond (§1.6's
 * proxy for Risk Navigator's volatility-coordinated term response). Only for classes whose options the book holds.
 */
export const VOL_COORDINATION = { perFall: 3, termDays: 30 } as const;

/** A combined crash. FX moves are against a neutral basket and are translated to the base (below). */
export interface CrashDefinition {
  readonly name: string;
  readonly px: Readonly<Partial<Record<AssetClass, number>>>;
  /**
   * Also moves the held equity-index futures (and their options) by the indexes' move, as `sym:` shocks. A crash that
   * moves the futures class (`px.FUT`) does so always: they move with the indexes, or stay put when the indexes do, and
   * it holds the currency and rate futures still (`sym:…=+0%`): a currency future then moves by its pair's fx shock
   * alone, once (revalue.ts `rowShocks`), and no crash moves rates.
   */
  readonly indexFutures?: true;
  /** Currency moves against every currency not listed. */
  readonly fx: Readonly<Record<string, number>>;
  readonly vol: number;
}

const SAFE_HAVENS = { JPY: 0.1, CHF: 0.1 } as const;
const COMMODITY_FX = { AUD: -0.1, CAD: -0.1, NOK: -0.1, NZD: -0.1 } as const;

/**
 * The combined crashes (§4.2 family (c) "risk-off": JPY/CHF +X, commodity currencies −Y, equities −Z,
 * vol +V). Sizes: equities −20% is the 19-Oct-1987 S&P move (§4.2) and −10% with vol +30% is the corner
 * of Risk Navigator's grid (§1.6); vol +75% is IBKR's broad-index implied-vol scan (§1.5); havens +10%
 * and commodity currencies −10% are the ±10% rung of §4.2's ladder (USD/JPY fell ≈12% in two days in
 * Oct 1998, §4.2). Futures are one asset class whatever the underlying, and the class move (`px:FUT`) is the
 * commodities'; the crashes name the futures the account holds that are on something else (`futureUnderlyingOf`):
 * equity-index futures (ES, NQ, FESX…) move with the indexes, by the equity crashes' move, by Risk-off's, and not at
 * all in "Commodities down" (which moved a long ES book by −20%); currency futures (6E, M6E…) and rate futures (ZN,
 * SR3…) are held still where the class moves, a currency future moving by its currency alone (which the commodity
 * crashes moved twice: a 6A by −20% and again by AUD's −10%). Commodity futures and unknown roots move with the class.
 */
export const CRASHES: readonly CrashDefinition[] = [
  { name: 'Equity sell-off', px: { STK: -0.1, IND: -0.1 }, fx: {}, vol: 0.3, indexFutures: true },
  { name: 'Equity crash', px: { STK: -0.2, IND: -0.2 }, fx: {}, vol: 0.75, indexFutures: true },
  { name: 'Flight to JPY and CHF', px: {}, fx: SAFE_HAVENS, vol: 0 },
  { name: 'Commodities down', px: { CMDTY: -0.2, FUT: -0.2 }, fx: COMMODITY_FX, vol: 0 },
  {
    name: 'Risk-off',
    px: { STK: -0.2, IND: -0.2, CMDTY: -0.2, FUT: -0.2 },
    fx: { ...SAFE_HAVENS, ...COMMODITY_FX },
    vol: 0.75,
  },
];

/**
 * Translates basket moves to moves against base: s_c = (1 + m_c)/(1 + m_base) − 1, rounded to 0.01%.
 * With a JPY base, "JPY +10%" becomes every other currency −9.09% against JPY.
 */
function basketToBase(moves: Readonly<Record<string, number>>, base: string, currencies: readonly string[]) {
  const fx: Record<string, number> = {};
  const mb = moves[base] ?? 0;
  for (const c of currencies) {
    const s = roundToBasisPoint((1 + (moves[c] ?? 0)) / (1 + mb) - 1);
    if (s !== 0) fx[c] = s;
  }
  return fx;
}

/** The symbols of the futures (and future options) held, by what they are on (`futureUnderlyingOf`); repeats allowed. */
export type HeldFutures = Readonly<Partial<Record<FutureUnderlying, readonly string[]>>>;

/**
 * The built-in scenarios for an account: the zero scenario, each price-driver class alone, each
 * non-base currency alone (ladder and peg break), and the combined crashes. `assetClasses` are the
 * classes of the instruments that move (underlyings); derivative classes among them are ignored.
 * `currencies` may contain the base and TWS's "BASE" row; both are skipped. `futures` are the futures held that the
 * crashes name (CRASHES). Order and ids are stable for the same inputs; a scenario that repeats an earlier id is dropped.
 */
export function builtinScenarios(
  baseCurrency: string,
  currencies: readonly string[],
  assetClasses: readonly AssetClass[],
  optionDrivers: readonly AssetClass[] = [],
  futures: HeldFutures = {},
): Scenario[] {
  const out: Scenario[] = [];
  const ids = new Set<string>();
  const add = (family: ScenarioFamily, shocks: ScenarioShocks, label?: string) => {
    const s = makeScenario(shocks, family, label, baseCurrency);
    if (!ids.has(s.id)) {
      ids.add(s.id);
      out.push(s);
    }
  };
  add('base', ZERO_SHOCKS);
  for (const c of PRICE_DRIVER_CLASSES.filter((k) => assetClasses.includes(k))) {
    for (const m of ASSET_LADDER) add('asset', { ...ZERO_SHOCKS, px: { [c]: m } });
    if (!optionDrivers.includes(c)) continue;
    for (const m of ASSET_LADDER.filter((x) => x < 0)) {
      const shocks = { ...ZERO_SHOCKS, px: { [c]: m }, vol: roundToBasisPoint(-m * VOL_COORDINATION.perFall), volTermDays: VOL_COORDINATION.termDays };
      add('asset', shocks, `${describeShocks(shocks, baseCurrency)} (vol coordinated: +${VOL_COORDINATION.perFall}% per 1% fall)`);
    }
  }
  const foreign = [...new Set(currencies)].filter((c) => CURRENCY.test(c) && c !== baseCurrency).sort();
  for (const c of foreign) {
    for (const m of FX_LADDER) add('fx', { ...ZERO_SHOCKS, fx: { [c]: m } });
    for (const m of [PEG_BREAK.up, PEG_BREAK.down]) {
      add('fx', { ...ZERO_SHOCKS, fx: { [c]: m } }, `${c} peg break ${signedPercent(m, '\u2212')} vs ${baseCurrency}`);
    }
  }
  for (const crash of CRASHES) {
    const sym = crashFutureMoves(crash, futures);
    const shocks = { ...ZERO_SHOCKS, px: crash.px, sym, fx: basketToBase(crash.fx, baseCurrency, foreign), vol: crash.vol };
    if (formatScenario(shocks) === 'base') continue; // e.g. no JPY or CHF in the account
    add('crash', shocks, `${crash.name}: ${describeShocks(shocks, baseCurrency)}`);
  }
  return out;
}

/**
 * The futures among classified positions, by what they are on (the crashes name them: builtinScenarios). A `sym:`
 * shock moves every position of its symbol, so a currency or rate future whose symbol is also a stock held (the krone's
 * NOK and Nokia's, the Eurodollar's GE and General Electric's) is left out: held still it would hold the stock still in
 * Risk-off too, and the future moving with the class as before overstates a loss where the stock would understate one.
 */
export function heldFuturesOf(classes: readonly Pick<PositionClass, 'futureUnderlying' | 'symbol'>[]): HeldFutures {
  const out: Partial<Record<FutureUnderlying, string[]>> = {};
  let others: Set<string> | undefined;
  for (const c of classes) {
    const on = c.futureUnderlying;
    if (on === undefined) continue;
    if (on === 'currency' || on === 'rate') {
      others ??= new Set(classes.flatMap((x) => (x.futureUnderlying === undefined ? [x.symbol] : [])));
      if (others.has(c.symbol)) continue;
    }
    (out[on] ??= []).push(c.symbol);
  }
  return out;
}

/** The `sym:` moves a crash gives the futures held (CrashDefinition.indexFutures), keys sorted. */
function crashFutureMoves(crash: CrashDefinition, futures: HeldFutures): Record<string, number> {
  const moves = new Map<string, number>();
  const index = crash.indexFutures ? crash.px.IND : crash.px.FUT !== undefined ? (crash.px.IND ?? 0) : undefined;
  if (index !== undefined) for (const f of futures.equityIndex ?? []) moves.set(f, index);
  if (crash.px.FUT !== undefined) for (const f of [...(futures.currency ?? []), ...(futures.rate ?? [])]) moves.set(f, 0);
  return Object.fromEntries([...moves].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * Risk Navigator's "price change and volatility change" report (risk-model.md §1.6): price −30 … +30% in
 * 10% steps, relative vol −30, −15, 0, +15, +30% and rates −100, −50, 0, +50, +100 bp, 7 × 5 × 5 = 175
 * scenarios. The price move applies to every class in `assetClasses` at once (Risk Navigator's default of
 * equal percentage changes for all underlyings); derivative classes are ignored.
 */
export const RISK_NAVIGATOR_GRID = {
  px: [-0.3, -0.2, -0.1, 0, 0.1, 0.2, 0.3],
  vol: [-0.3, -0.15, 0, 0.15, 0.3],
  rates: [-0.01, -0.005, 0, 0.005, 0.01],
} as const;

/** The 175-scenario grid for the classes held, price innermost (family `grid`; the all-zero cell is `base`; ids unique). */
export function riskNavigatorScenarios(assetClasses: readonly AssetClass[], baseCurrency?: string): Scenario[] {
  const classes = PRICE_DRIVER_CLASSES.filter((k) => assetClasses.includes(k));
  const out: Scenario[] = [];
  const ids = new Set<string>();
  for (const rates of RISK_NAVIGATOR_GRID.rates) {
    for (const vol of RISK_NAVIGATOR_GRID.vol) {
      for (const m of RISK_NAVIGATOR_GRID.px) {
        const px: Partial<Record<AssetClass, number>> = {};
        if (m !== 0) for (const c of classes) px[c] = m;
        const shocks: ScenarioShocks = { ...ZERO_SHOCKS, px, vol, ...(rates !== 0 ? { rates } : {}) };
        const isBase = formatScenario(shocks) === 'base';
        const scenario = makeScenario(shocks, isBase ? 'base' : 'grid', isBase ? 'No change' : undefined, baseCurrency);
        // Without a price class the price axis collapses: keep each id once.
        if (!ids.has(scenario.id)) out.push(scenario);
        ids.add(scenario.id);
      }
    }
  }
  return out;
}

// ── User scenario files ──────────────────────────────────────────────────────────────────────────

export interface ScenarioFileResult {
  /** Every entry that parsed, in file order, family 'user'. */
  readonly scenarios: readonly Scenario[];
  /** One line per problem: file, JSON path, token and what to do. Empty when the file is clean. */
  readonly problems: readonly string[];
}

const FILE_KEYS = ['label', 'shocks'];

/**
 * Reads a user scenario file: a JSON array of { "label": "...", "shocks": "<text form>" }. `json` is
 * the file's text or the already-parsed value. Bad entries are reported and skipped; the good ones are
 * kept (STYLE.md: bad config degrades, and says where). An unknown key is reported and ignored.
 */
export function parseScenarioFile(json: unknown, fileName: string, options: ParseOptions = {}): ScenarioFileResult {
  const problems: string[] = [];
  let data = json;
  if (typeof json === 'string') {
    try {
      data = JSON.parse(json);
    } catch (e) {
      return { scenarios: [], problems: [`${fileName}: not valid JSON (${(e as Error).message})`] };
    }
  }
  if (!Array.isArray(data)) {
    return { scenarios: [], problems: [`${fileName}: expected a JSON array of {"label", "shocks"} objects, got ${kindOf(data)}`] };
  }
  const scenarios: Scenario[] = [];
  const byId = new Map<string, number>();
  const byLabel = new Map<string, number>();
  data.forEach((entry: unknown, i) => {
    const at = `${fileName}: [${i}]`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      problems.push(`${at}: expected an object with "label" and "shocks", got ${kindOf(entry)}`);
      return;
    }
    const record = entry as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      if (!FILE_KEYS.includes(key)) problems.push(`${at}.${key}: unknown key, ignored (expected "label" and "shocks")`);
    }
    const { label, shocks } = record;
    if (typeof label !== 'string' || label.trim() === '') {
      problems.push(`${at}.label: ${label === undefined ? 'missing' : `expected a non-empty string, got ${kindOf(label)}`}`);
    }
    if (typeof shocks !== 'string') {
      problems.push(`${at}.shocks: ${shocks === undefined ? 'missing' : `expected the text form as a string, got ${kindOf(shocks)}`}`);
    }
    if (typeof shocks !== 'string' || typeof label !== 'string' || label.trim() === '') return;
    const parsed = parseScenario(shocks, { ...options, label: label.trim(), family: 'user' });
    if (!parsed.ok) {
      for (const p of parsed.problems) problems.push(`${at}.shocks: ${p}`);
      return;
    }
    const { scenario } = parsed;
    // Ids and labels must stay unique: the grid keys results by id, the operator reads labels.
    const sameShocks = byId.get(scenario.id);
    if (sameShocks !== undefined) {
      problems.push(`${at}.shocks: "${shocks}" has the same shocks as [${sameShocks}] (${scenario.id}); entry skipped`);
      return;
    }
    const sameLabel = byLabel.get(scenario.label);
    if (sameLabel !== undefined) {
      problems.push(`${at}.label: "${scenario.label}" is also the label of [${sameLabel}]; entry skipped`);
      return;
    }
    byId.set(scenario.id, i);
    byLabel.set(scenario.label, i);
    scenarios.push(scenario);
  });
  return { scenarios, problems };
}

function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `${typeof v} ${JSON.stringify(v)}`;
}
