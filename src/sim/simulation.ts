// The simulated world: clock, market, account, orders and connected sessions, the TWS-like push
// cadences, and incident handling. Transport (TCP) and the control channel sit outside.
import type { Socket } from 'node:net';
import type { Decimal } from '../model/money.js';
import { VirtualClock } from './clock.js';
import type { ResolvedOptions } from './config.js';
import { CONNECTIVITY_MESSAGES, FARM_MESSAGES, defaultFarm, type Incident, type OrderIncident } from './incidents.js';
import { DEMO_CASH, DEMO_POSITIONS, buildUniverse, findInstruments, isListed, type ContractQuery, type Instrument } from './instruments.js';
import { Ledger } from './ledger.js';
import type { SimLogger, LogLevel } from './log.js';
import { DEFAULT_MARGIN, type MarginSpike } from './margin.js';
import { Market, type MarketMarks } from './market.js';
import * as M from './messages.js';
import { openOrderView, orderStatusView } from './order-views.js';
import { OrderEngine, isOpen, type OrderBooks, type OrderEvents, type SimExecution, type SimOrder } from './orders.js';
import { streamFor } from './random.js';
import type { OrderRequest } from './requests.js';
import { Session } from './session.js';
import { buildSnapshot, type SimSnapshot } from './snapshot.js';
import { valueAccount, type AccountView, type ValuationParams } from './valuation.js';
import type { SimulationApi, Transport } from './world.js';

/** TWS's answer to orders and cancels when "Read-Only API" is ticked (error 321). */
const READ_ONLY = "Error validating request.-'bN' : cause - The API interface is currently in Read-Only mode.";

export class Simulation implements SimulationApi<Session>, OrderEvents {
  readonly account: string;
  readonly base: string;
  readonly clock: VirtualClock;
  readonly universe: readonly Instrument[];
  readonly market: Market;
  readonly ledger: Ledger;
  readonly engine: OrderEngine;
  readonly backpressureBytes: number;
  readonly maxMessagesPerSecond: number;
  readonly maxServerVersion: number;
  readonly liveMarketData: boolean;
  readonly managedAccounts: readonly string[];
  readonly bookAccounts: readonly string[];
  /** FA sub-accounts' books, each valued on its own (its own PreviousDayEquityWithLoanValue) in the shared market. */
  private readonly subs = new Map<string, { ledger: Ledger; valuation: ValuationParams; cache?: { key: string; view: AccountView } }>();
  readonly sessions = new Set<Session>();
  zombie = false;
  connectivityLost = false;
  marketFarmDown = false;
  /** The marks accounts are valued on while the market data farm is down (2103 until 2104); undefined: live marks. */
  private heldMarks: { readonly marks: MarketMarks; readonly seq: number } | undefined;
  private heldSeq = 0;
  transport: Transport | undefined;
  private readonly valuation: ValuationParams;
  private spike: MarginSpike = {};
  private spikeVersion = 0;
  private viewCache: { key: string; view: AccountView } | undefined;
  private readonly nextIds = new Map<number, number>();
  /** Manual TWS orders client 0 bound with reqOpenOrders: they report to client 0 like its own orders. */
  private readonly boundManual = new WeakSet<SimOrder>();
  private sessionSeq = 0;
  private restarting = false;
  private zombieTimer: ReturnType<VirtualClock['setTimeout']> | undefined;
  private spikeTimer: ReturnType<VirtualClock['setTimeout']> | undefined;

