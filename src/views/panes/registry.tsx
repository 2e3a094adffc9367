// The pane registry: one entry per pane (id, title, key, sorts, view-model builder, component), read by everything else.
import type { ReactNode } from 'react';
import { PANE_COMMANDS, PANE_IDS, type CommandId, type PaneId } from '../../keymap/bindings.js';
import { exposureCurrency } from '../../model/contract.js';
import { marketNow } from '../../model/state.js';
import type { Alert } from '../../risk/alerts/index.js';
import { age, isAsciiText } from '../format.js';
import { keyLabel } from '../../keymap/keys.js';
import type { SortOption } from '../list-sorts.js';
import { accountRowsWanted, accountVM } from '../rows/account.js';
import { accountsVM } from '../rows/accounts.js';
import { alertsVM } from '../rows/alerts.js';
import { EXECUTIONS_SORTS, executionsVM } from '../rows/executions.js';
import { ORDERS_SORTS, ordersVM } from '../rows/orders.js';
import { POSITIONS_SORTS, positionsVM } from '../rows/positions.js';
import { STRESS_SORTS, stressVM, type StressVM } from '../rows/stress.js';
import { sameRefs } from '../../model/same-refs.js';
import type { PaneVM, ViewInput } from '../view-model.js';
import { AccountPane } from './AccountPane.js';
import { AlertsPane } from './AlertsPane.js';
import { ListPane } from './ListPane.js';
import { StressPane } from './StressPane.js';

/*
 * STYLE.md "wired in one table": adding a pane is one entry here (plus its id in the keymap, which owns the pane
 * scopes and the focus commands). The tab bar, the help overlay's title, the layout's sidebar, the UI reducer's
 * focus keys and sorts, and the view model all read this table instead of keeping lists of their own.
 */

/** What a pane's builder gets: the whole view input and the room inside its frame. */
export interface PaneRoom {
  /** Columns for the rows (the selection marker's column already taken off). */
  readonly width: number;
  /** Rows for the content (the title line already taken off). */
  readonly height: number;
}

export interface PaneEntry<V extends PaneVM = PaneVM> {
  readonly id: PaneId;
  readonly title: string;
  /** The tab bar's word for the pane when the titles do not fit (TabBar.tsx `fitTabs`). */
  readonly short: string;
  /** The command that focuses the pane (its digit in the default keymap). */
  readonly key: CommandId;
  /** The orders `sort.next` cycles through, the first being the default. */
  readonly sorts: readonly SortOption[];
  /** Kept in the sidebar layout's side column (top to bottom in table order), beside the main pane. */
  readonly sidebar?: boolean;
  /**
   * What the pane's view model reads besides its size and list UI (the state maps it shows; the reducer keeps a
   * map's identity while nothing in it changes): the same values mean the same view model, so it is not rebuilt.
   */
  readonly inputs: (input: ViewInput) => readonly unknown[];
  readonly build: (input: ViewInput, room: PaneRoom) => V;
  /**
   * Rows the content would fill (title excluded), read by the layout before any pane is built: the Account pane
   * grows to its lines while the lists below it keep theirs. At most a cheap upper bound; none means "any room".
   */
  readonly wants?: (input: ViewInput) => number;
  readonly Component: (props: { readonly vm: V; readonly focused: boolean; readonly height: number }) => ReactNode;
}

const NO_ALERTS: readonly Alert[] = [];

/** The clock to the second, for panes that show ages of live facts (the alerts, judged on the live state). */
const second = (input: ViewInput) => Math.floor(input.snapshot.now / 1000);

/**
 * Frozen, the ages of what the panes hold (the Account pane's rows, the orders, the risk's "as of … ago") move in steps
 * of this much from the freeze, floored as `age` floors minutes: a frozen frame redrew the status bar and those ages
 * every second (7 rows with the Account pane's six), now the status bar alone between steps (docs/performance.md
 * "Frozen, session 11").
 */
export const FROZEN_AGE_STEP_MS = 10_000;

/** The time the panes measure the ages of what they hold at: the clock, or frozen, its last step since the freeze. */
export function agesNow(input: ViewInput): number {
  const { now, frozen } = input.snapshot;
  if (!frozen || now <= frozen.at) return now;
  return frozen.at + Math.floor((now - frozen.at) / FROZEN_AGE_STEP_MS) * FROZEN_AGE_STEP_MS;
}

/** `agesNow` to the second: what a pane that shows held ages is built again on. */
const heldSecond = (input: ViewInput) => Math.floor(agesNow(input) / 1000);

type Kind<K extends PaneVM['kind']> = Extract<PaneVM, { kind: K }>;

