// Replay markers: the moments a reviewer jumps between (alerts, disconnects, breaches, operator actions, orders, margin changes).
import { isOperatorStop, OPERATOR_STOP_REASON } from '../../model/connection.js';
import { contractLabel } from '../../model/contract.js';
import type { FeedEvent } from '../../model/events.js';
import { orderName } from '../../model/orders.js';
import { groupedQuantity } from '../../model/money.js';
import { contractPrice } from '../../model/price-text.js';

export type MarkerKind = 'alert' | 'disconnect' | 'breach' | 'operator' | 'order' | 'margin';

export interface Marker {
  readonly seq: number;
  readonly at: number;
  readonly kind: MarkerKind;
  /** One short line: what happened. */
  readonly label: string;
}

/** What the classifier remembers between events (an order seen, health, the sign of ExcessLiquidity). */
export interface MarkerMemory {
  health: string | undefined;
  excessNegative: boolean;
  readonly orders: Set<string>;
  /** The last maintenance requirement in the base currency, and whether a position changed since it came. */
  maint: number | undefined;
  positionsMoved: boolean;
}

export function newMarkerMemory(): MarkerMemory {
  return { health: undefined, excessNegative: false, orders: new Set(), maint: undefined, positionsMoved: false };
}

/** The event types markerOf looks at: a scan decodes only these. */
export const MARKER_EVENT_TYPES: ReadonlySet<string> = new Set([
  'alertChanged',
  'healthChanged',
  'brokerMessage',
  'accountValueUpdated',
  'accountSummaryUpdated',
  'operatorActed',
  'openOrderUpdated',
  'executionReceived',
  'positionUpdated',
]);

/**
 * A maintenance requirement that moves by this share or more with no position change in between is what a
 * house-margin change looks like from the account (IBKR raises an instrument's margin; nothing else moved). Price
 * moves shift it too, but by a few percent between two updates, not by a tenth.
 */
export const MARGIN_CHANGE_SHARE = 0.1;

/** TWS codes that are alerts in their own right (connectivity lost, read-only API, competing session). */
const ALERT_CODES = new Set([1100, 2110, 321, 326, 10197]);

function maintMargin(ev: FeedEvent, base: string | undefined): number | undefined {
  if (ev.type === 'accountValueUpdated' && ev.key === 'MaintMarginReq' && (ev.currency === base || ev.currency === 'BASE')) return Number(ev.value);
  if (ev.type === 'accountSummaryUpdated' && ev.tag === 'MaintMarginReq') return Number(ev.value);
  return undefined;
}

/** "MaintMarginReq 100,000 → 250,000 (+150%)" when the requirement jumped with no position change since the last value. */
function marginChange(ev: FeedEvent, mem: MarkerMemory, base: string | undefined): string | undefined {
  const now = maintMargin(ev, base);
  if (now === undefined || !Number.isFinite(now)) return undefined;
  const was = mem.maint;
  const moved = mem.positionsMoved;
  mem.maint = now;
  mem.positionsMoved = false;
  if (was === undefined || was <= 0 || moved || Math.abs(now - was) / was < MARGIN_CHANGE_SHARE) return undefined;
  const pct = Math.round(((now - was) / was) * 100);
  const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
  return `margin change: MaintMarginReq ${fmt(was)} → ${fmt(now)} (${pct > 0 ? '+' : ''}${pct}%) with no position change (house margin?)`;
}

function excessLiquidity(ev: FeedEvent, base: string | undefined): number | undefined {
  if (ev.type === 'accountValueUpdated' && ev.key === 'ExcessLiquidity' && (ev.currency === base || ev.currency === 'BASE')) return Number(ev.value);
  if (ev.type === 'accountSummaryUpdated' && ev.tag === 'ExcessLiquidity') return Number(ev.value);
  return undefined;
}

/**
 * The marker an event makes, if any. Transitions only: a disconnect when health leaves ready/degraded for a lower
 * state, a breach when ExcessLiquidity in the base currency turns negative, an order the first time it is seen.
 */
