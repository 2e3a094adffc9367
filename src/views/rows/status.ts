// The status bar: source, endpoint, account, base currency, health with data age, trading state, freeze, clock.
import { accountLost, STALE_AFTER_MS } from '../../model/freshness.js';
import type { Decimal } from '../../model/money.js';
import { marketNow, type PortfolioState } from '../../model/state.js';
import type { Alert } from '../../risk/alerts/index.js';
import type { RiskResult } from '../../session/stress-model.js';
import type { FollowStatus } from '../../streams/nats/follow.js';
import { AFTER_PREVIOUS } from '../../streams/health.js';
import { age, clock, compactMoney, ellipsis, maskAccount, money, percent, textWidth, timeLeft, truncate, wordCut } from '../format.js';
import { accountRow, unreadable } from './account.js';
import type { AccountsView } from '../../session/accounts.js';
import type { Cell } from './common.js';

/** Where the console's data comes from (the status bar's first word). */
export type ConsoleMode = 'live' | 'paper' | 'demo' | 'replay' | 'follow';

/** Trading as the console knows it: read-only unless a trading mode was passed in (issue 7 wires arming). */
export type TradingMode = 'readOnly' | 'trade' | 'replay';

export interface StatusInput {
  readonly live: PortfolioState;
  readonly mode: ConsoleMode;
  readonly endpoint?: { readonly host: string; readonly port: number };
  readonly maskAccount: boolean;
  readonly trading: TradingMode;
  readonly now: number;
  readonly frozen?: { readonly at: number; readonly seq: number };
  /** Listed alerts: the status bar counts the critical and warning ones, so tabs never hide them. */
  readonly alerts?: readonly Alert[];
  /** Following an account from NATS (fleet --open): where from, and whether its publisher is still heard. */
  readonly follow?: FollowStatus;
  /** Several accounts followed: how many, and whether the aggregate row (no trading target) is selected. */
  readonly accounts?: { readonly count: number; readonly all: boolean; readonly index: number; readonly armedElsewhere?: readonly string[] };
  /**
   * A replay's account and base currency as the recording names them (player status): before its events bring them
   * into the state (at #0), the bar names the account being replayed rather than `account ?`.
   */
  readonly recording?: { readonly account?: string; readonly baseCurrency?: string };
}

/** Only ready and degraded connections carry current data (DESIGN.md "Ready gating"). */
function isConnectedAndSynced(h: PortfolioState['health']): boolean {
  return h === 'ready' || h === 'degraded';
}

/** Paper accounts start with D (DU…, DF…); ports 7497 and 4002 are TWS's and the Gateway's paper defaults. */
export function sourceLabel(mode: ConsoleMode, account: string | undefined, port: number | undefined): 'LIVE' | 'PAPER' | 'DEMO' | 'REPLAY' | 'FOLLOW' {
  if (mode === 'demo') return 'DEMO';
  if (mode === 'follow') return 'FOLLOW';
  if (mode === 'replay') return 'REPLAY';
  if (mode === 'paper') return 'PAPER';
  if (account) return /^D/i.test(account) ? 'PAPER' : 'LIVE';
  return port === 7497 || port === 4002 ? 'PAPER' : 'LIVE';
}

/** Age of the newest price-carrying update (quotes or portfolio marks), ms; undefined before any. */
export function dataAge(state: PortfolioState, now: number): number | undefined {
  const at = Math.max(state.lastUpdate.marketData ?? -Infinity, state.lastUpdate.portfolio ?? -Infinity);
  return Number.isFinite(at) ? Math.max(0, now - at) : undefined;
}

/** Is what the panes show stale? Not connected and synced, or no price update within the quote limit. */
export function dataStale(state: PortfolioState, now: number): boolean {
  const a = dataAge(state, now);
  return !isConnectedAndSynced(state.health) || accountLost(state) || a === undefined || a > (STALE_AFTER_MS.marketData ?? 30_000);
}

