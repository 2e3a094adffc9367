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
