// Reg T strategy pairing of one underlying's options and shares (spreads, covered, protected and collared stock, straddles) and its requirement per scenario.
import { nakedShortOptionPerUnit, stockRequirement } from './margin.js';
import type { MarginRules } from './params.js';

/*
 * CBOE margin rules as IBKR applies them to a Reg T account (risk-model.md §1.4; IBKR "US Options Margin" table,
 * docs/stress-model.md "Reg T strategies"). IBKR runs an optimiser that "cannot always guarantee the optimal
 * combination"; this is a fixed greedy order that finds the combinations the rules name:
 *
 * 1. Spreads: each short option is paired with a long option of the same right that expires on or after it
 *    (calls: the lowest long strike first, shorts in ascending strike; puts: the highest long strike first,
 *    shorts in descending strike). The paired legs together are margined at their largest loss at expiry,
 *    premiums aside: a credit vertical at its width, a debit vertical at nothing, a long butterfly or a long
 *    box at nothing, an iron condor at its wider side, a short box at its width. A spread never requires more
 *    than its short legs alone, so the spreads' requirement is the lesser of that loss and their naked sum.
 * 2. Covered: remaining short calls against long shares, short puts against short shares: the stock
 *    requirement plus the option's in-the-money amount.
 * 3. Protected: remaining long puts against long shares (first the shares already covering a call: a collar):
 *    protective put min(10%·Kput + put OTM, 25%·S) per share, collar min(10%·Kput + put OTM, 25%·Kcall),
 *    conversion (put and call at one strike) 10%·K.
 * 4. Straddles and strangles: remaining short calls with remaining short puts: the greater naked requirement
 *    plus the other side's value.
 * 5. Whatever short option is left is naked; long options are paid in full and require nothing.
 *
 * The pairing depends only on rights, strikes, expiries and quantities, so it is planned once per group and is
 * the same in every scenario; each pair's requirement is then evaluated at the scenario's stressed underlying
 * and option values, so the requirement follows the strategy (a credit spread stays at its width in a crash).
 */

export interface StrategyLeg {
  /** Signed quantity × multiplier: units of the underlying. */
  readonly units: number;
  readonly isCall: boolean;
  readonly strike: number;
  readonly expiryMs: number;
}

/** A block of shares and what it is paired with (strikes; NaN when none). */
export interface StockBlock {
  /** Signed shares. */
  readonly shares: number;
  readonly callStrike: number;
  readonly putStrike: number;
}

export interface StrategyPlan {
  /** Largest loss at expiry of all paired spread legs (currency units, ≥ 0); independent of the scenario. */
  readonly spreadLoss: number;
  /** Short legs inside the spreads, with the units paired: their naked sum caps the spreads' requirement. */
  readonly spreadShorts: readonly { readonly leg: number; readonly units: number }[];
  readonly stock: readonly StockBlock[];
  readonly straddles: readonly { readonly call: number; readonly put: number; readonly units: number }[];
  readonly naked: readonly { readonly leg: number; readonly units: number }[];
  /** How the book was paired, for the report and the tests. */
  readonly counts: { readonly spreads: number; readonly covered: number; readonly protectedShares: number; readonly straddles: number; readonly naked: number };
}

const EPS = 1e-9;

