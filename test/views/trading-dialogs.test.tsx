// Trading in the console (issue 7) on the real simulator through a real TwsSource: arming, the flatten dialog's
// confirm rules, one send per dialog, the progress view, TARGET_CHANGED and MARK_MOVED under an open dialog, an order a
// timeout left working, and the audit log.
import { AccountSession } from '../../src/session/session.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createConsoleTrading, type ConsoleTrading, type ConsoleTradingSource } from '../../src/commands/console-trading.js';
import { TERMINAL_STATUSES } from '../../src/model/orders.js';
import { liveMark } from '../../src/model/mark.js';
import { ManualClock, type Clock } from '../../src/model/clock.js';
import { verifyAuditLog } from '../../src/trading/audit.js';
import { createAlertRunner } from '../../src/session/alert-runner.js';
import { ConsoleStore } from '../../src/views/store.js';
import { createStressRunner } from '../../src/session/stress-model.js';
import { EventName, OrderAction, OrderType } from '@stoqey/ib';
import { FRONT_AAPL_CALL } from '../../src/sim/instruments.js';
import { connectApi, waitFor } from '../sim/helpers.js';
import { boxRows, renderApp, strip, type Tui } from '../support/render-tui.js';
import { nextEvents, positionLabel, roundTrip, simInstrument, startSimFeed, type SimFeed } from '../support/sim-feed.js';
import { armConsole, auditLines, ticksKnown } from '../support/trading-console.js';

const CLIENT = 31; // sim-feed's client id
const TOYOTA = '7203';
/** The ES future's local symbol at the pinned start (ESM6, ESH7, … depending on the date the simulator starts at). */
const ES = positionLabel(simInstrument((i) => i.symbol === 'ES' && i.secType === 'FUT'));

interface Rig {
  live: SimFeed;
  store: ConsoleStore;
  tui: Tui;
  trading?: ConsoleTrading;
  auditDir: string;
}

let rig: Rig | undefined;

afterEach(async () => {
  if (!rig) return;
  rig.tui.unmount();
  rig.trading?.close('test over');
  rig.store.dispose();
  await rig.live.close();
  rig = undefined;
});

/**
 * The real source as the console's gateway, its contract details answered only once `held` settles: the price ladders
 * arming asks for stay pending for as long as a test needs.
 */
function heldDetails(src: SimFeed['source'], held: Promise<void>): ConsoleTradingSource {
  return {
    get ready() {
      return src.ready;
    },
    placeOrder: (c, o) => src.placeOrder(c, o),
    cancelOrder: (id) => src.cancelOrder(id),
    globalCancel: () => src.globalCancel(),
    contractDetails: async (conId) => (await held, src.contractDetails(conId)),
    marketRule: (id) => src.marketRule(id),
    whatIfOrder: (c, o, ms) => src.whatIfOrder(c, o, ms),
  };
}

async function start(trade: boolean, readOnlyApi = false, size = { columns: 120, rows: 40 }, held?: Promise<void>, readClock?: Clock): Promise<Rig> {
  const live = await startSimFeed({ speed: 20, readOnlyApi });
  const store = new ConsoleStore(live.feed, {
    throttleMs: 50,
    session: new AccountSession(live.feed, { risk: createStressRunner(), alerts: createAlertRunner() }),
  });
  const auditDir = mkdtempSync(join(tmpdir(), 'tws-risk-audit-'));
  const trading = trade
    ? createConsoleTrading({
        mode: 'trade',
        feed: live.feed,
        source: held ? heldDetails(live.source, held) : live.source,
        clientId: CLIENT,
        auditDir,
        timeoutMs: 20_000,
        ...(readClock ? { readClock } : {}),
      })
    : undefined;
  const tui = renderApp(store, size, { trading: trade ? 'trade' : 'readOnly', ...(trading ? { trade: trading } : {}) });
  rig = { live, store, tui, ...(trading ? { trading } : {}), auditDir };
  await tui.waitForFrame((f) => f.includes('READY') && f.includes('AAPL'), 'the console on live data');
  return rig;
}

const toyotaPosition = (r: Rig) => r.live.sim.snapshot().positions.find((p) => p.symbol === TOYOTA)?.position ?? '0';
const ourOrders = (r: Rig) => r.live.sim.snapshot().openOrders.filter((o) => o.clientId === CLIENT);
const ourExecutions = (r: Rig) => r.live.sim.snapshot().executions.filter((e) => (e as { clientId?: number }).clientId === CLIENT);
const auditTypes = (r: Rig) =>
  auditLines<{ type?: string }>(r.trading!)
    .map((l) => l.type)
    .filter(Boolean);

/** Arms at the palette and waits for the price ladders arming asks for: a flatten opened before is refused (TICKS_PENDING). */
async function armed(r: Rig): Promise<void> {
  await armConsole(r.tui);
  await ticksKnown(r.trading!.session, r.live.feed.state.positions.keys());
}

