// American options on stocks paying discrete cash dividends: a CRR lattice with the dividend jumps (Vellekoop–Nieuwenhuis 2006).
import { gbsPrice, intrinsic, type Dividend } from './black-scholes.js';
import type { Greeks, OptionRight } from './types.js';

/*
 * Why a lattice here: the escrowed model (price on S − PV(div), BAW) takes the exercise value on the wrong
 * price, so a put is overvalued by up to PV(div) and a call misses the exercise the instant before an ex-date
 * (risk-model.md §3.3). Vellekoop & Nieuwenhuis ("Efficient pricing of derivatives on assets with discrete
 * dividends", Applied Mathematical Finance 13, 2006) keep one recombining tree on the stock price and let the
 * stock drop by D at the step of each ex-date: the value there is V(S) = max(exercise(S), V_after(S − D)), with
 * V_after interpolated across the nodes of that step. Interpolation here is cubic in ln S (the nodes are equally
 * spaced in ln S); below the lowest node it runs to the value at S = 0 (K for a put, 0 for a call).
 *
 * Two standard refinements keep the step count, and with it the grid's cost, low (Broadie & Detemple 1996):
 * the last step is the Black-Scholes price over one step (no payoff kink inside the tree), and the answer is
 * the Richardson combination 2·V(n) − V(n/2). Against an independent finite-difference reference
 * (test/risk/fixtures/american-cash-dividends.py) the default 160 steps stay within 0.1% on the committed
 * vectors (0.4% at 80 steps), at ~100 µs per price; a ladder of spots costs about as much as one price.
 */

export const DEFAULT_LATTICE_STEPS = 160;

export interface CashDividendInputs {
  readonly right: OptionRight;
  readonly S: number;
  readonly K: number;
  /** Time to expiry in years. */
  readonly T: number;
  readonly r: number;
  /** Continuous yield besides the cash dividends (normally 0 for a single stock). */
  readonly q?: number;
  readonly vol: number;
  /** Cash dividends, `time` in years from now; those outside (0, T) are ignored. */
  readonly dividends: readonly Dividend[];
  /** Tree steps of the finer of the two trees (default DEFAULT_LATTICE_STEPS). */
  readonly steps?: number;
}

/** True when at least one cash dividend falls after now and before expiry, i.e. when the lattice is needed. */
export function dividendsBeforeExpiry(dividends: readonly Dividend[], T: number): boolean {
  for (const d of dividends) if (d.time > 0 && d.time < T && d.amount > 0) return true;
  return false;
}

/** Node values at time 0 (the layer `m` steps after the root, 2h apart in ln S) and at step 2 after it. */
interface TreeResult {
  /** Values on the time-0 layer, nodes S·e^(h(2j − m)), j = 0..m. */
  readonly layer: Float64Array;
  readonly v2: readonly [number, number, number];
  readonly u: number;
  readonly h: number;
  readonly dt: number;
}

let buffer = new Float64Array(0);
let spare = new Float64Array(0);

/**
 * One tree of n steps over [0, T], rooted m steps before now at S so that the time-0 layer holds m + 1 nodes
 * around S (m even keeps S itself a node): a ladder of spots at the same (T, r, vol) is then read off that
 * layer instead of building a tree per spot (the grid's price columns, cashDividendAmericanLadder).
 */
function tree(
  isCall: boolean,
  S: number,
  K: number,
  T: number,
  r: number,
  q: number,
  vol: number,
  dividends: readonly Dividend[],
  n: number,
  m = 0,
): TreeResult {
  const dt = T / n;
  const h = vol * Math.sqrt(dt);
  const u = Math.exp(h);
  const d = 1 / u;
  const p = (Math.exp((r - q) * dt) - d) / (u - d);
  const disc = Math.exp(-r * dt);
  const pu = disc * p,
    pd = disc * (1 - p);
  const top = n + m;
  // Dividends by layer: an ex-date between steps is taken at the nearest one (at least one step after now).
  const divAt = new Map<number, number>();
  for (const dv of dividends) {
    if (!(dv.time > 0 && dv.time < T && dv.amount > 0)) continue;
    const k = m + Math.min(n - 1, Math.max(1, Math.round(dv.time / dt)));
    divAt.set(k, (divAt.get(k) ?? 0) + dv.amount);
  }
  if (buffer.length < top + 1) {
    buffer = new Float64Array(top + 1);
    spare = new Float64Array(top + 1);
  }
  const v = buffer;
  const u2 = u * u;
  // The last step: the European price over one step on each node, floored at exercise. More than 8 one-step
  // deviations from the strike the price is its limit (forward minus discounted strike, or 0) to within Φ(−8) ≈ 6e-16:
  // only the few nodes near the strike need the normal CDF (it was 40% of a ladder's time).
  let s = S * Math.pow(d, top - 1);
  const dfr = Math.exp(-r * dt),
    dfq = Math.exp(-q * dt);
  const lnK = Math.log(K);
  let z = (Math.log(s) - lnK) / h;
  for (let j = 0; j < top; j++, s *= u2, z += 2) {
    let e: number;
    if (z > 8) e = isCall ? s * dfq - K * dfr : 0;
    else if (z < -8) e = isCall ? 0 : K * dfr - s * dfq;
    else e = gbsPrice(isCall, s, K, dt, r, r - q, vol);
    const x = intrinsic(isCall, s, K);
    v[j] = e > x ? e : x;
  }
  let v2: [number, number, number] = [NaN, NaN, NaN];
  const atZero = isCall ? 0 : K;
  // Lowest node of layer i is S·d^i: one multiplication per layer instead of a power.
  let lo = S * Math.pow(d, top - 1);
  for (let i = top - 1; i >= m; i--, lo *= u) {
    if (i < top - 1) {
      s = lo;
      for (let j = 0; j <= i; j++, s *= u2) {
        const cont = pu * v[j + 1]! + pd * v[j]!;
        const x = isCall ? s - K : K - s;
        v[j] = cont > x ? cont : x;
      }
    }
    const D = divAt.get(i);
    if (D !== undefined) jump(v, i, lo, h, D, K, isCall, atZero);
    if (m === 0 && i === 2) v2 = [v[0]!, v[1]!, v[2]!];
  }
  return { layer: v.subarray(0, m + 1), v2, u, h, dt };
}

