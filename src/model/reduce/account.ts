// Account handlers: ACCT_VALUE, ACCT_UPDATE_TIME, ACCT_DOWNLOAD_END, ACCOUNT_SUMMARY(_END), MANAGED_ACCTS.
import { accountValueKey, splitTag } from '../account-values.js';
import type { FeedEventOf } from '../events.js';
import { Decimal, parseDecimal } from '../money.js';
import type { PMap } from '../pmap.js';
import type { AccountChange, AccountValue, PortfolioState } from '../state.js';
import { acceptAccount, dropOtherAccount, dropOtherAccountInto, touched, type Draft } from './common.js';

const ONE = new Decimal(1);

function valueRow(key: string, currency: string, raw: string, at: number): AccountValue {
  const { tag, segment } = splitTag(key);
  const value = parseDecimal(raw);
  return {
    key,
    tag,
    currency,
    raw,
    updatedAt: at,
    ...(segment ? { segment } : {}),
    ...(value ? { value } : {}),
  };
}

/** Sets a row unless the stored one already carries the same text (then the map keeps its identity). */
function upsert(map: PMap<string, AccountValue>, row: AccountValue): PMap<string, AccountValue> {
  const k = accountValueKey(row.key, row.currency);
  const old = map.get(k);
  return old && old.raw === row.raw ? map : map.set(k, row);
}

function isIsoCurrency(c: string): boolean {
  return /^[A-Z]{3}$/.test(c) && c !== 'BASE';
}

export function accountValueUpdated(state: PortfolioState, ev: FeedEventOf<'accountValueUpdated'>): PortfolioState {
  const acc = acceptAccount(state, ev.account);
  if (!acc.accepted) return dropOtherAccount(state);
  const row = valueRow(ev.key, ev.currency, ev.value, ev.receivedAt);
  const accountValues = upsert(state.accountValues, row);
  const pendingValues = state.pending.accountValues ? upsert(state.pending.accountValues, row) : undefined;

  let { fxRates, baseCurrency } = state;
  if (!row.segment && row.value && isIsoCurrency(row.currency)) {
    if (row.tag === 'ExchangeRate' && !fxRates.get(row.currency)?.equals(row.value)) {
      fxRates = fxRates.set(row.currency, row.value);
    }
    // Whole-account keys come in the base currency's ISO code (reference/risk-model.md §1.2).
    if (row.tag === 'NetLiquidation' && baseCurrency !== row.currency) {
      baseCurrency = row.currency;
      if (!fxRates.get(baseCurrency)) fxRates = fxRates.set(baseCurrency, ONE);
    }
  }
  return {
    ...state,
    account: acc.account,
    accountValues,
    fxRates,
    baseCurrency,
    pending: pendingValues ? { ...state.pending, accountValues: pendingValues } : state.pending,
    lastUpdate: touched(state, ev),
  };
}

export function accountTimeUpdated(state: PortfolioState, ev: FeedEventOf<'accountTimeUpdated'>): PortfolioState {
  const d: Draft = { ...state };
  accountTimeUpdatedInto(d, ev);
  return d;
}

/** `accountTimeUpdated` on a draft (reducer.ts `reduceBatch`). */
export function accountTimeUpdatedInto(d: Draft, ev: FeedEventOf<'accountTimeUpdated'>): void {
  d.accountTime = ev.time;
  d.lastUpdate = touched(d, ev);
}

export function accountDownloadEnded(state: PortfolioState, ev: FeedEventOf<'accountDownloadEnded'>): PortfolioState {
  const acc = acceptAccount(state, ev.account);
  if (!acc.accepted) return dropOtherAccount(state);
  const { portfolio, accountValues, ...rest } = state.pending;
  return {
    ...state,
    account: acc.account,
    portfolio: portfolio ?? state.portfolio,
    accountValues: accountValues ?? state.accountValues,
    pending: rest,
    complete: { ...state.complete, accountDownload: true },
    lastUpdate: touched(state, ev),
  };
}

export function accountSummaryUpdated(state: PortfolioState, ev: FeedEventOf<'accountSummaryUpdated'>): PortfolioState {
  const d: Draft = { ...state };
  accountSummaryUpdatedInto(d, ev);
  return d;
}

/** `accountSummaryUpdated` on a draft (reducer.ts `reduceBatch`). */
export function accountSummaryUpdatedInto(d: Draft, ev: FeedEventOf<'accountSummaryUpdated'>): void {
  const acc = acceptAccount(d, ev.account);
  if (!acc.accepted) return dropOtherAccountInto(d);
  const row = valueRow(ev.tag, ev.currency, ev.value, ev.receivedAt);
  d.account = acc.account;
  d.accountSummary = upsert(d.accountSummary, row);
  d.lastUpdate = touched(d, ev);
}

export function accountSummaryEnded(state: PortfolioState, ev: FeedEventOf<'accountSummaryEnded'>): PortfolioState {
  return { ...state, complete: { ...state.complete, accountSummary: true }, lastUpdate: touched(state, ev) };
}

export function managedAccountsReceived(state: PortfolioState, ev: FeedEventOf<'managedAccountsReceived'>): PortfolioState {
  return { ...state, managedAccounts: [...ev.accounts], lastUpdate: touched(state, ev) };
}

/**
 * A login that does not manage the followed account starts a change (its numbers stop being current); one that
 * manages it again ends it, keeping when, so that the guard can ask for a new arming. The followed account never
 * changes here: rows for the new login's accounts stay dropped, so its positions are never compared with the old ones.
 */
export function accountChanged(state: PortfolioState, ev: FeedEventOf<'accountChanged'>): PortfolioState {
  const lost = !ev.managed.includes(ev.followed);
  const prev = state.accountChange;
  let accountChange: AccountChange | undefined;
  if (lost) {
    const ongoing = prev !== undefined && prev.until === undefined && prev.followed === ev.followed;
    accountChange = { followed: ev.followed, managed: [...ev.managed], since: ongoing ? prev.since : ev.receivedAt };
  } else {
    if (prev === undefined) return { ...state, lastUpdate: touched(state, ev) };
    accountChange = prev.until === undefined ? { ...prev, until: ev.receivedAt } : prev;
  }
  return { ...state, accountChange, lastUpdate: touched(state, ev) };
}
