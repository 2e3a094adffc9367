// The detail view's commands: Enter on a row opens it in full; the list keys scroll it; the dialog's cancel closes it.
import { paneDetail } from '../rows/detail.js';
import type { CommandHandler } from './context.js';

export const detailCommands: CommandHandler = (ctx, command) => {
  const d = ctx.ui().dialog;
  if (d?.kind === 'detail') {
    if (command === 'dialog.cancel') ctx.dispatch({ type: 'closeDialog' });
    else if (command.startsWith('nav.')) {
      // The view model knows how far the wrapped text scrolls at this width; the state keeps only the top line.
      const s = ctx.vm().dialog?.scroll ?? { top: d.top, max: d.top, page: 1 };
      const next = {
        'nav.down': s.top + 1,
        'nav.up': s.top - 1,
        'nav.top': 0,
        'nav.bottom': s.max,
        'nav.pageDown': s.top + s.page,
        'nav.pageUp': s.top - s.page,
      }[command as string];
      if (next !== undefined) ctx.dispatch({ type: 'updateDialog', dialog: { ...d, top: Math.max(0, Math.min(s.max, next)) } });
    }
    // Nothing else reaches the panes under an open detail.
    return true;
  }
  if (command !== 'row.detail') return false;
  const u = ctx.ui();
  const v = ctx.vm();
  // What is on screen now; not when focus moved since (a key typed ahead of the render), to never show another pane's row.
  const pane = v.focus === u.focus ? v.panes[u.focus] : undefined;
  // On the Accounts pane, Enter selects the row: the other panes, the status bar and trading follow that account.
  const accounts = ctx.props().accounts;
  if (pane?.kind === 'list' && pane.pane === 'accounts' && accounts) {
    const id = pane.list.selectedId;
    // A frozen picture is of the account shown when it froze: showing another thaws, so bar and panes agree.
    if (id !== undefined && ctx.snapshot().frozen && id !== ctx.snapshot().accounts?.shown) ctx.props().store.toggleFreeze();
    if (id !== undefined && accounts.select(id))
      ctx.flash(id === 'all' ? 'All accounts selected: the sums are in the Accounts pane; trading needs one account' : `Showing account ${id}`);
    else ctx.flash('No account selected');
    return true;
  }
  const detail = pane ? paneDetail(pane, ctx.snapshot()) : undefined;
  if (!detail) ctx.flash(pane ? 'Nothing selected to show' : 'Nothing to show: the pane is not on screen');
  else ctx.dispatch({ type: 'openDialog', dialog: { kind: 'detail', title: detail.title, lines: detail.lines, top: 0 } });
  return true;
};
