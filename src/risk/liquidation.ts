// Liquidation distance: the uniform shock per asset class, per currency and along the combined crash at which ExcessLiquidity reaches zero.
import type { Decimal } from '../model/money.js';
import { floatOf } from './boundary.js';
import { baseColumn, columnAccount, columnSums, evaluateShocks, type ColumnAccount, type StressGrid } from './grid.js';
import { stressedRequirementFloat, type CalibrationPart } from './margin.js';
import { exposureByName } from './concentration.js';
import { withLadderCache } from './pricing/dividend-lattice.js';
import { builtinScenarios } from './scenario-text.js';
import { PRICE_DRIVER_CLASSES, ZERO_SHOCKS, type ScenarioShocks } from './scenario-types.js';

/*
 * risk-model.md §1.3: IBKR liquidates as soon as ExcessLiquidity < 0, so the console's distance to
 * liquidation is the smallest uniform shock that takes EL' = ELV' − MM' to zero. With options the
 * curve need not be monotone, so each direction is scanned on a coarse ladder first and the first sign
 * change is refined by bisection (§1.3 "bisection on the scenario engine"). The stressed requirement is
 * the calibrated estimate, as in the scenario table.
 */

/** What EL' is measured from: reported (or model) NetLiquidation / ELV and the maintenance calibration. */
export interface Anchors {
  readonly netLiquidation: number;
  readonly equityWithLoanValue: number;
  readonly maint: readonly CalibrationPart[];
}

/** EL' of a column: ELV + P&L − P&L without loan value − stressed maintenance. */
export function excessLiquidityOf(acc: ColumnAccount, anchors: Anchors): number {
  return anchors.equityWithLoanValue + acc.pnl - acc.pnlNoLoan - stressedRequirementFloat(anchors.maint, acc.maint);
}

export type DistanceKind = 'px' | 'fx' | 'crash';

export interface LiquidationDistance {
  /** "px:STK", "fx:EUR" or "crash". */
  readonly key: string;
  readonly kind: DistanceKind;
  /** Largest shock searched on each side (0.5 prices and the crash, 0.3 currencies). */
  readonly range: number;
  /** Shock at which EL reaches 0 going down (negative) and up (positive); null when none within range. */
  readonly down: number | null;
  readonly up: number | null;
  /** The one of smaller size (down on a tie); 0 when EL is already below 0; null when neither. */
  readonly nearest: number | null;
  /**
   * Only when EL is already below 0: the smallest move (either side, down on a tie) at which EL is back at 0 or
   * above, the move that would cure the breach; null when none within range.
   */
  readonly cure?: number | null;
}

/** Points per side of the coarse ladder: 1% steps over ±50%, 0.6% over ±30%. */
const LADDER_POINTS = 50;
/** Points of the crash's ladder evaluated at a time, nearest first (search). */
const CRASH_CHUNK = 10;

/**
 * Liquidation distances of the grid's book: every price-driver class it holds, every non-base currency
 * with exposure, and the combined crash (the built-in Risk-off scenario scaled: its price moves equal
 * t, vol and currency moves in proportion; `nearest` is then the crash's price move).
 */
export function liquidationDistances(grid: StressGrid, anchors: Anchors): LiquidationDistance[] {
  const range = grid.params.liquidation.priceRange;
  // One scope over every search: the crash reads its unshocked vol level off the layers the px searches built.
  return withLadderCache(-range, range, () => distances(grid, anchors));
}