  constructor(
    readonly opts: ResolvedOptions,
    private readonly logger: SimLogger,
  ) {
    this.account = opts.account;
    this.base = opts.baseCurrency;
    this.backpressureBytes = opts.backpressureBytes;
    this.maxMessagesPerSecond = opts.maxMessagesPerSecond;
    this.maxServerVersion = opts.maxServerVersion;
    this.liveMarketData = opts.liveMarketData;
    this.bookAccounts = [opts.account, ...Object.keys(opts.subAccounts)];
    this.managedAccounts = [...this.bookAccounts, ...opts.otherAccounts.filter((a) => !this.bookAccounts.includes(a))];
    this.clock = new VirtualClock({
      start: opts.startTime,
      speed: opts.speed,
      onError: (err) => this.log('error', `timer failed: ${(err as Error).stack ?? String(err)}`),
    });
    this.universe = buildUniverse(opts.startTime);
    this.market = new Market(this.universe, opts.market, opts.seed, opts.startTime);
    if (this.market.usdPer(this.base) === undefined) throw new Error(`unsupported base currency ${this.base} (use ${this.market.currencies().join(', ')})`);
    this.ledger = new Ledger(
      this.account,
      this.base,
      { positions: [...DEMO_POSITIONS, ...(opts.scenario?.positions ?? [])], cash: opts.cash ?? DEMO_CASH },
      this.universe,
    );
    this.valuation = { margin: DEFAULT_MARGIN, spike: this.spike };
    // An advisor login's orders fill in the sub-account they name, each in its own books and margin (as TWS books them).
    const books: OrderBooks = {
      main: this.account,
      advisor: Object.keys(opts.subAccounts).length > 0,
      managed: this.managedAccounts,
      bookOf: (account) => (account === this.account ? { ledger: this.ledger, valuation: this.valuation } : this.subs.get(account)),
    };
    this.engine = new OrderEngine(this.clock, this.market, books, streamFor(opts.seed, 'fills'), opts.orders, this);
    for (const [name, book] of Object.entries(opts.subAccounts)) {
      const base = (book.baseCurrency ?? this.base).toUpperCase();
      if (this.market.usdPer(base) === undefined) throw new Error(`unsupported base currency ${base} for ${name}`);
      this.subs.set(name, { ledger: new Ledger(name, base, book, this.universe), valuation: { margin: DEFAULT_MARGIN, spike: this.spike } });
    }
    // Value the accounts once at the start: that fixes PreviousDayEquityWithLoanValue for the whole day.
    this.view();
    for (const name of this.subs.keys()) this.viewOf(name);
  }

  log(level: LogLevel, message: string): void {
    this.logger(level, message);
  }

  /** Arms the market, the push cadences and the scenario's scheduled incidents. */
  start(): void {
    const c = this.opts.cadence;
    this.clock.setInterval(() => this.onMarketStep(), this.opts.market.tickMs);
    this.clock.setInterval(() => this.forReady((s, v) => s.streamPortfolio(v), true), c.portfolioMs);
    this.clock.setInterval(() => this.forReady((s, v) => s.streamAccountValues(v, false), true), c.accountMs);
    this.clock.setInterval(() => this.forReady((s, v) => s.streamSummaries(v), true), c.summaryMs);
    this.clock.setInterval(() => this.forReady((s) => s.streamPnl(), true), c.pnlMs);
    for (const e of this.opts.scenario?.events ?? []) {
      this.clock.setTimeout(() => {
        this.log('info', `scenario ${this.opts.scenario?.name}: ${JSON.stringify(e.incident)}`);
        this.trigger(e.incident).catch((err: Error) => this.log('error', `scenario incident failed: ${err.message}`));
      }, e.atMs);
    }
    // Only now does virtual time start, so every timer above is phased exactly from the start time.
    this.clock.begin();
  }

  stop(): void {
    this.clock.stop();
    for (const s of this.sessions) s.destroy();
    this.sessions.clear();
  }

  addSocket(socket: Socket): Session {
    const s = new Session(socket, this, ++this.sessionSeq);
    this.sessions.add(s);
    return s;
  }

  sessionClosed(s: Session): void {
    this.sessions.delete(s);
  }

