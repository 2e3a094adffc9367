// Margin estimate under stress: Reg T position rules, FX haircuts, and the calibration to what IBKR reports.
import { ZERO, type Decimal } from '../model/money.js';
import { decimalOf, floatOf, type ReportedValues } from './boundary.js';
import { CENTS_LIMIT } from './cents.js';
import type { MarginRules } from './params.js';

/*
 * An estimate, labelled as such everywhere it is shown: IBKR does not expose per-instrument
 * requirements (risk-model.md §1.7), so the rules of §1.4 (Reg T), §2.5 (FX) and a price-scaled share
 * of the commodity segment are computed per position, summed per segment, and scaled so that at zero
 * shock they equal the account's reported MaintMarginReq / InitMarginReq (docs/stress-model.md "Margin").
 * The float rules live here; the per-scenario loops that call them are in revalue.ts.
 */

/** Reg T maintenance per share of a short stock (FINRA 4210(c), risk-model.md §1.4). */
export function shortStockMaintPerShare(price: number, rate: number): number {
  if (price > 16.67) return price * rate;
  if (price > 5) return Math.max(5, price * rate);
  if (price > 2.5) return price;
  return Math.max(2.5, price);
}

/** Stock (and fund, CFD) requirement for `qty` shares at `price`: maintenance or initial. */
export function stockRequirement(qty: number, price: number, rules: MarginRules, initial: boolean): number {
  const p = price > 0 ? price : 0;
  if (qty >= 0) return qty * p * (initial ? rules.stockLongInit : rules.stockLongMaint);
  const n = -qty;
  const maint = n * shortStockMaintPerShare(p, rules.stockShortMaint);
  return initial ? Math.max(n * p * rules.stockShortInit, maint) : maint;
}

/**
 * Naked short option per unit of underlying (§1.4): value + max(base·S − OTM, min·S) for a call,
 * value + max(base·S − OTM, min·K) for a put. `value` is the option price per unit.
 */
export function nakedShortOptionPerUnit(isCall: boolean, S: number, K: number, value: number, basePct: number, minPct: number): number {
  const otm = isCall ? Math.max(0, K - S) : Math.max(0, S - K);
  return value + Math.max(basePct * S - otm, minPct * (isCall ? S : K));
}

/** FX haircut rates [initial, maintenance] of a currency. */
export function fxHaircut(rules: MarginRules, currency: string): readonly [number, number] {
  return rules.fx[currency] ?? rules.fxDefault;
}

// ── Calibration ─────────────────────────────────────────────────────────────────────────────────

/** Which reported rows a requirement is calibrated to. */
export type CalibrationScope = 'total' | 'S' | 'C';

/**
 * How one estimated requirement maps to the stressed requirement:
 * - scaled: stressed = reported × estimate(s) / estimate(0); `factor` = reported / estimate(0);
 * - additive: the estimate is zero at no shock but the account reports a requirement, so the reported
 *   one is held and the estimate's change is added;
 * - uncalibrated: the account reports nothing; the estimate is used as it is.
 */
export interface CalibrationPart {
  readonly scope: CalibrationScope;
  readonly mode: 'scaled' | 'additive' | 'uncalibrated';
  readonly reported?: Decimal;
  /** The estimate at zero shock, base currency. */
  readonly estimated: Decimal;
  /** reported / estimated, when scaled. */
  readonly factor?: Decimal;
  /** The same numbers in float64, for the liquidation search. */
  readonly reportedFloat: number;
  readonly estimatedFloat: number;
}

export interface Calibration {
  readonly maint: readonly CalibrationPart[];
  readonly init: readonly CalibrationPart[];
}

/** Estimated requirements of one scenario, by segment, base currency. */
export interface SegmentEstimate {
  readonly S: number;
  readonly C: number;
}

/**
 * Builds the calibration from the estimate at zero shock. Per segment (-S and -C rows) when TWS reports
 * either, the missing one being the total minus the other; otherwise against the total.
 */
export function calibrate(reported: ReportedValues, maint0: SegmentEstimate, init0: SegmentEstimate): Calibration {
  return {
    maint: parts(reported.maintMarginReq, reported.maintMarginReqS, reported.maintMarginReqC, maint0),
    init: parts(reported.initMarginReq, reported.initMarginReqS, reported.initMarginReqC, init0),
  };
}

