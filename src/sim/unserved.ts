// What TWS answers the requests the simulator does not serve, so that no request meets silence (issue 18 item 3).
//
// Each entry says where the request's id sits (after the message id, or after a version field; TWS echoes it in the
// error) and the answer: an ERR_MSG with TWS's code and wording for that request on an account without the data
// subscription or feature, or, for the catalogue requests (scanner parameters, news providers…), the empty answer
// TWS sends. Requests TWS itself never answers (fire-and-forget cancels, bulletin subscriptions) stay unanswered.

/** Where the request id is: index in the fields (0 is the message id), or none (TWS answers with id -1). */
type IdAt = 1 | 2 | 'none';

export type Unserved =
  | { readonly kind: 'error'; readonly name: string; readonly idAt: IdAt; readonly code: number; readonly message: (reqId: number) => string }
  /** TWS answers with this message (fields after the id are built from the request id). */
  | { readonly kind: 'reply'; readonly name: string; readonly idAt: IdAt; readonly reply: (reqId: number) => string[] }
  /** TWS sends nothing back for this one (a cancel, a subscription with nothing to report). */
  | { readonly kind: 'silent'; readonly name: string };

const NOT_SUBSCRIBED = 'Requested market data is not subscribed.';
const HMDS = (what: string) => `Historical Market Data Service error message:${what}`;
const noEid = (reqId: number) => `Can't find EId with tickerId:${reqId}`;

