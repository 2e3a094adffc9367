// Liquidation distance: the uniform shock per asset class, per currency and along the combined crash at which ExcessLiquidity reaches zero.
import type { Decimal } from '../model/money.js';
import { floatOf } from './boundary.js';
import { baseColumn, columnAccountAt, evaluateShocks, type ColumnAccount, type StressGrid } from './grid.js';
import { stressedRequirementFloat, type CalibrationPart } from './margin.js';
import { exposureByName } from './concentration.js';
import { withLadderCache } from './pricing/dividend-lattice.js';
import { builtinScenarios, heldFuturesOf } from './scenario-text.js';
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
  /**
   * Set when this subject was searched only this far (`DistanceLimits`: a pass only the alert rules read): EL stays ≥ 0
   * at every ladder point up to this move on each side, so `down` and `up` are null and the distance, if any, is
   * farther. A subject with a sign change within it is searched in full, and has no `within`.
   */
  readonly within?: number;
}

/**
 * How far each kind's distances matter when only the alert rules read them: the farthest level of the rules in force
 * (docs/alerts.md `liquidation.distance`; 0 when the rule is off). A rule judges a distance only within its levels, so
 * one farther than that, or none, gives it the same findings; searching only that far keeps the search's answer
 * wherever a rule can see it.
 */
export type DistanceLimits = Readonly<Record<DistanceKind, number>>;

/** Points per side of the coarse ladder: 1% steps over ±50%, 0.6% over ±30%. */
const LADDER_POINTS = 50;
/**
 * Points of the crash's ladder evaluated at a time, nearest first (search). The chunk holding the first breach is
 * evaluated whole, and its points past the breach are the deepest, with the highest vols: a lattice-priced option
 * builds a vol level for each new one they reach (two trees per option, 6–7% of the search per level on the bench
 * book). Five points overshoot half as far as ten, at the same cost without dividends (the columns, not the calls,
 * are the work).
 */
const CRASH_CHUNK = 5;

/**
 * Liquidation distances of the grid's book: every price-driver class it holds, every non-base currency
 * with exposure, and the combined crash (the built-in Risk-off scenario scaled: its price moves equal
 * t, vol and currency moves in proportion; `nearest` is then the crash's price move).
 */
export function liquidationDistances(grid: StressGrid, anchors: Anchors, limits?: DistanceLimits): LiquidationDistance[] {
  const range = grid.params.liquidation.priceRange;
  // One scope over every search: the crash reads its unshocked vol level off the layers the px searches built.
  return withLadderCache(-range, range, () => distances(grid, anchors, limits));
}

/**
 * The distances the report and the console show: `liquidationDistances` and, unless limited (the names are no alert
 * rule's), `nameDistances`, in one ladder scope: a name's options are read off the layers its class's search built.
 */
export function searchDistances(
  grid: StressGrid,
  anchors: Anchors,
  limits?: DistanceLimits,
): { readonly liquidation: LiquidationDistance[]; readonly names: LiquidationDistance[] } {
  const range = grid.params.liquidation.priceRange;
  return withLadderCache(-range, range, () => ({
    liquidation: liquidationDistances(grid, anchors, limits),
    names: limits ? [] : nameDistances(grid, anchors),
  }));
}

/** One search's subject: what is moved, how far, and whether both ways. */
interface Subject {
  readonly key: string;
  readonly kind: DistanceKind;
  readonly range: number;
  readonly shocksAt: (t: number) => ScenarioShocks;
  readonly bothWays: boolean;
}

/** The classes, currencies and crash searched for this book, in the report's order. */
function subjects(grid: StressGrid): Subject[] {
  const { book, params } = grid;
  const out: Subject[] = [];
  const drivers = new Set(grid.groups.flatMap((g) => (g.driver && g.members.some((m) => book.positions[m]!.unpriced === undefined) ? [g.driver] : [])));
  for (const cls of PRICE_DRIVER_CLASSES.filter((c) => drivers.has(c))) {
    const shocksAt = (t: number): ScenarioShocks => ({ ...ZERO_SHOCKS, px: { [cls]: t } });
    out.push({ key: `px:${cls}`, kind: 'px', range: params.liquidation.priceRange, shocksAt, bothWays: true });
  }
  const exposed = exposedCurrencies(grid);
  for (const c of exposed) {
    const shocksAt = (t: number): ScenarioShocks => ({ ...ZERO_SHOCKS, fx: { [c]: t } });
    out.push({ key: `fx:${c}`, kind: 'fx', range: params.liquidation.fxRange, shocksAt, bothWays: true });
  }
  const crash = combinedCrash(grid, [...drivers], exposed);
  if (crash) {
    const scale = -crashPriceMove(crash);
    const shocksAt = (t: number) => scaleShocks(crash, -t / scale);
    out.push({ key: 'crash', kind: 'crash', range: params.liquidation.priceRange, shocksAt, bothWays: false });
  }
  return out;
}

