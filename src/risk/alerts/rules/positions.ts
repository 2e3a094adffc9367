// position.unexplained: a position that changed with no execution explaining it (transfers, assignments, other sessions).
import { contractLabel, type Contract } from '../../../model/contract.js';
import { Decimal, ZERO } from '../../../model/money.js';
import type { ExecutionRow } from '../../../model/state.js';
import { qty } from '../format.js';
import type { Finding, PositionsMemory } from '../types.js';
import type { StatefulRule } from './context.js';
import { sameRefs } from '../../../model/same-refs.js';

/*
 * A baseline of positions is reconciled with the executions seen since: for each contract,
 * position now = baseline + Σ new executions (BOT +, SLD −). When that holds, the baseline moves on.
 * When it does not, the difference is given `graceMs` to be explained, because executions of other
 * clients and manual orders only arrive with the next poll (README "Other clients' and manual TWS orders
 * are polled every 5 s") and a fill's EXECUTION_DATA and POSITION can arrive in either order. New
 * executions without any position change (the day's executions listed at start-up or after a
 * reconnect) are absorbed once older than the grace. An unexplained change stays listed for `holdMs`,
 * then becomes the new baseline. Nothing is checked while a positions snapshot is being received.
 */

const signed = (e: ExecutionRow) => (e.side === 'SLD' ? e.shares.neg() : e.shares);

export const positionsRule: StatefulRule<PositionsMemory> = (prev, ctx) => {
  const cfg = ctx.config.rules['position.unexplained'];
  const { state, now } = ctx;
  if (!cfg.enabled || !state.complete.positions) return { memory: prev, findings: [] };
  const reads = [cfg, state.positions, state.executions, state.account];
  // Nothing pending and nothing it reads changed: the same memory, no finding (what running it again would give).
  if (prev && sameRefs(settled.get(prev), reads)) return { memory: prev, findings: [] };
  const current = new Map<string, Decimal>();
  const contracts = new Map<string, Contract>();
  for (const r of state.positions.values()) {
    current.set(String(r.contract.conId), r.position);
    contracts.set(String(r.contract.conId), r.contract);
  }
  const mine = (e: ExecutionRow) => state.account === undefined || e.account === state.account;
  if (!prev) {
    const baseline: Record<string, string> = {};
    for (const [k, v] of current) baseline[k] = v.toString();
    const counted: Record<string, true> = {};
    for (const e of state.executions.values()) counted[e.execId] = true;
    const labels: Record<string, string> = {};
    for (const [k, c] of contracts) labels[k] = contractLabel(c);
    return { memory: settle({ baseline, counted, since: {}, labels }, reads), findings: [] };
  }
  const fresh = new Map<string, ExecutionRow[]>();
  for (const e of state.executions.values()) {
    if (prev.counted[e.execId] || !mine(e)) continue;
    const k = String(e.contract.conId);
    const list = fresh.get(k);
    if (list) list.push(e);
    else fresh.set(k, [e]);
    if (!contracts.has(k)) contracts.set(k, e.contract);
  }
  const baseline: Record<string, string> = { ...prev.baseline };
  const counted: Record<string, true> = { ...prev.counted };
  const since: Record<string, number> = {};
  const labels: Record<string, string> = { ...prev.labels };
  for (const [k, c] of contracts) labels[k] = contractLabel(c);
  const findings: Finding[] = [];
  const keys = [...new Set([...Object.keys(prev.baseline), ...current.keys(), ...fresh.keys()])].sort((a, b) => Number(a) - Number(b));
  for (const k of keys) {
    const was = prev.baseline[k] !== undefined ? new Decimal(prev.baseline[k]) : ZERO;
    const now_ = current.get(k) ?? ZERO;
    const execs = fresh.get(k) ?? [];
    const byExecs = execs.reduce((a, e) => a.add(signed(e)), ZERO);
    const delta = now_.sub(was);
    const accept = () => {
      if (now_.isZero()) delete baseline[k];
      else baseline[k] = now_.toString();
      for (const e of execs) counted[e.execId] = true;
    };
    if (delta.eq(byExecs)) {
      accept();
      continue;
    }
    if (delta.isZero() && execs.every((e) => now - e.updatedAt >= cfg.graceMs)) {
      // Executions with no position change, old enough: listed at start-up or after a reconnect, or another account's.
      for (const e of execs) counted[e.execId] = true;
      continue;
    }
    const start = prev.since[k] ?? now;
    if (now - start >= cfg.graceMs + cfg.holdMs) {
      accept();
      continue;
    }
    since[k] = start;
    if (now - start < cfg.graceMs) continue;
    const label = labels[k] ?? `conId ${k}`;
    const unexplained = delta.sub(byExecs);
    findings.push({
      id: `position.unexplained:${k}`,
      rule: 'position.unexplained',
      severity: cfg.severity,
      title:
        `Position in ${label} changed by ${qty(unexplained, true)} with no execution seen (was ${qty(was)}, now ${qty(now_)}` +
        (execs.length > 0 ? `; executions account for ${qty(byExecs, true)}` : '') +
        '): a trade in another session, a transfer, an exercise or an assignment',
      detail: {
        conId: Number(k),
        label,
        was: was.toString(),
        now: now_.toString(),
        executions: byExecs.toString(),
        unexplained: unexplained.toString(),
        since: start,
      },
    });
  }
  // Labels of contracts no longer in the baseline nor watched are dropped, so the memory does not grow for ever.
  for (const k of Object.keys(labels)) if (baseline[k] === undefined && since[k] === undefined && !current.has(k)) delete labels[k];
  return { memory: settle({ baseline, counted, since, labels }, reads), findings };
};

/**
 * What a memory with nothing pending (`since` empty) was computed from. Such a memory has every position in its baseline
 * and every execution of ours counted, so an evaluation of the same positions and executions gives it back unchanged
 * whatever the clock: the session evaluates 4 times a second, positions change when a trade does, and rebuilding the
 * memory (a label per contract, a Decimal per baseline row) was a fifth of the alert rules' time.
 */
const settled = new WeakMap<PositionsMemory, readonly unknown[]>();

function settle(memory: PositionsMemory, reads: readonly unknown[]): PositionsMemory {
  if (Object.keys(memory.since).length === 0) settled.set(memory, reads);
  return memory;
}