  /** The simulator's own truth (see snapshot.ts) for one account with a book: the login's own unless `account` names a sub-account. */
  snapshot(account?: string): SimSnapshot {
    if (account === undefined || account === this.account) return buildSnapshot(this, this.view());
    const sub = this.subs.get(account);
    if (!sub) throw new Error(`no book for account ${account} (it has ${this.bookAccounts.join(', ')})`);
    // The same world seen through the sub-account's book: its positions, values, and the orders and fills booked in it.
    const through = Object.assign(Object.create(this) as Simulation, { account, base: sub.ledger.base, ledger: sub.ledger });
    return buildSnapshot(through, this.viewOf(account)!);
  }

  ledgerOf(account: string): Ledger | undefined {
    return account === this.account ? this.ledger : this.subs.get(account)?.ledger;
  }

  viewOf(account: string): AccountView | undefined {
    if (account === this.account) return this.view();
    const sub = this.subs.get(account);
    if (!sub) return undefined;
    const key = `${this.marksVersion()}|${sub.ledger.version}|${this.spikeVersion}`;
    if (sub.cache?.key !== key) sub.cache = { key, view: valueAccount(sub.ledger, this.marks(), sub.valuation) };
    return sub.cache.view;
  }

  // ---- world state ----------------------------------------------------------------------------------

  view(): AccountView {
    const key = `${this.marksVersion()}|${this.ledger.version}|${this.spikeVersion}`;
    if (this.viewCache?.key === key) return this.viewCache.view;
    const view = valueAccount(this.ledger, this.marks(), this.valuation);
    this.viewCache = { key, view };
    return view;
  }

  /** The marks portfolio rows, account values and P&L are valued on: live, or held while the market data farm is down. */
  marks(): MarketMarks {
    return this.heldMarks?.marks ?? this.market;
  }

  /** Keys the valuation caches: the market's version, or the held marks' own (they do not move). */
  private marksVersion(): string {
    return this.heldMarks ? `held${this.heldMarks.seq}` : String(this.market.version);
  }

  private onMarketStep(): void {
    this.market.step(this.clock.now());
    this.engine.onMarketStep();
    if (this.connectivityLost) return;
    for (const s of this.sessions) if (s.ready) s.batch(() => s.streamMarketData());
  }

  /** Runs `f` for every ready session; `live` skips it while IB connectivity is lost (no data flows). */
  private forReady(f: (s: Session, view: AccountView) => void, live = false): void {
    if (live && this.connectivityLost) return;
    let view: AccountView | undefined;
    for (const s of this.sessions) {
      if (!s.ready) continue;
      const v = (view ??= this.view());
      s.batch(() => f(s, v));
    }
  }

  /** Pushes everything that moved after an incident (values, marks, ticks). */
  private pushAll(): void {
    this.forReady((s, v) => {
      s.streamAccountValues(v, false);
      s.streamPortfolio(v);
      s.streamMarketData();
      s.streamPnl();
    }, true);
  }

  clientIdInUse(clientId: number, except: Session): boolean {
    for (const s of this.sessions) if (s !== except && s.ready && s.clientId === clientId) return true;
    return false;
  }

  nextValidOrderId(clientId: number): number {
    return this.nextIds.get(clientId) ?? 1;
  }

  impliedVolOf(inst: Instrument): number {
    const opt = this.universe.find((i) => (i.secType === 'OPT' || i.secType === 'FOP') && i.factor === inst.factor);
    return opt ? this.market.ivOf(opt) : 0.2;
  }

  // ---- orders ---------------------------------------------------------------------------------------

