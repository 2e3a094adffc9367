// A small decoder that reads server messages in the field order of IB's official Python client (ibapi decoder.py and
// orderdecoder.py, 10.3x) for a given server version, independently of src/sim. It covers the messages whose layout
// changes between 157 and 193, for plain orders (no combo legs, algos, conditions, scale or delta-neutral parts), and
// throws when a message has too few fields or fields left over, as the official reader would misread them.

/** IB's MIN_SERVER_VER_* values, written out here from ibapi/server_versions.py (not imported from the simulator). */
const V = {
  MD_SIZE_MULTIPLIER: 110,
  ADVANCED_ORDER_REJECT: 166,
  DURATION: 158,
  POST_TO_ATS: 160,
  AUTO_CANCEL_PARENT: 162,
  FRACTIONAL_SIZE_SUPPORT: 163,
  SIZE_RULES: 164,
  PEGBEST_PEGMID_OFFSETS: 170,
  BOND_ISSUERID: 176,
  FA_PROFILE_DESUPPORT: 177,
  PENDING_PRICE_REVISION: 178,
  FUND_DATA_FIELDS: 179,
  LAST_TRADE_DATE: 182,
  CUSTOMER_ACCOUNT: 183,
  PROFESSIONAL_CUSTOMER: 184,
  BOND_ACCRUED_INTEREST: 185,
  INELIGIBILITY_REASONS: 186,
  BOND_TRADING_HOURS: 188,
  INCLUDE_OVERNIGHT: 189,
  CME_TAGGING_FIELDS_IN_OPEN_ORDER: 193,
} as const;

class Reader {
  private i = 1; // fields[0] is the message id
  readonly out: Record<string, string> = {};
  constructor(private readonly fields: readonly string[]) {}

  /** Reads one field; `name` keeps it in `out` (a repeated name keeps the last). */
  read(name = ''): string {
    if (this.i >= this.fields.length) throw new Error(`underrun reading ${name || 'a field'} at ${this.i}`);
    const v = this.fields[this.i++]!;
    if (name) this.out[name] = v;
    return v;
  }

  int(name = ''): number {
    const v = this.read(name);
    if (v === '') return 0;
    const n = Number(v);
    if (!Number.isInteger(n)) throw new Error(`${name || 'field'} ${JSON.stringify(v)} is not an int`);
    return n;
  }

  float(name = ''): number {
    const v = this.read(name);
    const n = v === '' ? 0 : Number(v);
    if (!Number.isFinite(n)) throw new Error(`${name || 'field'} ${JSON.stringify(v)} is not a float`);
    return n;
  }

  many(n: number): void {
    for (let k = 0; k < n; k++) this.read();
  }

  end(): Record<string, string> {
    if (this.i !== this.fields.length) throw new Error(`${this.fields.length - this.i} field(s) left over: ${this.fields.slice(this.i).join('|')}`);
    return this.out;
  }
}

/** processErrorMsg. */
export function decodeError(sv: number, f: readonly string[]): Record<string, string> {
  const r = new Reader(f);
  r.int('version');
  r.int('reqId');
  r.int('code');
  r.read('message');
  if (sv >= V.ADVANCED_ORDER_REJECT) r.read('advancedOrderRejectJson');
  return r.end();
}

/** processContractDataMsg (not FUND). evMultiplier is decoded as an int, as the official client does. */
export function decodeContractData(sv: number, f: readonly string[]): Record<string, string> {
  const r = new Reader(f);
  const version = sv < V.SIZE_RULES ? r.int('version') : 8;
  if (version >= 3) r.int('reqId');
  r.read('symbol');
  r.read('secType');
  r.read('lastTradeDateOrContractMonth');
  if (sv >= V.LAST_TRADE_DATE) r.read('lastTradeDate');
  r.float('strike');
  r.read('right');
  r.read('exchange');
  r.read('currency');
  r.read('localSymbol');
  r.read('marketName');
  r.read('tradingClass');
  r.int('conId');
  r.float('minTick');
  if (sv >= V.MD_SIZE_MULTIPLIER && sv < V.SIZE_RULES) r.int('mdSizeMultiplier');
  r.read('multiplier');
  r.read('orderTypes');
  r.read('validExchanges');
  r.int('priceMagnifier');
  r.int('underConId');
  r.read('longName');
  r.read('primaryExchange');
  for (const k of ['contractMonth', 'industry', 'category', 'subcategory', 'timeZoneId', 'tradingHours', 'liquidHours']) r.read(k);
  r.read('evRule');
  r.int('evMultiplier');
  r.many(2 * r.int('secIdListCount'));
  r.int('aggGroup');
  r.read('underSymbol');
  r.read('underSecType');
  r.read('marketRuleIds');
  r.read('realExpirationDate');
  r.read('stockType');
  if (sv >= V.FRACTIONAL_SIZE_SUPPORT && sv < V.SIZE_RULES) r.read('sizeMinTick');
  if (sv >= V.SIZE_RULES) {
    r.read('minSize');
    r.read('sizeIncrement');
    r.read('suggestedSizeIncrement');
  }
  if (sv >= V.INELIGIBILITY_REASONS) r.many(2 * r.int('ineligibilityReasonCount'));
  return r.end();
}

