// Several accounts in one console: one AccountSession per account, the one the panes show, and their aggregate.
import { Subject, type Observable } from 'rxjs';
import { accountValue, baseValue } from '../model/account-values.js';
import type { FeedEvent, FeedEventBody } from '../model/events.js';
import type { Decimal } from '../model/money.js';
import type { Health } from '../model/events.js';
import type { PortfolioState } from '../model/state.js';
import { ALL_ACCOUNTS, aggregateAccounts, type Aggregate, type AccountFigures } from '../risk/aggregate.js';
import { SEVERITY_RANK, type Alert, type Severity } from '../risk/alerts/index.js';
import type { AccountSession, SessionFeed, SessionView } from './session.js';
import { sameRefs } from '../model/same-refs.js';

/*
 * Issue 20: an advisor login followed with `--account all` (or a list) keeps the one-account rule: every account has
 * its own feed, state, risk runner, alert engine and trading session (an AccountSession each, unchanged). This set
 * only chooses which of them the panes show and sums them for the Accounts pane's aggregate row. The console's store
 * reads it as it reads a single account's feed and session, so nothing downstream knows there are several.
 */

/** The Accounts pane's aggregate row: selecting it shows sums, never a target for trading. */
export { ALL_ACCOUNTS };

export interface AccountMember {
  readonly account: string;
  readonly feed: SessionFeed;
  readonly session: AccountSession;
}

/** One account's row in the Accounts pane. */
export interface AccountRow {
  readonly account: string;
  readonly health: Health;
  readonly baseCurrency?: string;
  readonly netLiquidation?: Decimal;
  readonly excessLiquidity?: Decimal;
  readonly cushion?: Decimal;
  /** The scenario losing most, in the account's base currency. */
  readonly worstStress?: { readonly label: string; readonly pnl: Decimal };
  readonly alerts: number;
  readonly worstSeverity?: Severity;
  /** Until when its trading is armed (its own arming, folded into its state), if it was. */
  readonly armedUntil?: number;
}

export interface AccountsView {
  /** The selected row: an account, or ALL_ACCOUNTS (the aggregate: nothing can trade). */
  readonly selected: string;
  /** The account the other panes show (the selected one; with the aggregate selected, the last account selected). */
  readonly shown: string | undefined;
  readonly rows: readonly AccountRow[];
  readonly aggregate: Aggregate;
  /** Every account's alerts, each naming its account, most severe first. */
  readonly alerts: readonly { readonly account: string; readonly alert: Alert }[];
}

export class AccountSet {
  private readonly members = new Map<string, AccountMember>();
  private readonly views = new Map<string, SessionView>();
  private readonly events = new Subject<FeedEvent>();
  private readonly listeners = new Set<() => void>();
  private selectedId: string | undefined;
  private shownId: string | undefined;

  /** What the store reads as its feed: the shown account's state, every account's events (any may need a publish). */
  readonly feed: SessionFeed;

  /** `fallback`: what the panes show until the first account is known (the connection's own feed: its health). */
  constructor(private readonly fallback: SessionFeed) {
    fallback.events$.subscribe((e) => this.events.next(e));
    const shown = () => this.shownFeed();
    this.feed = {
      get state(): PortfolioState {
        return shown().state;
      },
      events$: this.events.asObservable() as Observable<FeedEvent>,
      publish: (body: FeedEventBody) => shown().publish?.(body),
    };
  }

  /** Adds an account; the first one added is selected. */
  add(m: AccountMember): void {
    if (this.members.has(m.account)) return;
    this.members.set(m.account, m);
    m.feed.events$.subscribe((e) => this.events.next(e));
    if (this.shownId === undefined) {
      this.shownId = m.account;
      this.selectedId ??= m.account;
    }
    this.changed();
  }

  get accounts(): readonly string[] {
    return [...this.members.keys()];
  }

  member(account: string): AccountMember | undefined {
    return this.members.get(account);
  }

  /** The selected row (an account or ALL_ACCOUNTS), undefined before any account is known. */
  get selected(): string | undefined {
    return this.selectedId;
  }

  /** Intent: select a row. False (nothing changes) when it names no followed account. */
  select(id: string): boolean {
    if (id !== ALL_ACCOUNTS && !this.members.has(id)) return false;
    if (this.members.size === 0) return false;
    this.selectedId = id;
    if (id !== ALL_ACCOUNTS) this.shownId = id;
    this.changed();
    return true;
  }

  /** Called after every change of the accounts or the selection (the console's store publishes). */
  onChange(f: () => void): () => void {
    this.listeners.add(f);
    return () => this.listeners.delete(f);
  }

  private shownMember(): AccountMember | undefined {
    return this.shownId === undefined ? undefined : this.members.get(this.shownId);
  }

  private shownFeed(): SessionFeed {
    return this.shownMember()?.feed ?? this.fallback;
  }