  placeOrder(s: Session, orderId: number, q: ContractQuery, req: OrderRequest): void {
    if (this.opts.readOnlyApi) {
      s.send(M.errorMessage(s.sv, orderId, 321, READ_ONLY));
      return;
    }
    const now = this.clock.now();
    const found = findInstruments(this.universe, q, now);
    if (found.length === 1 && !isListed(found[0]!, now)) {
      s.send(M.errorMessage(s.sv, orderId, 201, 'Order rejected - reason:The contract has expired.'));
      return;
    }
    if (found.length !== 1) {
      s.send(
        M.errorMessage(
          s.sv,
          orderId,
          200,
          found.length ? 'The contract description specified is ambiguous.' : 'No security definition has been found for the request',
        ),
      );
      return;
    }
    const existing = this.engine.find(s.clientId, orderId);
    if (!(existing && isOpen(existing)) && orderId < this.nextValidOrderId(s.clientId)) {
      s.send(M.errorMessage(s.sv, orderId, 103, 'Duplicate order id'));
      return;
    }
    if (!existing) this.nextIds.set(s.clientId, Math.max(this.nextValidOrderId(s.clientId), orderId + 1));
    // The order log: every placement with the two flags that decide whether it may trade (whatIf, transmit), last, and
    // before them whatever links or limits its life (parent, OCA group, a time in force other than DAY).
    const links = [
      req.parentId ? `parent=${req.parentId}` : '',
      req.ocaGroup ? `oca=${req.ocaGroup}/${req.ocaType ?? 0}` : '',
      req.tif && req.tif.toUpperCase() !== 'DAY' ? `tif=${req.tif}` : '',
    ].filter(Boolean);
    this.log(
      'info',
      `client ${s.clientId}: place order ${orderId} ${req.action} ${req.totalQuantity} ${found[0]!.localSymbol} ${req.orderType} ${links.map((l) => `${l} `).join('')}whatIf=${req.whatIf} transmit=${req.transmit}`,
    );
    const r = this.engine.place(s.clientId, orderId, found[0]!, req);
    if (r.kind === 'error') s.send(M.errorMessage(s.sv, orderId, r.code, r.message));
    else if (r.kind === 'whatIf') {
      const i = r.impact;
      this.log('info', `client ${s.clientId}: what-if order ${orderId} answered, not placed (maint ${i.maintBefore.toFixed(2)} -> ${i.maintAfter.toFixed(2)})`);
      const n = (d: Decimal) => d.toNumber();
      s.send(
        M.openOrder(s.sv, {
          ...openOrderView(r.order),
          whatIf: true,
          margin: {
            initMarginBefore: n(i.initBefore),
            maintMarginBefore: n(i.maintBefore),
            equityWithLoanBefore: n(i.elvBefore),
            initMarginChange: n(i.initAfter.sub(i.initBefore)),
            maintMarginChange: n(i.maintAfter.sub(i.maintBefore)),
            equityWithLoanChange: n(i.elvAfter.sub(i.elvBefore)),
            initMarginAfter: n(i.initAfter),
            maintMarginAfter: n(i.maintAfter),
            equityWithLoanAfter: n(i.elvAfter),
          },
          commission: n(i.commission),
          // What the estimate is in (a what-if's commission came with an empty currency).
          commissionCurrency: r.order.inst.currency,
        }),
      );
    }
  }

  cancelOrder(s: Session, orderId: number): void {
    if (this.opts.readOnlyApi) {
      s.send(M.errorMessage(s.sv, orderId, 321, READ_ONLY));
      return;
    }
    const err = this.engine.cancel(s.clientId, orderId);
    if (err) s.send(M.errorMessage(s.sv, orderId, err.code, err.message));
  }

  globalCancel(s: Session): void {
    if (this.opts.readOnlyApi) {
      s.send(M.errorMessage(s.sv, -1, 321, READ_ONLY));
      return;
    }
    const n = this.engine.cancelAll();
    this.log('info', `client ${s.clientId}: global cancel (${n} orders)`);
  }

  marketDataLines(): number {
    let n = 0;
    for (const s of this.sessions) n += s.marketDataLines;
    return n;
  }

  bindManualOrders(): void {
    for (const o of this.engine.openOrders()) if (o.manual) this.boundManual.add(o);
  }

