// Trading commands and the trade dialog's answers: arm, disarm, flatten, reduce, cancel; confirm, decline, send once.
import { COMMANDS, type CommandId, type PaneId } from '../../keymap/bindings.js';
import { tradeDialogReducer, type TradeDialog, type TradeDialogAction } from '../trade-dialog.js';
import type { TradeTarget, TradingActions } from '../trading-actions.js';
import type { ViewModel } from '../view-model.js';
import type { CommandContext, CommandHandler } from './context.js';

function selectedId(vm: ViewModel, pane: PaneId): string | undefined {
  const p = vm.panes[pane];
  return p?.kind === 'list' ? p.list.selectedId : undefined;
}

/** The open trade dialog, if the open dialog is one. */
export function openTradeDialog(ctx: CommandContext): TradeDialog | undefined {
  const d = ctx.ui().dialog;
  return d?.kind === 'trade' ? d : undefined;
}

/**
 * Steps the open dialog through the pure reducer and shows the result. Progress replaces the dialog's content; any
 * other change opens it anew, so keys typed before it was on screen cannot answer it (App's dialog epoch).
 */
function step(ctx: CommandContext, action: TradeDialogAction): void {
  const current = ctx.ui().dialog;
  const next = tradeDialogReducer(current?.kind === 'trade' ? current : undefined, action);
  if (next === current) return;
  if (next === undefined) ctx.dispatch({ type: 'closeDialog' });
  else ctx.dispatch({ type: IN_PLACE.has(action.type) ? 'updateDialog' : 'openDialog', dialog: next });
}

/** Changes that keep the dialog on screen as it is (no new dialog epoch): progress, and the reading time's notes. */
const IN_PLACE: ReadonlySet<TradeDialogAction['type']> = new Set(['progress', 'ready', 'tooSoon']);

/** The open plan's reading time passed, or it restarts (the plan left the screen): the footer follows. */
export function planReady(ctx: CommandContext, planId: string, ready: boolean): void {
  step(ctx, { type: 'ready', planId, ready });
}

/**
 * Whether the open plan has been read: a confirm key (or a bulk word's Enter) before its reading time sends nothing,
 * is audited, and the dialog says so and stays open on the same locked plan, so a later key works.
 */
export function planRead(ctx: CommandContext, d: TradeDialog, what: 'confirm' | 'word'): boolean {
  const actions = ctx.props().trade;
  if (!actions || d.planId === undefined) return false;
  if (actions.readyIn(d.planId) <= 0) return true;
  step(ctx, { type: 'tooSoon', planId: d.planId, message: actions.tooSoon(d.planId, what) });
  return false;
}

const TRADE_COMMANDS: ReadonlySet<CommandId> = new Set<CommandId>([
  'trade.arm',
  'trade.disarm',
  'trade.flatten',
  'trade.flattenScope',
  'trade.reduce',
  'trade.cancel',
  'trade.cancelAll',
  'trade.globalCancel',
]);

/** A trading command: what it acts on is captured now (the selected row, the listed alerts), then the dialog opens. */
export const tradingCommands: CommandHandler = (ctx, command, arg) => {
  if (!TRADE_COMMANDS.has(command)) return false;
  const v = ctx.vm();
  const u = ctx.ui();
  const snap = ctx.snapshot();
  const id = selectedId(v, u.focus);
  const target: TradeTarget = {
    ...(command === 'trade.flatten' && id !== undefined && u.focus === 'positions' ? { conId: Number(id) } : {}),
    ...(command === 'trade.cancel' && id !== undefined && u.focus === 'orders' ? { orderKey: id } : {}),
    ...(command === 'trade.reduce' ? { alerts: snap.alerts ?? [] } : {}),
    ...(arg !== undefined ? { arg } : {}),
    // The picture the key was pressed on: the plan is built on live data, and its dialog names where they differ.
    ...(snap.frozen ? { frozen: { at: snap.frozen.at, state: snap.state } } : {}),
  };
  const { trade, onTrade } = ctx.props();
  if (trade) startTrade(ctx, trade, command, target);
  else if (onTrade) onTrade(command, target);
  else ctx.flash(`${COMMANDS[command].description}: trading is not wired into the console yet`);
  return true;
};