/** processBondContractDataMsg. */
export function decodeBondContractData(sv: number, f: readonly string[]): Record<string, string> {
  const r = new Reader(f);
  const version = sv < V.SIZE_RULES ? r.int('version') : 6;
  if (version >= 3) r.int('reqId');
  for (const k of ['symbol', 'secType', 'cusip']) r.read(k);
  r.float('coupon');
  for (const k of ['maturity', 'issueDate', 'ratings', 'bondType', 'couponType']) r.read(k);
  r.many(3); // convertible, callable, putable
  for (const k of ['descAppend', 'exchange', 'currency', 'marketName', 'tradingClass']) r.read(k);
  r.int('conId');
  r.float('minTick');
  if (sv >= V.MD_SIZE_MULTIPLIER && sv < V.SIZE_RULES) r.int('mdSizeMultiplier');
  for (const k of ['orderTypes', 'validExchanges', 'nextOptionDate', 'nextOptionType', 'nextOptionPartial', 'notes', 'longName']) r.read(k);
  if (sv >= V.BOND_TRADING_HOURS) for (const k of ['timeZoneId', 'tradingHours', 'liquidHours']) r.read(k);
  r.read('evRule');
  r.int('evMultiplier');
  r.many(2 * r.int('secIdListCount'));
  r.int('aggGroup');
  r.read('marketRuleIds');
  if (sv >= V.SIZE_RULES) for (const k of ['minSize', 'sizeIncrement', 'suggestedSizeIncrement']) r.read(k);
  return r.end();
}

/** processExecutionDataMsg at sv ≥ 136. */
export function decodeExecution(sv: number, f: readonly string[]): Record<string, string> {
  const r = new Reader(f);
  r.int('reqId');
  r.int('orderId');
  r.int('conId');
  for (const k of [
    'symbol',
    'secType',
    'lastTradeDateOrContractMonth',
    'strike',
    'right',
    'multiplier',
    'contractExchange',
    'currency',
    'localSymbol',
    'tradingClass',
  ])
    r.read(k);
  for (const k of [
    'execId',
    'time',
    'acctNumber',
    'exchange',
    'side',
    'shares',
    'price',
    'permId',
    'clientId',
    'liquidation',
    'cumQty',
    'avgPrice',
    'orderRef',
    'evRule',
  ])
    r.read(k);
  r.float('evMultiplier');
  r.read('modelCode');
  r.int('lastLiquidity');
  if (sv >= V.PENDING_PRICE_REVISION) r.read('pendingPriceRevision');
  return r.end();
}

function contractFields(r: Reader): void {
  r.int('conId');
  for (const k of ['symbol', 'secType', 'lastTradeDateOrContractMonth', 'strike', 'right', 'multiplier', 'exchange', 'currency', 'localSymbol', 'tradingClass'])
    r.read(k);
}

/** The part of decodeVolOrderParams … decodeAlgoParams shared by open and completed orders, for a plain order. */
function volToAlgo(r: Reader, open: boolean): void {
  r.read('volatility');
  r.int('volatilityType');
  if (r.read('deltaNeutralOrderType') !== '') throw new Error('delta-neutral orders are not covered');
  r.read('deltaNeutralAuxPrice');
  r.read('continuousUpdate');
  r.int('referencePriceType');
  r.read('trailStopPrice');
  r.read('trailingPercent');
  if (open) {
    r.read('basisPoints');
    r.read('basisPointsType');
  }
  r.read('comboLegsDescrip');
  if (r.int('comboLegsCount') !== 0 || r.int('orderComboLegsCount') !== 0) throw new Error('combo legs are not covered');
  r.many(2 * r.int('smartComboRoutingParamsCount'));
  r.read('scaleInitLevelSize');
  r.read('scaleSubsLevelSize');
  const inc = r.read('scalePriceIncrement');
  if (inc !== '' && Number(inc) > 0 && Number(inc) < 1e308) throw new Error('scale orders are not covered');
  if (r.read('hedgeType') !== '') r.read('hedgeParam');
  if (open) r.read('optOutSmartRouting');
  r.read('clearingAccount');
  r.read('clearingIntent');
  r.read('notHeld');
  if (r.int('deltaNeutralContractPresent') !== 0) r.many(3);
  if (r.read('algoStrategy') !== '') r.many(2 * r.int('algoParamsCount'));
  r.read('solicited');
}