/** Cubic interpolation in ln S on a layer of nodes lo·e^(step·j) (linear when there are fewer than four). */
function onLayer(layer: Float64Array, lnLo: number, step: number, target: number): number {
  const last = layer.length - 1;
  if (last === 0) return layer[0]!;
  const x = (Math.log(target) - lnLo) / step;
  if (last < 3) {
    const k = Math.min(Math.max(Math.floor(x), 0), last - 1);
    const f = x - k;
    return layer[k]! * (1 - f) + layer[k + 1]! * f;
  }
  const k = Math.min(Math.max(Math.floor(x) - 1, 0), last - 3);
  const t = x - k;
  const a0 = layer[k]!,
    a1 = layer[k + 1]!,
    a2 = layer[k + 2]!,
    a3 = layer[k + 3]!;
  return (a0 * (t - 1) * (t - 2) * (t - 3)) / -6 + (a1 * t * (t - 2) * (t - 3)) / 2 + (a2 * t * (t - 1) * (t - 3)) / -2 + (a3 * t * (t - 1) * (t - 2)) / 6;
}

/**
 * The dividend at layer i: the values in v[0..i] are those just after the ex-date on nodes lo·e^(2hj); before it
 * the stock is D higher, so V(S) = max(exercise(S), V_after(S − D)).
 */
function jump(v: Float64Array, i: number, lo: number, h: number, D: number, K: number, isCall: boolean, atZero: number): void {
  const after = spare.subarray(0, i + 1);
  after.set(v.subarray(0, i + 1));
  const step = 2 * h;
  const lnLo = Math.log(lo);
  const u2 = Math.exp(step);
  let s = lo;
  for (let j = 0; j <= i; j++, s *= u2) {
    const target = s - D;
    // Between S = 0 and the lowest node: linear from the value at 0.
    const val = target <= 0 ? atZero : target < lo ? atZero + ((after[0]! - atZero) * target) / lo : onLayer(after, lnLo, step, target);
    const x = isCall ? s - K : K - s;
    v[j] = val > x ? val : x;
  }
}

function validInputs(o: CashDividendInputs): boolean {
  return o.S > 0 && o.K > 0 && o.T > 0 && o.vol > 0 && Number.isFinite(o.r);
}

function steps(o: Pick<CashDividendInputs, 'steps'>): number {
  const n = Math.floor(o.steps ?? DEFAULT_LATTICE_STEPS);
  return Math.max(8, n + (n % 2));
}

/**
 * American price with discrete cash dividends. Expired, zero-vol or non-positive inputs give intrinsic (or
 * NaN for a non-finite rate); with no dividend before expiry it is still a valid American price, but callers
 * take BAW there (the fast path, bsmAmericanPrice).
 */
export function cashDividendAmericanPrice(o: CashDividendInputs): number {
  const isCall = o.right === 'C';
  if (!validInputs(o)) return Number.isFinite(o.r) ? intrinsic(isCall, o.S, o.K) : NaN;
  const n = steps(o);
  const q = o.q ?? 0;
  const fine = tree(isCall, o.S, o.K, o.T, o.r, q, o.vol, o.dividends, n).layer[0]!;
  const coarse = tree(isCall, o.S, o.K, o.T, o.r, q, o.vol, o.dividends, n / 2).layer[0]!;
  return Math.max(2 * fine - coarse, intrinsic(isCall, o.S, o.K));
}

/** Relative spot bump of the lattice delta: 1% of the spot each way. */
const SPOT_BUMP = 0.01;