/** Opens the dialog a trading command asks for: arming, or the locked plan of a flatten or cancel. */
function startTrade(ctx: CommandContext, actions: TradingActions, command: CommandId, target: TradeTarget): void {
  const refused = actions.refuse?.(command);
  if (refused !== undefined) {
    ctx.flash(refused);
    return;
  }
  if (command === 'trade.arm') {
    if (target.arg !== undefined) ctx.flash(actions.arm(target.arg).message);
    else step(ctx, { type: 'arm', account: actions.account(), minutes: actions.armMinutes() });
    return;
  }
  if (command === 'trade.disarm') {
    actions.disarm();
    ctx.flash('Trading disarmed');
    return;
  }
  // A plan takes a risk pass over the book after the trade and an fsync'd audit line: on a loaded machine that is
  // most of a second, so the dialog is drawn first, saying so, and the plan built once that frame is written. The
  // plan then opens as a new dialog (App's dialog epoch), so no key typed meanwhile can answer it.
  step(ctx, { type: 'planning', title: PLANNING_TITLES[command] ?? COMMANDS[command].description });
  const pending = ctx.ui().dialog;
  const build = () => {
    // Closed (or replaced) before the plan was built: nothing is planned, shown or audited.
    if (ctx.ui().dialog !== pending) return;
    const plan = actions.preview(command, target);
    // Keys typed while the plan was built are still unread: a turn of the event loop reads them under the planning
    // dialog (which they cannot answer, and whose epoch drops them), and only then does the plan open. Opened at
    // once, a y typed during the build was read after it and stamped with the plan's epoch: it confirmed the plan.
    setImmediate(() => {
      if (ctx.ui().dialog !== pending) return;
      if (typeof plan !== 'string') step(ctx, { type: 'plan', plan });
      else {
        step(ctx, { type: 'close' });
        ctx.flash(plan);
      }
    });
  };
  ctx.afterFrame(() => {
    const waiting = actions.pending?.(command);
    if (waiting) void waiting.then(build);
    else build();
  });
}

const PLANNING_TITLES: Partial<Record<CommandId, string>> = {
  'trade.flatten': 'Flatten',
  'trade.flattenScope': 'FLATTEN',
  'trade.reduce': 'Reduce leverage',
  'trade.cancel': 'Cancel order',
  'trade.cancelAll': 'Cancel all orders of this client',
  'trade.globalCancel': 'Global cancel',
};

/** Enter in a dialog that takes text: the arming code, or the word that unlocks a bulk plan's confirm key. */
export function submitTradeText(ctx: CommandContext, d: TradeDialog): void {
  const actions = ctx.props().trade;
  if (!actions) return;
  if (d.phase === 'arm') {
    const typed = d.input ?? '';
    const r = actions.arm(typed);
    if (r.ok) {
      ctx.dispatch({ type: 'closeDialog' });
      ctx.flash(r.message);
    } else step(ctx, { type: 'armRefused', typed, message: r.message });
    return;
  }
  if (d.phase === 'word' && planRead(ctx, d, 'word')) step(ctx, { type: 'submitWord' });
}

/** Cancel: a plan under review is declined (audited); orders on the way keep the dialog open until their outcome. */
export function closeDialog(ctx: CommandContext): void {
  const d = openTradeDialog(ctx);
  if (d?.planId !== undefined && (d.phase === 'confirm' || d.phase === 'word')) ctx.props().trade?.decline(d.planId);
  step(ctx, { type: 'close' });
}

/** One dialog, one send: the phase leaves 'confirm' before anything else happens, so a repeated key finds nothing. */
export function confirmTrade(ctx: CommandContext, d: TradeDialog): void {
  const actions = ctx.props().trade;
  const planId = d.planId;
  if (!actions || planId === undefined) return;
  step(ctx, { type: 'send' });
  void actions
    .confirm(planId, (p) => step(ctx, { type: 'progress', planId, planLines: d.lines, rows: p.rows }))
    .then(
      (outcome) => step(ctx, { type: 'outcome', confirmed: d, outcome }),
      (e: unknown) => step(ctx, { type: 'failed', confirmed: d, message: (e as Error).message }),
    );
}
