// The simulated account's books: positions, cash per currency, realized P&L; fills are applied here.
import { Decimal, ZERO, dec } from '../model/money.js';
import { multiplierOf, type Instrument, type SeedPosition } from './instruments.js';

/** One position. Prices are per unit before the multiplier (bond prices in percent of par). */
export interface PositionState {
  readonly inst: Instrument;
  qty: Decimal;
  avgPrice: Decimal;
  /** Realized P&L today, net of commissions, in the instrument's currency. */
  realized: Decimal;
  /** Quantity held at the start of the day (for daily P&L). */
  readonly dayStartQty: Decimal;
  /** Signed notional of today's trades: Σ qty × price × multiplier. */
  dayFlow: Decimal;
}

export interface FillResult {
  /** Gross realized P&L of this fill (before commission), in the instrument's currency; zero if opening. */
  readonly realized: Decimal;
  /** True when the fill reduced or closed an existing position. */
  readonly closing: boolean;
}

export class Ledger {
  readonly positions = new Map<number, PositionState>();
  readonly cash = new Map<string, Decimal>();
  /** Bumped on every change; pushes compare it to decide what to resend. */
  version = 0;

  constructor(
    readonly account: string,
    readonly base: string,
    seed: { positions: readonly SeedPosition[]; cash: Readonly<Record<string, string>> },
    readonly universe: readonly Instrument[],
  ) {
    for (const [ccy, amount] of Object.entries(seed.cash)) this.cash.set(ccy, dec(amount));
    if (!this.cash.has(base)) this.cash.set(base, ZERO);
    for (const p of seed.positions) {
      const inst = universe.find((i) => i.conId === p.conId);
      if (!inst) throw new Error(`seed position refers to unknown conId ${p.conId}`);
      const qty = dec(p.quantity);
      this.positions.set(inst.conId, { inst, qty, avgPrice: dec(p.avgPrice), realized: ZERO, dayStartQty: qty, dayFlow: ZERO });
    }
  }

  /** An independent copy (positions and cash), for what-if margin checks. */
  clone(): Ledger {
    const copy = new Ledger(this.account, this.base, { positions: [], cash: {} }, this.universe);
    for (const [ccy, v] of this.cash) copy.cash.set(ccy, v);
    for (const [conId, p] of this.positions) copy.positions.set(conId, { ...p });
    return copy;
  }

  cashIn(ccy: string): Decimal {
    return this.cash.get(ccy) ?? ZERO;
  }

  private addCash(ccy: string, amount: Decimal): void {
    this.cash.set(ccy, this.cashIn(ccy).add(amount));
  }

  /**
   * Applies one execution. `qty` is signed (+ bought, − sold). Cash moves by the notional for everything
   * except futures, whose trades only move cash by the realized P&L (variation margin, simplified), and
   * FX pairs, whose two legs are cash balances.
   */
  applyFill(inst: Instrument, qty: Decimal, price: Decimal, commission: Decimal): FillResult {
    const mult = dec(multiplierOf(inst));
    const existing = this.positions.get(inst.conId);
    const pos: PositionState = existing ?? { inst, qty: ZERO, avgPrice: ZERO, realized: ZERO, dayStartQty: ZERO, dayFlow: ZERO };
    const old = pos.qty;
    const next = old.add(qty);
    let realized = ZERO;
    const closing = !old.isZero() && old.isPositive() !== qty.isPositive();
    if (closing) {
      const closed = Decimal.min(old.abs(), qty.abs());
      realized = closed
        .mul(price.sub(pos.avgPrice))
        .mul(mult)
        .mul(old.isPositive() ? 1 : -1);
    }
    if (next.isZero()) pos.avgPrice = ZERO;
    else if (old.isZero() || (old.isPositive() === next.isPositive() && !closing)) {
      pos.avgPrice = old.abs().mul(pos.avgPrice).add(qty.abs().mul(price)).div(next.abs());
    } else if (old.isPositive() !== next.isPositive()) {
      pos.avgPrice = price; // flipped through zero: the remainder opened at this price
    }
    pos.qty = next;
    pos.dayFlow = pos.dayFlow.add(qty.mul(price).mul(mult));
    if (inst.secType === 'CASH') {
      // Only the cash legs carry the economics of an FX trade (risk-model.md §0.9), so the realized P&L moves no cash;
      // TWS still reports it for the pair (FX Portfolio, commission report), in the quote currency against the
      // position's average price, as for a stock.
      this.addCash(inst.symbol, qty);
      this.addCash(inst.currency, qty.mul(price).neg());
    } else if (inst.secType === 'FUT') {
      this.addCash(inst.currency, realized);
    } else {
      this.addCash(inst.currency, qty.mul(price).mul(mult).neg());
    }
    this.addCash(inst.currency, commission.neg());
    pos.realized = pos.realized.add(realized).sub(commission);
    this.positions.set(inst.conId, pos);
    this.version++;
    return { realized, closing };
  }
}
