// One API client connection: handshake, request handling, and the per-client subscriptions it streams.
import type { Socket } from 'node:net';
import { Decimal, ZERO, dec } from '../model/money.js';
import { MARKET_RULES, detailsOf } from './contract-details.js';
import { FARM_MESSAGES, CONNECTIVITY_MESSAGES, defaultFarm } from './incidents.js';
import { findInstruments, isListed, type ContractQuery, type Instrument } from './instruments.js';
import * as M from './messages.js';
import { completedOrderView, executionView, openOrderView, orderStatusView } from './order-views.js';
import type { SimExecution, SimOrder } from './orders.js';
import { NumberFormatError, parseRequest, RequestError, type ClientRequest, type ExecutionFilterRequest } from './requests.js';
import { LEDGER_KEYS, summaryRows, summarySub, type SummarySub } from './summary.js';
import { marketDataSub, ticksFor, type MarketDataSub, type MiscStats } from './ticks.js';
import { avgCostOf, type AccountView, type PortfolioRow } from './valuation.js';
import { SNAPSHOT_GENERIC_REFUSAL, genericTicksRefusal, genericTicksValid } from './generic-ticks.js';
import { HistoryError, barDate, barMsOf, durationMsOf, historicalBars, lastBar, parseEndDateTime } from './history.js';
import { headTimestampOf, matchingSymbols, optionChains } from './reference-data.js';
import { UNSERVED, unknownRequestMessage, unservedReqId } from './unserved.js';
import {
  FrameError,
  FrameReader,
  MIN_SERVER_VERSION,
  SERVER_VERSION,
  encodeFrame,
  encodeFrames,
  framePayload,
  hhmm,
  negotiateVersion,
  twsTime,
} from './wire.js';
import type { SessionDescription, SimulationApi } from './world.js';

/** The server version TWS reports to a client that connects with the pre-v100 handshake. */
const LEGACY_SERVER_VERSION = 76;

/** TWS's default allowance of simultaneous market data lines (IB: "100 market data lines" for a new account). */
const MAX_MARKET_DATA_LINES = 100;

type State = 'handshake' | 'startApi' | 'ready' | 'closed';

/** One keepUpToDate historical-data request and the last bar it was sent (as its fields). */
interface LiveBarsSub {
  readonly inst: Instrument;
  readonly barMs: number;
  readonly useRth: boolean;
  readonly formatDate: number;
  last: string;
}

/** One reqAccountUpdatesMulti subscription and what it was last sent per (key, currency). */
interface AccountMultiSub {
  /** The account whose values it streams (an FA login's sub-account, or the main one for '' and All). */
  readonly account: string;
  readonly modelCode: string;
  readonly ledgerAndNlv: boolean;
  readonly last: Map<string, string>;
}

export class Session {
  readonly id: number;
  readonly remote: string;
  state: State = 'handshake';
  clientId = -1;
  /** The negotiated server version: every message to this client is encoded for it. */
  sv = SERVER_VERSION;
  /** reqAutoOpenOrders(true) on client 0: manual TWS orders are reported here. */
  autoBind = false;
  private readonly reader = new FrameReader();
  private positionsSub = false;
  private accountSub = false;
  private readonly lastAccount = new Map<string, string>();
  private readonly lastPortfolio = new Map<number, string>();
  private readonly summaries = new Map<number, SummarySub>();
  /** reqAccountUpdatesMulti subscriptions by request id, each with its own "last sent" cache. */
  private readonly accountMulti = new Map<number, AccountMultiSub>();
  /** reqPositionsMulti subscriptions: request id → model code and the accounts it covers (all for '' and All). */
  private readonly positionsMulti = new Map<number, { modelCode: string; accounts: readonly string[] }>();
  /** reqPnL subscriptions: request id → account and the fields last sent. */
  private readonly pnlSubs = new Map<number, { account: string; last: string }>();
  private readonly pnlSingles = new Map<number, { conId: number; last: string }>();
  private readonly mkt = new Map<number, MarketDataSub>();
  /** reqHistoricalData with keepUpToDate, by request id, until cancelHistoricalData. */
  private readonly liveBars = new Map<number, LiveBarsSub>();
  private mdType = 1;
  /** Real-time instants of the messages accepted in the last second, and the refusals since `refusedSince` (pacing). */
  private readonly sentTimes: number[] = [];
  private refused = 0;
  private refusedSince = 0;
  /** The messages of the batch under way (see `batch`), and their bytes on the wire. */
  private queued: { payloads: string[]; lengths: number[]; bytes: number } | undefined;