/** Selects the Toyota position: filter the Positions pane down to it (its row is then the selected one). */
async function selectToyota(r: Rig): Promise<void> {
  await r.tui.write(`/${TOYOTA}\r`);
  await r.tui.waitForFrame((f) => /^›7203/m.test(f), 'Toyota selected');
}

async function openFlatten(r: Rig): Promise<void> {
  // Arming fetches each position's price ladder; a flatten opened before Toyota's arrived is refused (TICKS_PENDING).
  const conId = r.live.sim.snapshot().positions.find((p) => p.symbol === TOYOTA)?.conId;
  if (r.trading && conId !== undefined) await waitFor(() => r.trading!.session.priceGrids.has(conId), 20_000, "Toyota's price ladder");
  await r.tui.write('X');
  await r.tui.waitForFrame((f) => f.includes('Flatten 7203') && f.includes('sends'), 'the flatten dialog');
}

describe('read-only by default', () => {
  it('X without --trade opens nothing and sends nothing to the simulator', async () => {
    const r = await start(false);
    await selectToyota(r);
    await r.tui.write('X');
    await r.tui.waitForFrame((f) => f.includes('Needs --trade'), 'the read-only refusal');
    await roundTrip(r.live);
    expect(ourOrders(r)).toEqual([]);
    expect(r.tui.lastFrame()).not.toContain('Flatten 7203');
  }, 60_000);
});

describe('arming', () => {
  it('fails with the wrong characters, then shows ARMED with the right ones', async () => {
    const r = await start(true);
    await r.tui.write(':trade.arm\r');
    await r.tui.waitForFrame((f) => f.includes('Type the last four characters'), 'the arming dialog');
    await r.tui.write('0000');
    await r.tui.write('\r');
    await r.tui.waitForFrame((f) => f.includes('You typed "0000"') && f.includes('not armed (NOT_ARMED)'), 'the wrong answer, saying what was typed');
    expect(r.tui.lastFrame().split('\n')[0]).toContain('TRADE disarmed');
    // Typed faster than one read (paste, SSH batching): the code and its Enter arrive as one chunk.
    await r.tui.write('1234\r');
    await r.tui.waitForFrame((f) => f.includes('You typed "1234"'), 'a wrong code in one burst, refused with the reason');
    await r.tui.write('4567\r');
    await r.tui.waitForFrame((f) => / ARMED \d/.test(f.split('\n')[0]!), 'ARMED in the status bar');
    await r.tui.write('!'); // one key drops it
    await r.tui.waitForFrame((f) => f.split('\n')[0]!.includes('TRADE disarmed'), 'disarmed again');
    expect(auditTypes(r)).toEqual(expect.arrayContaining(['denied', 'armed', 'disarmed']));
  }, 60_000);

  it("shows ARMED in the code's own frame: the recorded arming is drawn with the dialog closing, not a frame later", async () => {
    const r = await start(true);
    await r.tui.write(':trade.arm\r');
    await r.tui.waitForFrame((f) => f.includes('Type the last four characters'), 'the arming dialog');
    await r.tui.write('4567');
    await r.tui.waitForFrame((f) => f.includes(': 4567'), 'the code typed');
    const before = r.tui.stdout.frames.length;
    await r.tui.write('\r');
    await r.tui.waitForFrame((f) => / ARMED \d/.test(f.split('\n')[0]!), 'ARMED in the status bar');
    // Data frames may come between; the first without the dialog is the Enter's own.
    const next = r.tui.stdout.frames
      .slice(before)
      .map(strip)
      .find((f) => !f.includes('Type the last four characters'));
    expect(next!.split('\n')[0]).toMatch(/ ARMED \d/);
  }, 60_000);

  it('disarms by itself when the connection drops (a disarmed event and audit line)', async () => {
    const r = await start(true);
    await armed(r);
    await r.live.sim.trigger({ incident: 'drop' });
    await r.tui.waitForFrame((f) => f.split('\n')[0]!.includes('TRADE disarmed'), 'disarmed after the drop', 15_000);
    const lines = auditLines<{ type?: string; detail?: { reason?: string } }>(r.trading!);
    expect(lines.find((l) => l.type === 'disarmed')?.detail?.reason).toMatch(/connection not ready/);
  }, 60_000);

  it('refuses to open a flatten dialog while disarmed (NOT_ARMED) and sends nothing', async () => {
    const r = await start(true);
    await selectToyota(r);
    await r.tui.write('X');
    await r.tui.waitForFrame((f) => f.includes('Refused: trading is not armed'), 'the refusal');
    expect(r.tui.lastFrame()).not.toContain('Flatten 7203');
    expect(ourOrders(r)).toEqual([]);
  }, 60_000);
});