  /**
   * Sessions that hear about an order: its API client, client 0 for manual orders it bound (reqOpenOrders) or
   * auto-binds (reqAutoOpenOrders(true)), the master client.
   */
  private recipients(o: SimOrder): Session[] {
    const out: Session[] = [];
    for (const s of this.sessions) {
      if (!s.ready) continue;
      // An order auto-bound once stays bound to client 0, as one bound by reqOpenOrders does.
      if (o.manual && s.clientId === 0 && s.autoBind) this.boundManual.add(o);
      const owner = o.manual ? s.clientId === 0 && this.boundManual.has(o) : s.clientId === o.clientId;
      if (owner || (this.opts.masterClientId !== undefined && s.clientId === this.opts.masterClientId)) out.push(s);
    }
    return out;
  }

  orderChanged(order: SimOrder, openOrder: boolean): void {
    const status = M.orderStatus(orderStatusView(order));
    for (const s of this.recipients(order)) {
      if (openOrder) s.send(M.openOrder(s.sv, openOrderView(order)));
      s.send(status);
      // TWS often repeats the final status (tws-protocol.md §5 #17); clients must be idempotent.
      if (order.status === 'Filled' && openOrder) s.send(status);
    }
    this.log('debug', `order ${order.clientId}/${order.orderId} ${order.action} ${order.totalQty} ${order.inst.localSymbol}: ${order.status}`);
  }

  executed(exec: SimExecution): void {
    for (const s of this.recipients(exec.order)) s.sendExecution(-1, exec);
    const o = exec.order;
    this.log('info', `fill ${exec.execId}: client ${o.clientId} order ${o.orderId} ${exec.side} ${exec.shares} ${o.inst.localSymbol} @ ${exec.price}`);
  }

  settled(exec: SimExecution): void {
    for (const s of this.recipients(exec.order)) s.sendCommission(exec);
    for (const s of this.sessions) if (s.ready) s.positionChanged(exec.order.inst, exec.order.account);
  }

  orderError(order: SimOrder, code: number, message: string): void {
    for (const s of this.recipients(order)) s.send(M.errorMessage(s.sv, order.orderId, code, message));
  }

  // ---- incidents ------------------------------------------------------------------------------------

  private broadcastInfo(code: number, message: string): void {
    for (const s of this.sessions) if (s.ready) s.info(code, message);
  }

  /** Applies an incident now. Resolves once applied (a restart resolves when the listener is down). */
  async trigger(i: Incident): Promise<void> {
    this.log('info', `incident: ${JSON.stringify(i)}`);
    switch (i.incident) {
      case 'drop':
        for (const s of [...this.sessions]) if (i.clientId === undefined || s.clientId === i.clientId) s.destroy();
        return;
      case 'restart':
        await this.restart(i.downSeconds);
        return;
      case 'zombie':
        this.zombie = true;
        this.clock.clear(this.zombieTimer);
        if (i.seconds !== undefined) this.zombieTimer = this.clock.setTimeout(() => void this.trigger({ incident: 'recover' }), i.seconds * 1000);
        return;
      case 'recover':
        this.zombie = false;
        this.clock.clear(this.zombieTimer);
        return;
      case 'connectivity-lost':
        this.connectivityLost = true;
        this.engine.halted = true;
        this.broadcastInfo(1100, CONNECTIVITY_MESSAGES[1100]);
        return;
      case 'connectivity-restored': {
        this.connectivityLost = false;
        const code = i.dataLost ? 1101 : 1102;
        this.broadcastInfo(code, CONNECTIVITY_MESSAGES[code]);
        if (i.dataLost) for (const s of this.sessions) s.dropSubscriptions();
        this.engine.resume();
        this.pushAll();
        return;
      }
      case 'farm':
        // Real TWS's portfolio marks (and the values and P&L derived from them) stand still with its market data.
        if (i.code === 2103 && !this.marketFarmDown) this.heldMarks = { marks: this.market.marksNow(), seq: ++this.heldSeq };
        if (i.code === 2104) this.heldMarks = undefined;
        if (i.code === 2103) this.marketFarmDown = true;
        if (i.code === 2104) this.marketFarmDown = false;
        // TWS appends the farm name to every farm message ("…upon demand.usfarm" included).
        this.broadcastInfo(i.code, `${FARM_MESSAGES[i.code] ?? ''}${i.farm ?? defaultFarm(i.code)}`);
        return;
      case 'margin-spike': {
        const spike: MarginSpike = {};
        for (const t of i.secTypes ?? ['ALL']) (spike as Record<string, number>)[t] = i.factor;
        this.setSpike(spike);
        this.clock.clear(this.spikeTimer);
        if (i.seconds !== undefined) this.spikeTimer = this.clock.setTimeout(() => this.setSpike({}), i.seconds * 1000);
        return;
      }
      case 'fx-gap':
        this.market.shockFx(i.currency, i.pct, this.base);
        this.pushAll();
        return;
      case 'crash':
        this.market.shockFactors({ kinds: ['equity', 'index'] }, i.pct);
        if (i.volJump) this.market.shockVol(['equity', 'index'], 1 + i.volJump);
        this.pushAll();
        return;
      case 'move':
        if (this.market.factorValue(i.factor) === undefined || i.factor.startsWith('FX:')) throw new Error(`unknown market factor ${i.factor}`);
        this.market.shockFactors({ keys: [i.factor] }, i.pct);
        this.pushAll();
        return;
      case 'foreign-order':
      case 'manual-order':
        this.externalOrder(i);
        return;
    }
  }