/** Armed until when, from the arming reduced from the recorded events (so a replay shows it too), unless it has passed. */
/** Accounts other than the one shown whose trading is armed now (several accounts followed). */
export function armedElsewhere(accounts: AccountsView | undefined, now: number): string[] {
  if (!accounts) return [];
  return accounts.rows.filter((r) => r.account !== accounts.shown && r.armedUntil !== undefined && r.armedUntil > now).map((r) => r.account);
}

export function armedUntil(state: PortfolioState, now: number): number | undefined {
  const a = state.arming;
  return a !== undefined && a.until > now ? a.until : undefined;
}

/**
 * Has the console noted that recording stopped (a write failed, or the recording could not start)? The note is an
 * operator-log fact (console.ts noteRecorderError), so the bar says it whichever pane is shown.
 */
export function recordingStopped(state: PortfolioState): boolean {
  return state.operatorActions.some((a) => a.action === 'recorderStopped');
}

/**
 * Why the connection is down and when the source tries again, for the status bar (seen whatever pane is shown, not
 * only in the connection pane): " (connection refused) next try in 4s". A replay counts down on recorded time. Why it
 * is degraded too (" (data lost: resubscribing after 1101)"): the guard holds its actions then, and the operator
 * should not have to open the connection pane to learn whether it will pass.
 */
export function downText(st: PortfolioState, now: number, reasonRoom = Infinity): string {
  const full = shownReason(st);
  if (full === undefined) return '';
  const reason = reasonRoom === Infinity ? full : wordCut(full, reasonRoom);
  // Reconnecting, how the last try ended: a TWS that accepts and never answers (its "accept incoming connection"
  // prompt) is CONNECTING ten seconds in eleven, and its reason showed only in the second between.
  if (st.health === 'connecting') return reason === '' ? '' : ` (last try: ${reason})`;
  const why = reason === '' ? '' : ` (${reason})`;
  if (st.healthRetryAt === undefined) return why;
  const wait = st.healthRetryAt - now;
  return `${why} ${wait > 0 ? `next try in ${age(wait + 999)}` : 'trying again now'}`;
}

/** The reason downText shows: why the connection is down, or reconnecting, how the last try ended. */
function shownReason(st: PortfolioState): string | undefined {
  if (st.healthReason === undefined) return undefined;
  if (st.health === 'disconnected' || st.health === 'degraded') return st.healthReason;
  if (st.health !== 'connecting') return undefined;
  const at = st.healthReason.indexOf(AFTER_PREVIOUS);
  return at < 0 ? undefined : st.healthReason.slice(at + AFTER_PREVIOUS.length);
}

/** Following from NATS: the server and publisher, then what is wrong first (our link, a gap, silence), else the last event's age. */
export function followCells(f: FollowStatus, now: number): (Cell & { drop: number })[] {
  const cells: (Cell & { drop: number })[] = [{ text: `NATS ${f.server} ← ${f.host}`, slot: 'muted', drop: 3 }];
  if (!f.connected) cells.push({ text: 'NATS DISCONNECTED', slot: 'risk.breach', drop: 0 });
  if (f.error) cells.push({ text: f.error, slot: 'risk.breach', drop: 0 });
  if (f.gap) cells.push({ text: ` GAP seq ${f.gap.after + 1}-${f.gap.next - 1} missing: reading it again `, slot: 'risk.breach', drop: 0 });
  if (f.restartedFrom !== undefined) cells.push({ text: 'publisher restarted: following its new session', slot: 'risk.warn', drop: 1 });
  if (f.silentMs !== undefined) cells.push({ text: ` publisher silent for ${age(f.silentMs)} `, slot: 'risk.breach', drop: 0 });
  else if (f.lastEventAt !== undefined) cells.push({ text: `last event ${age(Math.max(0, now - f.lastEventAt))} ago`, slot: 'data.live', drop: 1 });
  else cells.push({ text: 'waiting for the stream', slot: 'muted', drop: 1 });
  return cells;
}

