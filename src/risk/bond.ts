// Bond coupon and maturity from what TWS's portfolio row carries, and modified duration and convexity at the bond's yield.
import type { Contract } from '../model/contract.js';

/*
 * PORTFOLIO_VALUE carries no coupon and no maturity field for a bond (only BOND_CONTRACT_DATA does, which the
 * console does not request), but it carries `lastTradeDateOrContractMonth` (the maturity, YYYYMMDD) and the local
 * symbol, which IB writes as ticker, coupon and maturity: "T 4 1/4 11/15/34", "T 0 3/8 01/31/26", "IBM 4.7 02/19/46".
 * Assumed (docs/stress-model.md "Bonds"): semi-annual coupons on the maturity's day of the month (US Treasury and
 * US corporate convention), actual/actual accrual, and a mark that is the clean price in percent of par.
 */

export interface BondTerms {
  /** Annual coupon, percent of par (4.25 for 4 1/4). */
  readonly coupon: number;
  /** Maturity date as UTC midnight, epoch ms. */
  readonly maturityMs: number;
}

export interface BondRisk {
  /** Yield to maturity, semi-annual compounding, as a fraction. */
  readonly yield: number;
  /** Modified duration in years: −(1/P)·dP/dy, P the dirty price (a rate P&L applies it to the dirty value). */
  readonly duration: number;
  /** Convexity in years²: (1/P)·d²P/dy². */
  readonly convexity: number;
}

const DATE_TOKEN = /^(\d{1,2})\/(\d{1,2})\/(\d{2}|\d{4})$/;

function couponToken(t: string): number {
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t);
  const f = /^(\d+)\/(\d+)$/.exec(t);
  if (f && Number(f[2]) > 0) return Number(f[1]) / Number(f[2]);
  return NaN;
}

/** The coupon and maturity of a bond contract, or undefined when they cannot be read from it. */
export function bondTerms(c: Pick<Contract, 'expiry' | 'localSymbol'>): BondTerms | undefined {
  const tokens = (c.localSymbol ?? '').trim().split(/\s+/);
  const last = tokens.length >= 3 ? DATE_TOKEN.exec(tokens[tokens.length - 1]!) : null;
  if (!last) return undefined;
  const parts = tokens.slice(1, -1);
  if (parts.length < 1 || parts.length > 2) return undefined;
  const coupon = parts.map(couponToken).reduce((a, b) => a + b, 0);
  if (!Number.isFinite(coupon) || coupon < 0 || coupon > 50) return undefined;
  let maturityMs = NaN;
  const e = /^(\d{4})(\d{2})(\d{2})$/.exec(c.expiry ?? '');
  if (e) maturityMs = Date.UTC(Number(e[1]), Number(e[2]) - 1, Number(e[3]));
  else {
    const y = Number(last[3]);
    maturityMs = Date.UTC(y < 100 ? 2000 + y : y, Number(last[1]) - 1, Number(last[2]));
  }
  return Number.isFinite(maturityMs) ? { coupon, maturityMs } : undefined;
}

/** `months` calendar months before the maturity, on its day of the month (clamped to the month's last day). */
function monthsBefore(maturityMs: number, months: number): number {
  const m = new Date(maturityMs);
  const y = m.getUTCFullYear(),
    mo = m.getUTCMonth() - months,
    d = m.getUTCDate();
  const last = new Date(Date.UTC(y, mo + 1, 0)).getUTCDate();
  return Date.UTC(y, mo, Math.min(d, last));
}

/** The current coupon period around `nowMs`: the coupons after it (k + 1 flows) and the fraction w of the period left. */
function period(terms: BondTerms, nowMs: number): { k: number; w: number } {
  let k = 0;
  while (monthsBefore(terms.maturityMs, 6 * (k + 1)) > nowMs) k++;
  const next = monthsBefore(terms.maturityMs, 6 * k);
  const prev = monthsBefore(terms.maturityMs, 6 * (k + 1));
  return { k, w: (next - nowMs) / (next - prev) };
}

/**
 * Accrued interest at `nowMs` in percent of par (actual/actual over the current period: coupon/2 × the fraction of it
 * gone), 0 at or after maturity. The dirty price, which duration and convexity are sensitivities of, is clean + this.
 */
export function accruedInterest(terms: BondTerms, nowMs: number): number {
  if (!(terms.maturityMs > nowMs)) return 0;
  return (terms.coupon / 2) * (1 - period(terms, nowMs).w);
}

/**
 * Yield, modified duration and convexity of a bond at `nowMs` from its clean price (percent of par), or undefined
 * when it has matured or the price gives no yield in [−50%, 100%]. Cash flows: coupon/2 every six months back from
 * the maturity, plus 100 at the maturity; the dirty price is the clean one plus accrued interest (actual/actual).
 */
export function bondRisk(terms: BondTerms, cleanPrice: number, nowMs: number): BondRisk | undefined {
  if (!(cleanPrice > 0) || !(terms.maturityMs > nowMs)) return undefined;
  // Coupon dates after now, nearest first, and the one at or before now.
  const { k, w } = period(terms, nowMs);
  const c = terms.coupon / 2;
  const dirty = cleanPrice + c * (1 - w);
  const flows = k + 1;
  const price = (y: number): number => {
    let p = 0;
    for (let i = 0; i < flows; i++) p += (c + (i === flows - 1 ? 100 : 0)) / (1 + y / 2) ** (w + i);
    return p;
  };
  // Price falls as the yield rises: bisection on the bracket.
  let lo = -0.5,
    hi = 1;
  if (price(lo) < dirty || price(hi) > dirty) return undefined;
  for (let it = 0; it < 200 && hi - lo > 1e-12; it++) {
    const mid = (lo + hi) / 2;
    if (price(mid) > dirty) lo = mid;
    else hi = mid;
  }
  const y = (lo + hi) / 2;
  let p = 0,
    d1 = 0,
    d2 = 0;
  for (let i = 0; i < flows; i++) {
    const n = w + i,
      cf = c + (i === flows - 1 ? 100 : 0);
    p += cf / (1 + y / 2) ** n;
    d1 += ((n / 2) * cf) / (1 + y / 2) ** (n + 1);
    d2 += (((n * (n + 1)) / 4) * cf) / (1 + y / 2) ** (n + 2);
  }
  return { yield: y, duration: d1 / p, convexity: d2 / p };
}
