// Replay chrome: the transport bar, the recording's header and verification, and operator dialogs as recorded.
import type { PortfolioState } from '../../model/state.js';
import type { ReplayStatus } from '../../streams/replay/player.js';
import { speedLabel } from '../../streams/replay/player.js';
// Integers are grouped by money() rather than toLocaleString: ICU's number formatting would cost the replay's first frame
// some 20 ms of CPU (docs/performance.md "Start-up, fourth pass").
import { count, ellipsis, money, textWidth, wrap } from '../format.js';
import { groupedQuantity, groupedQuantityText } from '../../model/money.js';
import type { ListContext } from '../ui-state.js';
import type { Cell } from './common.js';
import { planCell, planCells } from '../trade-dialog.js';
import { FROZEN_MARK, isPictureLine } from '../trading-actions.js';

/** Recorded time of day in UTC (what `:goto` and `--at` take): "14:32:05". */
export function utcClock(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19);
}

function integrityCell(s: ReplayStatus): Cell {
  const i = s.integrity;
  switch (i.state) {
    case 'checking':
      return { text: `verifying${ellipsis()} ${money(i.events)} events`, slot: 'muted' };
    case 'sealed':
      return { text: '✓ sealed, chain verified', slot: 'risk.ok' };
    case 'unsealed':
      // A recording still being written grows after the check: what the player reads past it is not verified.
      return s.seq > i.summary.lastSeq
        ? { text: `⚠ UNSEALED · past the check (seq ${money(i.summary.lastSeq)}): unverified`, slot: 'risk.warn' }
        : { text: `⚠ UNSEALED after line ${i.summary.lines}`, slot: 'risk.warn' };
    case 'broken':
      return { text: `⚠ ${i.problem.toUpperCase()} at line ${i.line}`, slot: 'risk.breach' };
  }
}

/**
 * The line under the status bar: play state and speed, recorded time, position, markers, integrity, then the
 * player's last message. Cells are dropped from the right when the terminal is narrow; play state, time and a
 * broken file's warning always stay.
 */
export function replayBar(s: ReplayStatus, width: number): Cell[] {
  const state = s.seeking ? '⧗ seeking' : s.ended ? '■ end' : s.paused ? '‖ paused' : `▶ ${speedLabel(s.speed)}`;
  const speed = s.paused || s.ended || s.seeking ? ` ${speedLabel(s.speed)}` : '';
  const pos = s.lastSeq ? `#${money(s.seq)}/${money(s.lastSeq)}` : `#${money(s.seq)}`;
  const pct = s.lastAt !== undefined && s.lastAt > s.firstAt ? ` ${Math.round(((s.at - s.firstAt) / (s.lastAt - s.firstAt)) * 100)}%` : '';
  const passed = s.markers.filter((m) => m.seq <= s.seq).length;
  const cells: (Cell & { keep?: boolean })[] = [
    { text: ` ${state}${speed} `, slot: 'mode.replay', keep: true },
    { text: `${utcClock(s.at)} UTC`, slot: 'heading', keep: true },
    { text: `${pos}${pct}`, slot: 'muted' },
    { text: `◆ ${passed}/${s.markers.length}${s.integrity.state === 'checking' ? '+' : ''}`, slot: 'muted' },
  ];
  const integ = integrityCell(s);
  cells.push({ ...integ, keep: s.integrity.state === 'broken' || s.integrity.state === 'unsealed' });
  if (s.message) cells.push({ text: s.message, slot: 'flash' });
  const fits = (cs: readonly Cell[]) => cs.reduce((w, c) => w + textWidth(c.text) + 1, -1) <= width;
  let kept = cells;
  while (!fits(kept)) {
    const i = kept.map((c) => !c.keep).lastIndexOf(true);
    if (i < 0) break;
    kept = kept.filter((_, k) => k !== i);
  }
  return kept.map(({ keep: _k, ...c }) => c);
}

/** Keys named on the recording info's last line. */
export interface ReplayInfoKeys {
  readonly close: string;
  readonly play: string;
  readonly markers: string;
  readonly pick: string;
  readonly jump: string;
}

/** Where the marker list stands: rows it may take, and the selection and first row the UI state keeps. */
export interface MarkerListView {
  readonly room: number;
  readonly selectedId?: string;
  readonly top?: number;
  /** The terminal's width: the lines above the marker list wrap to the page's inside instead of being cut. */
  readonly columns?: number;
}

/**
 * The recording's header and what verification found, then every marker with its recorded time (UTC), kind and
 * text: shown when the file opens and on `i`. The list scrolls within `view.room` lines in all; the selection starts
 * at the next marker after the player's position. `list` is what the list keys move through (ui-state navigate).
 */