/** processOpenOrder at sv ≥ 145 (no version field), for a plain order. */
export function decodeOpenOrder(sv: number, f: readonly string[]): Record<string, string> {
  const r = new Reader(f);
  r.int('orderId');
  contractFields(r);
  for (const k of ['action', 'totalQuantity', 'orderType', 'lmtPrice', 'auxPrice', 'tif', 'ocaGroup', 'account', 'openClose']) r.read(k);
  r.int('origin');
  r.read('orderRef');
  r.int('clientId');
  r.int('permId');
  for (const k of ['outsideRth', 'hidden', 'discretionaryAmt', 'goodAfterTime', 'sharesAllocation', 'faGroup', 'faMethod', 'faPercentage']) r.read(k);
  if (sv < V.FA_PROFILE_DESUPPORT) r.read('faProfile');
  for (const k of ['modelCode', 'goodTillDate', 'rule80A', 'percentOffset', 'settlingFirm']) r.read(k);
  r.int('shortSaleSlot');
  r.read('designatedLocation');
  r.int('exemptCode');
  r.int('auctionStrategy');
  for (const k of ['startingPrice', 'stockRefPrice', 'delta', 'stockRangeLower', 'stockRangeUpper']) r.read(k);
  r.int('displaySize');
  for (const k of ['blockOrder', 'sweepToFill', 'allOrNone']) r.read(k);
  r.int('minQty');
  r.int('ocaType');
  r.many(3); // eTradeOnly, firmQuoteOnly, nbboPriceCap
  r.int('parentId');
  r.int('triggerMethod');
  volToAlgo(r, true);
  r.read('whatIf');
  r.read('status');
  for (const k of [
    'initMarginBefore',
    'maintMarginBefore',
    'equityWithLoanBefore',
    'initMarginChange',
    'maintMarginChange',
    'equityWithLoanChange',
    'initMarginAfter',
    'maintMarginAfter',
    'equityWithLoanAfter',
  ])
    r.read(k);
  for (const k of ['commission', 'minCommission', 'maxCommission', 'commissionCurrency', 'warningText', 'randomizeSize', 'randomizePrice']) r.read(k);
  if (r.int('conditionsCount') !== 0) throw new Error('conditions are not covered');
  for (const k of [
    'adjustedOrderType',
    'triggerPrice',
    'trailStopPrice2',
    'lmtPriceOffset',
    'adjustedStopPrice',
    'adjustedStopLimitPrice',
    'adjustedTrailingAmount',
  ])
    r.read(k);
  r.int('adjustableTrailingUnit');
  for (const k of [
    'softDollarTierName',
    'softDollarTierValue',
    'softDollarTierDisplayName',
    'cashQty',
    'dontUseAutoPriceForHedge',
    'isOmsContainer',
    'discretionaryUpToLimitPrice',
    'usePriceMgmtAlgo',
  ])
    r.read(k);
  if (sv >= V.DURATION) r.int('duration');
  if (sv >= V.POST_TO_ATS) r.int('postToAts');
  if (sv >= V.AUTO_CANCEL_PARENT) r.read('autoCancelParent');
  if (sv >= V.PEGBEST_PEGMID_OFFSETS)
    for (const k of ['minTradeQty', 'minCompeteSize', 'competeAgainstBestOffset', 'midOffsetAtWhole', 'midOffsetAtHalf']) r.read(k);
  if (sv >= V.CUSTOMER_ACCOUNT) r.read('customerAccount');
  if (sv >= V.PROFESSIONAL_CUSTOMER) r.read('professionalCustomer');
  if (sv >= V.BOND_ACCRUED_INTEREST) r.read('bondAccruedInterest');
  if (sv >= V.INCLUDE_OVERNIGHT) r.read('includeOvernight');
  if (sv >= V.CME_TAGGING_FIELDS_IN_OPEN_ORDER) {
    r.read('extOperator');
    r.int('manualOrderIndicator');
  }
  return r.end();
}