/**
 * Price and greeks of the American option with cash dividends, in the units of Greeks (types.ts). Delta, vega and
 * rho bump and reprice: central differences of the (extrapolated) price at the spot ±1%, the vol ±0.5 point and the
 * rate ±1 basis point, the dividends' dates and amounts held. Gamma and theta are read from the finer tree's own
 * nodes (its prices at S·u², S, S/u² two steps on): a second difference of repriced values carries the lattice's
 * discretisation noise (on the committed deep-ITM put, test/risk/fixtures/american-dividend-delta.json, 4% off at
 * ±1% and 15% at ±0.5%, against 0.1% from the nodes), and a second tree over T − 1 day would move the ex-date to
 * another step and measure that rounding instead of theta (the dividends' dates held, time runs towards them).
 */
export function cashDividendAmericanGreeks(o: CashDividendInputs): Greeks {
  const isCall = o.right === 'C';
  if (!validInputs(o)) {
    const x = intrinsic(isCall, o.S, o.K);
    const delta = o.S > 0 && x > 0 ? (isCall ? 1 : -1) : 0;
    return { price: Number.isFinite(o.r) ? x : NaN, delta, gamma: 0, vega: 0, theta: 0, rho: 0 };
  }
  const n = steps(o);
  const q = o.q ?? 0;
  const t = tree(isCall, o.S, o.K, o.T, o.r, q, o.vol, o.dividends, n);
  const { u, dt } = t;
  const Suu = o.S * u * u,
    Sdd = o.S / (u * u);
  const gamma = ((t.v2[2] - t.v2[1]) / (Suu - o.S) - (t.v2[1] - t.v2[0]) / (o.S - Sdd)) / (0.5 * (Suu - Sdd));
  const theta = (t.v2[1] - t.layer[0]!) / (2 * dt);
  const price = cashDividendAmericanPrice(o);
  const dv = 0.005,
    dr = 0.0001;
  const at = (patch: Partial<CashDividendInputs>) => cashDividendAmericanPrice({ ...o, ...patch });
  const dS = SPOT_BUMP * o.S;
  const up = at({ S: o.S + dS }),
    down = at({ S: o.S - dS });
  const delta = (up - down) / (2 * dS);
  const vega = (at({ vol: o.vol + dv }) - at({ vol: Math.max(1e-6, o.vol - dv) })) / (o.vol + dv - Math.max(1e-6, o.vol - dv));
  const rho = (at({ r: o.r + dr }) - at({ r: o.r - dr })) / (2 * dr);
  return { price, delta, gamma, vega, theta, rho };
}

/** Most extra steps a ladder roots its trees before now (the range it can span); spots beyond it are priced alone. */
const MAX_LADDER_STEPS = 400;

/**
 * Prices at several spots that share everything else (the grid's price columns at one vol, rate and horizon):
 * two trees in all, each rooted far enough before now that its time-0 layer spans every spot, read by cubic
 * interpolation in ln S, then combined as in cashDividendAmericanPrice. out[i] for S[i], i in [from, to).
 */
export function cashDividendAmericanLadder(
  out: Float64Array,
  spots: Float64Array,
  from: number,
  to: number,
  center: number,
  o: Omit<CashDividendInputs, 'S'>,
): void {
  const isCall = o.right === 'C';
  const price1 = (S: number) => cashDividendAmericanPrice({ ...o, S });
  if (to - from < 3 || !(center > 0) || !validInputs({ ...o, S: center })) {
    for (let i = from; i < to; i++) out[i] = price1(spots[i]!);
    return;
  }
  const n = steps(o);
  const q = o.q ?? 0;
  let reach = 0;
  for (let i = from; i < to; i++) {
    const s = spots[i]!;
    if (s > 0) reach = Math.max(reach, Math.abs(Math.log(s / center)));
  }
  const layers: [Float64Array, number, number][] = [];
  for (const steps of [n, n / 2]) {
    const h = o.vol * Math.sqrt(o.T / steps);
    // Two nodes beyond the farthest spot for the cubic; even so the centre is a node.
    let m = Math.ceil(reach / h) + 2;
    m += m % 2;
    if (m > MAX_LADDER_STEPS) {
      for (let i = from; i < to; i++) out[i] = price1(spots[i]!);
      return;
    }
    const t = tree(isCall, center, o.K, o.T, o.r, q, o.vol, o.dividends, steps, m);
    layers.push([Float64Array.from(t.layer), Math.log(center) - m * h, 2 * h]);
  }
  const [fine, coarse] = layers as [[Float64Array, number, number], [Float64Array, number, number]];
  for (let i = from; i < to; i++) {
    const s = spots[i]!;
    const x = intrinsic(isCall, s, o.K);
    if (!(s > 0)) {
      out[i] = x;
      continue;
    }
    const v = 2 * onLayer(fine[0], fine[1], fine[2], s) - onLayer(coarse[0], coarse[1], coarse[2], s);
    out[i] = v > x ? v : x;
  }
}
