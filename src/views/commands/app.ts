// Commands about the console itself: quit (asking first while trading is armed), freeze the panes, redraw.
import { armedElsewhere, armedUntil } from '../rows/status.js';
import type { CommandHandler } from './context.js';

export const appCommands: CommandHandler = (ctx, command) => {
  switch (command) {
    case 'app.quit': {
      const s = ctx.snapshot();
      // With several accounts, any one armed asks first, shown or not.
      const armed = armedUntil(s.live, s.now) !== undefined || armedElsewhere(s.accounts, s.now).length > 0;
      if (ctx.props().trading === 'trade' && armed) ctx.dispatch({ type: 'openDialog', dialog: { kind: 'confirmQuit' } });
      else ctx.quit();
      return true;
    }
    case 'view.freeze':
      ctx.props().store.toggleFreeze();
      return true;
    case 'view.redraw':
      // The same whole-screen repaint a resize gets (render-console.tsx), on demand.
      ctx.props().onResized?.();
      return true;
    default:
      return false;
  }
};