  private setSpike(spike: MarginSpike): void {
    this.spike = spike;
    this.valuation.spike = spike;
    for (const sub of this.subs.values()) sub.valuation.spike = spike;
    this.spikeVersion++;
    this.pushAll();
  }

  private async restart(downSeconds: number): Promise<void> {
    if (this.restarting || !this.transport) return;
    this.restarting = true;
    await this.transport.stop();
    for (const s of [...this.sessions]) s.destroy();
    this.log('info', `TWS restart: refusing connections for ${downSeconds}s of simulated time`);
    this.clock.setTimeout(() => {
      this.transport!.start().then(
        () => {
          this.restarting = false;
          this.log('info', 'TWS restart: accepting connections again');
        },
        (err: Error) => {
          this.restarting = false;
          this.log('error', `TWS restart: could not listen again: ${err.message}`);
        },
      );
    }, downSeconds * 1000);
  }

  /** An order from another API client (no socket here) or typed into TWS by hand (client 0). */
  private externalOrder(i: OrderIncident): void {
    const manual = i.incident === 'manual-order';
    const q: ContractQuery = {
      conId: i.conId ?? 0,
      symbol: i.conId ? '' : (i.symbol ?? ''),
      secType: i.secType ?? '',
      lastTradeDateOrContractMonth: '',
      strike: 0,
      right: '',
      multiplier: '',
      exchange: '',
      primaryExch: '',
      currency: '',
      localSymbol: '',
      tradingClass: '',
    };
    const found = findInstruments(this.universe, q);
    if (found.length !== 1) throw new Error(`${i.incident}: ${found.length ? 'ambiguous' : 'unknown'} instrument ${i.conId ?? i.symbol}`);
    const clientId = manual ? 0 : (i.clientId ?? 99);
    const orderId = this.nextValidOrderId(clientId);
    if (!manual) this.nextIds.set(clientId, orderId + 1);
    const r = this.engine.place(
      clientId,
      orderId,
      found[0]!,
      {
        action: i.action,
        totalQuantity: i.quantity,
        orderType: i.orderType,
        lmtPrice: i.lmtPrice,
        auxPrice: undefined,
        tif: 'DAY',
        account: this.account,
        orderRef: manual ? 'TWS' : `client-${clientId}`,
        transmit: true,
        parentId: 0,
        whatIf: false,
      },
      manual,
    );
    if (r.kind === 'error') throw new Error(`${i.incident} rejected: ${r.code} ${r.message}`);
  }
}
