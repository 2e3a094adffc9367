// Panes, lists, help, the palette and the filter line: commands the UI reducer carries out, given what is on screen.
import type { PaneId } from '../../keymap/bindings.js';
import type { ListContext } from '../ui-state.js';
import { completePalette, paletteItems, resolvePalette, type ViewModel } from '../view-model.js';
import type { CommandHandler } from './context.js';

function listContext(vm: ViewModel, pane: PaneId): ListContext | undefined {
  const p = vm.panes[pane];
  if (!p) return undefined;
  if (p.kind === 'list') return p.list.context;
  if (p.kind === 'stress') return p.stress.list.context;
  if (p.kind === 'alerts') return p.alerts.list.context;
  return undefined;
}

/** The last domain: whatever no other handler took goes to the UI reducer. */
export const navigationCommands: CommandHandler = (ctx, command, arg) => {
  const u = ctx.ui();
  switch (command) {
    case 'input.complete': {
      if (u.overlay?.kind !== 'palette') return true;
      const done = completePalette(u.overlay.text);
      if (done !== undefined && done !== u.overlay.text) ctx.dispatch({ type: 'paletteLine', text: done });
      else ctx.dispatch({ type: 'command', command: 'input.next' });
      return true;
    }
    case 'input.cancel':
      ctx.dispatch({ type: 'command', command });
      return true;
    case 'input.next':
    case 'input.prev':
      if (!u.dialog) ctx.dispatch({ type: 'command', command });
      return true;
    case 'input.submit': {
      if (u.overlay?.kind !== 'palette') {
        ctx.dispatch({ type: 'command', command });
        return true;
      }
      // Enter runs what the line names, or the suggestion the operator moved to; never the top match by itself.
      const p = ctx.props();
      const items = paletteItems(p.bindings, p.trading === 'trade', u.overlay.text, p.replay !== undefined);
      const picked = u.overlay.picked ? items[Math.min(u.overlay.index, items.length - 1)] : undefined;
      const rest = u.overlay.text.trim().split(/\s+/).slice(1).join(' ');
      const r = resolvePalette(picked ? `${picked.command} ${rest}` : u.overlay.text);
      if (r.kind === 'run') {
        ctx.dispatch({ type: 'closeOverlay' });
        ctx.run(r.command, r.arg);
      } else if (r.kind === 'complete') ctx.dispatch({ type: 'paletteLine', text: r.text });
      else ctx.dispatch({ type: 'paletteLine', text: u.overlay.text, error: r.message });
      return true;
    }
    case 'pane.accounts':
      // A single-account console has no Accounts pane: say so rather than ignore the key.
      if (!u.accountsPane) {
        if (!u.overlay && !u.dialog) ctx.flash('One account is followed: the Accounts pane is there with --account all (or a list)');
        return true;
      }
      ctx.dispatch({ type: 'command', command });
      return true;
    default: {
      const v = ctx.vm();
      // Rows as last rendered; not when focus moved since (a key typed ahead of the render), to never mix panes.
      const list = v.focus === u.focus ? listContext(v, u.focus) : undefined;
      // Help moves from the top it shows: its state keeps G's 'to the end' unclamped, from which k or Ctrl-u went nowhere.
      const help = u.overlay?.kind === 'help' ? { rows: [], height: v.layout.bodyHeight, top: v.help?.top ?? 0 } : undefined;
      ctx.dispatch({ type: 'command', command, ...((help ?? list) ? { list: help ?? list } : {}), ...(arg !== undefined ? { arg } : {}) });
      return true;
    }
  }
};
