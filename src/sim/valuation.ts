// Account valuation: turns the ledger and the market into TWS account values, portfolio rows and P&L.
//
// Identities hold exactly on the values as sent (risk-model.md §0.1, §0.2): ExcessLiquidity =
// EquityWithLoanValue − MaintMarginReq, AvailableFunds = EquityWithLoanValue − InitMarginReq, totals =
// -S + -C, NetLiquidationByCurrency/BASE = NetLiquidation. Cushion = ExcessLiquidity / NetLiquidation,
// rounded to 6 places as TWS does. Each base-currency component is rounded to cents once, then summed.
import { Decimal, ZERO, dec } from '../model/money.js';
import { multiplierOf, type Instrument } from './instruments.js';
import type { Ledger, PositionState } from './ledger.js';
import { fxRequirement, optionGroupRequirement, positionRequirement, type MarginParams, type MarginSpike, type OptionHolding } from './margin.js';
import type { MarketMarks } from './market.js';

/** One ACCT_VALUE row (key may carry a -S/-C segment suffix; currency '' for dimensionless values). */
export interface AccountValueRow {
  readonly key: string;
  readonly value: string;
  readonly currency: string;
}

/** One PORTFOLIO_VALUE row; avgCost follows TWS (price × multiplier for derivatives). */
export interface PortfolioRow {
  readonly inst: Instrument;
  readonly position: Decimal;
  readonly marketPrice: Decimal;
  readonly marketValue: Decimal;
  readonly avgCost: Decimal;
  readonly unrealizedPnl: Decimal;
  readonly realizedPnl: Decimal;
  readonly dailyPnl: Decimal;
}

export interface PnlValues {
  readonly daily: Decimal;
  readonly unrealized: Decimal;
  readonly realized: Decimal;
}

export interface AccountView {
  readonly rows: readonly AccountValueRow[];
  /** Quick lookup: `${key}|${currency}` → value, for account summary and tests. */
  readonly byKey: ReadonlyMap<string, string>;
  readonly portfolio: readonly PortfolioRow[];
  readonly pnl: PnlValues;
  /** Currencies with a ledger (cash or positions), base first. */
  readonly currencies: readonly string[];
}

export interface ValuationParams {
  readonly margin: MarginParams;
  spike: MarginSpike;
  /** EquityWithLoanValue at the start of the day (PreviousDayEquityWithLoanValue); computed on first use. */
  previousDayElv?: Decimal;
}

const money = (d: Decimal) => d.toFixed(2);
const cents = (d: Decimal) => d.toDecimalPlaces(2, Decimal.ROUND_HALF_EVEN);

/** Exchange rate as sent (8 places); every conversion uses this rounded value so rows reconcile. */
export function sentRate(market: MarketMarks, ccy: string, base: string): Decimal {
  return dec(market.rate(ccy, base).toFixed(8));
}

/** TWS's avgCost convention: price × multiplier for options and futures, the plain price otherwise. */
export function avgCostOf(p: PositionState): Decimal {
  const derivative = p.inst.secType === 'OPT' || p.inst.secType === 'FOP' || p.inst.secType === 'FUT';
  return derivative ? p.avgPrice.mul(multiplierOf(p.inst)) : p.avgPrice;
}

/** Per-position values in the instrument currency (also used by PnL single and snapshots). */
export function portfolioRow(p: PositionState, market: MarketMarks): PortfolioRow {
  const q = market.quote(p.inst);
  const mult = dec(multiplierOf(p.inst));
  const price = dec(String(q.mark));
  const value = p.qty.mul(price).mul(mult);
  const dayStart = p.dayStartQty.mul(dec(String(q.close))).mul(mult);
  return {
    inst: p.inst,
    position: p.qty,
    marketPrice: price,
    marketValue: cents(value),
    avgCost: avgCostOf(p),
    unrealizedPnl: cents(p.qty.mul(price.sub(p.avgPrice)).mul(mult)),
    realizedPnl: cents(p.realized),
    dailyPnl: cents(value.sub(dayStart).sub(p.dayFlow)),
  };
}

interface CcyBucket {
  cash: Decimal;
  stock: Decimal;
  option: Decimal;
  fop: Decimal;
  futPnl: Decimal;
  bond: Decimal;
  unrealized: Decimal;
  realized: Decimal;
}

const emptyBucket = (): CcyBucket => ({
  cash: ZERO,
  stock: ZERO,
  option: ZERO,
  fop: ZERO,
  futPnl: ZERO,
  bond: ZERO,
  unrealized: ZERO,
  realized: ZERO,
});