/** processCompletedOrderMsg, for a plain order. */
export function decodeCompletedOrder(sv: number, f: readonly string[]): Record<string, string> {
  const r = new Reader(f);
  contractFields(r);
  for (const k of ['action', 'totalQuantity', 'orderType', 'lmtPrice', 'auxPrice', 'tif', 'ocaGroup', 'account', 'openClose']) r.read(k);
  r.int('origin');
  r.read('orderRef');
  r.int('permId');
  for (const k of ['outsideRth', 'hidden', 'discretionaryAmt', 'goodAfterTime', 'faGroup', 'faMethod', 'faPercentage']) r.read(k);
  if (sv < V.FA_PROFILE_DESUPPORT) r.read('faProfile');
  for (const k of ['modelCode', 'goodTillDate', 'rule80A', 'percentOffset', 'settlingFirm']) r.read(k);
  r.int('shortSaleSlot');
  r.read('designatedLocation');
  r.int('exemptCode');
  for (const k of ['startingPrice', 'stockRefPrice', 'delta', 'stockRangeLower', 'stockRangeUpper']) r.read(k);
  r.int('displaySize');
  for (const k of ['sweepToFill', 'allOrNone']) r.read(k);
  r.int('minQty');
  r.int('ocaType');
  r.int('triggerMethod');
  volToAlgo(r, false);
  r.read('status');
  r.read('randomizeSize');
  r.read('randomizePrice');
  if (r.int('conditionsCount') !== 0) throw new Error('conditions are not covered');
  for (const k of ['trailStopPrice2', 'lmtPriceOffset', 'cashQty', 'dontUseAutoPriceForHedge', 'isOmsContainer', 'autoCancelDate', 'filledQuantity']) r.read(k);
  r.int('refFuturesConId');
  for (const k of ['autoCancelParent', 'shareholder', 'imbalanceOnly', 'routeMarketableToBbo']) r.read(k);
  r.int('parentPermId');
  r.read('completedTime');
  r.read('completedStatus');
  if (sv >= V.PEGBEST_PEGMID_OFFSETS)
    for (const k of ['minTradeQty', 'minCompeteSize', 'competeAgainstBestOffset', 'midOffsetAtWhole', 'midOffsetAtHalf']) r.read(k);
  if (sv >= V.CUSTOMER_ACCOUNT) r.read('customerAccount');
  if (sv >= V.PROFESSIONAL_CUSTOMER) r.read('professionalCustomer');
  return r.end();
}

/** processSymbolSamplesMsg. */
export function decodeSymbolSamples(sv: number, f: readonly string[]): { reqId: number; rows: Array<Record<string, string>> } {
  const r = new Reader(f);
  const reqId = r.int();
  const rows: Array<Record<string, string>> = [];
  const n = r.int();
  for (let k = 0; k < n; k++) {
    const row: Record<string, string> = {};
    for (const key of ['conId', 'symbol', 'secType', 'primaryExchange', 'currency']) row[key] = r.read();
    row.derivativeSecTypes = Array.from({ length: r.int() }, () => r.read()).join(',');
    if (sv >= V.BOND_ISSUERID) {
      row.description = r.read();
      row.issuerId = r.read();
    }
    rows.push(row);
  }
  r.end();
  return { reqId, rows };
}

/** processAccountUpdateMultiMsg. */
export function decodeAccountUpdateMulti(f: readonly string[]): Record<string, string> {
  const r = new Reader(f);
  r.int('version');
  r.int('reqId');
  for (const k of ['account', 'modelCode', 'key', 'value', 'currency']) r.read(k);
  return r.end();
}

/** processPositionMultiMsg: position is a Decimal, avgCost a float. */
export function decodePositionMulti(f: readonly string[]): Record<string, string> {
  const r = new Reader(f);
  r.int('version');
  r.int('reqId');
  r.read('account');
  contractFields(r);
  r.read('position');
  r.float('avgCost');
  r.read('modelCode');
  return r.end();
}

/** processHistoricalDataUpdateMsg: barCount before the date, close before high; wap and volume are Decimals. */
export function decodeHistoricalDataUpdate(f: readonly string[]): Record<string, string> {
  const r = new Reader(f);
  r.int('reqId');
  r.int('barCount');
  r.read('date');
  for (const k of ['open', 'close', 'high', 'low']) r.float(k);
  r.read('wap');
  r.read('volume');
  return r.end();
}

/** processHistoricalDataMsg at sv ≥ 124 and < 196 (no version field; the end is implied by the bar count). */
export function decodeHistoricalData(f: readonly string[]): { reqId: number; bars: Array<Record<string, string>> } {
  const r = new Reader(f);
  const reqId = r.int();
  r.read('startDate');
  r.read('endDate');
  const n = r.int();
  const bars: Array<Record<string, string>> = [];
  for (let k = 0; k < n; k++) {
    const b: Record<string, string> = {};
    for (const key of ['date', 'open', 'high', 'low', 'close', 'volume', 'wap', 'barCount']) b[key] = r.read();
    bars.push(b);
  }
  r.end();
  return { reqId, bars };
}

export const OFFICIAL_VERSIONS = V;
