// Simulated market: seeded correlated random walk with optional jumps, FX rates, shocks, and quotes.
//
// Quotes are pure functions of the factor values and the step time (no random draws), so a quote asked
// for by a client never changes the random sequence: a given seed gives the same path whatever the
// clients do.
import { priceIncrementAt } from './contract-details.js';
import { black76, bsm, impliedVol, type OptionValue } from './pricing.js';
import { FACTORS, FX_START, FX_VOL, RATES, type FactorKind, type Instrument } from './instruments.js';
import { streamFor, type Rng } from './random.js';

export interface JumpOptions {
  /** Expected jumps per factor per trading day (6.5 h of virtual time). */
  readonly perDay: number;
  /** Mean and standard deviation of a jump's log size, in percent. */
  readonly meanPct: number;
  readonly stdPct: number;
}

export interface MarketOptions {
  /** Virtual ms between market steps (TWS streams ticks about every 250 ms). */
  readonly tickMs: number;
  /** Multiplies every volatility of the walk; 0 freezes prices (handy for exact tests). */
  readonly volScale: number;
  readonly jumps: JumpOptions | null;
}

export const DEFAULT_MARKET: MarketOptions = { tickMs: 250, volScale: 1, jumps: null };

/** What TWS would stream for one instrument at the current step. */
export interface Quote {
  /** Undefined for an index (TWS sends no bid/ask for IND). */
  readonly bid?: number;
  readonly ask?: number;
  readonly last: number;
  /** The mark used for portfolio values (mid, or model value for options). */
  readonly mark: number;
  readonly close: number;
  readonly high: number;
  readonly low: number;
  readonly bidSize: number;
  readonly askSize: number;
  readonly lastSize: number;
  readonly volume: number;
  readonly option?: OptionQuote;
}

export interface OptionQuote extends OptionValue {
  readonly iv: number;
  readonly undPrice: number;
  readonly pvDividend: number;
  /** Implied vols of the bid and ask prices (undefined when outside the no-arbitrage band). */
  readonly bidIv?: number;
  readonly askIv?: number;
}

const TRADING_DAY_MS = 6.5 * 3600 * 1000;
/** How much of the session's path the market keeps for historical bars: a week of minutes. */
const TAPE_MINUTES = 7 * 24 * 60;
const TRADING_YEAR_MS = 252 * TRADING_DAY_MS;
const CALENDAR_YEAR_MS = 365 * 86_400_000;

interface FactorState {
  readonly key: string;
  readonly kind: FactorKind;
  readonly beta: number;
  readonly dividendYield: number;
  value: number;
  vol: number;
  high: number;
  low: number;
}

function decimalsOf(tick: number): number {
  const s = String(tick);
  if (s.includes('e-')) return Number(s.split('e-')[1]);
  const dot = s.indexOf('.');
  return dot < 0 ? 0 : s.length - dot - 1;
}

/** Rounds to a multiple of `tick` and strips binary noise (228.49999999 → 228.5). */
export function roundToTick(x: number, tick: number, mode: 'near' | 'down' | 'up' = 'near'): number {
  const n = x / tick;
  const k = mode === 'down' ? Math.floor(n + 1e-9) : mode === 'up' ? Math.ceil(n - 1e-9) : Math.round(n);
  return Number((k * tick).toFixed(decimalsOf(tick)));
}

/**
 * Rounds onto an instrument's market rule ladder: to the increment of the rung at `x` (an AAPL option 0.01 below 3.00,
 * 0.05 from it), so a quote or fill is a price TWS would accept back as a limit. Where the ladder has one rung (every
 * instrument but the options) this is `roundToTick` on the minTick. Rounding up across an edge lands on the edge, which
 * is on both rungs (each edge is a whole number of the increment below it; test/sim/contract-details.test.ts). The
 * other instruments' ladders are one rung, their minTick, so their quotes are what rounding to the minTick gives.
 */
export function roundToLadder(inst: Instrument, x: number, mode: 'near' | 'down' | 'up' = 'near'): number {
  return roundToTick(x, priceIncrementAt(inst, x), mode);
}

/** What account valuation reads from the market: each instrument's quote and the exchange rates. */
export type MarketMarks = Pick<Market, 'quote' | 'rate'>;