export function markerOf(ev: FeedEvent, mem: MarkerMemory, baseCurrency: string | undefined): Marker | undefined {
  const mk = (kind: MarkerKind, label: string): Marker => ({ seq: ev.seq, at: ev.receivedAt, kind, label });
  switch (ev.type) {
    case 'alertChanged': {
      if (ev.kind === 'cleared' || ev.kind === 'deescalated') return undefined;
      const title = ev.alert.title;
      const severity = ev.alert.severity;
      return mk('alert', `alert ${ev.kind}: ${String(severity ?? '')} ${String(title ?? '')}`.replace(/\s+/g, ' ').trim());
    }
    case 'healthChanged': {
      const was = mem.health;
      mem.health = ev.health;
      const up = was === 'ready' || was === 'degraded';
      if (up && (ev.health === 'disconnected' || ev.health === 'connecting' || ev.health === 'connected')) {
        // Ended here (a quit, a signal, the terminal gone) is not a lost connection: the marker says what ended it.
        const stopped = isOperatorStop({
          health: ev.health,
          ...(ev.cause ? { healthCause: ev.cause } : {}),
          ...(ev.reason ? { healthReason: ev.reason } : {}),
        });
        if (stopped) return mk('disconnect', `session ended: ${ev.reason ?? OPERATOR_STOP_REASON}`);
        return mk('disconnect', `connection lost: ${ev.health}${ev.reason ? ` (${ev.reason})` : ''}`);
      }
      return undefined;
    }
    case 'brokerMessage':
      return ALERT_CODES.has(ev.code) ? mk('alert', `TWS ${ev.code}: ${ev.message}`) : undefined;
    case 'positionUpdated':
      mem.positionsMoved = true;
      return undefined;
    case 'accountValueUpdated':
    case 'accountSummaryUpdated': {
      const margin = marginChange(ev, mem, baseCurrency);
      if (margin) return mk('margin', margin);
      const el = excessLiquidity(ev, baseCurrency);
      if (el === undefined || Number.isNaN(el)) return undefined;
      const was = mem.excessNegative;
      mem.excessNegative = el < 0;
      return !was && el < 0 ? mk('breach', `ExcessLiquidity below zero: ${ev.value}`) : undefined;
    }
    case 'operatorActed': {
      if (ev.action === 'note' || ev.action === 'alertHook') return undefined;
      const plan = 'planId' in ev.detail ? ev.detail.planId : undefined;
      const decision = ev.action === 'decision' ? ev.detail.decision : undefined;
      return mk('operator', `operator ${ev.action}${decision !== undefined ? ` ${decision}` : ''}${plan !== undefined ? ` (${plan})` : ''}`);
    }
    case 'openOrderUpdated': {
      const o = ev.order;
      const key = `${o.clientId}/${o.orderId}/${o.permId}`;
      if (mem.orders.has(key)) return undefined;
      mem.orders.add(key);
      // Prices as the panes show them (the contract's tick, grouped), the limit as sent: "SELL 2,000 7203 LMT 2,888.50".
      const limit = o.limitPrice && o.orderType.includes('LMT') ? ` ${contractPrice(o.limitPrice, o.contract, true)}` : '';
      return mk(
        'order',
        // Named as the Orders pane names it (a manual order's permanent id, the contract's label: ESH6, not ES).
        `order ${orderName(o.orderId, o.permId)} client ${o.clientId}: ${o.action} ${groupedQuantity(o.totalQuantity)} ${o.contract.symbol !== undefined ? contractLabel(o.contract) : o.contract.conId} ${o.orderType}${limit}`,
      );
    }
    case 'executionReceived':
      return mk(
        'order',
        `fill ${ev.side} ${groupedQuantity(ev.shares)} ${ev.contract.symbol !== undefined ? contractLabel(ev.contract) : ev.contract.conId} @ ${contractPrice(ev.price, ev.contract, true)}`,
      );
    default:
      return undefined;
  }
}

/** The marker after `seq` (strictly), or undefined. Markers are in seq order. */
export function nextMarker(markers: readonly Marker[], seq: number): Marker | undefined {
  let lo = 0;
  let hi = markers.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (markers[mid]!.seq <= seq) lo = mid + 1;
    else hi = mid;
  }
  return markers[lo];
}

/** The marker before `seq` (strictly), or undefined. */
export function prevMarker(markers: readonly Marker[], seq: number): Marker | undefined {
  let lo = 0;
  let hi = markers.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (markers[mid]!.seq < seq) lo = mid + 1;
    else hi = mid;
  }
  return lo > 0 ? markers[lo - 1] : undefined;
}
