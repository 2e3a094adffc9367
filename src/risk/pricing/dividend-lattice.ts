// American options on stocks paying discrete cash dividends: a CRR lattice with the dividend jumps (Vellekoop–Nieuwenhuis 2006).
import { intrinsic, type Dividend } from './black-scholes.js';
import { cdfPair, normCdfPair } from './normal.js';
import type { Greeks, OptionRight } from './types.js';

/*
 * Why a lattice here: the escrowed model (price on S − PV(div), BAW) takes the exercise value on the wrong
 * price, so a put is overvalued by up to PV(div) and a call misses the exercise the instant before an ex-date
 * (risk-model.md §3.3). Vellekoop & Nieuwenhuis ("Efficient pricing of derivatives on assets with discrete
 * dividends", Applied Mathematical Finance 13, 2006) keep one recombining tree on the stock price and let the
 * stock drop by D at the step of each ex-date: the value there is V(S) = max(exercise(S), V_after(S − D)), with
 * V_after interpolated across the nodes of that step. Interpolation here is cubic in S on the four nodes around
 * S − D (the nodes are geometric, see jump()); below the lowest node it runs to the value at S = 0 (K for a put, 0
 * for a call).
 *
 * Two standard refinements keep the step count, and with it the grid's cost, low (Broadie & Detemple 1996):
 * the last step is the Black-Scholes price over one step (no payoff kink inside the tree), and the answer is
 * the Richardson combination 2·V(n) − V(n/2). Against an independent finite-difference reference
 * (test/risk/fixtures/american-cash-dividends.py) the default 160 steps stay within 0.1% on the committed
 * vectors (at 80 steps too, the trees rooted before now; 0.4% when rooted at now), at ~100 µs per price; a ladder of
 * spots costs about as much as one price.
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
  /** Values two steps after now at S·u⁻², S, S·u² (m even). */
  readonly v2: readonly [number, number, number];
  readonly u: number;
  readonly h: number;
  readonly dt: number;
}