export class Market {
  private readonly factors = new Map<string, FactorState>();
  private readonly fx = new Map<string, number>();
  private readonly fxVol = new Map<string, number>();
  private readonly volShock = new Map<string, number>();
  private readonly closes = new Map<number, number>();
  private readonly cache = new Map<number, { version: number; quote: Quote }>();
  private readonly rng: Rng;
  private readonly jumpRng: Rng;
  private readonly opts: MarketOptions;
  private versionCounter = 0;
  /** Virtual time of the last step (quotes are as of this instant). */
  time: number;
  readonly startTime: number;
  readonly seed: number;
  /**
   * One mark per virtual minute of every non-option instrument since the start (the last TAPE_MINUTES of them):
   * historical bars of the session are built from it. Recording reads quotes only, so it draws no random numbers.
   */
  private readonly tape: Array<{ readonly t: number; readonly marks: ReadonlyMap<number, number> }> = [];

  constructor(
    private readonly universe: readonly Instrument[],
    opts: MarketOptions,
    seed: number,
    start: number,
  ) {
    this.opts = opts;
    this.rng = streamFor(seed, 'market');
    this.jumpRng = streamFor(seed, 'jumps');
    this.time = start;
    this.startTime = start;
    this.seed = seed;
    for (const f of FACTORS) {
      this.factors.set(f.key, {
        key: f.key,
        kind: f.kind,
        beta: f.beta,
        dividendYield: f.dividendYield,
        value: f.start,
        vol: f.vol,
        high: f.start,
        low: f.start,
      });
    }
    for (const [ccy, v] of Object.entries(FX_START)) {
      this.fx.set(ccy, v);
      this.fxVol.set(ccy, FX_VOL[ccy] ?? 0.08);
    }
    // Yesterday's close: the start marks, so the first day's P&L starts at zero.
    for (const inst of universe) this.closes.set(inst.conId, this.rawQuote(inst).mark);
    this.recordTape();
  }

  /** An instrument's mark at the start of the run (the end of its deterministic history). */
  startMark(conId: number): number | undefined {
    return this.closes.get(conId);
  }

  /** The recorded per-minute marks of an instrument in [from, to). */
  marksBetween(conId: number, from: number, to: number): Array<readonly [number, number]> {
    const out: Array<readonly [number, number]> = [];
    for (const e of this.tape) {
      if (e.t < from) continue;
      if (e.t >= to) break;
      const m = e.marks.get(conId);
      if (m !== undefined) out.push([e.t, m]);
    }
    return out;
  }

  private recordTape(): void {
    const last = this.tape[this.tape.length - 1];
    if (last && Math.floor(last.t / 60_000) === Math.floor(this.time / 60_000)) return;
    const marks = new Map<number, number>();
    for (const inst of this.universe) {
      if (inst.secType === 'OPT' || inst.secType === 'FOP') continue;
      marks.set(inst.conId, this.rawQuote(inst).mark);
    }
    this.tape.push({ t: this.time, marks });
    if (this.tape.length > TAPE_MINUTES) this.tape.shift();
  }

  /** Changes on every step or shock; quote caches and "what changed" checks key on it. */
  get version(): number {
    return this.versionCounter;
  }

  /** Currencies with an exchange rate. */
  currencies(): string[] {
    return [...this.fx.keys()];
  }

  /** USD value of one unit of `ccy`; undefined for an unknown currency. */
  usdPer(ccy: string): number | undefined {
    return this.fx.get(ccy);
  }

  /** Value of one unit of `ccy` in `base` (TWS's ExchangeRate row). */
  rate(ccy: string, base: string): number {
    const a = this.fx.get(ccy);
    const b = this.fx.get(base);
    if (a === undefined || b === undefined) throw new Error(`no exchange rate for ${ccy}/${base}`);
    return a / b;
  }

  /**
   * Every quote and exchange rate as they are now, held still while the market walks on: TWS values the account on
   * the marks its market data farm last sent, so they stand still while the farm is down.
   */
  marksNow(): MarketMarks {
    const quotes = new Map(this.universe.map((inst) => [inst.conId, this.quote(inst)]));
    const fx = new Map(this.fx);
    return {
      quote: (inst) => quotes.get(inst.conId) ?? this.quote(inst),
      rate: (ccy, base) => {
        const a = fx.get(ccy);
        const b = fx.get(base);
        if (a === undefined || b === undefined) throw new Error(`no exchange rate for ${ccy}/${base}`);
        return a / b;
      },
    };
  }

  factorValue(key: string): number | undefined {
    return key.startsWith('FX:') ? this.fx.get(key.slice(3)) : this.factors.get(key)?.value;
  }

