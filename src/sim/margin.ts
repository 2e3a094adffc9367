// Margin rules of the simulated account: Reg T-style securities rates, fixed per-contract futures
// margins, a SPAN-like short FOP charge, bond and FX haircuts (numbers from risk-model.md §1.4, §2.3, §2.5).
import { Decimal, ZERO } from '../model/money.js';
import type { Instrument, SecType } from './instruments.js';

export interface MarginParams {
  readonly stockLongInit: string;
  readonly stockLongMaint: string;
  readonly stockShortInit: string;
  readonly stockShortMaint: string;
  /** Reg T naked short option base percentage (20% stocks, 15% broad-based indexes) and floor (10%). */
  readonly optionBasePct: string;
  readonly indexOptionBasePct: string;
  readonly optionMinPct: string;
  /** US Treasury 5–10 years: 5% (risk-model.md §1.4, bonds table). */
  readonly bondRate: string;
  /** Short FOP floor as a share of the underlying future's margin. */
  readonly fopMinPct: string;
  /** FX haircuts on negative non-base balances: [initial, maintenance] (risk-model.md §2.5). */
  readonly fx: Readonly<Record<string, readonly [string, string]>>;
}

export const DEFAULT_MARGIN: MarginParams = {
  stockLongInit: '0.5',
  stockLongMaint: '0.25',
  stockShortInit: '0.3',
  stockShortMaint: '0.3',
  optionBasePct: '0.2',
  indexOptionBasePct: '0.15',
  optionMinPct: '0.1',
  bondRate: '0.05',
  fopMinPct: '0.25',
  fx: {
    USD: ['0.025', '0.025'],
    EUR: ['0.03', '0.03'],
    GBP: ['0.025', '0.025'],
    JPY: ['0.03', '0.025'],
    CHF: ['0.05', '0.03'],
  },
};

/** Margin-spike multipliers per security type ('ALL' applies to everything, FX included). */
export type MarginSpike = Partial<Record<SecType | 'ALL' | 'FX', number>>;

export interface Requirement {
  readonly init: Decimal;
  readonly maint: Decimal;
  /** Securities ('S') or commodities ('C') segment, as TWS splits its -S/-C account values. */
  readonly segment: 'S' | 'C';
}

const NONE: Requirement = { init: ZERO, maint: ZERO, segment: 'S' };

function spikeOf(spike: MarginSpike, secType: SecType | 'FX'): Decimal {
  return new Decimal(String((spike.ALL ?? 1) * (spike[secType] ?? 1)));
}

/** Reg T maintenance for a short stock at `price` per share (FINRA 4210(c) steps, risk-model.md §1.4). */
function shortStockMaint(price: Decimal, rate: Decimal): Decimal {
  if (price.gt('16.67')) return price.mul(rate);
  if (price.gt(5)) return Decimal.max(new Decimal(5), price.mul(rate));
  if (price.gt('2.5')) return price;
  return Decimal.max(new Decimal('2.5'), price);
}

/**
 * Requirement of one position, in the instrument's currency.
 * @param und underlying price (options: stock/index level; FOP: futures price)
 * @param futMargin the underlying future's per-contract margin (FOP only)
 */