export function replayInfo(s: ReplayStatus, keys: ReplayInfoKeys, view: MarkerListView): { title: string; lines: Cell[]; list: ListContext } {
  const h = s.header;
  const lines: Cell[] = [
    { text: `File        ${s.file}` },
    { text: `Recorded    ${new Date(h.startedAtMs).toISOString().replace('T', ' ').slice(0, 19)} UTC by tws-risk ${h.appVersion} (schema ${h.schemaVersion})` },
    {
      text: `Source      ${h.source}${(s.account ?? h.account) ? ` · account ${s.account ?? h.account}` : ''}${(s.baseCurrency ?? h.baseCurrency) ? ` · base ${s.baseCurrency ?? h.baseCurrency}` : ''}`,
    },
  ];
  const i = s.integrity;
  lines.push({ text: '' });
  switch (i.state) {
    case 'checking':
      lines.push({ text: `Verifying the hash chain${ellipsis()} ${money(i.events)} events so far`, slot: 'muted' });
      break;
    case 'sealed':
      lines.push(
        {
          text: `✓ Sealed and verified: ${count(i.summary.events, 'event')}, seq ${i.summary.firstSeq}–${i.summary.lastSeq}, ${utcClock(i.summary.firstAt)}–${utcClock(i.summary.lastAt)} UTC`,
          slot: 'risk.ok',
        },
        { text: `  Footer: ${i.summary.footer?.reason ?? 'closed'}`, slot: 'muted' },
      );
      break;
    case 'unsealed':
      lines.push(
        { text: `⚠ UNSEALED: no footer after line ${i.summary.lines}${i.summary.truncatedTail ? ' (its last line was cut short)' : ''}.`, slot: 'risk.warn' },
        { text: '  The writer crashed or is still writing; every line up to there is intact.', slot: 'risk.warn' },
      );
      if (s.lastSeq !== undefined && s.lastSeq > i.summary.lastSeq)
        lines.push({
          text: `  Still being written: events after seq ${money(i.summary.lastSeq)} (${money(s.lastSeq - i.summary.lastSeq)} so far) arrived after the check and are played unverified; \`tws-risk verify\` the file once it is sealed.`,
          slot: 'risk.warn',
        });
      break;
    case 'broken': {
      // The message names file and line again (as verify prints it); the page has both above.
      const at = i.message.indexOf(`:${i.line}: `);
      const detail = at >= 0 ? i.message.slice(at + `:${i.line}: `.length) : i.message;
      lines.push(
        { text: `⚠ ${i.problem.toUpperCase()} at line ${i.line}: ${detail}`, slot: 'dialog.danger' },
        { text: `  Playback stops at the last good event (seq ${i.lastGoodSeq}, ${utcClock(i.lastGoodAt)} UTC).`, slot: 'dialog.danger' },
      );
      break;
    }
  }
  // What verification found is the page's point: wrapped, continued two cells in, never cut (the border and padding take 6).
  if (view.columns !== undefined) {
    const width = Math.max(20, view.columns - 6);
    lines.splice(
      0,
      lines.length,
      ...lines.flatMap((c) => (textWidth(c.text) <= width ? [c] : wrap(c.text, width - 2).map((text, k) => ({ ...c, text: k === 0 ? text : `  ${text}` })))),
    );
  }
  const markers = s.markers;
  const kinds = new Map<string, number>();
  for (const m of markers) kinds.set(m.kind, (kinds.get(m.kind) ?? 0) + 1);
  const footer: Cell[] = [
    { text: '' },
    { text: 'A replay never trades and never opens a socket.', slot: 'muted' },
    { text: '' },
    {
      text: `${markers.length > 0 ? `${keys.pick} picks a marker · ${keys.jump} jumps there · ` : ''}${keys.play} plays · ${keys.markers} markers · ${keys.close} closes this`,
      slot: 'key',
    },
  ];
  // The rows the list may take: what the header, the summary line and the footer leave, at least one.
  const height = Math.max(1, Math.min(markers.length, view.room - lines.length - 2 - footer.length));
  const rows = markers.map((m) => ({ id: String(m.seq), selectable: true }));
  let sel = view.selectedId === undefined ? -1 : rows.findIndex((r) => r.id === view.selectedId);
  if (sel < 0) {
    const next = markers.findIndex((m) => m.seq > s.seq);
    sel = next >= 0 ? next : markers.length - 1;
  }
  let top = Math.min(view.top ?? 0, Math.max(0, sel));
  if (sel >= top + height) top = sel - height + 1;
  top = Math.max(0, Math.min(top, Math.max(0, markers.length - height)));
  const shown = markers.slice(top, top + height);
  const where = markers.length > shown.length ? ` (${top + 1}–${top + shown.length} of ${markers.length})` : '';
  lines.push(
    { text: '' },
    {
      text: `Markers     ${markers.length === 0 ? 'none found' + (i.state === 'checking' ? ' yet' : '') : `${[...kinds].map(([k, n]) => `${n} ${k}`).join(' · ')} · times UTC${where}`}`,
    },
  );
  shown.forEach((m, k) => {
    const picked = top + k === sel;
    lines.push({ text: `${picked ? '▶' : ' '} ${utcClock(m.at)}  ${m.kind.padEnd(10)} ${m.label}`, ...(picked ? { slot: 'selection' as const } : {}) });
  });
  lines.push(...footer);
  const list: ListContext = { rows, height, top, ...(sel >= 0 ? { selected: rows[sel]!.id } : {}) };
  return { title: `Replay of ${s.file.split(/[\\/]/).pop()}`, lines, list };
}