  /** Advances the walk to `now` (one step, whatever dt is). */
  step(now: number): void {
    const dtMs = now - this.time;
    this.time = now;
    if (dtMs <= 0) return;
    const dt = dtMs / TRADING_YEAR_MS;
    const scale = this.opts.volScale;
    const common = this.rng.normal();
    for (const f of this.factors.values()) {
      const z = f.beta > 0 ? f.beta * common + Math.sqrt(1 - f.beta * f.beta) * this.rng.normal() : this.rng.normal();
      const sigma = f.vol * scale;
      f.value *= Math.exp(sigma * Math.sqrt(dt) * z - 0.5 * sigma * sigma * dt);
      this.maybeJump(f, dtMs);
      if (f.value > f.high) f.high = f.value;
      if (f.value < f.low) f.low = f.value;
    }
    for (const [ccy, v] of this.fx) {
      if (ccy === 'USD') continue;
      const sigma = (this.fxVol.get(ccy) ?? 0) * scale;
      this.fx.set(ccy, v * Math.exp(sigma * Math.sqrt(dt) * this.rng.normal() - 0.5 * sigma * sigma * dt));
    }
    this.versionCounter++;
    this.recordTape();
  }

  private maybeJump(f: FactorState, dtMs: number): void {
    const j = this.opts.jumps;
    // Draw for every factor on every step even when jumps are off, so turning jumps on in a scenario
    // changes only the jump stream, never the diffusion stream.
    const u = this.jumpRng.next();
    const size = this.jumpRng.normal();
    if (!j || j.perDay <= 0) return;
    if (u < (j.perDay * dtMs) / TRADING_DAY_MS) f.value *= Math.exp((j.meanPct + j.stdPct * size) / 100);
  }

  /** Multiplies factors of the given kinds (or keys) by (1 + pct/100) at once. */
  shockFactors(selector: { kinds?: readonly FactorKind[]; keys?: readonly string[] }, pct: number): void {
    for (const f of this.factors.values()) {
      if (selector.kinds?.includes(f.kind) || selector.keys?.includes(f.key)) {
        f.value *= 1 + pct / 100;
        f.high = Math.max(f.high, f.value);
        f.low = Math.min(f.low, f.value);
      }
    }
    this.versionCounter++;
  }

  /** Raises implied and realised volatility of the given kinds by `factor` (1.5 = +50%). */
  shockVol(kinds: readonly FactorKind[], factor: number): void {
    for (const f of this.factors.values()) {
      if (kinds.includes(f.kind)) {
        f.vol *= factor;
        this.volShock.set(f.key, (this.volShock.get(f.key) ?? 1) * factor);
      }
    }
    this.versionCounter++;
  }

  /** Moves `ccy` by pct against `base` at once (CHF +20% means one CHF buys 20% more base). */
  shockFx(ccy: string, pct: number, base: string): void {
    if (!this.fx.has(ccy)) throw new Error(`unknown currency ${ccy}`);
    if (ccy === base) throw new Error(`cannot move the base currency ${base} against itself`);
    const k = 1 + pct / 100;
    if (ccy === 'USD') {
      // USD is the numeraire (always 1): move every other currency the opposite way instead.
      for (const [c, v] of this.fx) if (c !== 'USD') this.fx.set(c, v / k);
    } else {
      this.fx.set(ccy, (this.fx.get(ccy) ?? 0) * k);
    }
    this.versionCounter++;
  }

  /** Current quote for an instrument (cached until the next step or shock). */
  quote(inst: Instrument): Quote {
    const hit = this.cache.get(inst.conId);
    if (hit && hit.version === this.versionCounter) return hit.quote;
    const quote = this.rawQuote(inst);
    this.cache.set(inst.conId, { version: this.versionCounter, quote });
    return quote;
  }

  /** Implied vol currently used for an option (start IV times any volatility shock). */
  ivOf(inst: Instrument): number {
    return (inst.iv ?? 0.2) * (this.volShock.get(inst.factor) ?? 1);
  }

  private linearPrice(inst: Instrument, factorValue: number): number {
    if (inst.secType === 'FUT') return factorValue * (1 + (inst.basis ?? 0));
    if (inst.secType === 'CASH') return factorValue / (this.fx.get(inst.currency) ?? 1);
    return factorValue;
  }