/** Keyed by the client's OUT message id. */
export const UNSERVED: Readonly<Record<number, Unserved>> = {
  10: { kind: 'error', name: 'reqMktDepth', idAt: 2, code: 354, message: () => NOT_SUBSCRIBED },
  11: { kind: 'error', name: 'cancelMktDepth', idAt: 2, code: 300, message: noEid },
  12: { kind: 'silent', name: 'reqNewsBulletins' },
  13: { kind: 'silent', name: 'cancelNewsBulletins' },
  18: {
    kind: 'error',
    name: 'requestFA',
    idAt: 'none',
    code: 321,
    message: () => "Error validating request.-'bO' : cause - FA data operations ignored for non FA customers.",
  },
  19: {
    kind: 'error',
    name: 'replaceFA',
    idAt: 'none',
    code: 321,
    message: () => "Error validating request.-'bO' : cause - FA data operations ignored for non FA customers.",
  },
  21: {
    kind: 'error',
    name: 'exerciseOptions',
    idAt: 2,
    code: 321,
    message: () => "Error validating request.-'bW' : cause - Option exercise is not available for this account.",
  },
  22: { kind: 'error', name: 'reqScannerSubscription', idAt: 1, code: 162, message: () => HMDS('Scanner data requires a market data subscription.') },
  23: { kind: 'silent', name: 'cancelScannerSubscription' },
  24: { kind: 'reply', name: 'reqScannerParameters', idAt: 'none', reply: () => ['19', '1', '<?xml version="1.0" encoding="UTF-8"?><ScanParameterResponse/>'] },
  50: { kind: 'error', name: 'reqRealTimeBars', idAt: 2, code: 420, message: () => 'Invalid Real-time Query:No market data permissions.' },
  51: { kind: 'silent', name: 'cancelRealTimeBars' },
  52: {
    kind: 'error',
    name: 'reqFundamentalData',
    idAt: 2,
    code: 430,
    message: () => 'We are sorry, but fundamentals data for the security specified is not available.Not allowed',
  },
  53: { kind: 'silent', name: 'cancelFundamentalData' },
  54: { kind: 'error', name: 'calculateImpliedVolatility', idAt: 2, code: 354, message: () => NOT_SUBSCRIBED },
  55: { kind: 'error', name: 'calculateOptionPrice', idAt: 2, code: 354, message: () => NOT_SUBSCRIBED },
  56: { kind: 'silent', name: 'cancelCalculateImpliedVolatility' },
  57: { kind: 'silent', name: 'cancelCalculateOptionPrice' },
  65: {
    kind: 'error',
    name: 'verifyRequest',
    idAt: 'none',
    code: 321,
    message: () => "Error validating request.-'a0' : cause - API verification is not enabled.",
  },
  66: {
    kind: 'error',
    name: 'verifyMessage',
    idAt: 'none',
    code: 321,
    message: () => "Error validating request.-'a0' : cause - API verification is not enabled.",
  },
  67: { kind: 'reply', name: 'queryDisplayGroups', idAt: 2, reply: (id) => ['67', '1', String(id), ''] },
  68: { kind: 'reply', name: 'subscribeToGroupEvents', idAt: 2, reply: (id) => ['68', '1', String(id), ''] },
  69: { kind: 'silent', name: 'updateDisplayGroup' },
  70: { kind: 'silent', name: 'unsubscribeFromGroupEvents' },
  72: {
    kind: 'error',
    name: 'verifyAndAuthRequest',
    idAt: 'none',
    code: 321,
    message: () => "Error validating request.-'a0' : cause - API verification is not enabled.",
  },
  73: {
    kind: 'error',
    name: 'verifyAndAuthMessage',
    idAt: 'none',
    code: 321,
    message: () => "Error validating request.-'a0' : cause - API verification is not enabled.",
  },
  79: { kind: 'reply', name: 'reqSoftDollarTiers', idAt: 1, reply: (id) => ['77', String(id), '0'] },
  80: { kind: 'reply', name: 'reqFamilyCodes', idAt: 'none', reply: () => ['78', '0'] },
  82: { kind: 'reply', name: 'reqMktDepthExchanges', idAt: 'none', reply: () => ['80', '0'] },
  83: { kind: 'reply', name: 'reqSmartComponents', idAt: 1, reply: (id) => ['82', String(id), '0'] },
  84: { kind: 'error', name: 'reqNewsArticle', idAt: 1, code: 10172, message: () => 'Failed to request news article: News feed is not allowed' },
  85: { kind: 'reply', name: 'reqNewsProviders', idAt: 'none', reply: () => ['85', '0'] },
  86: { kind: 'reply', name: 'reqHistoricalNews', idAt: 1, reply: (id) => ['87', String(id), '0'] },
  88: { kind: 'error', name: 'reqHistogramData', idAt: 1, code: 162, message: () => HMDS('No market data permissions.') },
  89: { kind: 'silent', name: 'cancelHistogramData' },
  96: { kind: 'error', name: 'reqHistoricalTicks', idAt: 1, code: 162, message: () => HMDS('No market data permissions.') },
  97: { kind: 'error', name: 'reqTickByTickData', idAt: 1, code: 10189, message: () => 'Failed to request tick-by-tick data:No market data permissions.' },
  98: { kind: 'silent', name: 'cancelTickByTickData' },
  100: { kind: 'error', name: 'reqWshMetaData', idAt: 1, code: 10276, message: () => 'News feed is not allowed' },
  101: { kind: 'silent', name: 'cancelWshMetaData' },
  102: { kind: 'error', name: 'reqWshEventData', idAt: 1, code: 10276, message: () => 'News feed is not allowed' },
  103: { kind: 'silent', name: 'cancelWshEventData' },
  104: { kind: 'reply', name: 'reqUserInfo', idAt: 1, reply: (id) => ['107', String(id), ''] },
};

/** The request id an unserved request carries (-1 when it has none or it is not a number). */
export function unservedReqId(u: Unserved, fields: readonly string[]): number {
  if (u.kind === 'silent' || u.idAt === 'none') return -1;
  const n = Number(fields[u.idAt]);
  return Number.isInteger(n) ? n : -1;
}

/** A message id TWS does not know at this version: it answers with a validation error rather than silence. */
export function unknownRequestMessage(msgId: number): string {
  return `Error validating request.-'' : cause - Unknown incoming message id ${msgId}`;
}