describe('the flatten dialog', () => {
  it('is never confirmed by Enter, the opening key or a split escape sequence; y y sends once and ends flat', async () => {
    const r = await start(true);
    await armed(r);
    await selectToyota(r);
    const before = toyotaPosition(r);
    expect(before).not.toBe('0');

    // Enter cancels (it is one of dialog.cancel's keys), never confirms.
    await openFlatten(r);
    expect(r.tui.lastFrame()).toMatch(/SELL|BUY/);
    expect(r.tui.lastFrame()).toMatch(/~[\d,]+ USD/);
    await r.tui.write('\r');
    await r.tui.waitForFrame((f) => !f.includes('Flatten 7203'), 'closed by Enter');

    // The opening key again does nothing; an escape sequence split in two closes it (Esc) and never confirms.
    await openFlatten(r);
    await r.tui.write('X');
    expect(r.tui.lastFrame()).toContain('Flatten 7203');
    await r.tui.writeSplit(['\u001b', '[B'], 30);
    await r.tui.waitForFrame((f) => !f.includes('Flatten 7203'), 'closed by Esc');
    expect(ourOrders(r)).toEqual([]);
    expect(toyotaPosition(r)).toBe(before);

    // y, then y again as key repeat: one send.
    await openFlatten(r);
    await r.tui.write('y');
    await r.tui.write('y');
    const done = await r.tui.waitForFrame((f) => f.includes('FLAT: every position in scope reads zero'), 'the progress view saying flat', 30_000);
    expect(done).toMatch(/FILLED/);
    await waitFor(() => toyotaPosition(r) === '0', 10_000, 'the simulator position at zero');
    const types = auditTypes(r);
    expect(types.filter((t) => t === 'orderSent')).toHaveLength(1);
    expect(types).toEqual(expect.arrayContaining(['armed', 'planShown', 'decision', 'orderSent', 'result']));
    // The dialogs closed without confirming are audited as decisions too.
    expect(types.filter((t) => t === 'decision').length).toBeGreaterThanOrEqual(3);

    await r.tui.write('\u001b');
    // The log beside says "orders sent" in words now: look for the dialog's title, not the word.
    await r.tui.waitForFrame((f) => !f.includes(': sent'), 'the outcome closed');
    r.trading!.close('test over');
    const v = await verifyAuditLog(r.trading!.auditFile!);
    expect(v).toMatchObject({ ok: true, sealed: true });
  }, 90_000);

  it('is on screen at the key, saying the plan is being built; the plan follows; closed meanwhile, nothing is planned', async () => {
    const r = await start(true);
    await armed(r);
    await selectToyota(r);
    const before = r.tui.stdout.frames.length;
    await r.tui.write('X');
    await r.tui.waitForFrame((f) => f.includes('Flatten 7203') && f.includes('sends'), 'the plan');
    // The first frame with the dialog (data frames may come between): the plan is not in it yet.
    const first = r.tui.stdout.frames
      .slice(before)
      .map(strip)
      .find((f) => f.includes('Flatten'));
    expect(first).toContain('Building the plan');
    expect(first).not.toContain('sends');
    await r.tui.write('\r');
    await r.tui.waitForFrame((f) => !f.includes('Flatten'), 'closed by Enter');
    const shown = auditTypes(r).filter((t) => t === 'planShown').length;

    // Closed while building (n is a cancel key; it arrives before the plan is built): no plan is built or audited.
    await r.tui.write('X');
    expect(r.tui.lastFrame()).toContain('Building the plan');
    await r.tui.write('n');
    await r.tui.waitForFrame((f) => !f.includes('Flatten'), 'closed while building');
    await roundTrip(r.live);
    await new Promise((done) => setImmediate(done));
    expect(r.tui.lastFrame()).not.toContain('Flatten');
    expect(auditTypes(r).filter((t) => t === 'planShown')).toHaveLength(shown);
  }, 60_000);

  it('a y typed while the plan is being built does not confirm it: the plan opens, nothing is sent', async () => {
    const r = await start(true);
    await armed(r);
    await selectToyota(r);
    // The y arrives while the plan is built (the event loop busy): it is read on the loop's next turn.
    const trading = r.trading!;
    const preview = trading.preview.bind(trading);
    trading.preview = (command, target) => {
      setImmediate(() => void r.tui.write('y'));
      return preview(command, target);
    };
    await r.tui.write('X');
    await r.tui.waitForFrame((f) => f.includes('Flatten 7203') && f.includes('sends'), 'the plan');
    await roundTrip(r.live);
    await new Promise((done) => setImmediate(done));
    expect(r.tui.lastFrame()).toContain('sends');
    expect(auditTypes(r)).not.toContain('decision');
    expect(auditTypes(r)).not.toContain('orderSent');
    expect(ourOrders(r)).toEqual([]);
    expect(toyotaPosition(r)).not.toBe('0');
    await r.tui.write('n');
    await r.tui.waitForFrame((f) => !f.includes('Flatten'), 'declined');
  }, 60_000);

  it("uses the contract's market rule for the marketable limit once armed (ES: 0.25)", async () => {
    const r = await start(true);
    await armed(r);
    await r.tui.write(`/${ES}\r`);
    await r.tui.waitForFrame((f) => f.includes(`filter ${ES}`), 'the filter');
    // The future's option matches too and comes first; the future is the next row.
    await r.tui.write('j');
    await r.tui.waitForFrame((f) => new RegExp(`^›${ES}`, 'm').test(f), `${ES} selected`);
    // Armed with the ladders fetched (armed()): the plan is on ES's 0.25 rule, not the default tick.
    await r.tui.write('X');
    const frame = await r.tui.waitForFrame((f) => f.includes(`Flatten ${ES}`) && f.includes('sends'), 'the flatten dialog');
    expect(frame).not.toContain('tick size unknown');
    const m = new RegExp(`(SELL|BUY) [\\d,]+ ${ES} LMT ([\\d,.]+)`).exec(frame);
    expect(m).not.toBeNull();
    expect((Number(m![2]!.replaceAll(',', '')) * 4) % 1).toBe(0);
    await r.tui.write('n');
  });

  it('a flatten opened while the price ladders are still coming waits for them under "Building the plan", then plans on them (ES: 0.25)', async () => {
    let release!: () => void;
    const held = new Promise<void>((done) => (release = done));
    const r = await start(true, false, undefined, held);
    await armConsole(r.tui);
    expect(r.trading!.session.pendingGrids.size).toBeGreaterThan(0);
    await r.tui.write(`/${ES}\r`);
    await r.tui.waitForFrame((f) => f.includes(`filter ${ES}`), 'the filter');
    // The future's option matches too and comes first; the future is the next row.
    await r.tui.write('j');
    await r.tui.waitForFrame((f) => new RegExp(`^›${ES}`, 'm').test(f), `${ES} selected`);
    await r.tui.write('X');
    await r.tui.waitForFrame((f) => f.includes('Building the plan'), 'the planning dialog');
    // A round trip to the simulator later the plan is still waiting: nothing planned, refused or audited.
    await roundTrip(r.live);
    expect(r.tui.lastFrame()).toContain('Building the plan');
    expect(r.tui.lastFrame()).not.toContain('TICKS_PENDING');
    expect(auditTypes(r)).not.toContain('planShown');
    release();
    const frame = await r.tui.waitForFrame((f) => f.includes(`Flatten ${ES}`) && f.includes('sends'), 'the plan on the ladders');
    expect(frame).not.toContain('tick size unknown');
    const m = new RegExp(`(SELL|BUY) [\\d,]+ ${ES} LMT ([\\d,.]+)`).exec(frame);
    expect(m).not.toBeNull();
    expect((Number(m![2]!.replaceAll(',', '')) * 4) % 1).toBe(0);
    await r.tui.write('n');
  });

  it('a position that appeared after arming gets its ladder before it is planned: an AAPL call above $3 sells on 0.05', async () => {
    const r = await start(true);
    await armed(r);
    const call = simInstrument((i) => i.conId === FRONT_AAPL_CALL);
    expect(r.live.feed.state.positions.has(FRONT_AAPL_CALL)).toBe(false);
    // Another client (a trading engine) buys one after the arming: a position whose ladder nobody asked for.
    const { api, rec, nextValidId } = await connectApi(r.live.sim.port, CLIENT + 40);
    try {
      api.placeOrder(
        nextValidId,
        { conId: FRONT_AAPL_CALL, exchange: 'SMART' },
        { action: OrderAction.BUY, orderType: OrderType.MKT, totalQuantity: 1, transmit: true },
      );
      await waitFor(() => rec.of(EventName.orderStatus).some((a) => a[0] === nextValidId && a[1] === 'Filled'), 20_000, 'the call bought');
    } finally {
      api.disconnect();
    }
    await waitFor(() => r.live.feed.state.positions.get(FRONT_AAPL_CALL)?.position.isPositive(), 20_000, 'the new position in the console');
    expect(r.trading!.session.priceGrids.has(FRONT_AAPL_CALL)).toBe(false);
    await r.tui.write(`/${call.symbol} ${call.lastTradeDateOrContractMonth} ${call.strike}\r`);
    await r.tui.waitForFrame((f) => new RegExp(`^›${call.symbol} .*${call.strike}`, 'm').test(f), 'the call selected');
    await r.tui.write('X');
    const frame = await r.tui.waitForFrame((f) => /Flatten AAPL/.test(f) && f.includes('sends'), 'the plan');
    expect(frame).not.toContain('tick size unknown');
    const m = /SELL 1 AAPL[^\n]* LMT ([\d.]+)/.exec(frame);
    expect(m).not.toBeNull();
    const limit = Number(m![1]);
    // The call is deep in the money (about 8 over its strike): its rung from $3 up is 0.05, not the minTick's 0.01.
    expect(limit).toBeGreaterThan(3);
    expect(Math.round(limit * 100) % 5).toBe(0);
    await r.tui.write('n');
  }, 60_000);

  it('a bulk scope asks for the word FLATTEN first: the confirm key only types, a wrong word is refused', async () => {
    const r = await start(true);
    await armed(r);
    await r.tui.write(':trade.flattenScope currency:EUR\r');
    // Enter in the word line works once the plan has been on screen for its reading time (the footer then offers it).
    const d = await r.tui.waitForFrame((f) => f.includes('FLATTEN currency:EUR?') && f.includes('Enter continues'), 'the bulk dialog, read');
    expect(d).toContain('SAP');
    await r.tui.write('y');
    await r.tui.write('y');
    await r.tui.waitForFrame((f) => /Type FLATTEN to unlock the confirm key: yy▏/.test(f), 'y typed, not confirming');
    await r.tui.write('\r');
    await r.tui.waitForFrame((f) => f.includes('"yy" is not FLATTEN') && f.includes('type FLATTEN exactly'), 'the wrong word refused');
    await r.tui.write('flatten\r');
    await r.tui.waitForFrame((f) => f.includes('"flatten" is not in capitals'), 'lower case in one burst, refused with the reason');
    // The word and Enter in one read unlock the confirm step; a y in the same burst was typed before that step was
    // on screen, so it must not send.
    await r.tui.write('FLATTEN\ry');
    await r.tui.waitForFrame((f) => f.includes('FLATTEN currency:EUR?') && f.includes('y sends'), 'the confirm step');
    await new Promise((done) => setTimeout(done, 300));
    expect(r.tui.lastFrame()).toContain('y sends');
    expect(ourOrders(r)).toEqual([]);
    await r.tui.write('n');
    await r.tui.waitForFrame((f) => !f.includes('FLATTEN currency:EUR?'), 'cancelled');
    expect(ourOrders(r)).toEqual([]);
    expect(auditTypes(r)).not.toContain('orderSent');
    expect(auditTypes(r)).toContain('decision');
  }, 60_000);

  it('at 80x24 a plan too long for the screen is cut, says so, keeps the figures now and after and the answer keys visible, and cannot be confirmed until enlarged', async () => {
    const r = await start(true, false, { columns: 80, rows: 24 });
    await armed(r);
    await r.tui.write(':trade.flattenScope all\r');
    await r.tui.waitForFrame((f) => f.includes('FLATTEN all?') && f.includes('Enter continues'), 'the bulk dialog, read');
    await r.tui.write('FLATTEN');
    await r.tui.write('\r');
    // A cut plan has not been read: the footer does not offer y (its reading time starts once every order is shown).
    const f = await r.tui.waitForFrame((x) => x.includes('y works after'), 'the confirm step with its keys');
    expect(f).toMatch(/more line\(s\) not shown/);
    // The figures now and after, with their worst losses, stay whole on rows of their own under the cut (they take the
    // place of order lines, which the confirm key refuses anyway): the plan as audited says what they were.
    const shown = auditLines<{ type?: string; detail?: { shown?: { lines: string[] } } }>(r.trading!).find((l) => l.type === 'planShown')!.detail!.shown!;
    const figures = shown.lines.filter((l) => /^(now|after):/.test(l)).flatMap((l) => l.split('; '));
    expect(figures.map((l) => l.split(' ')[0])).toEqual(['now:', 'worst', 'after:', 'worst']);
    const rows = boxRows(f);
    const notice = rows.findIndex((x) => /more line\(s\) not shown/.test(x));
    expect(rows.slice(notice + 1, notice + 5)).toEqual(figures);
    // A line wider than the dialog wraps rather than being cut at the border: the notice says what y does.
    expect(f).toMatch(/does nothing until\s+(?:║\s+)?then\)/);
    expect(f.split('\n')).toHaveLength(24);
    // y does not send orders the operator cannot see: it says why, and the dialog stays.
    await r.tui.write('y');
    await r.tui.waitForFrame((x) => /not on screen; enlarge the terminal/.test(x), 'the refusal to confirm a cut plan');
    expect(ourOrders(r)).toEqual([]);
    expect(auditTypes(r)).not.toContain('orderSent');
    await r.tui.write('\u001b');
    await r.tui.waitForFrame((x) => !x.includes('FLATTEN all?'), 'cancelled');
    expect(ourOrders(r)).toEqual([]);
  }, 60_000);

  it("says plainly when TWS's API is read-only (321) and disarms", async () => {
    const r = await start(true, true);
    await armed(r);
    await selectToyota(r);
    const before = toyotaPosition(r);
    await openFlatten(r);
    await r.tui.write('y');
    const out = await r.tui.waitForFrame((f) => f.includes('error 321'), 'the read-only API outcome', 30_000);
    expect(out).toContain('REJECTED');
    await r.tui.waitForFrame((f) => f.split('\n')[0]!.includes('TRADE disarmed'), 'disarmed');
    expect(toyotaPosition(r)).toBe(before);
  }, 60_000);

  it('refuses with TARGET_CHANGED when the position changed under the open dialog, sends nothing and shows the new plan', async () => {
    const r = await start(true);
    await armed(r);
    await selectToyota(r);
    const before = toyotaPosition(r);
    await openFlatten(r);
    const shown = r.tui.lastFrame();
    // Another client buys 100 more Toyota after the dialog opened.
    await r.live.sim.trigger({ incident: 'foreign-order', clientId: 99, symbol: TOYOTA, action: 'BUY', quantity: '100', orderType: 'MKT' });
    // Fills may come in parts: wait for all 100.
    await waitFor(() => Number(toyotaPosition(r)) === Number(before) + 100, 10_000, 'the foreign fill in the simulator');
    await waitFor(
      () =>
        r.live.feed.state.positions
          .get([...r.live.feed.state.positions.values()].find((p) => p.contract.symbol === TOYOTA)!.contract.conId)!
          .position.toString() === toyotaPosition(r),
      10_000,
      'the feed to see it',
    );
    // Other clients' orders are not streamed to us: the open-orders poll (300 ms) lists or unlists them. Two polls
    // after the fill, the foreign order is not open in the feed (else the new plan would rightly be refused too).
    await nextEvents(r.live, 'openOrdersEnded', 2);
    await waitFor(
      () => ![...r.live.feed.state.orders.values()].some((o) => o.clientId === 99 && !TERMINAL_STATUSES.has(o.status) && o.listed !== false),
      10_000,
      'no open foreign order in the feed',
    );
    await r.tui.write('y');
    const refused = await r.tui.waitForFrame((f) => f.includes('TARGET_CHANGED'), 'the refusal in the dialog');
    expect(refused).toContain('review the new plan');
    expect(refused).not.toBe(shown);
    // The new plan closes the new quantity, its thousands grouped as in the Qty column.
    const qty = Math.abs(Number(toyotaPosition(r)));
    expect(refused).toMatch(new RegExp(`(SELL|BUY) ${qty.toLocaleString('en-US')} `));
    expect(ourOrders(r)).toEqual([]);
    expect(ourExecutions(r)).toEqual([]);
    expect(auditTypes(r)).not.toContain('orderSent');
    expect(auditTypes(r)).toContain('denied');
    // Cancel the new plan: still nothing sent.
    await r.tui.write('n');
    // The log names the refusal in words (refused TARGET_CHANGED), so look for the dialog's own line.
    await r.tui.waitForFrame((f) => !f.includes('review the new plan'), 'closed');
    expect(auditTypes(r)).not.toContain('orderSent');
  }, 90_000);
});

