// foreign.client and manual.order: orders and fills on this account that this console did not place.
import { contractLabel } from '../../../model/contract.js';
import { TERMINAL_STATUSES } from '../../../model/orders.js';
import type { ExecutionRow, OrderRow } from '../../../model/state.js';
import { ZERO } from '../../../model/money.js';
import { contractPrice } from '../../../model/price-text.js';
import { qty } from '../format.js';
import type { Finding } from '../types.js';
import type { RuleContext } from './context.js';

/*
 * Every OPEN_ORDER and EXECUTION_DATA carries the API client id that placed it; client id 0 with no API
 * order id (TWS gives manual orders none, or a negative one) is an order typed into TWS
 * (reference/tws-protocol.md). Ours is the connection's client id unless the caller says otherwise;
 * `expectedClientIds` are other programs allowed to trade (a hedging bot). One alert per foreign client
 * id, one per manual order (by permId, which its fills carry too). An order counts while it is open or
 * for `holdMs` after its last update; a fill for `holdMs` after it arrived. At start-up the day's
 * executions are listed again, so a foreign fill of the last `holdMs` shows once more; older ones do not.
 */

function isManual(clientId: number, orderId: number): boolean {
  return clientId === 0 && orderId <= 0;
}

function isOpen(o: OrderRow): boolean {
  return !TERMINAL_STATUSES.has(o.status) && o.listed !== false;
}

function describeOrder(o: OrderRow): string {
  const i = o.info;
  if (!i) return `order ${o.orderId || `perm ${o.permId}`} (${o.status})`;
  // Prices as the panes show them (the contract's tick, grouped: 5,305.75), the limit as sent.
  const px = i.orderType === 'LMT' && i.limitPrice ? ` at ${contractPrice(i.limitPrice, i.contract, true)}` : '';
  return `${i.action} ${qty(i.totalQuantity)} ${contractLabel(i.contract)} ${i.orderType}${px} (${o.status})`;
}

function describeFill(e: ExecutionRow): string {
  return `${e.side === 'BOT' ? 'bought' : 'sold'} ${qty(e.shares)} ${contractLabel(e.contract)} at ${contractPrice(e.price, e.contract, true)}${e.time ? `, TWS time ${e.time}` : ''}`;
}

interface Activity {
  orders: OrderRow[];
  fills: ExecutionRow[];
  last: number;
}

function add(map: Map<string, Activity>, key: string, at: number, o?: OrderRow, e?: ExecutionRow): void {
  let a = map.get(key);
  if (!a) map.set(key, (a = { orders: [], fills: [], last: 0 }));
  if (o) a.orders.push(o);
  if (e) a.fills.push(e);
  a.last = Math.max(a.last, at);
}

export function activityRules(ctx: RuleContext): Finding[] {
  const { state, now } = ctx;
  const fc = ctx.config.rules['foreign.client'];
  const mc = ctx.config.rules['manual.order'];
  if (!fc.enabled && !mc.enabled) return [];
  const ours = ctx.ourClientId ?? state.endpoint?.clientId;
  const expected = new Set([...(ctx.expectedClientIds ?? []), ...fc.expectedClientIds]);
  const otherAccount = (account: string | undefined) => account !== undefined && state.account !== undefined && account !== state.account;
  const foreign = new Map<string, Activity>();
  const manual = new Map<string, Activity>();
  const classify = (clientId: number, orderId: number, permId: number): { map: Map<string, Activity>; key: string } | undefined => {
    if (isManual(clientId, orderId)) return mc.enabled ? { map: manual, key: `perm:${permId}` } : undefined;
    if (!fc.enabled || ours === undefined || clientId === ours || expected.has(clientId)) return undefined;
    return { map: foreign, key: String(clientId) };
  };
  for (const o of state.orders.values()) {
    if (otherAccount(o.info?.account)) continue;
    const hold = isManual(o.clientId, o.orderId) ? mc.holdMs : fc.holdMs;
    if (!isOpen(o) && now - o.updatedAt > hold) continue;
    const c = classify(o.clientId, o.orderId, o.permId);
    if (c) add(c.map, c.key, o.updatedAt, o);
  }
  for (const e of state.executions.values()) {
    if (otherAccount(e.account)) continue;
    const hold = isManual(e.clientId, e.orderId) ? mc.holdMs : fc.holdMs;
    if (now - e.updatedAt > hold) continue;
    const c = classify(e.clientId, e.orderId, e.permId);
    if (c) add(c.map, c.key, e.updatedAt, undefined, e);
  }
  const out: Finding[] = [];
  // By client id or permId as numbers, so that the order of the list never depends on how they print.
  const num = (k: string) => Number(k.slice(k.lastIndexOf(':') + 1));
  const sorted = (m: Map<string, Activity>) => [...m.entries()].sort(([a], [b]) => num(a) - num(b));
  for (const [clientId, a] of sorted(foreign)) {
    const open = a.orders.filter(isOpen);
    const fills = [...a.fills].sort((x, y) => x.updatedAt - y.updatedAt || (x.execId < y.execId ? -1 : 1));
    const parts: string[] = [];
    if (fills.length > 0) parts.push(`${fills.length === 1 ? 'a fill' : `${fills.length} fills`} (last: ${describeFill(fills[fills.length - 1]!)})`);
    if (open.length > 0)
      parts.push(`${open.length === 1 ? 'an open order' : `${open.length} open orders`} (${describeOrder(open[0]!)}${open.length > 1 ? ', …' : ''})`);
    if (parts.length === 0) parts.push(`${a.orders.length === 1 ? 'an order' : `${a.orders.length} orders`} (${describeOrder(a.orders[0]!)})`);
    out.push({
      id: `foreign.client:${clientId}`,
      rule: 'foreign.client',
      severity: fc.severity,
      title: `API client ${clientId}, neither ${ctx.ourName ?? 'this console'} (${ours}) nor an expected one, is trading this account: ${parts.join(' and ')}`,
      detail: {
        clientId: Number(clientId),
        ourClientId: ours ?? null,
        openOrders: open.map((o) => o.key),
        orders: a.orders.map((o) => o.key),
        executions: fills.map((e) => e.execId),
        lastAt: a.last,
      },
    });
  }
  for (const [key, a] of sorted(manual)) {
    const fills = a.fills;
    const order = a.orders[0];
    const filled = fills.reduce((sum, e) => sum.add(e.shares), ZERO);
    const what = order
      ? `${describeOrder(order)}${fills.length > 0 ? `, ${qty(filled)} filled` : ''}`
      : `${fills.length === 1 ? 'a fill' : `${fills.length} fills`} (last: ${describeFill(fills[fills.length - 1]!)})`;
    out.push({
      id: `manual.order:${key}`,
      rule: 'manual.order',
      severity: mc.severity,
      title: `An order was entered by hand in TWS: ${what}`,
      detail: {
        permId: Number(key.slice(5)),
        order: order?.key ?? null,
        status: order?.status ?? null,
        executions: fills.map((e) => e.execId),
        lastAt: a.last,
      },
    });
  }
  return out;
}
