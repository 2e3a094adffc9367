// Commands about the console itself: quit (asking first while trading is armed), freeze the panes, redraw.
import { armedUntil } from '../rows/status.js';
import type { CommandHandler } from './context.js';

export const appCommands: CommandHandler = (ctx, command) => {
  switch (command) {
    case 'app.quit': {
      const s = ctx.snapshot();
      if (ctx.props().trading === 'trade' && armedUntil(s.live, s.now) !== undefined) ctx.dispatch({ type: 'openDialog', dialog: { kind: 'confirmQuit' } });
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