const account: PaneEntry<Kind<'account'>> = {
  id: 'account',
  title: 'Account',
  short: 'Acct',
  key: PANE_COMMANDS.account,
  sidebar: true,
  sorts: [{ key: 'table', label: 'table', desc: false }],
  inputs: (i) => {
    const s = i.snapshot.state;
    return [s.accountValues, s.accountSummary, s.fxRates, s.baseCurrency, i.snapshot.risk, heldSecond(i)];
  },
  build: (i, room) => {
    const risk = i.snapshot.risk;
    const vm = accountVM(i.snapshot.state, risk?.ok ? risk.model : undefined, room.width, agesNow(i));
    return { kind: 'account', pane: 'account', info: `cushion ${vm.cushion} · ${vm.bandText}`, account: vm };
  },
  wants: (i) => accountRowsWanted(i.snapshot.state),
  Component: ({ vm, height }) => <AccountPane account={vm.account} height={height} />,
};

const positions: PaneEntry<Kind<'list'>> = {
  id: 'positions',
  title: 'Positions',
  short: 'Pos',
  key: PANE_COMMANDS.positions,
  sorts: POSITIONS_SORTS,
  inputs: (i) => {
    const s = i.snapshot.state;
    return [s.portfolio, s.options, s.fxRates, s.baseCurrency, s.complete.positions, i.snapshot.risk, i.ui.positionsGroup];
  },
  build: (i, room) => {
    const risk = i.snapshot.risk;
    const vm = positionsVM(i.snapshot.state, risk?.ok ? risk.model : undefined, i.ui.lists.positions, i.ui.positionsGroup, room.width, room.height);
    return { kind: 'list', pane: 'positions', info: vm.info, list: vm };
  },
  // The header, a row per position and one per group (the layout gives Stress the rows under them: layout.ts mainColumn).
  wants: (i) => {
    const s = i.snapshot.state;
    const groups = new Set<string>();
    for (const r of s.portfolio.values()) groups.add(i.ui.positionsGroup === 'class' ? r.contract.secType : exposureCurrency(r.contract));
    return 1 + s.portfolio.size + groups.size;
  },
  Component: ({ vm, focused, height }) => <ListPane list={vm.list} focused={focused} height={height} />,
};

/*
 * The pane is built again every second for its "as of … ago", which is all that moves on it while the risk stays the
 * same (frozen, or between passes): its table, distances and chart are kept while what they read is the same, so a
 * frozen second does not lay out the scenarios and chart the curve again (docs/performance.md "Frozen, session 10").
 */
let stressMemo: { readonly inputs: readonly unknown[]; readonly vm: StressVM } | undefined;
function memoStressVM(...args: Parameters<typeof stressVM>): StressVM {
  if (stressMemo && sameRefs(stressMemo.inputs, args)) return stressMemo.vm;
  const vm = stressVM(...args);
  stressMemo = { inputs: args, vm };
  return vm;
}

const stress: PaneEntry<Kind<'stress'>> = {
  id: 'stress',
  title: 'Stress',
  short: 'Stress',
  key: PANE_COMMANDS.stress,
  sorts: STRESS_SORTS,
  inputs: (i) => [i.snapshot.risk, i.ui.stressColumns, i.ui.stressSubject, heldSecond(i)],
  build: (i, room) => {
    const { snapshot, ui } = i;
    const risk = snapshot.risk;
    const model = risk?.ok ? risk.model : undefined;
    const vm = memoStressVM(risk, ui.lists.stress, ui.stressColumns, ui.stressSubject, room.width, room.height);
    // The risk's time is the market's (TWS's clock); its age is measured on the same clock.
    const asOf = model ? `as of ${age(marketNow(snapshot.live, agesNow(i)) - model.asOf)} ago` : '';
    return { kind: 'stress', pane: 'stress', info: [vm.list.info, vm.worst, asOf].filter(Boolean).join(' · '), stress: vm };
  },
  Component: ({ vm, focused, height }) => <StressPane stress={vm.stress} focused={focused} height={height} />,
};

const orders: PaneEntry<Kind<'list'>> = {
  id: 'orders',
  title: 'Orders',
  short: 'Ord',
  key: PANE_COMMANDS.orders,
  sorts: ORDERS_SORTS,
  inputs: (i) => [i.snapshot.state.orders, i.snapshot.state.complete.openOrders, heldSecond(i)],
  build: (i, room) => {
    const vm = ordersVM(i.snapshot.state, i.ui.lists.orders, room.width, room.height, agesNow(i));
    return { kind: 'list', pane: 'orders', info: vm.info, list: vm };
  },
  // The header and a row per order (or the sentence saying there are none).
  wants: (i) => 1 + Math.max(1, i.snapshot.state.orders.size),
  Component: ({ vm, focused, height }) => <ListPane list={vm.list} focused={focused} height={height} />,
};