const NO_V2: readonly [number, number, number] = [NaN, NaN, NaN];
let buffer = new Float64Array(0);
let spare = new Float64Array(0);
/** Cash dividend per layer of the tree being built (0: none), reused from tree to tree. */
let divAt = new Float64Array(0);

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
  if (buffer.length < top + 1) {
    buffer = new Float64Array(top + 1);
    spare = new Float64Array(top + 1);
    divAt = new Float64Array(top + 1);
  }
  // Dividends by layer: an ex-date between steps is taken at the nearest one (at least one step after now).
  divAt.fill(0, 0, top + 1);
  for (const dv of dividends) {
    if (!(dv.time > 0 && dv.time < T && dv.amount > 0)) continue;
    divAt[m + Math.min(n - 1, Math.max(1, Math.round(dv.time / dt)))]! += dv.amount;
  }
  const v = buffer;
  const u2 = u * u;
  /*
   * The last step: the European price over one step on each node, floored at exercise. More than 8 one-step
   * deviations from the strike the price is its limit (forward minus discounted strike, or 0) to within Φ(−8) ≈ 6e-16:
   * only the few nodes near the strike need the normal CDF (it was 40% of a ladder's time). Near it, Black-Scholes
   * over one step from what the tree already has: ln(s/K) = z·h, σ√dt = h, the discount factors of one step.
   */
  let s = S * Math.pow(d, top - 1);
  const dfr = Math.exp(-r * dt),
    dfq = Math.exp(-q * dt);
  const lnK = Math.log(K);
  let z = (Math.log(s) - lnK) / h;
  const shift = ((r - q + 0.5 * vol * vol) * dt) / h;
  for (let j = 0; j < top; j++, s *= u2, z += 2) {
    let e: number;
    if (z > 8) e = isCall ? s * dfq - K * dfr : 0;
    else if (z < -8) e = isCall ? 0 : K * dfr - s * dfq;
    else {
      const d1 = z + shift;
      cdfPair[0] = isCall ? d1 : -d1;
      cdfPair[1] = isCall ? d1 - h : h - d1;
      normCdfPair();
      e = isCall ? s * dfq * cdfPair[0]! - K * dfr * cdfPair[1]! : K * dfr * cdfPair[1]! - s * dfq * cdfPair[0]!;
    }
    const x = intrinsic(isCall, s, K);
    v[j] = e > x ? e : x;
  }
  let v2 = NO_V2;
  const atZero = isCall ? 0 : K;
  /*
   * Where exercise cannot beat holding, a step is the discounted expectation alone. A call with r ≥ 0 ≥ q: one step
   * on, every value is at least its exercise value, so holding is worth at least S·e^(−q·dt) − K·e^(−r·dt) ≥ S − K;
   * it can pay to exercise only just before an ex-date, where jump() takes the maximum. A put above the strike:
   * exercise pays nothing there. The comparison is then made only below the strike (puts), or nowhere (calls).
   */
  const callHolds = isCall && r >= 0 && q <= 0;
  const puu = pu * pu,
    pud = 2 * pu * pd,
    pdd = pd * pd;
  /*
   * Exact zeros: the last step leaves the nodes far out of the money at 0 (|z| > 8 above), and a node whose two
   * successors are 0 is 0 (out of the money, nothing to exercise). Below zc (a call's lowest nonzero node) and from zp
   * on (above a put's highest) a layer is all 0 and is not computed: a call's zeros lose one node a step, a put's
   * keep their index. The same doubles as computing them; about a fifth of a tree's nodes. An ex-date moves them.
   */
  let zc = 0;
  while (zc < top && v[zc] === 0) zc++;
  let zp = top;
  while (zp > 0 && v[zp - 1] === 0) zp--;
  const lnS = Math.log(S);
  // Lowest node of layer i is S·d^i: one multiplication per layer instead of a power.
  let lo = S * Math.pow(d, top - 1);
  for (let i = top - 1; i >= m; i--, lo *= u) {
    if (i < top - 1) {
      if (callHolds && i > m && divAt[i] === 0 && i !== m + 2) {
        // No exercise and no ex-date at layer i: layer i − 1 straight from layer i + 1, two steps in one pass over
        // the nodes (half the loads and stores; the sums regrouped, so not the same doubles, within ~1e-16 of them).
        zc = zc > 1 ? zc - 2 : 0;
        let v0 = v[zc]!,
          v1 = v[zc + 1]!;
        for (let j = zc; j < i; j++) {
          const v2n = v[j + 2]!;
          v[j] = puu * v2n + pud * v1 + pdd * v0;
          v0 = v1;
          v1 = v2n;
        }
        i--;
        lo *= u;
      } else if (callHolds) {
        if (zc > 0) zc--;
        let below = v[zc]!;
        for (let j = zc; j <= i; j++) {
          const above = v[j + 1]!;
          v[j] = pu * above + pd * below;
          below = above;
        }
      } else if (isCall) {
        let below = v[0]!;
        s = lo;
        for (let j = 0; j <= i; j++, s *= u2) {
          const above = v[j + 1]!;
          const cont = pu * above + pd * below;
          const x = s - K;
          v[j] = cont > x ? cont : x;
          below = above;
        }
      } else if (i > m && divAt[i] === 0 && i !== m + 2) {
        // A put, no ex-date at layer i: at and above the strike of layer i (j ≥ jK) layer i − 1 comes straight from
        // layer i + 1 as the call's does; below it, layer i then layer i − 1 one step at a time with the exercise test,
        // from the two values of layer i + 1 the first pass overwrote (a0, a1).
        const jK = Math.min(i + 1, Math.max(0, Math.ceil((lnK - lnS + i * h) / (2 * h)) + 1));
        const a0 = v[jK]!,
          a1 = jK <= i ? v[jK + 1]! : 0;
        const last2 = Math.min(i - 1, zp - 1);
        let v0 = a0,
          v1 = a1;
        for (let j = jK; j <= last2; j++) {
          const w = v[j + 2]!;
          v[j] = puu * w + pud * v1 + pdd * v0;
          v0 = v1;
          v1 = w;
        }
        let below = v[0]!;
        s = lo;
        for (let j = 0; j < jK; j++, s *= u2) {
          const above = j + 1 === jK ? a0 : v[j + 1]!;
          const cont = pu * above + pd * below;
          const x = K - s;
          v[j] = cont > x ? cont : x;
          below = above;
        }
        const atK = pu * a1 + pd * a0;
        below = v[0]!;
        s = lo * u;
        const lower = Math.min(jK, i);
        for (let j = 0; j < lower; j++, s *= u2) {
          const above = j + 1 === jK ? atK : v[j + 1]!;
          const cont = pu * above + pd * below;
          const x = K - s;
          v[j] = cont > x ? cont : x;
          below = above;
        }
        i--;
        lo *= u;
      } else {
        // Nodes j ≥ jK are at or above the strike (one node of margin for the rounding of lo·u²ʲ).
        const hi = Math.min(i, zp - 1);
        const jK = Math.min(hi + 1, Math.max(0, Math.ceil((lnK - lnS + i * h) / (2 * h)) + 1));
        let below = v[0]!;
        s = lo;
        let j = 0;
        for (; j < jK; j++, s *= u2) {
          const above = v[j + 1]!;
          const cont = pu * above + pd * below;
          const x = K - s;
          v[j] = cont > x ? cont : x;
          below = above;
        }
        for (; j <= hi; j++) {
          const above = v[j + 1]!;
          v[j] = pu * above + pd * below;
          below = above;
        }
      }
    }
    const D = divAt[i]!;
    if (D > 0) {
      jump(v, i, lo, u2, D, K, isCall, atZero);
      zc = 0;
      while (zc <= i && v[zc] === 0) zc++;
      zp = i + 1;
      while (zp > 0 && v[zp - 1] === 0) zp--;
    }
    if (i === m + 2) v2 = [v[m / 2]!, v[m / 2 + 1]!, v[m / 2 + 2]!];
  }
  return { layer: v.subarray(0, m + 1), v2, u, h, dt };
}

