// Operator events on the wire: the schema-2 check of each typed variant, and the upgrade of schema-1 free-JSON details.
import type { OperatorActionKind, OperatorDetail, OperatorEvent, ShownLeg } from './events.js';

type Obj = { readonly [k: string]: unknown };

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): v is string => typeof v === 'string';
const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const optStr = (v: unknown): boolean => v === undefined || str(v);
const optNum = (v: unknown): boolean => v === undefined || num(v);
const strOrNull = (v: unknown): boolean => v === null || str(v);
const strings = (v: unknown): v is readonly string[] => Array.isArray(v) && v.every(str);

/**
 * Keeps only the keys a variant names, in the order the detail holds them: a schema-1 detail that fits is read
 * as written (its bytes, and so the state folded from it, do not change), and a key from a later writer is dropped
 * rather than trusted.
 */
function pick(d: Obj, keys: readonly string[]): Obj {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(d)) if (keys.includes(k) && d[k] !== undefined) out[k] = d[k];
  return out;
}

function shownLeg(v: unknown): v is ShownLeg {
  return (
    isObj(v) &&
    num(v.conId) &&
    optStr(v.contract) &&
    str(v.action) &&
    str(v.quantity) &&
    str(v.orderType) &&
    (v.limitPrice === undefined || strOrNull(v.limitPrice))
  );
}

const LEG_KEYS = ['conId', 'contract', 'action', 'quantity', 'orderType', 'limitPrice'];

/** Each variant: does a detail fit it, and which keys it keeps. */
const SHAPES: { readonly [A in OperatorActionKind]: { readonly fits: (d: Obj) => boolean; readonly keys: readonly string[] } } = {
  armed: { fits: (d) => optNum(d.until) && str(d.by) && str(d.account), keys: ['until', 'by', 'account'] },
  disarmed: { fits: (d) => str(d.reason), keys: ['reason'] },
  dialogShown: {
    fits: (d) =>
      str(d.planId) &&
      optStr(d.scope) &&
      optStr(d.account) &&
      (d.legs === undefined || strings(d.legs) || (Array.isArray(d.legs) && d.legs.every(shownLeg))) &&
      (d.shown === undefined || (isObj(d.shown) && str(d.shown.title) && strings(d.shown.lines))),
    keys: ['planId', 'scope', 'account', 'legs', 'shown'],
  },
  decision: { fits: (d) => str(d.planId) && (d.decision === 'confirm' || d.decision === 'cancel') && optStr(d.by), keys: ['planId', 'decision', 'by'] },
  ordersSent: {
    fits: (d) => str(d.planId) && num(d.orderId) && num(d.conId) && str(d.action) && str(d.quantity) && str(d.orderType) && strOrNull(d.limitPrice),
    keys: ['planId', 'orderId', 'conId', 'action', 'quantity', 'orderType', 'limitPrice'],
  },
  cancelsSent: {
    fits: (d) =>
      str(d.planId) && (d.cancel === 'order' || d.cancel === 'client' || d.cancel === 'global') && Array.isArray(d.orderIds) && d.orderIds.every(num),
    keys: ['planId', 'cancel', 'orderIds'],
  },
  reconciled: {
    fits: (d) =>
      str(d.planId) &&
      num(d.orderId) &&
      optNum(d.clientId) &&
      optNum(d.conId) &&
      str(d.outcome) &&
      (d.filled === undefined || strOrNull(d.filled)) &&
      (d.execIds === undefined || strings(d.execIds)) &&
      (d.evidence === undefined || strOrNull(d.evidence)) &&
      optNum(d.at),
    keys: ['planId', 'orderId', 'clientId', 'conId', 'outcome', 'filled', 'execIds', 'evidence', 'at'],
  },
  denied: {
    fits: (d) => str(d.code) && str(d.message) && optStr(d.planId) && optNum(d.conId) && optNum(d.orderId) && optStr(d.action),
    keys: ['code', 'message', 'planId', 'conId', 'orderId', 'action'],
  },
  alertAcknowledged: { fits: (d) => strings(d.ids), keys: ['ids'] },
  recorderStopped: { fits: (d) => str(d.reason), keys: ['reason'] },
  alertHook: {
    fits: (d) =>
      str(d.hook) &&
      str(d.alert) &&
      str(d.kind) &&
      str(d.outcome) &&
      str(d.message) &&
      optStr(d.stderr) &&
      (d.exitCode === undefined || d.exitCode === null || num(d.exitCode)) &&
      (d.signal === undefined || strOrNull(d.signal)),
    keys: ['hook', 'alert', 'kind', 'outcome', 'message', 'stderr', 'exitCode', 'signal'],
  },
  note: { fits: (d) => str(d.text) && (d.recorder === undefined || d.recorder === 'budget'), keys: ['text', 'recorder'] },
};