const executions: PaneEntry<Kind<'list'>> = {
  id: 'executions',
  title: 'Executions',
  short: 'Exec',
  key: PANE_COMMANDS.executions,
  sorts: EXECUTIONS_SORTS,
  inputs: (i) => [i.snapshot.state.executions],
  build: (i, room) => {
    const vm = executionsVM(i.snapshot.state, i.ui.lists.executions, room.width, room.height);
    return { kind: 'list', pane: 'executions', info: vm.info, list: vm };
  },
  wants: (i) => 1 + Math.max(1, i.snapshot.state.executions.size),
  Component: ({ vm, focused, height }) => <ListPane list={vm.list} focused={focused} height={height} />,
};

const alerts: PaneEntry<Kind<'alerts'>> = {
  id: 'alerts',
  title: 'Alerts and log',
  short: 'Alerts',
  key: PANE_COMMANDS.alerts,
  sidebar: true,
  sorts: [{ key: 'time', label: 'time', desc: true }],
  inputs: (i) => {
    const s = i.snapshot.state;
    return [i.snapshot.alerts, s.messages, s.operatorActions, s.portfolio, i.snapshot.risk, i.problems, second(i), i.bindings, i.ui.focus === 'alerts'];
  },
  build: (i, room) => {
    const { snapshot } = i;
    // Alerts cut by the pane's height are all in its detail view: the keys that open it, from here.
    const key = (id: CommandId) => (i.bindings[id][0] === undefined ? undefined : keyLabel(i.bindings[id][0], isAsciiText()));
    const detail = key('row.detail');
    const focus = i.ui.focus === 'alerts' ? '' : key(PANE_COMMANDS.alerts);
    const allKeys = detail === undefined || focus === undefined ? undefined : focus ? `${focus} then ${detail}` : detail;
    const vm = alertsVM(
      snapshot.state,
      snapshot.alerts ?? NO_ALERTS,
      snapshot.risk,
      i.problems,
      i.ui.lists.alerts,
      room.width,
      room.height,
      snapshot.now,
      allKeys,
    );
    return { kind: 'alerts', pane: 'alerts', info: vm.list.info, alerts: vm };
  },
  // The alert lines (at least "OK no alerts"; the engine's alerts and the notices bound the rest), the header, the log.
  wants: (i) => {
    const s = i.snapshot.state;
    return Math.max(1, (i.snapshot.alerts?.length ?? 0) + i.problems.length + 2) + 1 + Math.max(1, s.messages.length + s.operatorActions.length);
  },
  Component: ({ vm, focused, height }) => <AlertsPane alerts={vm.alerts} focused={focused} height={height} />,
};

const NO_ACCOUNTS = { selected: 'all', shown: undefined, rows: [], aggregate: { baseCurrency: undefined, accounts: [], problems: [] }, alerts: [] } as const;

/** Several accounts followed (issue 20): a row per account and the aggregate; Enter shows the selected one. */
const accounts: PaneEntry<Kind<'list'>> = {
  id: 'accounts',
  title: 'Accounts',
  short: 'Accts',
  key: PANE_COMMANDS.accounts,
  sorts: [{ key: 'table', label: 'table', desc: false }],
  inputs: (i) => [i.snapshot.accounts],
  build: (i, room) => {
    const vm = accountsVM(i.snapshot.accounts ?? NO_ACCOUNTS, i.ui.lists.accounts, room.width, room.height);
    return { kind: 'list', pane: 'accounts', info: vm.info, list: vm };
  },
  Component: ({ vm, focused, height }) => <ListPane list={vm.list} focused={focused} height={height} />,
};

/**
 * Every pane, by id. Each entry is typed by its own view model; here they are seen as taking any PaneVM, which holds
 * because a pane's component is only ever given what its own builder returned (PaneVM.pane says whose it is).
 */
export const PANES = { account, positions, stress, orders, executions, alerts, accounts } as unknown as { readonly [P in PaneId]: PaneEntry };

/** The panes in keymap order (the digits and `pane.next`). */
export const PANE_LIST: readonly PaneEntry[] = PANE_IDS.map((id) => PANES[id]);

/** Panes the sidebar layout keeps in its side column. */
export const SIDEBAR_PANES: readonly PaneId[] = PANE_LIST.filter((p) => p.sidebar).map((p) => p.id);

/** The pane a focus command names, if it is one. */
export function paneOfKey(command: CommandId): PaneId | undefined {
  return PANE_LIST.find((p) => p.key === command)?.id;
}

export function renderPane(vm: PaneVM, focused: boolean, height: number): ReactNode {
  const { Component } = PANES[vm.pane];
  return <Component vm={vm} focused={focused} height={height} />;
}
