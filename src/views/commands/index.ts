// The console's command runner: refuses what this session cannot do, then hands the command to its domain.
import { COMMANDS, commandEnabled, type CommandId } from '../../keymap/bindings.js';
import { alertCommands } from './alerts.js';
import { appCommands } from './app.js';
import type { CommandContext, CommandHandler } from './context.js';
import { detailCommands } from './detail.js';
import { dialogCommands } from './dialogs.js';
import { navigationCommands } from './navigation.js';
import { replayCommands, replayInfoCommands } from './replay.js';
import { tradingCommands } from './trading.js';

export type { CommandContext } from './context.js';

/** In order: an open detail view or dialog's answers first (Enter and Esc mean its own), the navigation last (it takes the rest). */
const HANDLERS: readonly CommandHandler[] = [
  replayInfoCommands,
  detailCommands,
  dialogCommands,
  replayCommands,
  tradingCommands,
  alertCommands,
  appCommands,
  navigationCommands,
];

export function runCommand(ctx: CommandContext, command: CommandId, arg?: string): void {
  const p = ctx.props();
  if (!commandEnabled(command, p.trading === 'trade', p.replay !== undefined)) {
    if (COMMANDS[command].needsReplay) ctx.flash(`Only in a replay (tws-risk replay FILE): ${COMMANDS[command].description}`);
    else if (p.mode === 'replay') ctx.flash(`A replay never trades: ${COMMANDS[command].description} does nothing here (the recording is read-only)`);
    else ctx.flash(`Needs --trade (this session is read-only): ${COMMANDS[command].description}`);
    return;
  }
  for (const handle of HANDLERS) if (handle(ctx, command, arg)) return;
}