export function positionRequirement(
  inst: Instrument,
  qty: Decimal,
  mark: Decimal,
  und: Decimal,
  params: MarginParams,
  spike: MarginSpike,
  underlyingFuture?: Instrument,
): Requirement {
  if (qty.isZero()) return NONE;
  const n = qty.abs();
  const mult = new Decimal(inst.multiplier === '' ? '1' : inst.multiplier);
  const k = spikeOf(spike, inst.secType);
  switch (inst.secType) {
    case 'STK': {
      const value = n.mul(mark);
      if (qty.gt(0)) {
        return { init: value.mul(params.stockLongInit).mul(k), maint: value.mul(params.stockLongMaint).mul(k), segment: 'S' };
      }
      const maint = shortStockMaint(mark, new Decimal(params.stockShortMaint)).mul(n);
      return { init: Decimal.max(value.mul(params.stockShortInit), maint).mul(k), maint: maint.mul(k), segment: 'S' };
    }
    case 'OPT': {
      // Long options: paid in full and excluded from EquityWithLoanValue, so no further requirement.
      if (qty.gt(0)) return NONE;
      const strike = new Decimal(String(inst.strike));
      const otm = inst.right === 'C' ? Decimal.max(ZERO, strike.sub(und)) : Decimal.max(ZERO, und.sub(strike));
      const base = und.mul(inst.broadIndex ? params.indexOptionBasePct : params.optionBasePct).sub(otm);
      const floor = (inst.right === 'C' ? und : strike).mul(params.optionMinPct);
      const perUnit = mark.add(Decimal.max(base, floor));
      const req = perUnit.mul(mult).mul(n).mul(k);
      return { init: req, maint: req, segment: 'S' };
    }
    case 'FOP': {
      if (qty.gt(0) || !underlyingFuture?.futMargin) return { ...NONE, segment: 'C' };
      const strike = new Decimal(String(inst.strike));
      const otm = inst.right === 'C' ? Decimal.max(ZERO, strike.sub(und)) : Decimal.max(ZERO, und.sub(strike));
      const charge = (m: number): Decimal => {
        const fm = new Decimal(String(m));
        return Decimal.max(fm.sub(otm.mul(mult)), fm.mul(params.fopMinPct))
          .mul(n)
          .mul(k);
      };
      return { init: charge(underlyingFuture.futMargin.init), maint: charge(underlyingFuture.futMargin.maint), segment: 'C' };
    }
    case 'FUT': {
      const fm = inst.futMargin ?? { init: 0, maint: 0 };
      return {
        init: new Decimal(String(fm.init)).mul(n).mul(k),
        maint: new Decimal(String(fm.maint)).mul(n).mul(k),
        segment: 'C',
      };
    }
    case 'BOND': {
      const req = n.mul(mark).mul(mult).mul(params.bondRate).mul(k);
      return { init: req, maint: req, segment: 'S' };
    }
    default:
      // CASH pairs are margined through the FX haircut on negative balances; IND is not holdable.
      return NONE;
  }
}

/**
 * FX requirement, in base currency: the haircut on each negative non-base currency NLV (a simplified
 * form of IBKR's trading-purpose algorithm, risk-model.md §2.5: no offset ordering by haircut).
 */
export function fxRequirement(
  nlvBaseByCcy: ReadonlyMap<string, Decimal>,
  base: string,
  params: MarginParams,
  spike: MarginSpike,
): { init: Decimal; maint: Decimal } {
  let init = ZERO;
  let maint = ZERO;
  const k = spikeOf(spike, 'FX');
  for (const [ccy, v] of nlvBaseByCcy) {
    if (ccy === base || v.gte(0)) continue;
    const [i, m] = params.fx[ccy] ?? ['0.05', '0.05'];
    init = init.add(v.abs().mul(i).mul(k));
    maint = maint.add(v.abs().mul(m).mul(k));
  }
  return { init, maint };
}

/** One option position of an underlying, for the strategy pairing (quantities in contracts, signed). */
export interface OptionHolding {
  readonly inst: Instrument;
  readonly qty: Decimal;
  readonly mark: Decimal;
  /** The underlying's price the option is margined on. */
  readonly und: Decimal;
}

interface Leg {
  readonly h: OptionHolding;
  /** Contracts not yet paired. */
  left: Decimal;
}

/**
 * Reg T requirement of one underlying's stock options paired per CBOE rules (risk-model.md §1.4), in the options'
 * currency, `shares` being the signed stock position of that underlying. The simulator's own greedy pairing, in
 * this order (docs/simulator.md "Option strategies"):
 *
 * 1. Verticals: per expiry and right, each short option with long options of the same expiry (calls: shorts and
 *    longs by ascending strike; puts: by descending strike, so the nearest protective strike comes first). Per
 *    expiry, all paired legs together are margined at their largest loss at expiry, premiums aside, so a debit
 *    vertical, a long butterfly or a long box need nothing, a credit vertical its width, an iron condor its wider
 *    side, a short box its width; never more than the paired short legs would need naked.
 * 2. Straddles and strangles: remaining short calls with remaining short puts of the same expiry: the greater
 *    naked requirement plus the other side's premium.
 * 3. Covered: remaining short calls against long shares, short puts against short shares (a multiplier's worth
 *    per contract): the option's in-the-money amount on top of the stock's own requirement.
 * 4. Whatever short option is left is naked; long options are paid in full and need nothing.
 */