function parts(total: Decimal | undefined, s: Decimal | undefined, c: Decimal | undefined, est: SegmentEstimate): CalibrationPart[] {
  if (s === undefined && c === undefined) return [part('total', total, est.S + est.C)];
  const sv = s ?? (total && c ? total.sub(c) : undefined);
  const cv = c ?? (total && s ? total.sub(s) : undefined);
  return [part('S', sv, est.S), part('C', cv, est.C)];
}

function part(scope: CalibrationScope, reported: Decimal | undefined, estimate: number): CalibrationPart {
  const estimated = decimalOf(estimate);
  const floats = { reportedFloat: floatOf(reported), estimatedFloat: estimate };
  if (reported === undefined) return { scope, mode: 'uncalibrated', estimated, ...floats };
  if (estimate > 0) return { scope, mode: 'scaled', reported, estimated, factor: reported.div(estimated), ...floats };
  return { scope, mode: 'additive', reported, estimated, ...floats };
}

/** Stressed requirement in Decimal: exactly the reported value when the estimate equals its zero-shock value. */
export function stressedRequirement(parts: readonly CalibrationPart[], est: SegmentEstimate): Decimal {
  let total = ZERO;
  for (const p of parts) {
    const x = p.scope === 'C' ? est.C : p.scope === 'S' ? est.S : est.S + est.C;
    const e = decimalOf(x);
    if (p.mode === 'scaled') total = total.add(e.eq(p.estimated) ? p.reported! : p.reported!.mul(e).div(p.estimated));
    else if (p.mode === 'additive') total = total.add(p.reported!).add(e.sub(p.estimated));
    else total = total.add(e);
  }
  return total;
}

/**
 * `stressedRequirement(parts, est).toDecimalPlaces(2)` in whole cents, or NaN when float64 cannot tell it for sure.
 * The report needs the requirement to the cent for 88 scenarios a pass, and in Decimal each one parsed the estimate and
 * divided at 34 digits (most of the report's time after its P&L). In float64 the same terms are off by a few units in
 * the 16th digit; that decides the cent except where the exact value lies within that error of a half cent (a tie,
 * rounded to even in Decimal), so those, and amounts past 1e11, are left to the Decimal path.
 */
export function stressedRequirementCents(parts: readonly CalibrationPart[], est: SegmentEstimate): number {
  let total = 0;
  // Sum of the sizes of every number that enters the total: the float error is a few ulps of it.
  let size = 0;
  for (const p of parts) {
    const x = p.scope === 'C' ? est.C : p.scope === 'S' ? est.S : est.S + est.C;
    if (p.mode === 'scaled') {
      if (x === p.estimatedFloat) {
        total += p.reportedFloat;
        size += Math.abs(p.reportedFloat);
      } else {
        const term = p.reportedFloat * (x / p.estimatedFloat);
        total += term;
        size += Math.abs(term) + Math.abs(p.reportedFloat);
      }
    } else if (p.mode === 'additive') {
      total += p.reportedFloat + (x - p.estimatedFloat);
      size += Math.abs(p.reportedFloat) + Math.abs(x) + Math.abs(p.estimatedFloat);
    } else {
      total += x;
      size += Math.abs(x);
    }
  }
  if (!(Math.abs(total) < CENTS_LIMIT) || !(size < CENTS_LIMIT)) return NaN;
  const cents = total * 100;
  const below = Math.floor(cents);
  // 1e-13 of the size is a hundred times the error of these few operations; the 1e-9 covers sizes near 0.
  if (Math.abs(cents - below - 0.5) <= size * 100 * 1e-13 + 1e-9) return NaN;
  const c = cents - below < 0.5 ? below : below + 1;
  return c === 0 ? 0 : c;
}

/** The same in float64, for the liquidation search. */
export function stressedRequirementFloat(parts: readonly CalibrationPart[], est: SegmentEstimate): number {
  let total = 0;
  for (const p of parts) {
    const x = p.scope === 'C' ? est.C : p.scope === 'S' ? est.S : est.S + est.C;
    if (p.mode === 'scaled') total += x === p.estimatedFloat ? p.reportedFloat : p.reportedFloat * (x / p.estimatedFloat);
    else if (p.mode === 'additive') total += p.reportedFloat + (x - p.estimatedFloat);
    else total += x;
  }
  return total;
}