/** The largest underlyings alone (`sym:NAME`); none for a book of a single underlying. */
function nameSubjects(grid: StressGrid): Subject[] {
  const { params } = grid;
  const names = exposureByName(grid.book);
  if (names.length < 2) return [];
  return names.slice(0, params.concentration.names).map((n) => {
    const shocksAt = (t: number): ScenarioShocks => ({ ...ZERO_SHOCKS, sym: { [n.symbol]: t } });
    return { key: `sym:${n.symbol}`, kind: 'px', range: params.liquidation.priceRange, shocksAt, bothWays: true };
  });
}

function baseExcessLiquidity(grid: StressGrid, anchors: Anchors): number {
  return excessLiquidityOf(columnAccountAt(grid, baseColumn(grid)), anchors);
}

function distances(grid: StressGrid, anchors: Anchors, limits?: DistanceLimits): LiquidationDistance[] {
  const el0 = baseExcessLiquidity(grid, anchors);
  const tol = grid.params.liquidation.tolerance;
  return subjects(grid).map((s) => search(grid, anchors, el0, s.key, s.kind, s.range, tol, s.shocksAt, s.bothWays, limits?.[s.kind]));
}

/** Ladder points a search limited to `within` scans per side: up to the first one at or beyond it. */
function pointsWithin(range: number, within: number): number {
  return Math.min(LADDER_POINTS, Math.max(0, Math.ceil((within * LADDER_POINTS) / range - 1e-9)));
}

/**
 * Liquidation distance of each of the `concentration.names` largest underlyings by gross exposure (key `sym:NAME`,
 * kind `px`): the `sym:` move, alone, at which EL reaches 0. None for a book of a single underlying (its class
 * distance is the same search).
 */
export function nameDistances(grid: StressGrid, anchors: Anchors): LiquidationDistance[] {
  const list = nameSubjects(grid);
  if (list.length === 0) return [];
  const el0 = baseExcessLiquidity(grid, anchors);
  const tol = grid.params.liquidation.tolerance;
  return list.map((s) => search(grid, anchors, el0, s.key, s.kind, s.range, tol, s.shocksAt, s.bothWays));
}

/**
 * Ladder points (1 … LADDER_POINTS, per side) a confirmation probes. Where EL falls steadily along the path, a new sign
 * change anywhere within range shows at the next probe beyond it, the range's end at the latest; the points near no
 * move are for the dips an option book can make, where the alert levels are (5% and 10% for prices).
 */
const PROBE_POINTS = [2, 5, 10, 20, 50];

/**
 * Earlier distances (`liquidationDistances` then `nameDistances` on an earlier state of this book) brought up to the
 * grid as it is now, with few evaluations instead of a search's ladders and bisections. A subject's distance is kept
 * when probes confirm it: EL is still ≥ 0 at the probe points short of it, and it still brackets its sign change within
 * the search's tolerance (EL < 0 at it, ≥ 0 one tolerance nearer). When only the bracket fails (the sign change moved,
 * nothing nearer), that side is followed from its ladder step to the next step with the sign change and bisected there,
 * as the search bisects it (`walked`); any other subject is searched again alone (`searched`). Kept distances cannot see
 * a sign change that appeared between two probes, so callers search everything again after a while anyway
 * (src/session/stress-model.ts). Undefined when the subjects changed or the account is in breach: search.
 */