function distances(grid: StressGrid, anchors: Anchors): LiquidationDistance[] {
  const { book, params } = grid;
  const out: LiquidationDistance[] = [];
  const el0 = excessLiquidityOf(columnAccount(grid, columnSums(grid, baseColumn(grid))), anchors);
  const drivers = new Set(grid.groups.flatMap((g) => (g.driver && g.members.some((m) => book.positions[m]!.unpriced === undefined) ? [g.driver] : [])));
  const tol = params.liquidation.tolerance;
  for (const cls of PRICE_DRIVER_CLASSES.filter((c) => drivers.has(c))) {
    const shocksAt = (t: number): ScenarioShocks => ({ ...ZERO_SHOCKS, px: { [cls]: t } });
    out.push(search(grid, anchors, el0, `px:${cls}`, 'px', params.liquidation.priceRange, tol, shocksAt, true));
  }
  const exposed = exposedCurrencies(grid);
  for (const c of exposed) {
    const shocksAt = (t: number): ScenarioShocks => ({ ...ZERO_SHOCKS, fx: { [c]: t } });
    out.push(search(grid, anchors, el0, `fx:${c}`, 'fx', params.liquidation.fxRange, tol, shocksAt, true));
  }
  const crash = combinedCrash(grid, [...drivers], exposed);
  if (crash) {
    const scale = -crashPriceMove(crash);
    const shocksAt = (t: number) => scaleShocks(crash, -t / scale);
    out.push(search(grid, anchors, el0, 'crash', 'crash', params.liquidation.priceRange, tol, shocksAt, false));
  }
  return out;
}

/**
 * Liquidation distance of each of the `concentration.names` largest underlyings by gross exposure (key `sym:NAME`,
 * kind `px`): the `sym:` move, alone, at which EL reaches 0. None for a book of a single underlying (its class
 * distance is the same search).
 */
export function nameDistances(grid: StressGrid, anchors: Anchors): LiquidationDistance[] {
  const { params } = grid;
  const names = exposureByName(grid.book);
  if (names.length < 2) return [];
  const el0 = excessLiquidityOf(columnAccount(grid, columnSums(grid, baseColumn(grid))), anchors);
  return names.slice(0, params.concentration.names).map((n) => {
    const shocksAt = (t: number): ScenarioShocks => ({ ...ZERO_SHOCKS, sym: { [n.symbol]: t } });
    return search(grid, anchors, el0, `sym:${n.symbol}`, 'px', params.liquidation.priceRange, params.liquidation.tolerance, shocksAt, true);
  });
}