/** TWS's clock this far from ours is another calendar (a demo's `--start`, a simulator), not a skew of seconds. */
export const MARKET_CLOCK_LABEL_MS = 60_000;

/**
 * The clock the data is in: TWS's (its last reported time offset applied to ours, model/state.ts `marketNow`), in
 * local time. Where it is not the wall clock (a demo pinned by `--start` reads a March afternoon in December), it
 * says so, with the date when the day differs too: `market 2026-03-02 14:30:05` (on a short bar the date goes first).
 */
export function sessionClock(st: Pick<PortfolioState, 'brokerTimeOffsetMs'>, now: number): { label?: string; date?: string; time: string } {
  const at = marketNow(st, now);
  if (Math.abs(at - now) < MARKET_CLOCK_LABEL_MS) return { time: clock(at) };
  const day = (ms: number) => {
    const d = new Date(ms);
    return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
  };
  return { label: 'market', ...(day(at) === day(now) ? {} : { date: day(at) }), time: clock(at) };
}

/**
 * A status cell and how a short bar treats it: `drop` levels go whole first (4, then 3, 2, 1); cells at level 0 then
 * take their `short` form (lowest `rank` first: padding and abbreviations at 1 to 3, which lose nothing; a frozen
 * time or other armed accounts' names at 4; why the connection is down, or the data's age wording, last at 5), and
 * only then does a cell with `shed` go whole (lowest first).
 */
type StatusCell = Cell & {
  drop: number;
  short?: { readonly text: string; readonly rank: number };
  shed?: number;
  /** The cell again with its free text (a disconnect's reason) in this many columns: tried before anything goes. */
  squeeze?: (room: number) => string;
  /** The free text's whole width. */
  reasonWidth?: number;
};

/**
 * Only a reason longer than LONG_REASON columns is ever cut, and only to MIN_REASON columns or more: a short one
 * ("connection refused") cut to "connection…" said less than the cells dropped instead, so it stays whole until the
 * ladder lets it go whole.
 */
const LONG_REASON = 40;
const MIN_REASON = 24;

/**
 * The status bar as cells in display order, fitted to `width`: the endpoint goes first, then the clock and the base
 * currency. Then state words shorten ("TRADE disarmed" to "DISARMED", "READY data 0s" to "READY 0s"), and then the
 * warning count and the account go whole: a 40-column bar never ends in a cut word such as "TRADE di…". The source,
 * health, critical count, trading state and FROZEN always stay.
 */