  /**
   * What the store reads as its session: every account's risk and alerts are evaluated at each publish (an alert on
   * an account not on screen is still raised, rung and recorded), and the shown account's view is returned. Only the
   * shown account's pass is for the panes (AccountSession.evaluate `display`); showing another one publishes, and its
   * session then runs a whole pass at once.
   */
  readonly session: Pick<AccountSession, 'evaluate' | 'acknowledgeAlerts' | 'replaced'> = {
    evaluate: (realNow, asOf, minIntervalMs, display) => {
      let due: number | undefined;
      for (const [a, m] of this.members) {
        // Only the shown account's risk reaches the panes; the others' passes serve their alerts, rows and summaries.
        const v = m.session.evaluate(realNow, asOf, minIntervalMs, display !== false && a === this.shownId);
        this.views.set(a, v);
        if (v.dueInMs !== undefined) due = Math.min(due ?? Infinity, v.dueInMs);
      }
      const shown = this.shownId === undefined ? undefined : this.views.get(this.shownId);
      // Each listed alert names its account (the pane lists the shown account's; the bar counts every account's).
      const alerts = shown?.alerts && this.shownId !== undefined ? this.named(this.shownId, shown.alerts) : undefined;
      return {
        ...(shown?.risk ? { risk: shown.risk } : {}),
        ...(alerts ? { alerts } : {}),
        ...(due !== undefined ? { dueInMs: due } : {}),
      };
    },
    // The operator acknowledges what is listed: the shown account's alerts.
    acknowledgeAlerts: (now) => this.shownMember()?.session.acknowledgeAlerts(now) ?? [],
    replaced: () => {
      for (const m of this.members.values()) m.session.replaced();
    },
  };

  private readonly namedCache = new WeakMap<readonly Alert[], { account: string; list: readonly Alert[] }>();

  /** An account's listed alerts, each title naming the account (the same list while the alerts are the same). */
  private named(account: string, alerts: readonly Alert[]): readonly Alert[] {
    const hit = this.namedCache.get(alerts);
    if (hit?.account === account) return hit.list;
    const list = alerts.map((a) => ({ ...a, title: `${account}: ${a.title}` }));
    this.namedCache.set(alerts, { account, list });
    return list;
  }

  /** What one account's session computed at the last evaluation (its risk and alerts): its published summary reads it. */
  viewOf(account: string): SessionView | undefined {
    return this.views.get(account);
  }

  /** The Accounts pane's rows and aggregate, from the last evaluation. */
  view(): AccountsView {
    // The same view while nothing it reads changed (a state, risk result or alert list is a new object when it changes), so the
    // console's memoised pane and its rows are not rebuilt on every publish.
    const key = [this.selectedId, this.shownId, ...[...this.members].flatMap(([a, m]) => [m.feed.state, this.views.get(a)?.risk, this.views.get(a)?.alerts])];
    if (this.lastView && sameRefs(this.lastView.key, key)) return this.lastView.view;
    const view = this.buildView();
    this.lastView = { key, view };
    return view;
  }

  private lastView: { key: readonly unknown[]; view: AccountsView } | undefined;

  private buildView(): AccountsView {
    const rows: AccountRow[] = [];
    const figures: AccountFigures[] = [];
    const alerts: { account: string; alert: Alert }[] = [];
    for (const [account, m] of this.members) {
      const s = m.feed.state;
      const v = this.views.get(account);
      const report = v?.risk?.ok ? v.risk.report : undefined;
      let worst: AccountRow['worstStress'];
      for (const sc of report?.scenarios ?? []) if (!worst || sc.pnl.total.lt(worst.pnl)) worst = { label: sc.label, pnl: sc.pnl.total };
      const listed = v?.alerts ?? [];
      for (const alert of this.named(account, listed)) alerts.push({ account, alert });
      let sev: Severity | undefined;
      for (const a of listed) if (!sev || SEVERITY_RANK[a.severity] > SEVERITY_RANK[sev]) sev = a.severity;
      const nlv = baseValue(s, 'NetLiquidation');
      const el = baseValue(s, 'ExcessLiquidity');
      const cushion = accountValue(s, 'Cushion', '')?.value;
      rows.push({
        account,
        health: s.health,
        ...(s.baseCurrency ? { baseCurrency: s.baseCurrency } : {}),
        ...(nlv ? { netLiquidation: nlv } : {}),
        ...(el ? { excessLiquidity: el } : {}),
        ...(cushion ? { cushion } : {}),
        ...(worst ? { worstStress: worst } : {}),
        alerts: listed.length,
        ...(sev ? { worstSeverity: sev } : {}),
        ...(s.arming ? { armedUntil: s.arming.until } : {}),
      });
      // A synchronised account with no positions (a flat sub-account, or one just flattened) has nothing to stress.
      const flat = s.account !== undefined && s.health === 'ready' && s.portfolio.size === 0;
      const stress = report ?? (flat ? { error: 'no positions', flat: true as const } : { error: v?.risk && !v.risk.ok ? v.risk.error : 'not computed yet' });
      figures.push({ account, state: s, stress });
    }
    alerts.sort((x, y) => SEVERITY_RANK[y.alert.severity] - SEVERITY_RANK[x.alert.severity]);
    return { selected: this.selectedId ?? ALL_ACCOUNTS, shown: this.shownId, rows, aggregate: aggregateAccounts(figures), alerts };
  }

  private changed(): void {
    for (const f of [...this.listeners]) f();
  }

  /** Ends the merged event stream (the members' feeds are closed by their owner). */
  close(): void {
    this.events.complete();
  }
}