export function refreshDistances(
  grid: StressGrid,
  anchors: Anchors,
  previous: readonly LiquidationDistance[],
  limits?: DistanceLimits,
): { readonly distances: LiquidationDistance[]; readonly searched: number; readonly walked: number } | undefined {
  // Limited, the previous distances are those of `liquidationDistances(…, limits)` alone: the names are no alert's.
  const list = limits ? subjects(grid) : [...subjects(grid), ...nameSubjects(grid)];
  if (list.length !== previous.length || list.some((s, i) => s.key !== previous[i]!.key || s.range !== previous[i]!.range)) return undefined;
  // In breach, the cure is what is shown: search again (a breach is rare, and excess.negative speaks for it).
  const el0 = baseExcessLiquidity(grid, anchors);
  if (!(el0 >= 0) || previous.some((d) => d.nearest === 0)) return undefined;
  const tol = grid.params.liquidation.tolerance;
  const range = grid.params.liquidation.priceRange;
  let searched = 0;
  let walked = 0;
  const distances = withLadderCache(-range, range, () =>
    list.map((s, i) => {
      const d = previous[i]!;
      const within = limits?.[s.kind];
      const probed = probe(grid, anchors, s, d, tol);
      if (probed.nearer) {
        searched++;
        return search(grid, anchors, el0, s.key, s.kind, s.range, tol, s.shocksAt, s.bothWays, within);
      }
      if (probed.moved.length === 0) return d;
      let down = d.down;
      let up = d.up;
      for (const sign of probed.moved) {
        const at = walk(grid, anchors, s, sign, sign < 0 ? d.down! : d.up!, tol);
        if (at === undefined) {
          searched++;
          return search(grid, anchors, el0, s.key, s.kind, s.range, tol, s.shocksAt, s.bothWays, within);
        }
        if (sign < 0) down = at;
        else up = at;
      }
      walked++;
      const nearest = down === null ? up : up === null ? down : Math.abs(up) < Math.abs(down) ? up : down;
      return { key: d.key, kind: d.kind, range: d.range, down, up, nearest };
    }),
  );
  return { distances, searched, walked };
}

/**
 * Probes of a kept distance, in one evaluation: `nearer` when EL is below 0 at a probe point short of a side's
 * distance (or anywhere along a side without one), `moved` the sides whose bracket no longer holds.
 */
function probe(grid: StressGrid, anchors: Anchors, s: Subject, d: LiquidationDistance, tol: number): { nearer: boolean; moved: (-1 | 1)[] } {
  const probes: number[] = [];
  /** Per probe: its side, and whether it is a bracket's breaching end (true), its safe end (false) or short of it. */
  const sides: (-1 | 1)[] = [];
  const bracket: (boolean | undefined)[] = [];
  // Searched only `within`: the probe points short of its last ladder point, then that point (a sign change anywhere
  // short of it where EL falls steadily shows there).
  const last = d.within !== undefined ? pointsWithin(s.range, d.within) : LADDER_POINTS;
  const side = (sign: -1 | 1, at: number | null) => {
    for (const k of [...PROBE_POINTS.filter((k) => k < last), ...(last > 0 ? [last] : [])]) {
      const t = (sign * s.range * k) / LADDER_POINTS;
      if (at !== null && Math.abs(t) >= Math.abs(at) - tol) break;
      probes.push(t);
      sides.push(sign);
      bracket.push(undefined);
    }
    if (at !== null) {
      probes.push(at, at - sign * tol);
      sides.push(sign, sign);
      bracket.push(true, false);
    }
  };
  side(-1, d.down);
  if (s.bothWays) side(1, d.up);
  const accounts = evaluateShocks(grid, probes.map(s.shocksAt));
  let nearer = false;
  const moved = new Set<-1 | 1>();
  accounts.forEach((a, i) => {
    const below = excessLiquidityOf(a, anchors) < 0;
    if (bracket[i] === undefined) nearer ||= below;
    else if (below !== bracket[i]) moved.add(sides[i]!);
  });
  return { nearer, moved: [...moved] };
}

/** Ladder steps a moved sign change is followed before the subject is searched again instead. */
const WALK_STEPS = 3;

/**
 * The distance on one side whose bracket moved, found as the search finds it: from the ladder step that held it, the
 * nearest step at whose end EL is below 0 with EL ≥ 0 at its start, then the same bisection between those two ladder
 * points. Its answer equals a search's whenever no ladder point nearer than that step is below 0 (what the probes saw).
 * Undefined when the change moved more than WALK_STEPS steps: search again.
 */