export function statusCells(s: StatusInput, width = Infinity): Cell[] {
  const st = s.live;
  const src = sourceLabel(s.mode, st.account, s.endpoint?.port ?? st.endpoint?.port);
  // A follow is drawn like a replay (a copy of someone else's session), and says where it comes from and how fresh.
  const cells: StatusCell[] = [
    {
      text: ` ${src} `,
      slot: (src === 'FOLLOW' ? 'mode.replay' : `mode.${src.toLowerCase()}`) as Cell['slot'],
      drop: 0,
      short: { text: src, rank: 1 },
    },
  ];
  const ep = s.follow ? undefined : (s.endpoint ?? st.endpoint);
  if (ep) cells.push({ text: `${ep.host}:${ep.port}`, slot: 'muted', drop: 3 });
  if (s.follow) cells.push(...followCells(s.follow, s.now));
  const account = st.account ?? s.recording?.account;
  const acct = account ? (s.maskAccount ? maskAccount(account) : account) : 'account ?';
  // With several accounts the bar names the one the panes show and trading targets, or says that none is targeted.
  cells.push({
    text: s.accounts ? (s.accounts.all ? `ALL ${s.accounts.count} accounts (panes: ${acct})` : `${acct} (${s.accounts.index} of ${s.accounts.count})`) : acct,
    drop: 0,
    ...(s.accounts ? { short: { text: s.accounts.all ? `ALL ${s.accounts.count}` : acct, rank: 2 } } : {}),
    shed: 2,
  });
  cells.push({ text: st.baseCurrency ?? s.recording?.baseCurrency ?? '---', slot: 'muted', drop: 1 });
  const health = st.health.toUpperCase();
  const a = dataAge(st, s.now);
  if (!isConnectedAndSynced(st.health)) {
    const old = a !== undefined ? ` data ${age(a)} old` : '';
    cells.push({
      text: `${health}${downText(st, s.now)}${old}`,
      slot: 'risk.breach',
      drop: 0,
      short: { text: health, rank: 5 },
      squeeze: (room) => `${health}${downText(st, s.now, room)}${old}`,
      reasonWidth: textWidth(shownReason(st) ?? ''),
    });
  } else {
    // Degraded: why, cut to the room left as a disconnection's reason is; the short form keeps the state alone.
    const why = (room = Infinity) => `${health}${downText(st, s.now, room)}`;
    const squeeze =
      st.health === 'degraded'
        ? { squeeze: (room: number) => `${why(room)}${dataStale(st, s.now) ? ' STALE' : ' data'} ${age(a)}`, reasonWidth: textWidth(shownReason(st) ?? '') }
        : {};
    if (dataStale(st, s.now))
      cells.push({ text: `${why()} STALE ${age(a)}`, slot: 'data.stale', drop: 0, short: { text: `STALE ${age(a)}`, rank: 5 }, ...squeeze });
    else
      cells.push({
        text: `${why()} data ${age(a)}`,
        slot: st.health === 'ready' ? 'data.live' : 'risk.warn',
        drop: 0,
        short: { text: `${health} ${age(a)}`, rank: 5 },
        ...squeeze,
      });
  }
  if (accountLost(st) && st.accountChange) {
    // The account cell still names the old account: say at once that the login in use is another one's.
    const show = (a: string) => (s.maskAccount ? maskAccount(a) : a);
    const now = st.accountChange.managed.map(show).join(',') || 'none';
    cells.push({
      text: ` ACCOUNT CHANGED: login manages ${now}, not ${show(st.accountChange.followed)} `,
      slot: 'risk.breach',
      drop: 0,
      short: { text: 'ACCOUNT CHANGED', rank: 4 },
    });
  }
  // The listed alert too: the note leaves the capped operator history after 200 others, the stop (and the alert) stays.
  if (s.mode !== 'replay' && (recordingStopped(st) || s.alerts?.some((a) => a.rule === 'recording.stopped')))
    cells.push({ text: 'REC STOPPED', slot: 'risk.warn', drop: 0, shed: 3 });
  const critical = s.alerts?.filter((a) => a.severity === 'critical').length ?? 0;
  const warning = s.alerts?.filter((a) => a.severity === 'warning').length ?? 0;
  if (critical > 0) cells.push({ text: ` ${critical} CRITICAL `, slot: 'risk.breach', drop: 0, short: { text: `${critical} CRIT`, rank: 3 } });
  // The Alerts pane lists the warnings: their count is the first fact a short bar gives up, after the short forms.
  if (warning > 0) cells.push({ text: `${warning} WARNING`, slot: 'risk.warn', drop: 0, short: { text: `${warning} WARN`, rank: 3 }, shed: 1 });
  const until = armedUntil(st, s.now);
  if (s.trading === 'trade' && until !== undefined) {
    const left = timeLeft(until - s.now);
    cells.push({ text: ` ARMED ${left} `, slot: 'mode.armed', drop: 0, short: { text: `ARMED ${left}`, rank: 3 } });
  } else if (s.trading === 'trade') cells.push({ text: 'TRADE disarmed', slot: 'mode.readOnly', drop: 0, short: { text: 'DISARMED', rank: 3 } });
  else cells.push({ text: 'READ-ONLY', slot: 'mode.readOnly', drop: 0 });
  // Another account than the one shown is armed: said, so an arming is never out of sight.
  const elsewhere = s.trading === 'trade' ? (s.accounts?.armedElsewhere ?? []) : [];
  if (elsewhere.length > 0) {
    const show = (a: string) => (s.maskAccount ? maskAccount(a) : a);
    cells.push({
      text: ` ARMED ALSO ${elsewhere.map(show).join(',')} `,
      slot: 'mode.armed',
      drop: 0,
      short: { text: `ARMED ALSO ${elsewhere.length}`, rank: 4 },
    });
  }
  if (s.frozen)
    cells.push({
      text: ` FROZEN ${clock(s.frozen.at)} +${st.lastSeq - s.frozen.seq} `,
      slot: 'mode.frozen',
      drop: 0,
      short: { text: `FROZEN +${st.lastSeq - s.frozen.seq}`, rank: 4 },
    });
  // A replay's clock is recorded time, in UTC like `:goto` and `--at`; live clocks are local.
  if (s.mode === 'replay') cells.push({ text: `${new Date(s.now).toISOString().slice(11, 19)} UTC`, slot: 'muted', drop: 2 });
  else {
    // The market's date goes first when the bar is short (before the endpoint); the word "market" stays with the time.
    const c = sessionClock(st, s.now);
    if (c.label) cells.push({ text: c.label, slot: 'muted', drop: 2 });
    if (c.date) cells.push({ text: c.date, slot: 'muted', drop: 4 });
    cells.push({ text: c.time, slot: 'muted', drop: 2 });
    // Two calendars on one screen (a demo pinned by --start): the log's, the arming's and FROZEN's times are this
    // console's clock, the executions' TWS's; both clocks named side by side (a trial could not tell which was which).
    if (c.label) cells.push({ text: `· console ${clock(s.now)}`, slot: 'muted', drop: 4 });
  }
  let kept = cells;
  const barWidth = (cs: readonly Cell[]) => cs.reduce((w, c) => w + textWidth(c.text) + 1, -1);
  const fits = (cs: readonly Cell[]) => barWidth(cs) <= width;
  // A long reason (a handshake that timed out says why in 120 columns) is cut between words to the room the other
  // cells leave, tried before each cell goes; it goes whole (the countdown kept) only before the health's short form.
  const squeezed = (cs: StatusCell[], whole: boolean): StatusCell[] => {
    const cell = cs.find((c) => c.squeeze !== undefined);
    if (!cell?.squeeze) return cs;
    const bare = cell.squeeze(0);
    const reasonWidth = cell.reasonWidth ?? 0;
    const long = reasonWidth > LONG_REASON;
    // What surrounds the reason in the cell (" (", "last try: ", ")").
    const frame = textWidth(cell.squeeze(Infinity)) - textWidth(bare) - reasonWidth;
    const room = width - (barWidth(cs) - textWidth(cell.text)) - textWidth(bare) - frame;
    const cut = long && room >= MIN_REASON;
    if (!cut && !whole) return cs;
    return cs.map((c) => (c === cell ? { ...c, text: cut ? cell.squeeze!(room) : bare } : c));
  };
  const squeezeFits = (whole: boolean): boolean => {
    const cut = squeezed(kept, whole);
    if (fits(cut)) kept = cut;
    return fits(kept);
  };
  for (const level of [4, 3, 2, 1]) if (!fits(kept) && !squeezeFits(false)) kept = kept.filter((c) => c.drop !== level);
  // Still too long: state words shorten, least important first, then whole facts go; none is left to the edge to cut.
  const ranks = [...new Set(kept.flatMap((c) => (c.short ? [c.short.rank] : [])))].sort((x, y) => x - y);
  for (const rank of ranks) {
    if (fits(kept) || (rank >= 4 && squeezeFits(rank >= 5))) break;
    kept = kept.map((c) => (c.short?.rank === rank ? { ...c, text: c.short.text } : c));
  }
  const sheds = [...new Set(kept.flatMap((c) => (c.shed !== undefined ? [c.shed] : [])))].sort((x, y) => x - y);
  for (const shed of sheds) if (!fits(kept)) kept = kept.filter((c) => c.shed !== shed);
  return kept.map(({ drop: _d, short: _s, shed: _x, squeeze: _q, reasonWidth: _w, ...c }) => c);
}

