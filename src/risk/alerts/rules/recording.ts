// recording.stopped: the flight recorder stopped (a write failed: a full disk, ENOSPC) or never started.
import type { Finding } from '../types.js';
import type { RuleContext } from './context.js';

/*
 * The recorder's failure is a recorderStopped operator note in the state (console.ts noteRecordingStopped); as a
 * notice alone it rang nothing and ran no hook, and the session went on unrecorded with exit 0. As an alert it goes
 * where every alert goes: the bell and the hook, the Alerts pane, and the published stream where one is on (the local
 * recording is what stopped). It stays listed while the note is in the operator history, for the rest of the session
 * in practice: a recorder does not restart.
 */
export function recordingRule(ctx: RuleContext): Finding[] {
  const cfg = ctx.config.rules['recording.stopped'];
  if (!cfg.enabled) return [];
  const stopped = ctx.state.operatorActions.find((a) => a.action === 'recorderStopped');
  if (stopped?.action !== 'recorderStopped') return [];
  return [
    {
      id: 'recording.stopped',
      rule: 'recording.stopped',
      severity: cfg.severity,
      title: `Recording STOPPED: ${stopped.detail.reason}; the session is no longer recorded`,
      detail: { reason: stopped.detail.reason, at: stopped.at },
    },
  ];
}