/** A non-option position's margin inputs, as of the valuation (segment and rate come from its requirement and currency). */
interface MarginInput {
  readonly inst: Instrument;
  readonly qty: Decimal;
  readonly mark: Decimal;
  readonly und: Decimal;
  readonly fut: Instrument | undefined;
  readonly rate: Decimal;
}

/** A stock-option group's margin inputs: its holdings, the shares that can cover them, the rate of its currency. */
interface OptionGroupInput {
  readonly holdings: OptionHolding[];
  readonly shares: Decimal;
  readonly rate: Decimal;
}

/**
 * Values the whole account now. Pure apart from memoising previousDayElv in `params`.
 *
 * The marks and P&L are valued at once; the account values (margin, segments, ~150 rows of text) when first read, from
 * inputs taken now, so they are what they would have been. The market steps four times a second and the P&L and marks
 * cadences value the account every second or three, while the rows are read every three minutes or on a change: they
 * were most of the simulator's valuation cost.
 */
export function valueAccount(ledger: Ledger, market: MarketMarks, params: ValuationParams): AccountView {
  const base = ledger.base;
  const buckets = new Map<string, CcyBucket>();
  const bucket = (ccy: string) => {
    let b = buckets.get(ccy);
    if (!b) buckets.set(ccy, (b = emptyBucket()));
    return b;
  };
  bucket(base);
  for (const [ccy, amount] of ledger.cash) bucket(ccy).cash = amount;

  const portfolio: PortfolioRow[] = [];
  const margins: MarginInput[] = [];
  let gpv = ZERO;
  let daily = ZERO;
  // Stock options are margined per underlying, paired into strategies (margin.ts optionGroupRequirement).
  const optionGroups = new Map<string, OptionHolding[]>();
  for (const p of ledger.positions.values()) {
    const row = portfolioRow(p, market);
    portfolio.push(row);
    const ccy = p.inst.currency;
    const b = bucket(ccy);
    const x = sentRate(market, ccy, base);
    switch (p.inst.secType) {
      case 'STK':
        b.stock = b.stock.add(row.marketValue);
        break;
      case 'OPT':
        b.option = b.option.add(row.marketValue);
        break;
      case 'FOP':
        b.fop = b.fop.add(row.marketValue);
        break;
      case 'FUT':
        b.futPnl = b.futPnl.add(row.unrealizedPnl);
        break;
      case 'BOND':
        b.bond = b.bond.add(row.marketValue);
        break;
      default:
        break; // CASH pairs live in the cash legs
    }
    if (p.inst.secType === 'CASH') bucket(p.inst.symbol);
    b.unrealized = b.unrealized.add(row.unrealizedPnl);
    b.realized = b.realized.add(row.realizedPnl);
    daily = daily.add(row.dailyPnl.mul(x));
    if (p.inst.secType === 'STK' || p.inst.secType === 'OPT' || p.inst.secType === 'BOND') {
      gpv = gpv.add(cents(row.marketValue.abs().mul(x)));
    }
    const und = underlyingPrice(p.inst, market);
    if (p.inst.secType === 'OPT') {
      const key = `${p.inst.underConId}|${ccy}`;
      const group = optionGroups.get(key) ?? [];
      group.push({ inst: p.inst, qty: p.qty, mark: row.marketPrice, und });
      optionGroups.set(key, group);
      continue;
    }
    const fut = p.inst.futureConId ? ledger.universe.find((i) => i.conId === p.inst.futureConId) : undefined;
    margins.push({ inst: p.inst, qty: p.qty, mark: row.marketPrice, und, fut, rate: x });
  }
  const groups: OptionGroupInput[] = [];
  for (const holdings of optionGroups.values()) {
    const first = holdings[0]!.inst;
    const stock = ledger.positions.get(first.underConId);
    const shares = stock && stock.inst.currency === first.currency ? stock.qty : ZERO;
    groups.push({ holdings, shares, rate: sentRate(market, first.currency, base) });
  }

  const currencies = [base, ...[...buckets.keys()].filter((c) => c !== base).sort()];
  const rates = new Map(currencies.map((c) => [c, sentRate(market, c, base)]));
  const conv = (ccy: string, v: Decimal) => cents(v.mul(rates.get(ccy) ?? ZERO));
  const sumBase = (f: (b: CcyBucket) => Decimal) => currencies.reduce((acc, c) => acc.add(conv(c, f(buckets.get(c) ?? emptyBucket()))), ZERO);
  const pnl: PnlValues = {
    daily: cents(daily),
    unrealized: sumBase((b) => b.unrealized),
    realized: sumBase((b) => b.realized),
  };

  // Everything the account values need, taken now: the ledger, the market and the margin spike may change before then.
  const valued: Valued = { account: ledger.account, base, buckets, currencies, rates, margins, groups, gpv, margin: params.margin, spike: params.spike };
  let values: Pick<AccountView, 'rows' | 'byKey'> | undefined;
  const accountValues = () => (values ??= accountRows(valued, params, sumBase));
  // The first valuation fixes PreviousDayEquityWithLoanValue: at its own moment, as when everything was valued at once.
  if (params.previousDayElv === undefined) accountValues();
  return {
    get rows() {
      return accountValues().rows;
    },
    get byKey() {
      return accountValues().byKey;
    },
    portfolio,
    pnl,
    currencies,
  };
}