/**
 * Are the account's figures (NetLiquidation, ExcessLiquidity, Cushion) not current? They are TWS's, sent over the
 * connection: whenever it is not usable (down, reconnecting, not yet synchronised), the login no longer manages the
 * account, or TWS says it lost IB's servers (1100: its data is not updating). Their own age is not judged while
 * connected: TWS sends account values on change and every few minutes, so a quiet account's are current though old.
 */
export function figuresStale(state: PortfolioState): boolean {
  return !isConnectedAndSynced(state.health) || accountLost(state) || state.healthCause === 'connectivityLost';
}

/**
 * The figures line under the status bar (issue 16 item 2): NetLiquidation, ExcessLiquidity, Cushion and the worst
 * stress result, with BREACH and how many scenarios breach, on screen whatever pane is focused or shown. Fitted to
 * `width` by shortening: long labels and whole amounts first, then short labels and compact amounts with the worst
 * loss before its scenario's name, then that name cut, then dropped. Only a terminal too narrow for all that (40
 * columns) loses whole figures, NetLiquidation first, then Cushion, then ExcessLiquidity: never part of a number.
 *
 * Figures that are not current (figuresStale) open the line with STALE and their age, "STALE as of 2m ago" (short:
 * "STALE 2m"), and their amounts take the stale colour: a number on screen while the connection is down must not read
 * as current. `at.now` is the clock the ages are read on (the status bar's); `at.replay` the replay's position.
 */