/** Cubic interpolation in ln S on a layer of nodes lo·e^(step·j) (linear when there are fewer than four). */
function onLayerLn(layer: Float64Array, lnLo: number, step: number, lnTarget: number): number {
  const last = layer.length - 1;
  if (last === 0) return layer[0]!;
  const x = (lnTarget - lnLo) / step;
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
 * The dividend at layer i: the values in v[0..i] are those just after the ex-date on nodes lo·g^j (g = u²); before
 * it the stock is D higher, so V(S) = max(exercise(S), V_after(S − D)). V_after is interpolated cubic in S on the four
 * nodes around S − D (linear with fewer than four nodes): the nodes are geometric, so the Lagrange denominators are
 * the same for every stencil up to its lowest node, and no logarithm is taken per node (it was a fifth of a ladder).
 */
function jump(v: Float64Array, i: number, lo: number, g: number, D: number, K: number, isCall: boolean, atZero: number): void {
  const after = spare;
  for (let j = 0; j <= i; j++) after[j] = v[j]!;
  const g2 = g * g,
    g3 = g2 * g,
    ig = 1 / g;
  const c0 = 1 / ((1 - g) * (1 - g2) * (1 - g3)),
    c1 = 1 / ((g - 1) * (g - g2) * (g - g3)),
    c2 = 1 / ((g2 - 1) * (g2 - g) * (g2 - g3)),
    c3 = 1 / ((g3 - 1) * (g3 - g) * (g3 - g2));
  const cubic = i >= 3;
  let s = lo;
  let j = 0;
  // Targets below the lowest node (linear from the value at S = 0), and every node of a layer too short for the cubic.
  for (; j <= i; j++, s *= g) {
    const target = s - D;
    if (cubic && target >= lo) break;
    const val = target <= 0 ? atZero : target < lo ? atZero + ((after[0]! - atZero) * target) / lo : linearOn(after, i, lo, g, target);
    const x = isCall ? s - K : K - s;
    v[j] = val > x ? val : x;
  }
  // The stencil k..k+3 around each target, with target in [node k+1, node k+2) where there is room: targets rise
  // with j, so k only moves up. kLo is node k's price and inv its reciprocal (no division per node).
  const kMax = i - 3;
  let k = 0,
    kLo = lo,
    inv = 1 / lo;
  for (; j <= i; j++, s *= g) {
    const target = s - D;
    while (k < kMax && kLo * g2 <= target) {
      k++;
      kLo *= g;
      inv *= ig;
    }
    const y = target * inv;
    const d0 = y - 1,
      d1 = y - g,
      d2 = y - g2,
      d3 = y - g3;
    const val = after[k]! * d1 * d2 * d3 * c0 + after[k + 1]! * d0 * d2 * d3 * c1 + after[k + 2]! * d0 * d1 * d3 * c2 + after[k + 3]! * d0 * d1 * d2 * c3;
    const x = isCall ? s - K : K - s;
    v[j] = val > x ? val : x;
  }
}

/** Linear interpolation in S on nodes lo·g^k, k = 0..i, at a target at or above lo (layers of fewer than four nodes). */
function linearOn(after: Float64Array, i: number, lo: number, g: number, target: number): number {
  let k = 0,
    kLo = lo;
  while (k < i - 1 && kLo * g <= target) {
    k++;
    kLo *= g;
  }
  const f = (target - kLo) / (kLo * (g - 1));
  return after[k]! * (1 - f) + after[k + 1]! * f;
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
  // Rooted before now (S the middle node of the time-0 layer), so that an early ex-date's layer has nodes down to S − D.
  const mf = dividendMargin(o.S, o.dividends, o.T, o.vol * Math.sqrt(o.T / n)),
    mc = dividendMargin(o.S, o.dividends, o.T, o.vol * Math.sqrt(o.T / (n / 2)));
  const fine = tree(isCall, o.S, o.K, o.T, o.r, q, o.vol, o.dividends, n, mf).layer[mf / 2]!;
  const coarse = tree(isCall, o.S, o.K, o.T, o.r, q, o.vol, o.dividends, n / 2, mc).layer[mc / 2]!;
  return Math.max(2 * fine - coarse, intrinsic(isCall, o.S, o.K));
}

/**
 * Steps (even, at least 2) to root a tree before now so that the layers of the ex-dates reach below S − D, D the
 * dividends before expiry: a tree rooted at now has only k + 1 nodes k steps on, and an ex-date in its first steps
 * read V_after below its lowest node, on the line to the value at S = 0 (for a call, 0): on random options
 * (T 2 weeks to 14 months, 1–2% quarterly dividends) the 80-step price was 12% off at the 99th percentile, 22% at
 * worst, against 0.8% and 1.2% for a ladder's reads. Capped at MAX_MARGIN_STEPS (a dividend near the whole stock).
 */
function dividendMargin(S: number, dividends: readonly Dividend[], T: number, h: number): number {
  let D = 0;
  for (const d of dividends) if (d.time > 0 && d.time < T && d.amount > 0) D += d.amount;
  const reach = D < S ? Math.log(S / (S - D)) : Infinity;
  const m = Math.min(MAX_MARGIN_STEPS, Math.ceil(reach / h) + 2);
  return m + (m % 2);
}

/** Most steps dividendMargin roots a tree before now. */
const MAX_MARGIN_STEPS = 60;

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
  const m = dividendMargin(o.S, o.dividends, o.T, o.vol * Math.sqrt(o.T / n));
  const t = tree(isCall, o.S, o.K, o.T, o.r, q, o.vol, o.dividends, n, m);
  const { u, dt } = t;
  const Suu = o.S * u * u,
    Sdd = o.S / (u * u);
  const gamma = ((t.v2[2] - t.v2[1]) / (Suu - o.S) - (t.v2[1] - t.v2[0]) / (o.S - Sdd)) / (0.5 * (Suu - Sdd));
  const theta = (t.v2[1] - t.layer[m / 2]!) / (2 * dt);
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
 *
 * Inside withLadderCache `vols` may give each spot a vol of its own (vols[i] for S[i]; o.vol is then vols[from], the
 * one an option's levels are anchored on when it is first seen): the crash's columns each have one, and one call per
 * option and evaluation, instead of one per column, finds the option's levels once.
 */
export function cashDividendAmericanLadder(
  out: Float64Array,
  spots: Float64Array,
  from: number,
  to: number,
  center: number,
  o: Omit<CashDividendInputs, 'S'>,
  vols?: Float64Array,
): void {
  const isCall = o.right === 'C';
  const valid = center > 0 && o.K > 0 && o.T > 0 && o.vol > 0 && Number.isFinite(o.r);
  if (scope && valid) {
    scopedLadder(scope, out, spots, from, to, center, o, vols);
    return;
  }
  if (vols) {
    // Outside a scope a vol is a tree of its own: one ladder per run of equal vols.
    for (let i = from; i < to;) {
      let j = i + 1;
      while (j < to && vols[j] === vols[i]) j++;
      cashDividendAmericanLadder(out, spots, i, j, center, vols[i] === o.vol ? o : { ...o, vol: vols[i]! });
      i = j;
    }
    return;
  }
  if (to - from < 3 || !valid) {
    for (let i = from; i < to; i++) out[i] = cashDividendAmericanPrice({ ...o, S: spots[i]! });
    return;
  }
  // The span of the spots in ln(S / centre): the layers are rooted at its middle (a grid's −30%…+30% is not symmetric).
  const lnCenter = Math.log(center);
  let a = 0,
    b = 0;
  for (let i = from; i < to; i++) {
    const s = spots[i]!;
    if (s > 0) {
      const x = Math.log(s) - lnCenter;
      if (x < a) a = x;
      if (x > b) b = x;
    }
  }
  const L = buildLevel(steps(o), center, a, b, o.vol, isCall, o);
  if (!L) {
    for (let i = from; i < to; i++) out[i] = cashDividendAmericanPrice({ ...o, S: spots[i]! });
    return;
  }
  for (let i = from; i < to; i++) {
    const s = spots[i]!;
    const x = intrinsic(isCall, s, o.K);
    if (!(s > 0)) {
      out[i] = x;
      continue;
    }
    const lnS = Math.log(s);
    const v = 2 * onLayerLn(L.fine, L.fineLo, L.fineStep, lnS) - onLayerLn(L.coarse, L.coarseLo, L.coarseStep, lnS);
    out[i] = v > x ? v : x;
  }
}

/*
 * A search (the liquidation distances) asks for one or two spots at a time, hundreds of times over, at the same few
 * inputs: alone, a ladder of two spots is two prices of two trees each. Inside withLadderCache the ladder's layers
 * are kept instead, per option (everything a tree depends on besides the spot and the vol) and per vol level, each
 * built once over the scope's whole range of spots, so that every later spot is a read of layers already built.
 *
 * Vol levels: the crash moves the vol with the price, so no two of its columns share one. The levels of an option
 * are its first vol asked for (the unshocked price always comes first: revalueOption's element 0) times e^(k·0.25);
 * a vol between levels is read on four levels around it and interpolated, cubic in ln vol. Measured against a tree
 * per spot and vol (80 random options, 1% dividend, T 2 weeks to 14 months, vol 15-60%, along the crash's path to
 * −50%, levels read per spot to isolate the vol step): within 9.7e-5 of the spot at the 99th percentile (2.5e-4 at
 * most), below what reading a ladder instead of a tree per spot already moves a price (6.2e-4, 7.3e-4). Quadratic
 * on three levels saves a tree but moved a crash distance by two bisection steps (test/risk/liquidation-lattice.test.ts).
 */

/** How far (in ln S) a spot may lie outside a level's span and still be read off it: rounding, well inside its spare nodes. */
const SPAN_SLACK = 1e-9;

/** Spacing of the vol levels in ln vol. */
const VOL_STEP = 0.25;

/** The two trees' time-0 layers of one vol level, spanning ln(S / centre) in [lo, hi]. */
interface LevelLayers {
  readonly lo: number;
  readonly hi: number;
  readonly fine: Float64Array;
  readonly fineLo: number;
  readonly fineStep: number;
  readonly coarse: Float64Array;
  readonly coarseLo: number;
  readonly coarseStep: number;
}

/** One option's vol levels; `inputs` is what it was keyed on, compared in full on every hit (the key is a hash). */
interface OptionLevels {
  readonly inputs: Float64Array;
  readonly anchor: number;
  readonly levels: Map<number, LevelLayers>;
}

interface LadderCache {
  /** Spots new layers span, as ln(S / centre): the price moves of the search under way. */
  lo: number;
  hi: number;
  readonly options: Map<number, OptionLevels[]>;
}

let scope: LadderCache | undefined;

/**
 * Runs `f` with the ladders' layers kept between calls (see above); new layers span the spots centre·(1 + lo) to
 * centre·(1 + hi), the price moves `f` will ask for (a spot beyond a layer rebuilds it wider). A scope inside another
 * one keeps the outer one's layers, with its own span for new ones, so that searches in turn share them.
 */
export function withLadderCache<T>(lo: number, hi: number, f: () => T): T {
  const outer = scope;
  const span = [Math.log(Math.max(1e-3, 1 + lo)), Math.log(1 + hi)] as const;
  const held = outer ? [outer.lo, outer.hi] : undefined;
  if (outer) [outer.lo, outer.hi] = span;
  else scope = { lo: span[0], hi: span[1], options: new Map() };
  try {
    return f();
  } finally {
    if (outer && held) [outer.lo, outer.hi] = held as [number, number];
    else {
      scope = undefined;
      lastCache = lastLevels = undefined;
    }
  }
}

let keyBuffer = new Float64Array(16);
let keyWords = new Uint32Array(keyBuffer.buffer);

/**
 * Everything a tree depends on besides spot and vol, as numbers (right, K, T, r, q, steps, centre, then the
 * dividends), in a buffer reused from call to call: a search asks for hundreds of prices and finds its layers held.
 */
function inputsOf(o: Omit<CashDividendInputs, 'S'>, n: number, center: number): Float64Array {
  const len = 7 + 2 * o.dividends.length;
  if (keyBuffer.length < len) keyBuffer = new Float64Array(2 * len);
  const x = keyBuffer.subarray(0, len);
  x[0] = o.right === 'C' ? 1 : 0;
  x[1] = o.K;
  x[2] = o.T;
  x[3] = o.r;
  x[4] = o.q ?? 0;
  x[5] = n;
  x[6] = center;
  for (let i = 0; i < o.dividends.length; i++) {
    x[7 + 2 * i] = o.dividends[i]!.time;
    x[8 + 2 * i] = o.dividends[i]!.amount;
  }
  return x;
}

function sameInputs(a: Float64Array, b: Float64Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

/** FNV-1a over the words of keyBuffer's first `len` numbers. */
function hashOf(len: number): number {
  if (keyWords.buffer !== keyBuffer.buffer) keyWords = new Uint32Array(keyBuffer.buffer);
  let h = 0x811c9dc5;
  for (let i = 0; i < 2 * len; i++) h = Math.imul(h ^ keyWords[i]!, 0x01000193);
  return h >>> 0;
}

/** The option found last, and in which scope: the crash asks for one option's columns in a row, each with its own vol. */
let lastCache: LadderCache | undefined;
let lastLevels: OptionLevels | undefined;

function levelsOf(cache: LadderCache, o: Omit<CashDividendInputs, 'S'>, n: number, center: number): OptionLevels {
  const inputs = inputsOf(o, n, center);
  if (lastCache === cache && lastLevels && sameInputs(lastLevels.inputs, inputs)) return lastLevels;
  lastCache = cache;
  return (lastLevels = levelsByHash(cache, inputs, o));
}

function levelsByHash(cache: LadderCache, inputs: Float64Array, o: Omit<CashDividendInputs, 'S'>): OptionLevels {
  const h = hashOf(inputs.length);
  let bucket = cache.options.get(h);
  if (!bucket) cache.options.set(h, (bucket = []));
  for (const e of bucket) if (sameInputs(e.inputs, inputs)) return e;
  const e: OptionLevels = { inputs: inputs.slice(), anchor: Math.log(o.vol), levels: new Map() };
  bucket.push(e);
  return e;
}

/** ln S of a scoped ladder's spots, taken once per spot. */
let lnSpots = new Float64Array(16);

/** The levels a scoped ladder reads and their weights (at most four). */
const stencil: LevelLayers[] = [];
const weights = new Float64Array(4);

function scopedLadder(
  cache: LadderCache,
  out: Float64Array,
  spots: Float64Array,
  from: number,
  to: number,
  center: number,
  o: Omit<CashDividendInputs, 'S'>,
  vols: Float64Array | undefined,
): void {
  const n = steps(o);
  const levels = levelsOf(cache, o, n, center);
  if (!vols) {
    scopedRun(cache, levels, out, spots, from, to, center, o, o.vol, n);
    return;
  }
  // Each run of equal vols is read as one ladder of that vol, on the levels found once.
  for (let i = from; i < to;) {
    let j = i + 1;
    while (j < to && vols[j] === vols[i]) j++;
    const vol = vols[i]!;
    if (vol > 0) scopedRun(cache, levels, out, spots, i, j, center, o, vol, n);
    else for (let e = i; e < j; e++) out[e] = cashDividendAmericanPrice({ ...o, vol, S: spots[e]! });
    i = j;
  }
}

/** The spots [from, to) at one vol, read off the option's levels (o's own vol is not read). */
function scopedRun(
  cache: LadderCache,
  levels: OptionLevels,
  out: Float64Array,
  spots: Float64Array,
  from: number,
  to: number,
  center: number,
  o: Omit<CashDividendInputs, 'S'>,
  vol: number,
  n: number,
): void {
  const isCall = o.right === 'C';
  const lnCenter = Math.log(center);
  if (lnSpots.length < to - from) lnSpots = new Float64Array(2 * (to - from));
  let a = Infinity,
    b = -Infinity;
  for (let i = from; i < to; i++) {
    const s = spots[i]!;
    if (s > 0) {
      const lnS = Math.log(s);
      lnSpots[i - from] = lnS;
      const x = lnS - lnCenter;
      if (x < a) a = x;
      if (x > b) b = x;
    }
  }
  if (a > b) {
    for (let i = from; i < to; i++) out[i] = intrinsic(isCall, spots[i]!, o.K);
    return;
  }
  const x = (Math.log(vol) - levels.anchor) / VOL_STEP;
  const k = Math.round(x);
  // The four levels around x, on the side of level 0 that holds x while within two levels of it: a crash's first
  // steps then read the level its unshocked price is read on, and three more. (With x in the top interval of the four
  // instead, a level is built only once the vol reaches it, one level fewer per crash, but a crash distance moved by
  // two bisection steps against a tree per spot where this stencil moves it by one: test/risk/liquidation-lattice.test.ts.)
  let k0 = Math.floor(x) - 1;
  if (x > 0 && k0 < 0) k0 = 0;
  if (x < 0 && k0 > -3) k0 = -3;
  const exact = Math.abs(x - k) < 1e-9;
  const first = exact ? k : k0,
    count = exact ? 1 : 4;
  for (let l = 0; l < count; l++) {
    const layers = level(cache, levels, first + l, n, center, a, b, isCall, o);
    if (!layers) {
      for (let i = from; i < to; i++) out[i] = cashDividendAmericanPrice({ ...o, vol, S: spots[i]! });
      return;
    }
    stencil[l] = layers;
  }
  // Lagrange weights on the levels k0..k0+3 at u = x − k0, in level units.
  const u = x - k0;
  if (exact) weights[0] = 1;
  else {
    weights[0] = ((u - 1) * (u - 2) * (u - 3)) / -6;
    weights[1] = (u * (u - 2) * (u - 3)) / 2;
    weights[2] = (u * (u - 1) * (u - 3)) / -2;
    weights[3] = (u * (u - 1) * (u - 2)) / 6;
  }
  for (let i = from; i < to; i++) {
    const s = spots[i]!;
    const e = intrinsic(isCall, s, o.K);
    if (!(s > 0)) {
      out[i] = e;
      continue;
    }
    const lnS = lnSpots[i - from]!;
    let v = 0;
    for (let l = 0; l < count; l++) {
      const L = stencil[l]!;
      v += weights[l]! * (2 * onLayerLn(L.fine, L.fineLo, L.fineStep, lnS) - onLayerLn(L.coarse, L.coarseLo, L.coarseStep, lnS));
    }
    out[i] = v > e ? v : e;
  }
}

/** Level l's layers spanning [a, b] (ln S / centre) and the scope; undefined when that takes more than MAX_LADDER_STEPS. */
function level(
  cache: LadderCache,
  levels: OptionLevels,
  l: number,
  n: number,
  center: number,
  a: number,
  b: number,
  isCall: boolean,
  o: Omit<CashDividendInputs, 'S'>,
): LevelLayers | undefined {
  const held = levels.levels.get(l);
  // Within rounding of its span: the search's farthest spot, ln(S·(1 − 0.5)) − ln S, is not ln(0.5) to the last bit, and
  // each layer has two nodes to spare beyond its span anyway (a level rebuilt for one ulp was a third of the crash's trees).
  if (held && a >= held.lo - SPAN_SLACK && b <= held.hi + SPAN_SLACK) return held;
  const lo = Math.min(a, held?.lo ?? cache.lo),
    hi = Math.max(b, held?.hi ?? cache.hi);
  const built = buildLevel(n, center, lo, hi, Math.exp(levels.anchor + l * VOL_STEP), isCall, o);
  if (built) levels.levels.set(l, built);
  return built;
}

function buildLevel(
  n: number,
  center: number,
  lo: number,
  hi: number,
  vol: number,
  isCall: boolean,
  o: Omit<CashDividendInputs, 'S'>,
): LevelLayers | undefined {
  // Rooted at the middle of the span, so that its time-0 layer spans it with two nodes to spare each side for the cubic.
  const root = center * Math.exp(0.5 * (lo + hi));
  const lnRoot = Math.log(root);
  const q = o.q ?? 0;
  const hf = vol * Math.sqrt(o.T / n),
    hc = vol * Math.sqrt(o.T / (n / 2));
  const mf = stepsToSpan(0.5 * (hi - lo), hf),
    mc = stepsToSpan(0.5 * (hi - lo), hc);
  if (mf > MAX_LADDER_STEPS || mc > MAX_LADDER_STEPS) return undefined;
  const fine = tree(isCall, root, o.K, o.T, o.r, q, vol, o.dividends, n, mf).layer.slice();
  const coarse = tree(isCall, root, o.K, o.T, o.r, q, vol, o.dividends, n / 2, mc).layer.slice();
  return { lo, hi, fine, fineLo: lnRoot - mf * hf, fineStep: 2 * hf, coarse, coarseLo: lnRoot - mc * hc, coarseStep: 2 * hc };
}

/** Steps before now (even) whose time-0 layer spans ±half (in ln S) with two nodes to spare each side, nodes 2h apart. */
function stepsToSpan(half: number, h: number): number {
  const m = Math.ceil(half / h) + 2;
  return m + (m % 2);
}