  private optionValue(inst: Instrument): OptionQuote {
    const T = Math.max(0, ((inst.expiryMs ?? this.time) - this.time) / CALENDAR_YEAR_MS);
    const r = RATES[inst.currency] ?? 0.03;
    const f = this.factors.get(inst.factor);
    const iv = this.ivOf(inst);
    const right = inst.right === 'P' ? 'P' : 'C';
    if (inst.secType === 'FOP') {
      const fut = this.universe.find((i) => i.conId === inst.futureConId);
      const F = (f?.value ?? 0) * (1 + (fut?.basis ?? 0));
      return { ...black76(F, inst.strike, T, r, iv, right), iv, undPrice: F, pvDividend: 0 };
    }
    const S = f?.value ?? 0;
    const q = f?.dividendYield ?? 0;
    const pvDividend = S * (1 - Math.exp(-q * T));
    return { ...bsm(S, inst.strike, T, r, q, iv, right), iv, undPrice: S, pvDividend };
  }

  private rawQuote(inst: Instrument): Quote {
    const tick = inst.minTick;
    const elapsed = Math.max(0, this.time - this.startTime);
    const volume = Math.floor(((inst.secType === 'STK' ? 2_000_000 : 20_000) * (elapsed % TRADING_DAY_MS)) / TRADING_DAY_MS);
    const sizeSeed = (Math.floor(elapsed / 1000) + inst.conId) % 9;
    const sizes = { bidSize: 100 * (1 + sizeSeed), askSize: 100 * (9 - sizeSeed), lastSize: 100 };
    const close = this.closes.get(inst.conId);
    if (inst.secType === 'OPT' || inst.secType === 'FOP') {
      const o = this.optionValue(inst);
      // Bid and ask on the ladder at their own price, as TWS quotes an option (9.65/9.75 rather than 9.67/9.71 above
      // 3.00), so a client buying at the ask sends a limit on the grid; at least one rung apart, never crossed. The
      // mark and the option computations stay the model's value: TWS's model prices are not on the grid either.
      const half = inst.halfSpreadTicks * tick;
      const bid = Math.max(0, roundToLadder(inst, o.price - half, 'down'));
      const ask = roundToLadder(inst, Math.max(o.price + half, bid + priceIncrementAt(inst, bid)), 'up');
      const mark = Number(o.price.toFixed(4));
      const T = Math.max(0, ((inst.expiryMs ?? this.time) - this.time) / CALENDAR_YEAR_MS);
      const r = RATES[inst.currency] ?? 0.03;
      const q = inst.secType === 'FOP' ? r : (this.factors.get(inst.factor)?.dividendYield ?? 0);
      const right = inst.right === 'P' ? 'P' : 'C';
      const option: OptionQuote = {
        ...o,
        bidIv: bid > 0 ? impliedVol(bid, o.undPrice, inst.strike, T, r, q, right) : undefined,
        askIv: impliedVol(ask, o.undPrice, inst.strike, T, r, q, right),
      };
      // HIGH and LOW are trade prices, so on the ladder (outward, so they still hold the close and the last); the close
      // stays the start mark, from which the day's P&L starts at zero.
      return {
        bid,
        ask,
        last: roundToLadder(inst, o.price),
        mark,
        close: close ?? mark,
        high: roundToLadder(inst, Math.max(mark, close ?? mark), 'up'),
        low: roundToLadder(inst, Math.min(mark, close ?? mark), 'down'),
        ...sizes,
        volume: Math.floor(volume / 100),
        option,
      };
    }
    const f = inst.secType === 'CASH' ? undefined : this.factors.get(inst.factor);
    const raw = this.linearPrice(inst, this.factorValue(inst.factor) ?? 0);
    const decimals = inst.secType === 'CASH' ? 5 : decimalsOf(tick);
    const mark = Number(raw.toFixed(Math.max(decimals, 2)));
    const high = f ? this.linearPrice(inst, f.high) : mark;
    const low = f ? this.linearPrice(inst, f.low) : mark;
    const base = {
      last: roundToLadder(inst, raw),
      mark,
      close: close ?? mark,
      high: roundToLadder(inst, Math.max(high, mark)),
      low: roundToLadder(inst, Math.min(low, mark)),
      ...sizes,
      volume,
    };
    if (inst.secType === 'IND') return base;
    const half = Math.max(1, inst.halfSpreadTicks) * tick;
    return { ...base, bid: roundToLadder(inst, raw - half, 'down'), ask: roundToLadder(inst, raw + half, 'up') };
  }
}