/**
 * What a line of a replayed dialog is, for the strip that cuts a long one (view-model.ts replayStripFor): the plan's
 * heading, one of its orders (or cancels), one row of the account's figures now or after (with its worst loss), or
 * anything else.
 */
export type ReplayedRole = 'head' | 'order' | 'figures' | 'info';

export interface ReplayedDialog {
  readonly title: string;
  readonly lines: readonly Cell[];
  /** Each line's role, index for index. */
  readonly roles: readonly ReplayedRole[];
}

/**
 * The trading dialog the operator had open at the replay's position, rebuilt from the recorded operator actions: the
 * plan as shown (its recorded title and lines, or its legs for recordings that predate them), any refusal while it was
 * up, and TWS's state of the plan's orders. It is open from its dialogShown until the event that ended it on the
 * operator's screen: the plan's decision, the next dialogShown, or a disarm. Undefined when none was open then.
 * The view shows it beside the panes, never over them (a replay is for reading what happened around it).
 */
export function replayedDialog(state: PortfolioState): ReplayedDialog | undefined {
  const acts = state.operatorActions;
  let at = -1;
  for (let i = acts.length - 1; i >= 0 && at < 0; i--) if (acts[i]!.action === 'dialogShown') at = i;
  const d = acts[at];
  if (d?.action !== 'dialogShown') return undefined;
  const detail = d.detail;
  const planId = detail.planId;
  const after = acts.slice(at + 1);
  if (after.some((a) => a.action === 'disarmed' || (a.action === 'decision' && a.detail.planId === planId))) return undefined;
  const title = detail.shown?.title ?? `Plan ${planId}`.trim();
  const lines: Cell[] = [];
  const roles: ReplayedRole[] = [];
  const push = (role: ReplayedRole, ...cells: Cell[]) => {
    lines.push(...cells);
    roles.push(...cells.map(() => role));
  };
  if (detail.shown) {
    // A flatten's heading ("Account … · N cancel(s), M order(s)") is followed by its cancels, then one line per leg.
    const shown = detail.shown.lines;
    // A plan opened on frozen panes starts with the line saying so: kept like the figures, as the operator read it first.
    const frozen = shown[0]?.startsWith(FROZEN_MARK) ? 1 : 0;
    const head = detail.legs && shown[frozen]?.startsWith('Account ') ? frozen + 1 : frozen;
    let orders = head;
    while (head > frozen && shown[orders]?.startsWith('first cancel ')) orders++;
    orders += head > frozen ? (detail.legs?.length ?? 0) : 0;
    shown.forEach((l, i) => {
      // One clause a row, as the live dialog laid them out (view-model tradeDialog): a recorded "now: …; worst …" line
      // cut at the strip's edge lost the worst loss, which the operator had read on a row of its own.
      const role: ReplayedRole = i < frozen ? 'figures' : i < head ? 'head' : i < orders ? 'order' : isPictureLine(l) ? 'figures' : 'info';
      push(role, ...planCells(l));
    });
  } else {
    const legs = detail.legs ?? [];
    for (const leg of legs) {
      if (typeof leg === 'string') {
        push('order', { text: leg });
        continue;
      }
      const limit = leg.limitPrice !== undefined && leg.limitPrice !== null ? ` ${leg.limitPrice}` : '';
      push('order', {
        text: `${leg.action} ${groupedQuantityText(String(leg.quantity))} ${leg.contract ?? String(leg.conId)} ${leg.orderType}${limit}`
          .replace(/\s+/g, ' ')
          .trim(),
      });
    }
    if (legs.length === 0) push('head', { text: `plan ${planId}${detail.scope ? ` (${detail.scope})` : ''}` });
  }
  for (const a of after) {
    if (a.action === 'denied' && (a.detail.planId === undefined || a.detail.planId === planId))
      push('info', { text: `${utcClock(a.at)} refused: ${a.detail.message || a.detail.code}`, slot: 'dialog.danger' });
  }
  // What TWS acknowledged for the plan's orders at this time (our orders carry orderRef tws-risk:<plan id>).
  for (const o of state.orders.values()) {
    if (o.info?.orderRef !== `tws-risk:${planId}`) continue;
    push('info', {
      text: `TWS: order ${o.orderId} ${o.status}, filled ${groupedQuantity(o.filled)}${o.avgFillPrice ? ` @ ${o.avgFillPrice.toString()}` : ''}`,
      slot: o.status === 'Filled' ? 'risk.ok' : 'muted',
    });
  }
  push('info', { text: `Shown ${utcClock(d.at)} UTC; the operator had not decided yet (read-only replay: nothing here can be answered)`, slot: 'risk.warn' });
  return { title: `REPLAY · ${title}`, lines, roles };
}
