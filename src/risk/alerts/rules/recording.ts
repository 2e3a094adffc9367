// recording.stopped: the flight recorder stopped (a write failed: a full disk, ENOSPC) or never started.
import type { RecordingMemory } from '../types.js';
import type { StatefulRule } from './context.js';

/*
 * The recorder's failure is a recorderStopped operator note in the state (console.ts noteRecordingStopped); as a
 * notice alone it rang nothing and ran no hook, and the session went on unrecorded with exit 0. As an alert it goes
 * where every alert goes: the bell and the hook, the Alerts pane, and the published stream where one is on (the local
 * recording is what stopped). A recorder does not restart, so the alert stays listed for the rest of the session: the
 * first stop seen is kept in the rule's memory, since the operator history is capped (ACTION_HISTORY) and 200 later
 * notes (a dead pager's hook failures) pushed the note out and cleared the alert while nothing was recorded. The
 * memory, not the state, keeps it: recordings fold, and their manifests hash, the state as before.
 */
export const recordingRule: StatefulRule<RecordingMemory> = (prev, ctx) => {
  const cfg = ctx.config.rules['recording.stopped'];
  const note = prev ? undefined : ctx.state.operatorActions.find((a) => a.action === 'recorderStopped');
  const stopped: RecordingMemory | undefined = prev ?? (note?.action === 'recorderStopped' ? { reason: note.detail.reason, at: note.at } : undefined);
  if (!stopped || !cfg.enabled) return { memory: stopped, findings: [] };
  return {
    memory: stopped,
    findings: [
      {
        id: 'recording.stopped',
        rule: 'recording.stopped',
        severity: cfg.severity,
        title: `Recording STOPPED: ${stopped.reason}; the session is no longer recorded`,
        detail: { reason: stopped.reason, at: stopped.at },
      },
    ],
  };
};
