// What the console's trading dialogs may ask of the trading wiring: actions passed in, never imported (issue 7).
import type { CommandId } from '../keymap/bindings.js';
import type { Alert } from '../risk/alerts/index.js';
import type { PortfolioState } from '../model/state.js';

/** What a trading command acts on, captured when the key is pressed. */
export interface TradeTarget {
  readonly conId?: number;
  readonly orderKey?: string;
  /** Text typed after the command in the palette (`:trade.arm 4567`, `:trade.flattenScope currency:EUR`). */
  readonly arg?: string;
  /** trade.reduce: the alerts listed when the command was given (the reduction offered is one of theirs). */
  readonly alerts?: readonly Alert[];
  /**
   * Set when the panes were frozen at the key press: when they froze and the state they show, the picture the
   * operator acted on. The plan is still built on the live state; the dialog names where the two differ.
   */
  readonly frozen?: { readonly at: number; readonly state: PortfolioState };
}

/**
 * Starts a dialog line about something the plan makes worse (after-flatten.ts): the dialog draws it in the theme's
 * warning colour, and the words carry it where there is no colour (NO_COLOR, mono, a recording read as text).
 */
export const WORSE_MARK = '! WORSE: ';

/**
 * Starts the dialog's first line when the panes were frozen as it opened (docs/trading.md "Frozen panes"): the plan is
 * on the live state, and the line names what differs from the frozen screen. Drawn in the danger colour.
 */
export const FROZEN_MARK = 'Panes FROZEN since ';

/**
 * Start the two lines of the account's figures before and after a flatten (after-flatten.ts afterLines): the most
 * read lines of a plan under review, which the dialog and the replay strip keep when a long plan is cut.
 */
export const PICTURE_NOW = 'now:  ';
export const PICTURE_AFTER = 'after:';

/** Whether a plan line is the account's figures now or after the flatten (see PICTURE_NOW). */
export function isPictureLine(text: string): boolean {
  return text.startsWith(PICTURE_NOW) || text.startsWith(PICTURE_AFTER);
}

/** A leg's mark as locked in the plan: the dialog shows its age, read again on every publish, and the live mark beside it. */
export interface PreviewMark {
  readonly conId: number;
  readonly label: string;
  /** The locked mark, as text (contract currency). */
  readonly price: string;
  /** When it arrived (ms) and how old it may get before confirming is refused (MARK_STALE). */
  readonly at: number;
  readonly limitMs: number;
}

/** A plan as the dialog shows it; the wiring keeps the plan itself (with its fingerprint) under `id`. */
export interface PreviewPlan {
  readonly id: string;
  readonly title: string;
  readonly lines: readonly string[];
  /** A word to type before the confirm key works (bulk scopes: FLATTEN). */
  readonly word?: string;
  /** Each leg's mark with its arrival time (flatten and reduce plans). */
  readonly marks?: readonly PreviewMark[];
  /** How long the plan must be on screen before it can be confirmed (ms): the footer says so until then. */
  readonly readMs?: number;
  /** How many leading lines are what is sent (the dialog keeps them on screen; see UiState's trade dialog). */
  readonly orderLines?: number;
}

/** One order being followed after the send. */
export interface ProgressRow {
  readonly label: string;
  readonly status: string;
}

export interface TradeProgress {
  readonly rows: readonly ProgressRow[];
  readonly done: boolean;
  /** Final lines: outcome per order, flat or not, refusals. */
  readonly lines: readonly string[];
}

export type ConfirmOutcome =
  /** Refused before anything was sent; `replan` is the new plan to review (TARGET_CHANGED). */
  | { readonly kind: 'refused'; readonly message: string; readonly replan?: PreviewPlan; readonly tooSoon?: true }
  | { readonly kind: 'sent'; readonly lines: readonly string[]; readonly flat?: boolean };

export interface TradingActions {
  /** The account the arming dialog asks about (the dialog shows it masked, asks for its last four characters). */
  account(): string | undefined;
  /** How long an arming lasts (the settings' `trading.armMinutes`): the arming dialog says so. */
  armMinutes(): number;
  arm(typed: string): { readonly ok: true; readonly message: string } | { readonly ok: false; readonly message: string };
  disarm(): void;
  /** Plans what a trading command would do and locks it; a string is a refusal to show. */
  preview(command: CommandId, target: TradeTarget): PreviewPlan | string;
  /**
   * What a command's plan still waits for (the price ladders arming asked TWS for, TradingSession.fetchTicks), or
   * undefined: the plan is built once it settles (bounded), under the planning dialog, rather than refused as
   * TICKS_PENDING to an operator who pressed the key a moment after arming.
   */
  pending?(command: CommandId): Promise<void> | undefined;
  /**
   * The frame showing this plan, every order on it, is written: its reading time starts now (restarting if it had
   * left the screen), and `ready` runs once it has passed. Returns what to call when the plan leaves the screen (a
   * resize cuts an order, the dialog closes or shows another plan): its reading time starts again when it is back.
   */
  onScreen(planId: string, ready: () => void): () => void;
  /** How long until the plan may be confirmed (ms; Infinity while it is not on screen, 0 once read). */
  readyIn(planId: string): number;
  /**
   * A confirm key (or a bulk word's Enter, `what: 'word'`) before the reading time passed: nothing is sent, the plan
   * stays locked, the refusal is audited (a `decision` of `tooSoon` with its reason). Returns what the dialog says.
   */
  tooSoon(planId: string, what: 'confirm' | 'word'): string;
  /**
   * The operator confirmed: guard, send once, follow. `progress` reports each order while it is followed. A confirm
   * before the reading time passed is refused (`tooSoon`), whatever the dialog showed.
   */
  confirm(planId: string, progress: (p: TradeProgress) => void): Promise<ConfirmOutcome>;
  /**
   * IBKR's what-if line for a shown flatten plan (its post-flatten requirement beside ours), or undefined when TWS is
   * not asked (not a `--trade` session, or not a flatten); "asking…" until TWS answers.
   */
  whatIf?(planId: string): string | undefined;
  /** The operator cancelled the dialog (audited as a decision). */
  decline(planId: string): void;
  /** Why this command cannot open a dialog now (several accounts and no one of them selected), or undefined. */
  refuse?(command: CommandId): string | undefined;
}