/** Non-base currencies with a non-zero amount at zero shock or a currency future on them. */
function exposedCurrencies(grid: StressGrid): string[] {
  const { book } = grid;
  const K = grid.nlvSum.length / book.currencies.length;
  const out = new Set<string>();
  book.currencies.forEach((c, ci) => {
    if (ci === book.baseIndex) return;
    for (let k = 0; k < K; k++) if (grid.nlvSum[ci * K + k] !== 0) out.add(c);
  });
  for (const p of book.positions) {
    const c = p.cls.fxFutureCurrency;
    if (c !== undefined && c !== book.baseCurrency) out.add(c);
  }
  return [...out].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** The built-in Risk-off crash for this book (risk-model.md §4.2 family (c)), if it moves anything. */
function combinedCrash(grid: StressGrid, drivers: readonly string[], currencies: readonly string[]): ScenarioShocks | undefined {
  const { book } = grid;
  const list = builtinScenarios(book.baseCurrency, [...book.currencies, ...currencies], drivers as never);
  const riskOff = list.filter((s) => s.family === 'crash' && s.label.startsWith('Risk-off'));
  return riskOff[0]?.shocks;
}

function crashPriceMove(s: ScenarioShocks): number {
  const moves = Object.values(s.px).filter((x): x is number => x !== undefined && x < 0);
  return moves.length > 0 ? Math.min(...moves) : -0.2;
}

function scaleShocks(s: ScenarioShocks, k: number): ScenarioShocks {
  const px: Record<string, number> = {};
  for (const [c, x] of Object.entries(s.px)) if (x !== undefined) px[c] = x * k;
  const fx: Record<string, number> = {};
  for (const [c, x] of Object.entries(s.fx)) fx[c] = x * k;
  return { ...ZERO_SHOCKS, px, fx, vol: s.vol * k, ...(s.rates ? { rates: s.rates * k } : {}), ...(s.volTermDays ? { volTermDays: s.volTermDays } : {}) };
}

function search(
  grid: StressGrid,
  anchors: Anchors,
  el0: number,
  key: string,
  kind: DistanceKind,
  range: number,
  tol: number,
  shocksAt: (t: number) => ScenarioShocks,
  bothWays: boolean,
): LiquidationDistance {
  // Options on the cash-dividend lattice read every spot of the search off layers built once per scope (one or two
  // spots at a time they would be two trees per spot); the crash only moves prices down.
  return withLadderCache(-range, bothWays ? range : 0, () => searchIn(grid, anchors, el0, key, kind, range, tol, shocksAt, bothWays));
}

function searchIn(
  grid: StressGrid,
  anchors: Anchors,
  el0: number,
  key: string,
  kind: DistanceKind,
  range: number,
  tol: number,
  shocksAt: (t: number) => ScenarioShocks,
  bothWays: boolean,
): LiquidationDistance {
  const ts: number[] = [];
  for (let i = 1; i <= LADDER_POINTS; i++) ts.push((-range * i) / LADDER_POINTS);
  if (bothWays) for (let i = 1; i <= LADDER_POINTS; i++) ts.push((range * i) / LADDER_POINTS);
  // The crash's ladder goes a chunk at a time, nearest first, and stops at the chunk holding its first sign change:
  // each of its columns has a vol of its own, and lattice-priced options pay for each vol level they reach.
  const chunk = bothWays ? ts.length : CRASH_CHUNK;
  const ladder: number[] = [];
  const elAt = (i: number): number => {
    while (ladder.length <= i) {
      const next = ts.slice(ladder.length, ladder.length + chunk).map(shocksAt);
      for (const a of evaluateShocks(grid, next)) ladder.push(excessLiquidityOf(a, anchors));
    }
    return ladder[i]!;
  };
  const el = (t: number) => excessLiquidityOf(evaluateShocks(grid, [shocksAt(t)])[0]!, anchors);
  if (!(el0 >= 0)) {
    // In breach: the same ladder, looking for the first point back at EL ≥ 0 on each side.
    const cureSide = (offset: number): number | null => {
      let prev = 0;
      for (let i = 0; i < LADDER_POINTS; i++) {
        const t = ts[offset + i]!;
        // bisect keeps its "safe" end where its function is ≥ 0: here that is "still in breach", so it returns
        // the cured end.
        if (elAt(offset + i) >= 0) return bisect((x) => (el(x) >= 0 ? -1 : 1), prev, t, tol);
        prev = t;
      }
      return null;
    };
    const cd = cureSide(0);
    const cu = bothWays ? cureSide(LADDER_POINTS) : null;
    const cure = cd === null ? cu : cu === null ? cd : Math.abs(cu) < Math.abs(cd) ? cu : cd;
    return { key, kind, range, down: 0, up: bothWays ? 0 : null, nearest: 0, cure };
  }
  const side = (offset: number): number | null => {
    let prev = 0;
    for (let i = 0; i < LADDER_POINTS; i++) {
      const t = ts[offset + i]!;
      if (elAt(offset + i) < 0) return bisect(el, prev, t, tol);
      prev = t;
    }
    return null;
  };
  const down = side(0);
  const up = bothWays ? side(LADDER_POINTS) : null;
  const nearest = down === null ? up : up === null ? down : Math.abs(up) < Math.abs(down) ? up : down;
  return { key, kind, range, down, up, nearest };
}

/** Bisection between a safe shock `a` (EL ≥ 0) and a breaching shock `b` (EL < 0); returns the breaching end. */
function bisect(el: (t: number) => number, a: number, b: number, tol: number): number {
  let safe = a,
    breach = b;
  while (Math.abs(breach - safe) > tol) {
    const mid = 0.5 * (safe + breach);
    if (el(mid) < 0) breach = mid;
    else safe = mid;
  }
  return breach;
}

/** Anchors from the report's Decimal anchors (NetLiquidation, EquityWithLoanValue) and maintenance calibration. */
export function anchorsOf(netLiquidation: Decimal, equityWithLoanValue: Decimal, maint: readonly CalibrationPart[]): Anchors {
  return { netLiquidation: floatOf(netLiquidation), equityWithLoanValue: floatOf(equityWithLoanValue), maint };
}