describe('a market that moved under the open dialog', () => {
  it('refuses y with MARK_MOVED after a -10% move, sends nothing and shows a new plan priced near the new mark, read anew', async () => {
    // The reading time on a clock of the test's own: it passes only when the test says so.
    const reading = new ManualClock(0);
    const r = await start(true, false, undefined, undefined, reading);
    await armed(r);
    await selectToyota(r);
    await r.tui.write('X');
    await r.tui.waitForFrame((f) => f.includes('Flatten 7203') && f.includes('Read the plan'), 'the flatten dialog');
    reading.advance(1_000);
    const conId = r.live.sim.snapshot().positions.find((p) => p.symbol === TOYOTA)!.conId;
    const planned = liveMark(r.live.feed.state, conId)!.price.toNumber();
    await r.live.sim.trigger({ incident: 'move', factor: TOYOTA, pct: -10 });
    await waitFor(() => liveMark(r.live.feed.state, conId)!.price.toNumber() < planned * 0.92, 10_000, 'the feed to see the move');
    await r.tui.waitForFrame((f) => f.includes('y sends'), 'the plan read');
    await r.tui.write('y');
    const refused = await r.tui.waitForFrame((f) => f.includes('MARK_MOVED'), 'the refusal in the dialog');
    expect(strip(refused)).toContain('review the new plan');
    // A new plan: its reading time starts again, and y works once it has passed.
    expect(strip(refused)).toContain('Read the plan');
    reading.advance(1_000);
    await r.tui.waitForFrame((f) => f.includes('MARK_MOVED') && f.includes('y sends'), 'the new plan read');
    // The new plan's limit is 2% from the mark of now (JPY: whole yen), not from the mark it was opened on.
    const mark = liveMark(r.live.feed.state, conId)!.price.toNumber();
    const limit = Number(/(?:SELL|BUY) [\d,]+ 7203 LMT ([\d,.]+)/.exec(strip(refused))![1]!.replace(/,/g, ''));
    expect(Math.abs(limit - mark) / mark).toBeLessThan(0.03);
    expect(Math.abs(limit - mark) / mark).toBeGreaterThan(0.01);
    expect(ourOrders(r)).toEqual([]);
    expect(ourExecutions(r)).toEqual([]);
    expect(auditTypes(r)).not.toContain('orderSent');
    expect(auditLines<{ type?: string; detail?: { code?: string } }>(r.trading!).some((l) => l.type === 'denied' && l.detail?.code === 'MARK_MOVED')).toBe(
      true,
    );
    await r.tui.write('n');
    await r.tui.waitForFrame((f) => !f.includes('review the new plan'), 'closed');
    expect(auditTypes(r)).not.toContain('orderSent');
  }, 90_000);
});

