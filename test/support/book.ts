// A small, fixed multi-currency book as PortfolioState, for view tests that need exact numbers (no simulator).
import type { FeedEventBody } from '../../src/model/events.js';
import { dec } from '../../src/model/money.js';
import { reduceAll } from '../../src/model/reducer.js';
import type { PortfolioState } from '../../src/model/state.js';
import { EventLog, acct, option, portfolio, stock } from './events.js';

export const ACCOUNT = 'DU1234567';
export const T0 = Date.UTC(2026, 10, 23, 14, 30);

export const AAPL = stock(265598, 'AAPL', 'USD');
export const SAP = stock(14204, 'SAP', 'EUR');
export const MSFT = stock(272093, 'MSFT', 'USD');
export const AAPL_CALL = option(700001, 'AAPL', '20270219', '240', 'C');
/** A contract type the risk engine has no model for: shown UNPRICED, never valued at zero silently. */
export const ODD = { conId: 900001, symbol: 'XYZ', secType: 'XYZ', currency: 'USD' };

/** Account values of a USD-base account with EUR cash; `elv`/`maint` set the margin band. */
export function accountEvents(o: { nlv?: string; elv?: string; maint?: string; init?: string } = {}): FeedEventBody[] {
  const nlv = o.nlv ?? '500000';
  const elv = o.elv ?? '480000';
  const maint = o.maint ?? '100000';
  const init = o.init ?? '150000';
  const excess = dec(elv).sub(maint).toString();
  return [
    { type: 'managedAccountsReceived', accounts: [ACCOUNT] },
    acct(ACCOUNT, 'NetLiquidation', nlv, 'USD'),
    acct(ACCOUNT, 'EquityWithLoanValue', elv, 'USD'),
    acct(ACCOUNT, 'MaintMarginReq', maint, 'USD'),
    acct(ACCOUNT, 'InitMarginReq', init, 'USD'),
    acct(ACCOUNT, 'ExcessLiquidity', excess, 'USD'),
    acct(ACCOUNT, 'AvailableFunds', dec(elv).sub(init).toString(), 'USD'),
    acct(ACCOUNT, 'Cushion', dec(excess).div(nlv).toFixed(6), ''),
    acct(ACCOUNT, 'ExchangeRate', '1', 'USD'),
    acct(ACCOUNT, 'ExchangeRate', '1.10', 'EUR'),
    acct(ACCOUNT, 'CashBalance', '200000', 'USD'),
    acct(ACCOUNT, 'CashBalance', '-20000', 'EUR'),
  ];
}

/** Positions: AAPL 500 @ 228.50, SAP 300 @ 234 (EUR), MSFT 100 @ 410, an AAPL call with greeks, and one unpriceable. */
export function positionEvents(prices: { aapl?: string; msft?: string } = {}): FeedEventBody[] {
  return [
    portfolio(ACCOUNT, AAPL, '500', prices.aapl ?? '228.50', '190'),
    portfolio(ACCOUNT, SAP, '300', '234', '200'),
    portfolio(ACCOUNT, MSFT, '100', prices.msft ?? '410', '400'),
    portfolio(ACCOUNT, AAPL_CALL, '10', '8.20', '6'),
    { type: 'optionComputed', conId: AAPL_CALL.conId, kind: 'model', delayed: false, impliedVol: 0.27, delta: 0.41, underlyingPrice: 228.5, pvDividend: 0.5 },
    portfolio(ACCOUNT, ODD, '5', '100', '100'),
  ];
}

/** A synchronised state: ready, snapshots complete, the book above, prices fresh at the last event. */
export function bookState(
  o: Parameters<typeof accountEvents>[0] & { prices?: Parameters<typeof positionEvents>[0]; extra?: FeedEventBody[] } = {},
): PortfolioState {
  const log = new EventLog(T0);
  log.pushAll([
    { type: 'healthChanged', health: 'ready', reason: 'heartbeat answered', host: '127.0.0.1', port: 7497, clientId: 4217 },
    ...accountEvents(o),
    { type: 'accountDownloadEnded', account: ACCOUNT },
    ...positionEvents(o.prices),
    { type: 'positionsEnded' },
    { type: 'openOrdersEnded' },
    ...(o.extra ?? []),
  ]);
  return reduceAll(log.events);
}