/** The inputs of the account values, taken when the account was valued. */
interface Valued {
  readonly account: string;
  readonly base: string;
  readonly buckets: ReadonlyMap<string, CcyBucket>;
  readonly currencies: readonly string[];
  readonly rates: ReadonlyMap<string, Decimal>;
  readonly margins: readonly MarginInput[];
  readonly groups: readonly OptionGroupInput[];
  readonly gpv: Decimal;
  readonly margin: MarginParams;
  readonly spike: MarginSpike;
}

/** Margin, segments and the ACCT_VALUE rows from a valuation's inputs. */
function accountRows(v: Valued, params: ValuationParams, sumBase: (f: (b: CcyBucket) => Decimal) => Decimal): Pick<AccountView, 'rows' | 'byKey'> {
  const { base, buckets, currencies, rates, gpv } = v;
  let imS = ZERO,
    mmS = ZERO,
    imC = ZERO,
    mmC = ZERO;
  for (const m of v.margins) {
    const req = positionRequirement(m.inst, m.qty, m.mark, m.und, v.margin, v.spike, m.fut);
    if (req.segment === 'S') {
      imS = imS.add(req.init.mul(m.rate));
      mmS = mmS.add(req.maint.mul(m.rate));
    } else {
      imC = imC.add(req.init.mul(m.rate));
      mmC = mmC.add(req.maint.mul(m.rate));
    }
  }
  for (const g of v.groups) {
    const req = optionGroupRequirement(g.holdings, g.shares, v.margin, v.spike);
    imS = imS.add(req.init.mul(g.rate));
    mmS = mmS.add(req.maint.mul(g.rate));
  }

  const cashB = sumBase((b) => b.cash);
  const stockB = sumBase((b) => b.stock);
  const optB = sumBase((b) => b.option);
  const bondB = sumBase((b) => b.bond);
  const fopB = sumBase((b) => b.fop);
  const futB = sumBase((b) => b.futPnl);
  const fx = fxRequirement(nlvByCcyBase(buckets, currencies, rates), base, v.margin, v.spike);
  const initS = cents(imS.add(fx.init));
  const maintS = cents(mmS.add(fx.maint));
  const initC = cents(imC);
  const maintC = cents(mmC);
  // IBKR sweeps cash into the commodities segment to cover its initial margin; model that so the -C rows
  // look like a real account (never more than the positive cash there is).
  const sweep = Decimal.min(Decimal.max(ZERO, initC.sub(fopB).sub(futB)), Decimal.max(ZERO, cashB));
  const cashS = cashB.sub(sweep);
  const cashC = sweep;
  const nlvS = cashS.add(stockB).add(optB).add(bondB);
  const nlvC = cashC.add(fopB).add(futB);
  const nlv = nlvS.add(nlvC);
  // US Reg T: securities option values carry no loan value (risk-model.md §1.2 EquityWithLoanValue).
  const elvS = cashS.add(stockB).add(bondB);
  const elvC = nlvC;
  const elv = elvS.add(elvC);

  const init = initS.add(initC);
  const maint = maintS.add(maintC);
  const elS = elvS.sub(maintS);
  const elC = elvC.sub(maintC);
  const el = elv.sub(maint);
  const afS = elvS.sub(initS);
  const afC = elvC.sub(initC);
  const af = elv.sub(init);
  params.previousDayElv ??= elv;
  const prevElv = params.previousDayElv;
  const cushion = nlv.isZero() ? ZERO : el.div(nlv).toDecimalPlaces(6, Decimal.ROUND_HALF_EVEN);
  const buyingPower = Decimal.max(ZERO, Decimal.min(elv, prevElv).sub(init).mul(4));
  const leverage = nlvS.isZero() ? ZERO : gpv.div(nlvS);

  const rows: AccountValueRow[] = [];
  const acct = v.account;
  const add = (key: string, value: string, currency = base) => rows.push({ key, value, currency });
  const seg = (key: string, total: Decimal, s: Decimal, c: Decimal) => {
    add(key, money(total));
    add(`${key}-C`, money(c));
    add(`${key}-S`, money(s));
  };
  const perCcy = (key: string, f: (b: CcyBucket, c: string) => string, baseValue: string) => {
    add(key, baseValue, 'BASE');
    for (const c of currencies) add(key, f(buckets.get(c) ?? emptyBucket(), c), c);
  };

  add('AccountCode', acct, '');
  perCcy('AccountOrGroup', () => acct, acct);
  add('AccountReady', 'true', '');
  add('AccountType', 'INDIVIDUAL', '');
  seg('AccruedCash', ZERO, ZERO, ZERO);
  seg('AvailableFunds', af, afS, afC);
  add('BuyingPower', money(buyingPower));
  perCcy('CashBalance', (b) => money(b.cash), money(cashB));
  perCcy('CorporateBondValue', () => '0.00', '0.00');
  perCcy('Currency', (_b, c) => c, base);
  add('Cushion', cushion.toFixed(6), '');
  add('DayTradesRemaining', '-1', '');
  seg('EquityWithLoanValue', elv, elvS, elvC);
  seg('ExcessLiquidity', el, elS, elC);
  perCcy('ExchangeRate', (_b, c) => (rates.get(c) ?? ZERO).toFixed(8), '1.00');
  seg('FullAvailableFunds', af, afS, afC);
  seg('FullExcessLiquidity', el, elS, elC);
  seg('FullInitMarginReq', init, initS, initC);
  seg('FullMaintMarginReq', maint, maintS, maintC);
  perCcy('FutureOptionValue', (b) => money(b.fop), money(fopB));
  perCcy('FuturesPNL', (b) => money(b.futPnl), money(futB));
  add('GrossPositionValue', money(gpv));
  add('GrossPositionValue-S', money(gpv));
  add('HighestSeverity', '0', '');
  seg('InitMarginReq', init, initS, initC);
  add('Leverage-S', leverage.toFixed(2), '');
  seg('LookAheadAvailableFunds', af, afS, afC);
  seg('LookAheadExcessLiquidity', el, elS, elC);
  seg('LookAheadInitMarginReq', init, initS, initC);
  seg('LookAheadMaintMarginReq', maint, maintS, maintC);
  add('LookAheadNextChange', '0', '');
  seg('MaintMarginReq', maint, maintS, maintC);
  seg('NetLiquidation', nlv, nlvS, nlvC);
  perCcy('NetLiquidationByCurrency', (b) => money(b.cash.add(b.stock).add(b.option).add(b.fop).add(b.futPnl).add(b.bond)), money(nlv));
  perCcy('OptionMarketValue', (b) => money(b.option), money(optB));
  add('PreviousDayEquityWithLoanValue', money(prevElv));
  add('PreviousDayEquityWithLoanValue-S', money(prevElv));
  perCcy('RealCurrency', (_b, c) => c, base);
  perCcy('RealizedPnL', (b) => money(b.realized), money(sumBase((b) => b.realized)));
  add('RegTEquity', money(elvS));
  add('RegTEquity-S', money(elvS));
  add('RegTMargin', money(initS));
  add('RegTMargin-S', money(initS));
  add('SMA', money(elvS.sub(initS)));
  add('SMA-S', money(elvS.sub(initS)));
  perCcy('StockMarketValue', (b) => money(b.stock), money(stockB));
  perCcy('TBondValue', (b) => money(b.bond), money(bondB));
  perCcy('TotalCashBalance', (b) => money(b.cash), money(cashB));
  seg('TotalCashValue', cashB, cashS, cashC);
  perCcy('UnrealizedPnL', (b) => money(b.unrealized), money(sumBase((b) => b.unrealized)));

  const byKey = new Map(rows.map((r) => [`${r.key}|${r.currency}`, r.value]));
  return { rows, byKey };
}

/** Each currency's net liquidation value converted to base (input of the FX haircut). */
function nlvByCcyBase(buckets: ReadonlyMap<string, CcyBucket>, currencies: readonly string[], rates: ReadonlyMap<string, Decimal>): Map<string, Decimal> {
  const out = new Map<string, Decimal>();
  for (const c of currencies) {
    const b = buckets.get(c) ?? emptyBucket();
    out.set(
      c,
      b.cash
        .add(b.stock)
        .add(b.option)
        .add(b.fop)
        .add(b.futPnl)
        .add(b.bond)
        .mul(rates.get(c) ?? ZERO),
    );
  }
  return out;
}

/** Price of the thing an option's margin is computed on: stock/index level, or the futures price for FOPs. */
function underlyingPrice(inst: Instrument, market: MarketMarks): Decimal {
  if (inst.secType === 'OPT' || inst.secType === 'FOP') {
    const und = market.quote(inst).option?.undPrice ?? 0;
    return dec(und.toFixed(6));
  }
  return ZERO;
}