  constructor(
    private readonly socket: Socket,
    private readonly host: SimulationApi<Session>,
    id: number,
  ) {
    this.id = id;
    this.remote = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.host.log('debug', `session ${this.id} socket error: ${err.message}`));
    socket.on('close', () => this.onClose());
  }

  get ready(): boolean {
    return this.state === 'ready';
  }

  /** Closes the socket now (drop, restart). */
  destroy(): void {
    this.socket.destroy();
  }

  // ---- output ---------------------------------------------------------------------------------------

  /**
   * Runs `f` with its messages queued and written at its end as one buffer: a market step's ticks, dozens of small
   * frames, leave in one write instead of one each (the demo's simulator shares the console's process).
   */
  batch(f: () => void): void {
    if (this.queued) {
      f();
      return;
    }
    this.queued = { payloads: [], lengths: [], bytes: 0 };
    try {
      f();
    } finally {
      const q = this.queued;
      this.queued = undefined;
      if (q.payloads.length > 0 && !this.socket.destroyed) this.socket.write(encodeFrames(q.payloads, q.lengths, q.bytes));
    }
  }

  /** Sends one message unless the server is a zombie or the socket is gone. */
  send(fields: string[]): void {
    if (this.host.zombie || this.state === 'closed' || this.socket.destroyed) return;
    const q = this.queued;
    if (!q) {
      this.socket.write(encodeFrame(fields));
      return;
    }
    const payload = framePayload(fields);
    const n = Buffer.byteLength(payload, 'utf8');
    q.payloads.push(payload);
    q.lengths.push(n);
    q.bytes += 4 + n;
  }

  /**
   * Streaming updates are skipped while the client cannot keep up (bounded memory under load) and while
   * the gateway is a zombie; their "last sent" caches stay as they were, so changes flow again afterwards.
   */
  private get congested(): boolean {
    // A batch's queued frames count as written, as they did when the batch corked the socket instead.
    return this.host.zombie || this.socket.writableLength + (this.queued?.bytes ?? 0) > this.host.backpressureBytes;
  }

  info(code: number, message: string): void {
    this.send(M.errorMessage(this.sv, -1, code, message));
  }

  error(reqId: number, code: number, message: string): void {
    this.send(M.errorMessage(this.sv, reqId, code, message));
  }

  // ---- input ----------------------------------------------------------------------------------------

  private onData(chunk: Buffer): void {
    if (this.host.zombie) return; // a zombie gateway reads nothing
    let items;
    try {
      items = this.reader.push(chunk);
    } catch (err) {
      const msg = err instanceof FrameError ? err.message : String(err);
      this.host.log('warn', `session ${this.id} (${this.remote}): ${msg}; closing this connection`);
      this.socket.destroy();
      return;
    }
    for (const item of items) {
      if (this.state === 'closed') return;
      try {
        if (item.kind === 'handshake') this.onHandshake(item.handshake.minVersion, item.handshake.maxVersion, item.handshake.raw);
        else if (item.kind === 'legacy') this.onLegacyHandshake(item.clientVersion);
        else this.onFrame(item.fields);
      } catch (err) {
        // TWS reads integers with Java's Integer.parseInt: one it cannot parse is answered with 320.
        if (err instanceof NumberFormatError && item.kind === 'frame') {
          this.info(320, `Error reading request. Message id ${item.fields[0] ?? ''}. Unable to parse data. java.lang.NumberFormatException: ${err.message}`);
        }
        // One bad request must never take the server (or this client's other requests) down.
        const what = err instanceof RequestError ? 'malformed request' : 'error handling request';
        this.host.log(
          'warn',
          `session ${this.id} client ${this.clientId}: ${what} [${item.kind === 'frame' ? item.fields.slice(0, 4).join(',') : 'handshake'}]: ${(err as Error).message}`,
        );
      }
    }
  }

  private onHandshake(min: number, max: number, raw: string): void {
    // Like TWS: the highest version both sides support, every message then encoded for it.
    const top = this.host.maxServerVersion;
    const v = negotiateVersion(min, max, top);
    if (v === undefined) {
      // No overlap: answer with the nearest version this server has (the client's own check then refuses it) and
      // an error that says why, then close, as TWS closes on a client it cannot serve.
      this.sv = max < MIN_SERVER_VERSION ? MIN_SERVER_VERSION : top;
      this.host.log('warn', `session ${this.id}: client version range ${JSON.stringify(raw)} does not overlap ${MIN_SERVER_VERSION}..${top}; closing`);
      this.send(M.serverVersion(this.sv, twsTime(this.host.clock.now())));
      if (max < MIN_SERVER_VERSION)
        this.info(506, `Unsupported version: the API client offers ${raw.trim()}; this TWS serves v${MIN_SERVER_VERSION}..${top}. Upgrade the API client.`);
      else this.info(503, 'The TWS is out of date and must be upgraded.');
      this.state = 'closed';
      this.socket.end();
      return;
    }
    this.sv = v;
    this.state = 'startApi';
    this.host.log('debug', `session ${this.id}: client offers ${JSON.stringify(raw)}; server version ${v}`);
    this.send(M.serverVersion(v, twsTime(this.host.clock.now())));
  }

  /**
   * A pre-v100 client (npm `ib` 0.2.x sends "62\0"). TWS answers it in the legacy format, unframed NUL-terminated
   * strings: server version 76, the last legacy one (what TWS 972..981 tells node-ib, pilwon/node-ib#155), then the
   * connection time (EClientSocket's legacy connect reads both). The simulator does not speak the legacy protocol,
   * so instead of serving it it sends an ERR_MSG in that format (version 2, id -1, 506) that says so, and closes:
   * never a silent hang or a silent close.
   */
  private onLegacyHandshake(clientVersion: number): void {
    this.host.log('warn', `session ${this.id}: pre-v100 client (client version ${clientVersion}); answering 506 and closing`);
    const message =
      `Unsupported version: this client (client version ${clientVersion}) uses the pre-v100 handshake, which the simulator does not serve; ` +
      `use an API client that sends "API\\0" and a version range (TWS API 9.73 or later, @stoqey/ib, ibapi 10.x): ` +
      `the simulator serves v${MIN_SERVER_VERSION}..${this.host.maxServerVersion}.`;
    const fields = [String(LEGACY_SERVER_VERSION), twsTime(this.host.clock.now()), '4', '2', '-1', '506', message];
    this.state = 'closed';
    if (!this.host.zombie && !this.socket.destroyed) this.socket.end(fields.map((f) => `${f}\0`).join(''));
  }

  private onFrame(fields: string[]): void {
    if (fields.length === 0) return;
    if (this.state === 'ready' && !this.paced()) return;
    const req = parseRequest(fields, this.sv);
    if (this.state === 'startApi') {
      if (req.type !== 'startApi') {
        this.host.log('warn', `session ${this.id}: request ${fields[0]} before START_API ignored`);
        return;
      }
      this.startApi(req.clientId);
      return;
    }
    if (this.state !== 'ready') return;
    this.handle(req);
  }

  /**
   * TWS's pacing of client messages: at most `maxMessagesPerSecond` (50) in any second of real time, as the client
   * sends them. A message over the limit is refused with error 100; a client that keeps sending at twice the rate is
   * cut off ("If the 50 messages/second rate is exceeded, TWS will eventually close the connection": IB, TWS RTD
   * server FAQ). Real time, not simulated: the limit is on the client's own burst.
   */
  private paced(): boolean {
    const limit = this.host.maxMessagesPerSecond;
    if (limit <= 0) return true;
    const now = Date.now();
    const times = this.sentTimes;
    while (times.length > 0 && now - times[0]! >= 1000) times.shift();
    if (now - this.refusedSince >= 1000) this.refused = 0;
    if (times.length < limit) {
      times.push(now);
      return true;
    }
    if (this.refused === 0) this.refusedSince = now;
    this.refused++;
    this.send(M.errorMessage(this.sv, -1, 100, `Max rate of messages per second has been exceeded:max=${limit} rec=${limit + this.refused}`));
    if (this.refused > limit) {
      this.host.log('warn', `session ${this.id}: client ${this.clientId} keeps sending over ${limit} messages per second; closing`);
      this.state = 'closed';
      this.socket.end();
    }
    return false;
  }

  private startApi(clientId: number): void {
    if (this.host.clientIdInUse(clientId, this)) {
      this.host.log('info', `session ${this.id}: client id ${clientId} already in use; answering 326`);
      this.info(326, 'Unable to connect as the client id is already in use. Retry with a unique client id.');
      this.state = 'closed';
      this.socket.end();
      return;
    }
    this.clientId = clientId;
    this.state = 'ready';
    this.host.log('info', `session ${this.id}: client ${clientId} connected from ${this.remote}`);
    this.send(M.nextValidId(this.host.nextValidOrderId(clientId)));
    this.send(M.managedAccounts(this.host.managedAccounts));
    if (this.host.connectivityLost) this.info(1100, CONNECTIVITY_MESSAGES[1100]);
    for (const code of [this.host.marketFarmDown ? 2103 : 2104, 2106, 2158]) {
      this.info(code, `${FARM_MESSAGES[code]}${defaultFarm(code)}`);
    }
  }

  private onClose(): void {
    if (this.state !== 'closed') this.host.log('info', `session ${this.id}: client ${this.clientId} disconnected`);
    this.state = 'closed';
    this.host.sessionClosed(this);
  }

  // ---- requests -------------------------------------------------------------------------------------

  private handle(req: ClientRequest): void {
    const h = this.host;
    switch (req.type) {
      case 'startApi':
        h.log('warn', `session ${this.id}: duplicate START_API ignored`);
        return;
      case 'reqIds':
        this.send(M.nextValidId(h.nextValidOrderId(this.clientId)));
        return;
      case 'reqManagedAccts':
        this.send(M.managedAccounts(h.managedAccounts));
        return;
      case 'reqCurrentTime':
        this.send(M.currentTime(Math.floor(h.clock.now() / 1000)));
        return;
      case 'setServerLogLevel':
        h.log('debug', `session ${this.id}: server log level ${req.level}`);
        return;
      case 'reqPositions':
        this.positionsSub = true;
        for (const p of h.ledger.positions.values()) this.sendPosition(p.inst);
        this.send(M.positionEnd());
        return;
      case 'cancelPositions':
        this.positionsSub = false;
        return;
      case 'reqAccountSummary':
        this.startSummary(req.reqId, req.tags);
        return;
      case 'cancelAccountSummary':
        this.summaries.delete(req.reqId);
        return;
      case 'reqAccountUpdates':
        if (req.acctCode && req.acctCode !== h.account) {
          h.log('warn', `session ${this.id}: reqAccountUpdates for unknown account ${req.acctCode} ignored`);
          return;
        }
        this.accountSub = req.subscribe;
        if (req.subscribe) this.fullAccountDownload();
        return;
      case 'reqPnL':
        if (!h.bookAccounts.includes(req.account)) {
          this.error(req.reqId, 321, `Error validating request.-'bN' : cause - Invalid account code ${req.account}`);
          return;
        }
        this.pnlSubs.set(req.reqId, { account: req.account, last: '' });
        this.streamPnl(true);
        return;
      case 'cancelPnL':
        this.pnlSubs.delete(req.reqId);
        return;
      case 'reqPnLSingle':
        // Like reqPnL: TWS refuses an account this login does not have instead of streaming zeros.
        if (req.account !== h.account) {
          this.error(req.reqId, 321, `Error validating request.-'bN' : cause - Invalid account code ${req.account}`);
          return;
        }
        this.pnlSingles.set(req.reqId, { conId: req.conId, last: '' });
        this.streamPnl(true);
        return;
      case 'cancelPnLSingle':
        this.pnlSingles.delete(req.reqId);
        return;
      case 'reqMktData':
        this.startMarketData(req.reqId, req.contract, req.genericTickList, req.snapshot);
        return;
      case 'cancelMktData':
        this.mkt.delete(req.reqId);
        return;
      case 'reqMarketDataType':
        this.mdType = req.marketDataType >= 1 && req.marketDataType <= 4 ? req.marketDataType : 1;
        return;
      case 'reqContractDetails':
        this.contractDetails(req.reqId, req.contract);
        return;
      case 'reqOpenOrders':
        // IB: for client id 0, reqOpenOrders binds the manual TWS orders open now to client 0 (negative ids).
        if (this.clientId === 0) h.bindManualOrders();
        this.sendOrders(h.engine.openOrders().filter((o) => o.clientId === this.clientId));
        return;
      case 'reqAllOpenOrders':
        this.sendOrders(h.engine.openOrders());
        return;
      case 'reqAutoOpenOrders':
        if (this.clientId !== 0) {
          h.log('warn', `session ${this.id}: reqAutoOpenOrders is only for client id 0 (client ${this.clientId})`);
          return;
        }
        this.autoBind = req.autoBind;
        this.sendOrders(h.engine.openOrders().filter((o) => o.clientId === 0));
        return;
      case 'reqCompletedOrders':
        for (const o of h.engine.completedOrders()) {
          if (req.apiOnly && o.manual) continue;
          const fills = h.engine.executions.filter((e) => e.order === o);
          this.send(M.completedOrder(this.sv, completedOrderView(o, fills[fills.length - 1]?.time)));
        }
        this.send(M.completedOrdersEnd());
        return;
      case 'reqExecutions':
        this.sendExecutions(req.reqId, req.filter);
        return;
      case 'placeOrder':
        h.placeOrder(this, req.orderId, req.contract, req.order);
        return;
      case 'cancelOrder':
        h.cancelOrder(this, req.orderId);
        return;
      case 'reqGlobalCancel':
        h.globalCancel(this);
        return;
      case 'reqPositionsMulti': {
        if (!this.knownAccount(req.reqId, req.account)) return;
        const accounts = !req.account || req.account === 'All' ? h.bookAccounts : [req.account];
        this.positionsMulti.set(req.reqId, { modelCode: req.modelCode, accounts });
        for (const a of accounts) for (const p of h.ledgerOf(a)!.positions.values()) this.sendPositionMulti(req.reqId, p.inst, req.modelCode, a);
        this.send(M.positionMultiEnd(req.reqId));
        return;
      }
      case 'reqAccountUpdatesMulti': {
        if (!this.knownAccount(req.reqId, req.account)) return;
        // Like TWS: the snapshot and its end, then every changed value until cancelAccountUpdatesMulti.
        const account = !req.account || req.account === 'All' ? h.account : req.account;
        const sub: AccountMultiSub = { account, modelCode: req.modelCode, ledgerAndNlv: req.ledgerAndNlv, last: new Map() };
        this.accountMulti.set(req.reqId, sub);
        this.streamAccountMulti(h.viewOf(account)!, req.reqId, sub, true);
        this.send(M.accountUpdateMultiEnd(req.reqId));
        return;
      }
      case 'cancelPositionsMulti':
        this.positionsMulti.delete(req.reqId);
        return;
      case 'cancelAccountUpdatesMulti':
        this.accountMulti.delete(req.reqId);
        return;
      case 'cancelHeadTimestamp':
        return;
      case 'reqSecDefOptParams': {
        const rows = optionChains(h.universe, req.symbol, req.futFopExchange, req.conId, h.clock.now());
        if (rows.length === 0) {
          this.error(req.reqId, 200, 'No security definition has been found for the request');
          return;
        }
        for (const r of rows) this.send(M.secDefOptParams(req.reqId, r.exchange, r.underlyingConId, r.tradingClass, r.multiplier, r.expirations, r.strikes));
        this.send(M.secDefOptParamsEnd(req.reqId));
        return;
      }
      case 'reqMatchingSymbols':
        this.send(M.symbolSamples(this.sv, req.reqId, matchingSymbols(h.universe, req.pattern, h.clock.now())));
        return;
      case 'reqHistoricalData':
        this.historicalData(req);
        return;
      case 'cancelHistoricalData':
        if (!this.liveBars.delete(req.reqId)) this.error(req.reqId, 366, `No historical data query found for ticker id:${req.reqId}`);
        return;
      case 'reqHeadTimestamp': {
        if (this.resolve(req.reqId, req.contract)) this.send(M.headTimestamp(req.reqId, headTimestampOf(h.market.startTime, req.formatDate)));
        return;
      }
      case 'reqMarketRule': {
        const rule = MARKET_RULES[req.marketRuleId];
        if (rule) this.send(M.marketRule(req.marketRuleId, rule));
        else this.info(321, `Error validating request.-'bU' : cause - Invalid market rule id ${req.marketRuleId}`);
        return;
      }
      case 'unknown':
        this.unserved(req.msgId, req.fields);
        return;
    }
  }

  private historicalData(req: Extract<ClientRequest, { type: 'reqHistoricalData' }>): void {
    if (req.keepUpToDate && req.endDateTime.trim() !== '') {
      // TWS refuses live updates of a window that ends in the past.
      this.error(req.reqId, 321, "Error validating request.-'bX' : cause - End date not supported with live updates");
      return;
    }
    const inst = this.resolve(req.reqId, req.contract);
    if (!inst) return;
    const now = this.host.clock.now();
    try {
      const barMs = barMsOf(req.barSize);
      if (inst.secType === 'CASH' && req.whatToShow.trim().toUpperCase() === 'TRADES') {
        // IDEALPRO has no trades: TWS names the contract, "Last" and the bar size in seconds.
        throw new HistoryError(`No historical market data for ${inst.symbol}/CASH@${inst.exchange} Last ${barMs === 0 ? 86400 : barMs / 1000}`);
      }
      const endMs = parseEndDateTime(req.endDateTime, now);
      const durationMs = durationMsOf(req.duration);
      const bars = historicalBars(this.host.market, now, { inst, endMs, durationMs, barMs, useRth: req.useRth });
      const views = bars.map((b) => ({ ...b, date: barDate(inst, b, req.formatDate) }));
      this.send(M.historicalData(req.reqId, twsTime(Math.min(endMs, now) - durationMs), twsTime(Math.min(endMs, now)), views));
      if (req.keepUpToDate) {
        const sub: LiveBarsSub = { inst, barMs, useRth: req.useRth, formatDate: req.formatDate, last: '' };
        const last = views.at(-1);
        if (last) sub.last = M.historicalDataUpdate(req.reqId, last).join('\0');
        this.liveBars.set(req.reqId, sub);
      }
    } catch (err) {
      if (!(err instanceof HistoryError)) throw err;
      this.error(req.reqId, 162, `Historical Market Data Service error message:${err.message}`);
    }
  }

  /** HISTORICAL_DATA_UPDATE for every keepUpToDate request whose last bar changed (or a new bar began) this step. */
  private streamLiveBars(): void {
    const m = this.host.market;
    for (const [reqId, sub] of this.liveBars) {
      const bar = lastBar(m, m.time, { inst: sub.inst, barMs: sub.barMs, useRth: sub.useRth });
      if (!bar) continue;
      const fields = M.historicalDataUpdate(reqId, { ...bar, date: barDate(sub.inst, bar, sub.formatDate) });
      const sig = fields.join('\0');
      if (sig === sub.last) continue;
      sub.last = sig;
      this.send(fields);
    }
  }

  /** TWS's answer to a request naming an account this login does not have ('' and All mean every account). */
  private knownAccount(reqId: number, account: string): boolean {
    if (!account || account === 'All' || this.host.bookAccounts.includes(account)) return true;
    this.error(reqId, 321, `Error validating request.-'bN' : cause - Invalid account code ${account}`);
    return false;
  }

  /** A request the simulator does not serve gets what TWS answers it (an error, or its empty reply), never silence. */
  private unserved(msgId: number, fields: readonly string[]): void {
    const u = UNSERVED[msgId];
    if (!u) {
      this.host.log('warn', `session ${this.id} client ${this.clientId}: unknown request id ${msgId}`);
      this.info(321, unknownRequestMessage(msgId));
      return;
    }
    this.host.log('debug', `session ${this.id} client ${this.clientId}: ${u.name} is not served`);
    if (u.kind === 'silent') return;
    const reqId = unservedReqId(u, fields);
    if (u.kind === 'reply') this.send(u.reply(reqId));
    else this.error(reqId, u.code, u.message(reqId));
  }

  // ---- positions and account ------------------------------------------------------------------------

  sendPosition(inst: Instrument): void {
    const p = this.host.ledger.positions.get(inst.conId);
    // TWS reports a stock position on its listing exchange (NASDAQ), not on SMART.
    const c = inst.secType === 'STK' && inst.primaryExch ? { ...inst, exchange: inst.primaryExch } : inst;
    if (p) this.send(M.position(this.host.account, c, p.qty, avgCostOf(p).toNumber()));
  }

  private sendPositionMulti(reqId: number, inst: Instrument, modelCode: string, account: string): void {
    const p = this.host.ledgerOf(account)?.positions.get(inst.conId);
    const c = inst.secType === 'STK' && inst.primaryExch ? { ...inst, exchange: inst.primaryExch } : inst;
    if (p) this.send(M.positionMulti(reqId, account, c, p.qty, avgCostOf(p).toNumber(), modelCode));
  }

  /**
   * A position of `account` changed (fill): POSITION to reqPositions subscribers (the login's own account, as
   * reqPositions lists), POSITION_MULTI to the reqPositionsMulti ones covering the account, its marks to
   * reqAccountUpdates (the login's own account) and changed values to every account subscriber (single and multi).
   */
  positionChanged(inst: Instrument, account: string): void {
    const own = account === this.host.account;
    if (this.positionsSub && own) this.sendPosition(inst);
    for (const [reqId, sub] of this.positionsMulti) {
      if (sub.accounts.includes(account)) this.sendPositionMulti(reqId, inst, sub.modelCode, account);
    }
    if (this.host.connectivityLost || (!this.accountSub && this.accountMulti.size === 0)) return;
    const view = this.host.view();
    const row = this.accountSub && own ? view.portfolio.find((r) => r.inst.conId === inst.conId) : undefined;
    if (row) this.sendPortfolioRow(row, true);
    this.streamAccountValues(view, false);
    if (this.accountSub && own) this.send(M.accountUpdateTime(hhmm(this.host.clock.now())));
  }

  private fullAccountDownload(): void {
    const view = this.host.view();
    this.lastAccount.clear();
    this.lastPortfolio.clear();
    this.streamAccountValues(view, true);
    for (const row of view.portfolio) this.sendPortfolioRow(row, true);
    this.send(M.accountUpdateTime(hhmm(this.host.clock.now())));
    this.send(M.accountDownloadEnd(this.host.account));
  }

  /**
   * ACCT_VALUE rows that changed since last sent (all of them when `all`), and, when not a full download, the changed
   * ACCOUNT_UPDATE_MULTI rows of every multi subscription: TWS pushes both on the same triggers.
   */
  streamAccountValues(view: AccountView, all: boolean): void {
    if (!all && this.congested) return;
    if (this.accountSub) {
      for (const r of view.rows) {
        const k = `${r.key}|${r.currency}`;
        if (!all && this.lastAccount.get(k) === r.value) continue;
        this.lastAccount.set(k, r.value);
        this.send(M.accountValue(r.key, r.value, r.currency, this.host.account));
      }
    }
    if (!all) {
      for (const [reqId, sub] of this.accountMulti) {
        const v = sub.account === this.host.account ? view : this.host.viewOf(sub.account);
        if (v) this.streamAccountMulti(v, reqId, sub, false);
      }
    }
  }

  /** One multi subscription's rows that changed (all when `all`); ledgerAndNLV keeps only the ledger and NetLiquidation. */
  private streamAccountMulti(view: AccountView, reqId: number, sub: AccountMultiSub, all: boolean): void {
    for (const r of view.rows) {
      if (sub.ledgerAndNlv && r.key !== 'NetLiquidation' && !LEDGER_KEYS.includes(r.key)) continue;
      const k = `${r.key}|${r.currency}`;
      if (!all && sub.last.get(k) === r.value) continue;
      sub.last.set(k, r.value);
      this.send(M.accountUpdateMulti(reqId, sub.account, sub.modelCode, r.key, r.value, r.currency));
    }
  }

  private sendPortfolioRow(row: PortfolioRow, force: boolean): void {
    const sig = `${row.position.toFixed()}|${row.marketPrice.toFixed()}|${row.realizedPnl.toFixed()}`;
    if (!force && this.lastPortfolio.get(row.inst.conId) === sig) return;
    this.lastPortfolio.set(row.inst.conId, sig);
    this.send(
      M.portfolioValue(
        {
          contract: row.inst,
          position: row.position,
          marketPrice: row.marketPrice.toNumber(),
          marketValue: row.marketValue.toNumber(),
          averageCost: row.avgCost.toNumber(),
          unrealizedPnl: row.unrealizedPnl.toNumber(),
          realizedPnl: row.realizedPnl.toNumber(),
        },
        this.host.account,
      ),
    );
  }

  /** Periodic portfolio marks (TWS cadence: frequent). */
  streamPortfolio(view: AccountView): void {
    if (!this.accountSub || this.congested) return;
    let any = false;
    for (const row of view.portfolio) {
      const before = this.lastPortfolio.get(row.inst.conId);
      this.sendPortfolioRow(row, false);
      any ||= before !== this.lastPortfolio.get(row.inst.conId);
    }
    if (any) this.send(M.accountUpdateTime(hhmm(this.host.clock.now())));
  }

  private startSummary(reqId: number, tagList: string): void {
    const sub = summarySub(tagList);
    this.summaries.set(reqId, sub);
    this.streamSummary(this.host.view(), reqId, sub, true);
    this.send(M.accountSummaryEnd(reqId));
  }

  /** The group "All": every account with a book (an FA login's sub-accounts after the main one). */
  private streamSummary(view: AccountView, reqId: number, sub: SummarySub, all: boolean): void {
    for (const account of this.host.bookAccounts) {
      const v = account === this.host.account ? view : this.host.viewOf(account)!;
      const other = account === this.host.account ? '' : `${account}|`;
      for (const r of summaryRows(v, sub, this.host.ledgerOf(account)!.base)) {
        const k = `${other}${r.tag}|${r.currency}`;
        if (!all && sub.last.get(k) === r.value) continue;
        sub.last.set(k, r.value);
        this.send(M.accountSummary(reqId, account, r.tag, r.value, r.currency));
      }
    }
  }

  /** Periodic account summary: changed tags only (TWS: every 3 minutes). */
  streamSummaries(view: AccountView): void {
    if (this.congested) return;
    for (const [reqId, sub] of this.summaries) this.streamSummary(view, reqId, sub, false);
  }

  /** PNL and PNL_SINGLE when changed (or at once for a new request). */
  streamPnl(force = false): void {
    if (this.pnlSubs.size === 0 && this.pnlSingles.size === 0) return;
    if (!force && this.congested) return;
    const view = this.host.view();
    for (const [reqId, sub] of this.pnlSubs) {
      const v = sub.account === this.host.account ? view : this.host.viewOf(sub.account)!;
      const fields = M.pnl(reqId, v.pnl.daily.toNumber(), v.pnl.unrealized.toNumber(), v.pnl.realized.toNumber());
      const sig = fields.join('\0');
      if (sig === sub.last && !force) continue;
      sub.last = sig;
      this.send(fields);
    }
    for (const [reqId, sub] of this.pnlSingles) {
      const row = view.portfolio.find((r) => r.inst.conId === sub.conId);
      const fields = row ? this.pnlSingleFields(reqId, row) : M.pnlSingle(reqId, ZERO, 0, undefined, undefined, 0);
      const sig = fields.join('\0');
      if (sig === sub.last && !force) continue;
      sub.last = sig;
      this.send(fields);
    }
  }

  private pnlSingleFields(reqId: number, row: PortfolioRow): string[] {
    // PnL single values are reported in the account's base currency.
    const x = dec(this.host.marks().rate(row.inst.currency, this.host.base).toFixed(8));
    const b = (d: Decimal) => d.mul(x).toDecimalPlaces(2).toNumber();
    return M.pnlSingle(reqId, row.position, b(row.dailyPnl), b(row.unrealizedPnl), b(row.realizedPnl), b(row.marketValue));
  }

  // ---- market data ----------------------------------------------------------------------------------

  private resolve(reqId: number, q: ContractQuery): Instrument | undefined {
    const found = findInstruments(this.host.universe, q, this.host.clock.now());
    if (found.length === 1) return found[0];
    const what = [q.symbol, q.secType, q.lastTradeDateOrContractMonth, q.strike || '', q.right, q.currency].filter(Boolean).join(' ');
    if (found.length === 0) this.error(reqId, 200, 'No security definition has been found for the request');
    else this.error(reqId, 200, `The contract description specified for ${what || q.conId} is ambiguous.`);
    return undefined;
  }

  /** Market data lines this client holds open (snapshots hold none). */
  get marketDataLines(): number {
    return this.mkt.size;
  }

  private startMarketData(reqId: number, q: ContractQuery, genericTickList: string, snapshot: boolean): void {
    // TWS refuses an id still streaming (stoqey/ib#240 quotes its text) before it looks at the contract.
    if (this.mkt.has(reqId)) {
      this.error(reqId, 322, "Error processing request.-'bO' : cause - Duplicate ticker id");
      return;
    }
    // The account's market data lines (100 by default) are shared by all its API clients; a snapshot uses one too.
    if (this.host.marketDataLines() >= MAX_MARKET_DATA_LINES) {
      this.error(reqId, 101, 'Max number of tickers has been reached.');
      return;
    }
    const inst = this.resolve(reqId, q);
    if (!inst) return;
    if (genericTickList.trim() !== '') {
      if (snapshot) {
        this.error(reqId, 321, SNAPSHOT_GENERIC_REFUSAL);
        return;
      }
      if (!genericTicksValid(genericTickList, inst.secType)) {
        this.error(reqId, 321, genericTicksRefusal(genericTickList, inst.secType));
        return;
      }
    }
    // IB: "If live data is available, it will always be returned instead of delayed data" (reqMarketDataType 3 or 4).
    const delayed = (this.mdType === 3 || this.mdType === 4) && !this.host.liveMarketData;
    if (!delayed && !this.host.liveMarketData) {
      // What TWS answers an account without a live subscription (the client may switch to delayed data).
      this.error(
        reqId,
        10089,
        `Requested market data requires additional subscription for API. See link in 'Market Data Connections' dialog for more details.Delayed market data is available.${inst.symbol} ${inst.exchange}/TOP/ALL`,
      );
      return;
    }
    const stats = genericTickList.split(',').some((t) => t.trim() === '165') ? this.miscStats(inst) : undefined;
    const sub = marketDataSub(inst, delayed, genericTickList, stats);
    this.send(M.tickReqParams(reqId, inst.minTick, '9c0001', 3));
    this.send(M.marketDataType(reqId, delayed ? this.mdType : 1));
    this.sendTicks(reqId, sub, true);
    if (snapshot) this.send(M.tickSnapshotEnd(reqId));
    else this.mkt.set(reqId, sub);
  }

  /** Generic tick 165's week ranges and average volume, from the year of daily bars before today; none for options. */
  private miscStats(inst: Instrument): MiscStats | undefined {
    if (inst.secType === 'OPT' || inst.secType === 'FOP') return undefined;
    const now = this.host.clock.now();
    const DAY = 86_400_000;
    const bars = historicalBars(this.host.market, now, { inst, endMs: now, durationMs: 365 * DAY, barMs: 0, useRth: true }).filter(
      (b) => b.t < this.host.market.startTime,
    );
    if (bars.length === 0) return undefined;
    const range = (weeks: number): [number, number] => {
      const inWindow = bars.filter((b) => b.t >= now - weeks * 7 * DAY);
      const recent = inWindow.length > 0 ? inWindow : bars;
      return [Math.min(...recent.map((b) => b.low)), Math.max(...recent.map((b) => b.high))];
    };
    const last90 = bars.slice(-90);
    return { ranges: [range(13), range(26), range(52)], avgVolume: Math.round(last90.reduce((s, b) => s + b.volume, 0) / last90.length) };
  }

  /** Streams changed ticks of every subscription (called on each market step). */
  streamMarketData(): void {
    if ((this.mkt.size === 0 && this.liveBars.size === 0) || this.host.connectivityLost || this.host.marketFarmDown || this.congested) return;
    for (const [reqId, sub] of this.mkt) this.sendTicks(reqId, sub, false);
    this.streamLiveBars();
  }

  /**
   * Connectivity restored with data lost (1101): TWS drops market data subscriptions, kept-up-to-date bars included,
   * and the account ones (IB: "market and account data subscription requests must be resubmitted").
   */
  dropSubscriptions(): void {
    this.mkt.clear();
    this.liveBars.clear();
    this.positionsSub = false;
    this.accountSub = false;
    this.summaries.clear();
    this.accountMulti.clear();
    this.positionsMulti.clear();
    this.pnlSubs.clear();
    this.pnlSingles.clear();
  }

  private sendTicks(reqId: number, sub: MarketDataSub, force: boolean): void {
    const m = this.host.market;
    for (const fields of ticksFor(reqId, sub, m.quote(sub.inst), m.time, this.host.impliedVolOf(sub.inst), force)) this.send(fields);
  }

  // ---- contract details, orders, executions ----------------------------------------------------------

  private contractDetails(reqId: number, q: ContractQuery): void {
    const now = this.host.clock.now();
    // By conId too: TWS no longer describes a contract past its expiry.
    const found = findInstruments(this.host.universe, q, now).filter((i) => isListed(i, now));
    if (found.length === 0) {
      this.error(reqId, 200, 'No security definition has been found for the request');
      return;
    }
    for (const inst of found) {
      const details = detailsOf(inst, now);
      if (inst.secType === 'BOND' && inst.bond) this.send(M.bondContractData(this.sv, reqId, { ...details, ...inst.bond }));
      else this.send(M.contractData(this.sv, reqId, details));
    }
    this.send(M.contractDataEnd(reqId));
  }

  private sendOrders(orders: readonly SimOrder[]): void {
    for (const o of orders) {
      this.send(M.openOrder(this.sv, openOrderView(o)));
      this.send(M.orderStatus(orderStatusView(o)));
    }
    this.send(M.openOrderEnd());
  }

  private sendExecutions(reqId: number, f: ExecutionFilterRequest): void {
    const since = parseFilterTime(f.time);
    for (const e of this.host.engine.executions) {
      const o = e.order;
      if (f.clientId && o.clientId !== f.clientId) continue;
      if (f.acctCode && f.acctCode !== o.account) continue;
      if (since !== undefined && e.time < since) continue;
      if (f.symbol && f.symbol.toUpperCase() !== o.inst.symbol.toUpperCase()) continue;
      if (f.secType && f.secType.toUpperCase() !== o.inst.secType) continue;
      if (f.exchange && ![o.inst.exchange, o.inst.primaryExch].includes(f.exchange.toUpperCase())) continue;
      if (f.side && !matchesSide(f.side, e)) continue;
      this.sendExecution(reqId, e);
    }
    this.send(M.execDetailsEnd(reqId));
  }

  sendExecution(reqId: number, e: SimExecution): void {
    this.send(M.execDetails(this.sv, reqId, executionView(e)));
    if (reqId !== -1) this.sendCommission(e);
  }

  sendCommission(e: SimExecution): void {
    this.send(M.commissionReport(e.execId, e.commission.toNumber(), e.commissionCurrency, e.realizedPnl?.toNumber()));
  }

  /** Tests and snapshots: what this session is subscribed to. */
  describe(): SessionDescription {
    return {
      clientId: this.clientId,
      remote: this.remote,
      serverVersion: this.sv,
      positions: this.positionsSub,
      account: this.accountSub,
      marketData: this.mkt.size,
      summaries: this.summaries.size,
      pnl: this.pnlSubs.size + this.pnlSingles.size,
    };
  }
}

function matchesSide(side: string, e: SimExecution): boolean {
  const s = side.toUpperCase();
  return s === e.side || (s === 'BUY' && e.side === 'BOT') || (s === 'SELL' && e.side === 'SLD');
}

/** "yyyymmdd-hh:mm:ss" or "yyyymmdd hh:mm:ss" (UTC) → epoch ms. */
function parseFilterTime(t: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})[- ](\d{2}):(\d{2})(?::(\d{2}))?/.exec(t.trim());
  if (!m) return undefined;
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6] ?? 0));
}