export function figuresCells(
  state: PortfolioState,
  risk: RiskResult | undefined,
  width = Infinity,
  at: { readonly now?: number; readonly replay?: { readonly seq: number } } = {},
): Cell[] {
  const replay = at.replay;
  const base = state.baseCurrency;
  let newest = -Infinity;
  const value = (tag: string, currency: string) => {
    const v = base ? accountRow(state, tag, currency) : undefined;
    if (v) newest = Math.max(newest, v.updatedAt);
    return unreadable(v) ? { bad: true as const } : { v: v?.value };
  };
  const nlv = value('NetLiquidation', base ?? '');
  const xl = value('ExcessLiquidity', base ?? '');
  const cushion = value('Cushion', '');
  // Only figures that are shown can be stale: before the first, the line says what it waits for instead.
  const stale = Number.isFinite(newest) && figuresStale(state);
  const staleAge = stale && at.now !== undefined ? age(at.now - newest) : undefined;
  const plain = stale ? ({ slot: 'data.stale' } as const) : {};
  const m = risk?.ok ? risk.model : undefined;
  const breaches = m?.scenarios.filter((s) => s.breach).length ?? 0;
  const worstBreach = m?.worst ? m.scenarios.find((s) => s.id === m.worst!.id)?.breach === true : false;
  /** Figures a narrow line drops whole, lowest priority first (the Worst amount and BREACH always stay). */
  type Figure = 'nlv' | 'cushion' | 'xl';
  const build = (short: boolean, labelRoom: number, dropped?: ReadonlySet<Figure>): Cell[] => {
    const amount = (x: { bad?: true; v?: Decimal }) => ('bad' in x ? '?' : short ? compactMoney(x.v) : money(x.v));
    const cells: Cell[] = [];
    // The word stays at any width; its age goes with the first figure a narrow line drops.
    if (stale) {
      const text = staleAge === undefined || dropped ? 'STALE' : short ? `STALE ${staleAge}` : `STALE as of ${staleAge} ago`;
      cells.push({ text, slot: 'data.stale' });
    }
    if (!dropped?.has('nlv'))
      cells.push({ text: short ? 'NLV' : 'Net liq', slot: 'muted' }, { text: amount(nlv), ...('bad' in nlv ? { slot: 'risk.warn' as const } : plain) });
    if (!dropped?.has('xl'))
      cells.push(
        { text: short ? 'XL' : 'Excess liq', slot: 'muted' },
        { text: amount(xl), ...('bad' in xl ? { slot: 'risk.warn' as const } : xl.v?.isNegative() ? { slot: 'risk.breach' as const } : plain) },
      );
    if (!dropped?.has('cushion'))
      cells.push(
        { text: short ? 'Cush' : 'Cushion', slot: 'muted' },
        { text: 'bad' in cushion ? '?' : cushion.v === undefined ? '-' : percent(cushion.v), ...('bad' in cushion ? { slot: 'risk.warn' as const } : plain) },
      );
    cells.push({ text: 'Worst', slot: 'muted' });
    // At start the engine waits for the account and its positions: that is not a failure, and must not read as one,
    // nor as work under way ("computing…" with nothing listening on the port reads as a hang): say what it waits for.
    // A synchronised account with no positions (flat, e.g. after a flatten) has nothing to stress: say so.
    const waiting = !risk || (!risk.ok && risk.waiting === true);
    const unsynced = !state.account || state.portfolio.size === 0;
    // A replay waits for nothing: its account's data is further on in the file (or the play has not started).
    if (replay && waiting && unsynced)
      cells.push({ text: replay.seq === 0 ? 'no risk yet (replay at its start)' : 'no risk yet (no positions at this point)', slot: 'muted' });
    else if (waiting && unsynced && (state.health === 'disconnected' || state.health === 'connecting')) cells.push({ text: 'waiting for TWS', slot: 'muted' });
    else if (risk && !risk.ok && risk.waiting && state.account && state.health === 'ready' && state.portfolio.size === 0)
      cells.push({ text: 'no positions', slot: 'muted' });
    else if (risk && !risk.ok && risk.waiting) cells.push({ text: 'waiting for positions', slot: 'muted' });
    else if (!risk) cells.push({ text: `computing${ellipsis()}`, slot: 'muted' });
    else if (!risk.ok) cells.push({ text: 'stress failed', slot: 'risk.warn' });
    else if (!m?.worst) cells.push({ text: 'no loss' });
    else {
      const total = {
        text: short ? compactMoney(m.worst.total) : `${money(m.worst.total)} ${m.baseCurrency}`,
        slot: worstBreach ? 'risk.breach' : 'pnl.loss',
      } as const;
      // Short, the amount goes first: a cut (or dropped) scenario name can then never take the loss with it.
      if (!short) cells.push({ text: m.worst.label }, total);
      else {
        const name = wordCut(m.worst.label, labelRoom);
        cells.push(total, ...(name ? [{ text: name }] : []));
      }
    }
    if (breaches > 0) cells.push({ text: ` BREACH ${breaches}${dropped ? '' : ` ${breaches === 1 ? 'scenario' : 'scenarios'}`} `, slot: 'risk.breach' });
    return cells;
  };
  const lineWidth = (cs: readonly Cell[]) => cs.reduce((w, c) => w + textWidth(c.text) + 1, -1);
  const label = m?.worst ? textWidth(m.worst.label) : 0;
  for (const short of [false, true]) {
    const cells = build(short, label);
    if (lineWidth(cells) <= width) return cells;
  }
  // The scenario's name gives way first (it is in the Stress pane in full): cut to no fewer than 8 columns, else gone.
  const over = lineWidth(build(true, label)) - width;
  if (label - over >= 8) return build(true, label - over);
  // Then BREACH keeps its count without its noun, and whole figures go, lowest priority first: never a number cut
  // short by the terminal's edge.
  const dropped = new Set<Figure>();
  for (const f of ['nlv', 'cushion', 'xl'] as const) {
    const cells = build(true, 0, dropped);
    if (lineWidth(cells) <= width) return cells;
    dropped.add(f);
  }
  return build(true, 0, dropped);
}
