// Prices written for people at their contract's tick, without loading decimal.js (the views' format module re-exports it).
import { currencyFutureOf } from './contract.js';
import type { Decimal } from './money.js';

/**
 * Treasury futures tick in binary fractions of a point, which IBKR quotes in decimal: a 1/32 is 0.03125 (ZB, UB), a
 * half of it 0.015625 (ZN, TN), a quarter 0.0078125 (ZF), an eighth 0.00390625 (ZT). Cents would show 110.015625 as
 * 110.02, a price the contract cannot trade at and that hides a whole tick's move.
 */
const TREASURY_FUTURES: Readonly<Record<string, number>> = { ZB: 5, UB: 5, ZN: 6, TN: 6, ZF: 7, ZT: 8 };

/** Other futures whose tick is finer than a cent: natural gas and silver (0.001, 0.005), heating oil, RBOB and copper (0.0001, 0.0005), SOFR and Fed funds (0.0025). */
const FINE_TICK_FUTURES: Readonly<Record<string, number>> = { NG: 3, SI: 3, HO: 4, RB: 4, HG: 4, SR3: 4, SR1: 4, ZQ: 4 };

/**
 * The decimals a price of this contract is shown with, everywhere: those of its minimum tick as IBKR quotes it, at
 * least two. An IDEALPRO pair in pips and a half (EUR.USD 1.08425; a yen pair 151.235), a bond in 1/100 of a basis
 * point of par (97.8458), a currency future like its pair (the yen's 0.0066005), a Treasury future in its fraction of a 32nd (110.015625), a stock under 1 in its sub-penny
 * tick (0.0067), anything else in cents. A price's own digits would show the same EUR.USD mark as 1.0842 in one row
 * and 1.08 in the next (a Decimal drops trailing zeros).
 */
export function priceDecimals(c: { readonly secType: string; readonly currency: string; readonly symbol?: string }, v?: Decimal): number {
  switch (c.secType) {
    case 'CASH':
      return c.currency === 'JPY' ? 3 : 5;
    case 'BOND':
      return 4;
    case 'FUT':
    case 'FOP':
      // A currency future (IBKR's EUR is CME's 6E, JPY the 6J) ticks like its pair.
      if (c.symbol !== undefined && currencyFutureOf({ secType: c.secType, symbol: c.symbol, currency: c.currency }) !== undefined)
        return c.symbol === 'JPY' ? 7 : 5;
      if (c.symbol !== undefined && TREASURY_FUTURES[c.symbol] !== undefined) {
        // Their options tick in 64ths of a point whatever the future's own fraction of a 32nd.
        return c.secType === 'FOP' ? Math.max(6, TREASURY_FUTURES[c.symbol]!) : TREASURY_FUTURES[c.symbol]!;
      }
      return (c.symbol !== undefined && FINE_TICK_FUTURES[c.symbol]) || 2;
    case 'STK':
    case 'ETF':
    case 'FUND':
      return v !== undefined && v.abs().lt(1) && !v.isZero() ? 4 : 2;
    default:
      return 2;
  }
}

/**
 * A price of `c` at its decimals (priceDecimals), rounded half to even (as every Decimal here), grouped: "1.08000",
 * "2,890.00", "97.8458". `exact` is for a price that is a fact rather than a mark (an order's limit, a fill): padded to
 * the decimals but never rounded, so a midpoint fill at 228.455 or a limit at 4.2345 on a tick finer than the
 * contract type's reads as what was sent or filled, not 228.46 or 4.23.
 */
export function contractPrice(
  v: Decimal | undefined,
  c: { readonly secType: string; readonly currency: string; readonly symbol?: string },
  exact = false,
): string {
  if (v === undefined || !v.isFinite()) return '-';
  const places = exact ? Math.max(priceDecimals(c, v), v.decimalPlaces()) : priceDecimals(c, v);
  const [int = '0', frac = ''] = v.abs().toFixed(places).split('.');
  const zero = /^[0.]*$/.test(`${int}.${frac}`);
  return `${v.isNegative() && !zero ? '-' : ''}${int.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}.${frac}`;
}
