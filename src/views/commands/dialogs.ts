// Answers to the open dialog (quit while armed, a trade dialog): confirm, cancel, and Enter or Esc on its text line.
import type { CommandHandler } from './context.js';
import { closeDialog, confirmTrade, openTradeDialog, planRead, submitTradeText } from './trading.js';

export const dialogCommands: CommandHandler = (ctx, command) => {
  const d = ctx.ui().dialog;
  switch (command) {
    case 'dialog.confirm':
      if (d?.kind === 'confirmQuit') ctx.quit();
      else if (d?.kind === 'trade' && d.phase === 'confirm') {
        // Nobody confirms orders they cannot see: a plan cut to fit the terminal must be read in full first.
        const hidden = ctx.vm().dialog?.hidden;
        if (hidden) ctx.flash(`${hidden} line(s) of this plan are not on screen; enlarge the terminal to read every order first`);
        else if (planRead(ctx, d, 'confirm')) confirmTrade(ctx, d);
      }
      return true;
    case 'dialog.cancel':
      closeDialog(ctx);
      return true;
    case 'input.cancel':
      if (!openTradeDialog(ctx)) return false;
      closeDialog(ctx);
      return true;
    case 'input.submit': {
      const t = openTradeDialog(ctx);
      if (!t) return false;
      submitTradeText(ctx, t);
      return true;
    }
    default:
      return false;
  }
};
