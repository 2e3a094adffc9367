// Concentration by underlying: each name's share of gross exposure, the names that get their own jump scenarios.
import { QUANTUM, type Book } from './boundary.js';
import type { ConcentrationRules } from './params.js';
import { describeShocks, formatScenario, parseShocks } from './scenario-text.js';
import { ZERO_SHOCKS, type Scenario, type ScenarioShocks } from './scenario-types.js';

/*
 * issue 17 item 5: classes alone hide a single-name blow-up. IBKR's concentration overlay stresses the two
 * riskiest class groups at ±30% (risk-model.md §1.5, §0.5); here every underlying above `share` of the book's gross
 * exposure gets `sym:NAME=−jump` and `+jump` scenarios, and the top `names` get their own liquidation distance.
 */

export interface NameExposure {
  /** The IB symbol, as `sym:` matches it (an option's symbol is its underlying's). */
  readonly symbol: string;
  /** Gross exposure in base currency (see exposureOf). */
  readonly exposure: number;
  /** exposure / gross exposure of the book. */
  readonly share: number;
}

/**
 * A position's gross exposure in base: |value| for stocks, funds, bonds, commodities; the notional |q·m·price| for
 * futures and CFDs; the underlying notional |q·m·S| for options (not delta-weighted: TWS's delta is not in the book,
 * so a far out-of-the-money option counts in full, which errs toward naming it). CASH pairs and unknown types: 0.
 */
function exposureOf(book: Book, i: number): number {
  const p = book.positions[i]!;
  const fx = book.ledger.fx[p.currencyIndex]!;
  if (!(fx > 0)) return 0;
  let v: number;
  switch (p.cls.kind) {
    case 'option':
      v = p.qty * p.multiplier * p.underlying;
      break;
    case 'future':
    case 'cfd':
      v = p.qty * p.multiplier * p.price;
      break;
    case 'linear':
    case 'bond':
      v = p.nlvQuanta * QUANTUM;
      break;
    default:
      v = 0;
  }
  return Number.isFinite(v) ? Math.abs(v) * fx : 0;
}

/** Every underlying's gross exposure and share, largest first (ties by symbol). */
export function exposureByName(book: Book): NameExposure[] {
  const by = new Map<string, number>();
  let gross = 0;
  book.positions.forEach((p, i) => {
    const e = exposureOf(book, i);
    if (e === 0 || !p.cls.symbol) return;
    by.set(p.cls.symbol, (by.get(p.cls.symbol) ?? 0) + e);
    gross += e;
  });
  return [...by]
    .map(([symbol, exposure]) => ({ symbol, exposure, share: exposure / gross }))
    .sort((a, b) => b.exposure - a.exposure || (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0));
}

/**
 * `sym:NAME=−jump` and `+jump` for every underlying at or above `share` of gross exposure, largest first. A symbol
 * the scenario grammar cannot name (docs/scenarios.md) is skipped rather than mis-shocked.
 */
export function nameJumpScenarios(names: readonly NameExposure[], rules: ConcentrationRules): readonly Scenario[] {
  const out: Scenario[] = [];
  if (names.length < 2) return out; // one name is the whole book: the class ladder already moves it alone
  // The list follows the names at or above the share, in order, and the rules alone. The session asks on every pass
  // whose marks moved (its scenario list may need other names), and the names rarely change: the last list is kept.
  let key = `${rules.share}\u0000${rules.jump}`;
  for (const n of names) {
    if (n.share < rules.share) break;
    key += `\u0000${n.symbol}`;
  }
  if (lastJumps?.key === key) return lastJumps.list;
  for (const n of names) {
    if (n.share < rules.share) break;
    for (const m of [-rules.jump, rules.jump]) {
      const shocks: ScenarioShocks = { ...ZERO_SHOCKS, sym: { [n.symbol]: m } };
      const id = formatScenario(shocks);
      if (!parseShocks(id).ok) continue;
      out.push({
        id,
        family: 'asset',
        shocks,
        label: `${describeShocks(shocks)} (single-name jump: at least ${Math.round(rules.share * 100)}% of gross exposure)`,
      });
    }
  }
  lastJumps = { key, list: out };
  return out;
}

/** nameJumpScenarios' last list and what it followed (read-only: its holders copy what they change). */
let lastJumps: { readonly key: string; readonly list: readonly Scenario[] } | undefined;