/** Plans the pairing of `legs` (one underlying's options) with `shares` (signed) of that underlying. */
export function planStrategies(legs: readonly StrategyLeg[], shares: number): StrategyPlan {
  const left = legs.map((l) => Math.abs(l.units));
  const idx = legs.map((_, i) => i);
  const shortCalls = idx.filter((i) => legs[i]!.isCall && legs[i]!.units < 0).sort((a, b) => legs[a]!.strike - legs[b]!.strike || a - b);
  const shortPuts = idx.filter((i) => !legs[i]!.isCall && legs[i]!.units < 0).sort((a, b) => legs[b]!.strike - legs[a]!.strike || a - b);
  const longCalls = idx.filter((i) => legs[i]!.isCall && legs[i]!.units > 0).sort((a, b) => legs[a]!.strike - legs[b]!.strike || a - b);
  const longPuts = idx.filter((i) => !legs[i]!.isCall && legs[i]!.units > 0).sort((a, b) => legs[b]!.strike - legs[a]!.strike || a - b);

  // 1. Spreads.
  const paired: { leg: number; units: number }[] = [];
  const spreadShorts: { leg: number; units: number }[] = [];
  let spreads = 0;
  const pairSpreads = (shorts: number[], longs: number[]) => {
    for (const s of shorts) {
      for (const l of longs) {
        if (left[s]! <= EPS) break;
        if (left[l]! <= EPS || legs[l]!.expiryMs < legs[s]!.expiryMs) continue;
        const u = Math.min(left[s]!, left[l]!);
        left[s] = left[s]! - u;
        left[l] = left[l]! - u;
        paired.push({ leg: s, units: -u }, { leg: l, units: u });
        spreadShorts.push({ leg: s, units: u });
        spreads++;
      }
    }
  };
  pairSpreads(shortCalls, longCalls);
  pairSpreads(shortPuts, longPuts);
  const spreadLoss = maxLossAtExpiry(paired, legs);

  // 2. Covered calls and puts.
  const blocks: { shares: number; callStrike: number; putStrike: number }[] = [];
  let free = shares;
  let covered = 0;
  for (const s of shares > 0 ? shortCalls : shortPuts) {
    const u = Math.min(left[s]!, Math.abs(free));
    if (u <= EPS) continue;
    left[s] = left[s]! - u;
    const signed = shares > 0 ? u : -u;
    free -= signed;
    blocks.push({ shares: signed, callStrike: shares > 0 ? legs[s]!.strike : NaN, putStrike: shares > 0 ? NaN : legs[s]!.strike });
    covered++;
  }
  if (Math.abs(free) > EPS) blocks.push({ shares: free, callStrike: NaN, putStrike: NaN });

  // 3. Protective puts and collars: long puts protect long shares, covered ones first.
  let protectedShares = 0;
  if (shares > 0) {
    const order = [...blocks.keys()].sort((a, b) => Number(Number.isNaN(blocks[a]!.callStrike)) - Number(Number.isNaN(blocks[b]!.callStrike)) || a - b);
    for (const p of longPuts) {
      for (const b of order) {
        const block = blocks[b]!;
        if (left[p]! <= EPS) break;
        if (!Number.isNaN(block.putStrike) || block.shares <= EPS) continue;
        const u = Math.min(left[p]!, block.shares);
        left[p] = left[p]! - u;
        protectedShares += u;
        if (u < block.shares - EPS) blocks.push({ ...block, shares: block.shares - u });
        blocks[b] = { ...block, shares: u, putStrike: legs[p]!.strike };
      }
    }
  }

  // 4. Straddles and strangles.
  const straddles: { call: number; put: number; units: number }[] = [];
  for (const c of shortCalls) {
    for (const p of shortPuts) {
      if (left[c]! <= EPS) break;
      const u = Math.min(left[c]!, left[p]!);
      if (u <= EPS) continue;
      left[c] = left[c]! - u;
      left[p] = left[p]! - u;
      straddles.push({ call: c, put: p, units: u });
    }
  }

  // 5. Naked.
  const naked: { leg: number; units: number }[] = [];
  for (const s of [...shortCalls, ...shortPuts]) if (left[s]! > EPS) naked.push({ leg: s, units: left[s]! });

  return {
    spreadLoss,
    spreadShorts,
    stock: blocks,
    straddles,
    naked,
    counts: { spreads, covered, protectedShares, straddles: straddles.length, naked: naked.length },
  };
}

/**
 * Largest loss at expiry of a set of option legs valued at intrinsic (premiums aside), ≥ 0. The payoff is
 * piecewise linear with kinks at the strikes: its minimum over S ≥ 0 is at 0, at a strike, or at infinity
 * (where the slope is the net call units; every paired short call has its long call, so it is not negative).
 */
export function maxLossAtExpiry(legs: readonly { leg: number; units: number }[], all: readonly StrategyLeg[]): number {
  if (legs.length === 0) return 0;
  const payoff = (S: number) => {
    let v = 0;
    for (const { leg, units } of legs) {
      const l = all[leg]!;
      v += units * (l.isCall ? Math.max(0, S - l.strike) : Math.max(0, l.strike - S));
    }
    return v;
  };
  let worst = payoff(0);
  for (const { leg } of legs) worst = Math.min(worst, payoff(all[leg]!.strike));
  let slope = 0;
  for (const { leg, units } of legs) if (all[leg]!.isCall) slope += units;
  if (slope < -EPS) return Infinity;
  return Math.max(0, -worst);
}

/** Rates of one underlying: the naked-option percentages and the stock rates, after broad-ETF and leverage rules. */
export interface UnderlyingRates {
  readonly basePct: number;
  readonly minPct: number;
  readonly longMaint: number;
  readonly longInit: number;
  /** Protective put and collar: 10% of the put strike; conversion: 10% of the strike. */
  readonly protectPct: number;
}

/** Buffers of strategyRequirements, grown to the largest column count seen. */
export class StrategyBuffers {
  /** Inputs: the underlying's and the shares' stressed prices per column. */
  S = new Float64Array(0);
  stockPrice = new Float64Array(0);
  options = new Float64Array(0);
  nakedSum = new Float64Array(0);
  maint = new Float64Array(0);
  init = new Float64Array(0);

  ensure(n: number): void {
    if (this.options.length >= n) return;
    this.S = new Float64Array(n);
    this.stockPrice = new Float64Array(n);
    this.options = new Float64Array(n);
    this.nakedSum = new Float64Array(n);
    this.maint = new Float64Array(n);
    this.init = new Float64Array(n);
  }
}