describe('a flatten that timed out', () => {
  it('names the order left working, with its limit and what is left, and does not cancel it', async () => {
    const live = await startSimFeed({ speed: 20 });
    const store = new ConsoleStore(live.feed, {
      throttleMs: 50,
      session: new AccountSession(live.feed, { risk: createStressRunner(), alerts: createAlertRunner() }),
    });
    const auditDir = mkdtempSync(join(tmpdir(), 'tws-risk-audit-'));
    // The deadline runs on the test's clock: it passes when the test advances it, once the order is working.
    const clock = new ManualClock(Date.now());
    // Toyota falls 10% while the order is on its way (after the guard passed it): the SELL reaches the simulator
    // above the market and cannot fill.
    const source: ConsoleTradingSource = {
      get ready() {
        return live.source.ready;
      },
      placeOrder: (c, o) => {
        void live.sim.trigger({ incident: 'move', factor: TOYOTA, pct: -10 });
        return live.source.placeOrder(c, o);
      },
      cancelOrder: (id) => live.source.cancelOrder(id),
      globalCancel: () => live.source.globalCancel(),
      contractDetails: (conId) => live.source.contractDetails(conId),
      marketRule: (id) => live.source.marketRule(id),
    };
    const trading = createConsoleTrading({ mode: 'trade', feed: live.feed, source, clientId: CLIENT, auditDir, clock, timeoutMs: 20_000 });
    const tui = renderApp(store, { columns: 120, rows: 40 }, { trading: 'trade', trade: trading });
    const r: Rig = (rig = { live, store, tui, trading, auditDir });
    await tui.waitForFrame((f) => f.includes('READY') && f.includes('AAPL'), 'the console on live data');
    await armed(r);
    await selectToyota(r);
    await openFlatten(r);
    const limit = /SELL [\d,]+ 7203 LMT ([\d,.]+)/.exec(r.tui.lastFrame())![1]!;
    await r.tui.write('y');
    await waitFor(
      () => ourOrders(r).length === 1 && live.feed.state.orders.get(`${CLIENT}:${ourOrders(r)[0]!.orderId}`)?.status === 'Submitted',
      10_000,
      'the order working',
    );
    clock.advance(20_001);
    const done = strip(await r.tui.waitForFrame((f) => f.includes('TIMED OUT'), 'the outcome'));
    const qty = Math.abs(Number(toyotaPosition(r)));
    const orderId = ourOrders(r)[0]!.orderId;
    expect(done.replace(/\u001b\[\d+m/g, '').replace(/[║\s]+/g, ' ')).toContain(
      `order ${orderId} SELL ${qty.toLocaleString('en-US')} 7203: TIMED OUT, still working at LMT ${limit.replace(/,/g, '').replace(/\.?0+$/, '')} (${qty.toLocaleString('en-US')} left): cancel it (x in Orders) or re-flatten`,
    );
    expect(done).toContain('NOT flat');
    // Left working, as the outcome says: nothing cancelled it.
    expect(ourOrders(r).map((o) => o.orderId)).toEqual([orderId]);
  }, 90_000);
});

describe('cancel dialogs', () => {
  async function startWithOrders(): Promise<Rig> {
    const live = await startSimFeed({ speed: 20, orders: true });
    const store = new ConsoleStore(live.feed, {
      throttleMs: 50,
      session: new AccountSession(live.feed, { risk: createStressRunner(), alerts: createAlertRunner() }),
    });
    const auditDir = mkdtempSync(join(tmpdir(), 'tws-risk-audit-'));
    const trading = createConsoleTrading({ mode: 'trade', feed: live.feed, source: live.source, clientId: CLIENT, auditDir, timeoutMs: 20_000 });
    const tui = renderApp(store, { columns: 120, rows: 40 }, { trading: 'trade', trade: trading });
    rig = { live, store, tui, trading, auditDir };
    await tui.waitForFrame((f) => f.includes('READY') && f.includes('AAPL'), 'the console on live data');
    return rig;
  }

  it("x on another client's order is refused (it can only be cancelled globally); the global cancel says whose orders it cancels", async () => {
    const r = await startWithOrders();
    await armed(r);
    await r.tui.write('4');
    await r.tui.waitForFrame((f) => /^›.*\b99\b/m.test(f), 'the foreign order selected');
    await r.tui.write('x');
    // The whole refusal, on one line: whose order it is and the one way this console can cancel it.
    const refused = await r.tui.waitForFrame((f) => f.includes('(FOREIGN_ORDER)'), 'the refusal');
    expect(refused).toMatch(/Refused: order \d+ is client 99's; use :trade\.globalCancel or TWS \(FOREIGN_ORDER\)/);
    expect(r.live.sim.snapshot().openOrders.some((o) => o.clientId === 99)).toBe(true);

    await r.tui.write(':trade.globalCancel\r');
    const dialog = await r.tui.waitForFrame((f) => f.includes('GLOBAL CANCEL?'), 'the global cancel dialog');
    expect(dialog).toMatch(/also cancels other clients' and manual TWS orders: 1 of them/);
    // The one account it acts on is named, as in every trading dialog.
    expect(dialog).toContain(`Account ${r.live.sim.account}`);
    // Enter cancels the dialog; nothing is cancelled.
    await r.tui.write('\r');
    await r.tui.waitForFrame((f) => !f.includes('GLOBAL CANCEL?'), 'closed by Enter');
    expect(r.live.sim.snapshot().openOrders.some((o) => o.clientId === 99)).toBe(true);

    await r.tui.write(':trade.globalCancel\r');
    const again = await r.tui.waitForFrame((f) => f.includes('GLOBAL CANCEL?'), 'the global cancel dialog again');
    // Each order it cancels is listed: side, quantity, contract, type and limit, and whose it is.
    const open = r.live.sim.snapshot().openOrders;
    expect(open.length).toBeGreaterThan(0);
    for (const o of open) {
      const whose = o.clientId === CLIENT ? 'this client' : o.clientId === 0 ? 'manual \\(TWS\\)' : `another client \\(${o.clientId}\\)`;
      const label = positionLabel(simInstrument((i) => i.conId === o.conId));
      expect(again).toMatch(new RegExp(`${o.action} ${o.totalQuantity} ${label} ${o.orderType}.* · ${whose} · order ${o.orderId}\\b`));
    }
    // As for a flatten: while an order it acts on is cut off the screen, y does nothing; on a screen that shows them, it sends.
    r.tui.resize(80, 9);
    // 80x9 is too short for the border: the dialog is drawn bare, its lines wrapped to the full width.
    await r.tui.waitForFrame((f) => /more line\(s\) not shown/.test(f) && /does\s+nothing until then/.test(f), 'the listing cut');
    await r.tui.write('y');
    await r.tui.waitForFrame((f) => f.includes('not on screen'), 'the confirm key refused');
    r.tui.resize(120, 40);
    // Every order back on screen restarts the reading time: y is offered once it has passed.
    const whole = await r.tui.waitForFrame(
      (f) => f.includes('GLOBAL CANCEL?') && !/more line\(s\) not shown/.test(f) && f.includes('y sends'),
      'every order on screen again, read',
    );
    expect(whole).not.toContain('GLOBAL CANCEL: sent');
    expect(r.live.sim.snapshot().openOrders.length).toBe(open.length);
    expect(auditTypes(r)).not.toContain('globalCancelSent');
    await r.tui.write('y');
    await r.tui.waitForFrame((f) => f.includes('Done: every order reached a final state'), 'the outcome', 30_000);
    expect(r.live.sim.snapshot().openOrders).toEqual([]);
    expect(auditTypes(r)).toEqual(expect.arrayContaining(['planShown', 'decision', 'globalCancelSent', 'result']));
  }, 90_000);
});

describe('IBKR what-if in the flatten dialog', () => {
  it("the dialog gains IBKR's post-flatten requirement beside ours, the answer keys still on screen, nothing sent", async () => {
    const r = await start(true);
    await armed(r);
    await selectToyota(r);
    const before = toyotaPosition(r);
    await openFlatten(r);
    const frame = await r.tui.waitForFrame(
      (f) => /IBKR what-if: maint after [\d,]+ [A-Z]{3}; ours [\d,]+, difference [+-][\d,]+/.test(f),
      'the what-if line',
      15_000,
    );
    expect(frame).toContain('sends');
    expect(frame).toContain('Flatten 7203');
    await r.tui.writeSplit(['\u001b', '[B'], 30);
    await r.tui.waitForFrame((f) => !f.includes('Flatten 7203'), 'closed by Esc');
    await roundTrip(r.live);
    expect(ourOrders(r)).toEqual([]);
    expect(ourExecutions(r)).toEqual([]);
    expect(toyotaPosition(r)).toBe(before);
    expect(auditTypes(r)).toContain('whatIf');
  }, 60_000);
});
