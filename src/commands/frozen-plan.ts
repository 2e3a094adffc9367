// What differs between the frozen panes a trading key was pressed on and the live state its plan is built on.
import { contractLabel } from '../model/contract.js';
import { Decimal } from '../model/money.js';
import type { OrderRow, PortfolioState } from '../model/state.js';
import { isOpen } from '../trading/plan.js';
import { FROZEN_MARK } from '../views/trading-actions.js';
import { clock, quantity } from '../views/format.js';

/*
 * Freezing holds the picture only (docs/architecture.md): a plan is always built on the live state, since sending on
 * the quantities of a held picture could buy back what another client sold. But the operator pressed the key looking
 * at the held picture, so the dialog says so first, and names each position (or order) the two disagree on.
 */

/** The frozen panes at the key press: when they froze and the state they show (TradeTarget.frozen). */
export interface FrozenPicture {
  readonly at: number;
  readonly state: PortfolioState;
}

/** A position whose quantity on the frozen screen is not its live one (zero where one side has none). */
export interface FrozenDiff {
  readonly conId: number;
  readonly label: string;
  readonly now: Decimal;
  readonly shown: Decimal;
}

const ZERO = new Decimal(0);

/** The positions among `conIds` whose live quantity differs from the frozen screen's, in the order given. */
export function positionDiffs(frozen: PortfolioState, live: PortfolioState, conIds: Iterable<number>): FrozenDiff[] {
  const out: FrozenDiff[] = [];
  for (const conId of new Set(conIds)) {
    const a = live.positions.get(conId);
    const b = frozen.positions.get(conId);
    const now = a?.position ?? ZERO;
    const shown = b?.position ?? ZERO;
    if (now.eq(shown)) continue;
    const contract = a?.contract ?? b?.contract;
    out.push({ conId, label: contract ? contractLabel(contract) : `conid:${conId}`, now, shown });
  }
  return out;
}

/** One position's difference as the dialog says it: `NESN 1,500 now (1,000 on the frozen screen)`. */
export function diffText(d: FrozenDiff): string {
  return `${d.label} ${quantity(d.now)} now (${quantity(d.shown)} on the frozen screen)`;
}

/** At most this many differences are named in the line (the rest counted; all of them are in the audit log). */
const NAMED = 3;

/**
 * The dialog's first line: one line, wrapped by the dialog, so a plan of many positions does not push its orders off
 * an 80x24 screen. `what` is what the plan is built on ("positions", "orders").
 */
export function frozenLine(at: number, what: 'positions' | 'orders', diffs: readonly string[]): string {
  const head = `${FROZEN_MARK}${clock(at)}. This plan is on the live ${what}`;
  if (diffs.length === 0) return `${head}, which match the frozen screen`;
  const more = diffs.length > NAMED ? `, +${diffs.length - NAMED} more (in the audit log)` : '';
  return `${head}: ${diffs.slice(0, NAMED).join(', ')}${more}`;
}

/** The audit record of what the dialog's frozen line was about (with every difference, not only those named). */
export function frozenJson(at: number, diffs: readonly FrozenDiff[] | readonly string[]): { at: string; differs: string[] } {
  return { at: new Date(at).toISOString(), differs: diffs.map((d) => (typeof d === 'string' ? d : diffText(d))) };
}

/**
 * The open orders a cancel plan acts on, against those the frozen screen lists: an order open now and not there, or
 * listed open there and not now (with its live status).
 */
export function orderDiffs(frozen: PortfolioState, live: PortfolioState, pick: (o: OrderRow) => boolean): string[] {
  const open = (s: PortfolioState) => new Map([...s.orders.entries()].filter(([, o]) => isOpen(o) && pick(o)));
  const now = open(live);
  const shown = open(frozen);
  const label = (o: OrderRow) => `order ${o.orderId}${o.info ? ` (${o.info.action} ${quantity(o.info.totalQuantity)} ${contractLabel(o.info.contract)})` : ''}`;
  const out: string[] = [];
  for (const [k, o] of now) if (!shown.has(k)) out.push(`${label(o)} open now (not on the frozen screen)`);
  for (const [k, o] of shown) if (!now.has(k)) out.push(`${label(o)} ${live.orders.get(k)?.status ?? 'gone'} now (open on the frozen screen)`);
  return out;
}