/**
 * Requirement of a planned group in columns 0..n (maintenance and initial, currency units), added to
 * gm[j] and gi[j]. `S[j]` is the underlying price the options are judged on, `stockPrice[j]` the shares'
 * price, values[legOffset[leg] + j] an option's value per unit in column j (mark plus the model's change,
 * at least 0). Each term of the plan runs over all columns in turn, so no object or closure is made per
 * column; every column still sums the same terms in the same order as one column evaluated alone.
 */
export function strategyRequirements(
  plan: StrategyPlan,
  legs: readonly StrategyLeg[],
  S: Float64Array,
  stockPrice: Float64Array,
  values: Float64Array,
  legOffset: readonly number[],
  n: number,
  rates: UnderlyingRates,
  rules: MarginRules,
  buf: StrategyBuffers,
  gm: Float64Array,
  gi: Float64Array,
): void {
  buf.ensure(n);
  const { options, nakedSum, maint, init } = buf;
  const { basePct, minPct } = rates;
  options.fill(0, 0, n);
  if (plan.spreadShorts.length > 0) {
    nakedSum.fill(0, 0, n);
    for (const { leg, units } of plan.spreadShorts) {
      const { isCall, strike } = legs[leg]!;
      const at = legOffset[leg]!;
      for (let j = 0; j < n; j++) nakedSum[j] = nakedSum[j]! + units * nakedShortOptionPerUnit(isCall, S[j]!, strike, values[at + j]!, basePct, minPct);
    }
    const loss = plan.spreadLoss;
    for (let j = 0; j < n; j++) options[j] = options[j]! + Math.min(loss, nakedSum[j]!);
  }
  for (const { call, put, units } of plan.straddles) {
    const c = legs[call]!,
      p = legs[put]!;
    const atC = legOffset[call]!,
      atP = legOffset[put]!;
    for (let j = 0; j < n; j++) {
      const s = S[j]!;
      const rc = nakedShortOptionPerUnit(c.isCall, s, c.strike, values[atC + j]!, basePct, minPct),
        rp = nakedShortOptionPerUnit(p.isCall, s, p.strike, values[atP + j]!, basePct, minPct);
      options[j] = options[j]! + units * (rc >= rp ? rc + values[atP + j]! : rp + values[atC + j]!);
    }
  }
  for (const { leg, units } of plan.naked) {
    const { isCall, strike } = legs[leg]!;
    const at = legOffset[leg]!;
    for (let j = 0; j < n; j++) options[j] = options[j]! + units * nakedShortOptionPerUnit(isCall, S[j]!, strike, values[at + j]!, basePct, minPct);
  }
  maint.set(options.subarray(0, n));
  init.set(options.subarray(0, n));
  for (const b of plan.stock) {
    if (b.shares < 0) {
      const put = b.putStrike;
      const covered = !Number.isNaN(put);
      for (let j = 0; j < n; j++) {
        const px = stockPrice[j]! > 0 ? stockPrice[j]! : 0;
        const itm = covered ? Math.max(0, put - S[j]!) : 0;
        maint[j] = maint[j]! + (stockRequirement(b.shares, px, rules, false) - b.shares * itm);
        init[j] = init[j]! + (stockRequirement(b.shares, px, rules, true) - b.shares * itm);
      }
      continue;
    }
    const hasCall = !Number.isNaN(b.callStrike),
      hasPut = !Number.isNaN(b.putStrike);
    if (hasPut) {
      const conversion = hasCall && b.callStrike === b.putStrike;
      for (let j = 0; j < n; j++) {
        const px = stockPrice[j]! > 0 ? stockPrice[j]! : 0;
        const floor = rates.protectPct * b.putStrike + Math.max(0, px - b.putStrike);
        const m = conversion ? rates.protectPct * b.putStrike : Math.min(floor, rates.longMaint * (hasCall ? b.callStrike : px));
        const i = conversion ? rates.protectPct * b.putStrike : Math.min(floor, rates.longInit * (hasCall ? b.callStrike : px));
        maint[j] = maint[j]! + b.shares * m;
        init[j] = init[j]! + b.shares * i;
      }
    } else {
      for (let j = 0; j < n; j++) {
        const px = stockPrice[j]! > 0 ? stockPrice[j]! : 0;
        const itm = hasCall ? Math.max(0, S[j]! - b.callStrike) : 0;
        maint[j] = maint[j]! + b.shares * (rates.longMaint * px + itm);
        init[j] = init[j]! + b.shares * (rates.longInit * px + itm);
      }
    }
  }
  for (let j = 0; j < n; j++) {
    gm[j] = gm[j]! + maint[j]!;
    gi[j] = gi[j]! + init[j]!;
  }
}