export function optionGroupRequirement(
  options: readonly OptionHolding[],
  shares: Decimal,
  params: MarginParams,
  spike: MarginSpike,
): { init: Decimal; maint: Decimal } {
  const k = spikeOf(spike, 'OPT');
  const mult = (h: OptionHolding) => new Decimal(h.inst.multiplier === '' ? '1' : h.inst.multiplier);
  const naked = (h: OptionHolding, n: Decimal) => positionRequirement(h.inst, n.neg(), h.mark, h.und, params, spike).maint;
  const legs: Leg[] = options.filter((h) => !h.qty.isZero()).map((h) => ({ h, left: h.qty.abs() }));
  const byStrike = (dir: 1 | -1) => (a: Leg, b: Leg) => dir * (a.h.inst.strike - b.h.inst.strike) || a.h.inst.conId - b.h.inst.conId;
  const pick = (right: 'C' | 'P', short: boolean, expiry: string) =>
    legs
      .filter((l) => l.h.inst.right === right && l.h.qty.isNegative() === short && l.h.inst.lastTradeDateOrContractMonth === expiry)
      .sort(byStrike(right === 'C' ? 1 : -1));
  const expiries = [...new Set(legs.map((l) => l.h.inst.lastTradeDateOrContractMonth))].sort();
  let total = ZERO;

  // 1. Verticals, margined per expiry at the paired legs' largest loss at expiry.
  for (const expiry of expiries) {
    const paired: { h: OptionHolding; units: Decimal }[] = [];
    let nakedSum = ZERO;
    for (const right of ['C', 'P'] as const) {
      const longs = pick(right, false, expiry);
      for (const s of pick(right, true, expiry)) {
        for (const l of longs) {
          if (s.left.isZero()) break;
          if (l.left.isZero() || !mult(l.h).eq(mult(s.h))) continue;
          const u = Decimal.min(s.left, l.left);
          s.left = s.left.sub(u);
          l.left = l.left.sub(u);
          paired.push({ h: s.h, units: u.neg() }, { h: l.h, units: u });
          nakedSum = nakedSum.add(naked(s.h, u));
        }
      }
    }
    if (paired.length > 0) total = total.add(Decimal.min(maxLossAtExpiry(paired).mul(k), nakedSum));
  }

  // 2. Straddles and strangles of one expiry.
  for (const expiry of expiries) {
    const puts = pick('P', true, expiry);
    for (const c of pick('C', true, expiry)) {
      for (const p of puts) {
        if (c.left.isZero()) break;
        if (p.left.isZero() || !mult(p.h).eq(mult(c.h))) continue;
        const u = Decimal.min(c.left, p.left);
        c.left = c.left.sub(u);
        p.left = p.left.sub(u);
        const nc = naked(c.h, u),
          np = naked(p.h, u);
        const premium = (h: OptionHolding) => h.mark.mul(mult(h)).mul(u).mul(k);
        total = total.add(nc.gte(np) ? nc.add(premium(p.h)) : np.add(premium(c.h)));
      }
    }
  }

  // 3. Covered by the stock: a call by long shares, a put by short shares.
  let free = shares.abs();
  const coverRight = shares.isPositive() ? 'C' : 'P';
  for (const s of legs.filter((l) => l.h.inst.right === coverRight && l.h.qty.isNegative() && !l.left.isZero()).sort(byStrike(coverRight === 'C' ? 1 : -1))) {
    if (shares.isZero()) break;
    const u = Decimal.min(s.left, free.div(mult(s.h)).floor());
    if (u.lte(0)) continue;
    s.left = s.left.sub(u);
    free = free.sub(u.mul(mult(s.h)));
    const strike = new Decimal(String(s.h.inst.strike));
    const itm = Decimal.max(ZERO, coverRight === 'C' ? s.h.und.sub(strike) : strike.sub(s.h.und));
    total = total.add(itm.mul(mult(s.h)).mul(u).mul(k));
  }

  // 4. Naked.
  for (const l of legs) if (l.h.qty.isNegative() && !l.left.isZero()) total = total.add(naked(l.h, l.left));
  return { init: total, maint: total };
}

/**
 * Largest loss at expiry of option legs valued at intrinsic, premiums aside (≥ 0), in currency units. The payoff is
 * piecewise linear in the underlying with kinks at the strikes, so its minimum over S ≥ 0 lies at 0 or at a strike:
 * beyond the highest strike its slope is the net call contracts, never negative since every paired short call has
 * its long call.
 */
function maxLossAtExpiry(legs: readonly { h: OptionHolding; units: Decimal }[]): Decimal {
  const payoff = (S: Decimal) =>
    legs.reduce((acc, { h, units }) => {
      const K = new Decimal(String(h.inst.strike));
      const intrinsic = Decimal.max(ZERO, h.inst.right === 'C' ? S.sub(K) : K.sub(S));
      return acc.add(intrinsic.mul(units).mul(h.inst.multiplier === '' ? '1' : h.inst.multiplier));
    }, ZERO);
  let worst = payoff(ZERO);
  for (const { h } of legs) worst = Decimal.min(worst, payoff(new Decimal(String(h.inst.strike))));
  return Decimal.max(ZERO, worst.neg());
}