/** The typed event, or undefined when `action` is unknown or `detail` does not fit its variant. */
export function operatorEventOf(action: unknown, detail: unknown): OperatorEvent | undefined {
  if (!str(action) || !Object.hasOwn(SHAPES, action) || !isObj(detail)) return undefined;
  const shape = SHAPES[action as OperatorActionKind];
  if (!shape.fits(detail)) return undefined;
  const keys = Object.keys(detail);
  // A fitting detail with no extra key is kept as the very object parsed (the common case: no copy per event).
  const exact = keys.every((k) => shape.keys.includes(k) && detail[k] !== undefined);
  return { action, detail: exact ? detail : pick(detail, shape.keys) } as OperatorEvent;
}

/** A schema-2 event's detail that does not fit its action: what the reader reports, naming the action. */
export function operatorProblem(action: unknown, detail: unknown): string | undefined {
  if (operatorEventOf(action, detail) !== undefined) return undefined;
  if (!str(action) || !Object.hasOwn(SHAPES, action)) return `unknown operator action ${JSON.stringify(action)}`;
  return `operator action ${action} has a detail that does not fit it (docs/recording-format.md "Operator events")`;
}

/**
 * A schema-1 operatorActed (action plus free JSON detail) as the typed event it meant (docs/recording-format.md
 * "Upgrading schema 1"). Never fails: a detail that fits no variant becomes a note carrying the action and the
 * detail's JSON text, so nothing recorded is lost and nothing is guessed.
 */
export function upgradeOperatorV1(action: unknown, detail: unknown): OperatorEvent {
  const d = isObj(detail) ? detail : undefined;
  if (d) {
    // Schema 1 said "recording stopped" and "cancels sent" as a note and an ordersSent with other fields.
    if (action === 'note' && d.recorder === 'stopped') return { action: 'recorderStopped', detail: { reason: str(d.reason) ? d.reason : 'write failed' } };
    if (action === 'note' && str(d.hook)) {
      const hook = operatorEventOf('alertHook', d);
      if (hook) return hook;
    }
    if (action === 'ordersSent' && d.cancel !== undefined) {
      const cancels = operatorEventOf('cancelsSent', d);
      if (cancels) return cancels;
    }
    // The console's dialogs named the plan `id` (plan-json.ts), with the whole plan JSON beside what was shown.
    if (action === 'dialogShown' && d.planId === undefined && str(d.id)) return { action, detail: dialogShownOf(d.id, d) };
  }
  const typed = operatorEventOf(action, detail);
  if (typed) return typed;
  const text = typeof detail === 'string' ? detail : JSON.stringify(detail ?? null);
  return { action: 'note', detail: { text: `${str(action) ? action : 'operator action'}: ${text}` } };
}

/**
 * What the recording keeps of a plan shown in a dialog: its id, scope, account, one line per order, and the title and
 * lines the operator read. The audit log keeps the whole plan (plan-json.ts); `plan` is that JSON.
 */
export function dialogShownOf(planId: string, plan: { readonly [k: string]: unknown }): OperatorDetail<'dialogShown'> {
  const legs = strings(plan.legs)
    ? plan.legs
    : Array.isArray(plan.legs) && plan.legs.every(shownLeg)
      ? plan.legs.map((l) => pick(l as unknown as Obj, LEG_KEYS) as unknown as ShownLeg)
      : undefined;
  const v = plan.shown;
  const shown = isObj(v) && str(v.title) && strings(v.lines) ? { title: v.title, lines: [...v.lines] } : undefined;
  return {
    planId,
    ...(str(plan.scope) ? { scope: plan.scope } : {}),
    ...(str(plan.account) ? { account: plan.account } : {}),
    ...(legs ? { legs } : {}),
    ...(shown ? { shown } : {}),
  };
}
