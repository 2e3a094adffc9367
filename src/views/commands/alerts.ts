// The Alerts and log pane's commands: acknowledging what is listed, and saying what that did.
import type { CommandHandler } from './context.js';

export const alertCommands: CommandHandler = (ctx, command) => {
  if (command !== 'alerts.ack') return false;
  const listed = ctx.snapshot().alerts?.length ?? 0;
  const acked = ctx.props().store.acknowledgeAlerts().length;
  if (acked > 0) ctx.flash(`Acknowledged ${acked} alert${acked === 1 ? '' : 's'} (listed, marked ack, until the condition clears)`);
  else ctx.flash(listed === 0 ? 'Nothing to acknowledge: no alert is listed' : 'Nothing to acknowledge: every listed alert is already acknowledged');
  return true;
};