function walk(grid: StressGrid, anchors: Anchors, s: Subject, sign: -1 | 1, at: number, tol: number): number | null | undefined {
  // The ladder points exactly as searchIn computes them, so that the bisection starts from the same two shocks.
  const point = (i: number) => (i === 0 ? 0 : sign < 0 ? (-s.range * i) / LADDER_POINTS : (s.range * i) / LADDER_POINTS);
  const el = (t: number) => excessLiquidityOf(evaluateShocks(grid, [s.shocksAt(t)])[0]!, anchors);
  const known = new Map<number, number>([[0, 0]]);
  const elAt = (i: number) => {
    if (i === 0) return 0;
    let v = known.get(i);
    if (v === undefined) known.set(i, (v = el(point(i))));
    return v;
  };
  const step = Math.min(LADDER_POINTS, Math.max(1, Math.ceil((Math.abs(at) * LADDER_POINTS) / s.range - 1e-9)));
  let i = step;
  if (elAt(i) < 0) {
    // Nearer: back down the ladder while the step's start is below 0 too (EL at no shock is ≥ 0).
    while (i > 1 && elAt(i - 1) < 0) {
      if (step - --i > WALK_STEPS) return undefined;
    }
  } else {
    // Farther: up the ladder to the first point below 0; none within range is no distance on this side.
    do {
      if (++i > LADDER_POINTS) return null;
      if (i - step > WALK_STEPS) return undefined;
    } while (elAt(i) >= 0);
  }
  return bisect(el, point(i - 1), point(i), tol);
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

/**
 * Risk-off shocks by base currency, currencies and drivers: every confirmation lists the subjects again, and building
 * the whole built-in family to pick one scenario out of it was a tenth of a confirmed pass's search time.
 */
const crashes = new Map<string, ScenarioShocks | undefined>();

/**
 * The built-in Risk-off crash for this book (risk-model.md §4.2 family (c)), if it moves anything, with the futures held
 * named as the scenario names them (equity-index ones moved with the indexes, currency and rate ones held still).
 */
function combinedCrash(grid: StressGrid, drivers: readonly string[], currencies: readonly string[]): ScenarioShocks | undefined {
  const { book } = grid;
  const all = [...book.currencies, ...currencies];
  const futures = heldFuturesOf(book.positions.map((p) => p.cls));
  const named = Object.entries(futures).map(([on, symbols]) => `${on}:${[...new Set(symbols)].sort().join(',')}`);
  const key = `${book.baseCurrency}|${all.join(',')}|${drivers.join(',')}|${named.sort().join(';')}`;
  if (crashes.has(key)) return crashes.get(key);
  const list = builtinScenarios(book.baseCurrency, all, drivers as never, [], futures);
  const riskOff = list.filter((s) => s.family === 'crash' && s.label.startsWith('Risk-off'));
  // A long-lived guard following many books keeps a bounded table.
  if (crashes.size >= 64) crashes.clear();
  crashes.set(key, riskOff[0]?.shocks);
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
  // The futures the crash names: an index future's move scales with the indexes', a held one stays at 0.
  const sym: Record<string, number> = {};
  for (const [n, x] of Object.entries(s.sym)) sym[n] = x * k;
  return { ...ZERO_SHOCKS, px, sym, fx, vol: s.vol * k, ...(s.rates ? { rates: s.rates * k } : {}), ...(s.volTermDays ? { volTermDays: s.volTermDays } : {}) };
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
  within?: number,
): LiquidationDistance {
  // Options on the cash-dividend lattice read every spot of the search off layers built once per scope (one or two
  // spots at a time they would be two trees per spot); the crash only moves prices down.
  return withLadderCache(-range, bothWays ? range : 0, () => searchIn(grid, anchors, el0, key, kind, range, tol, shocksAt, bothWays, within));
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
  within?: number,
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
  const side = (offset: number, points = LADDER_POINTS): number | null => {
    let prev = 0;
    for (let i = 0; i < points; i++) {
      const t = ts[offset + i]!;
      if (elAt(offset + i) < 0) return bisect(el, prev, t, tol);
      prev = t;
    }
    return null;
  };
  // Limited, the ladder goes as far as `within` on each side; a sign change found there makes it a whole search (an
  // alert names both sides), the ladder points already evaluated being kept.
  const points = within !== undefined ? pointsWithin(range, within) : LADDER_POINTS;
  let down = side(0, points);
  let up = bothWays ? side(LADDER_POINTS, points) : null;
  if (points < LADDER_POINTS) {
    if (down === null && up === null) return { key, kind, range, down, up, nearest: null, within };
    down ??= side(0);
    if (bothWays) up ??= side(LADDER_POINTS);
  }
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
