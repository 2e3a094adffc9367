// The console on the simulator's advisor login (--account all): every account as the simulator holds it, the Accounts
// pane switching the other panes, the aggregate row's sums, and trading on the selected account only.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Subject } from 'rxjs';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import type { FeedEventBody } from '../../src/model/events.js';
import { Feed } from '../../src/streams/feed.js';
import { accountEvents, positionEvents } from '../support/book.js';
import { followAccounts } from '../../src/commands/accounts-console.js';
import { createConsoleTrading } from '../../src/commands/console-trading.js';
import { ticksKnown } from '../support/trading-console.js';
import { accountAuditName, accountGateway } from '../../src/commands/accounts-console.js';
import { openLiveMulti } from '../../src/commands/live.js';
import { riskParamsOf } from '../../src/commands/stress.js';
import { alertConfigOf } from '../../src/config/load.js';
import { DEFAULT_SETTINGS } from '../../src/config/settings.js';
import { createAlertRunner } from '../../src/session/alert-runner.js';
import { baseValue } from '../../src/model/account-values.js';
import { Decimal } from '../../src/model/money.js';
import { AccountSession } from '../../src/session/session.js';
import { createStressRunner } from '../../src/session/stress-model.js';
import { snapshotValue } from '../../src/sim/index.js';
import { ConsoleStore } from '../../src/views/store.js';
import { FA_BOOKS, startAdvisorSim, T0, waitFor } from '../sim/helpers.js';
import { renderApp } from '../support/render-tui.js';

const CLIENT = 73;
const MAIN = 'DU1234567';
const dir = mkdtempSync(join(tmpdir(), 'tws-risk-accounts-console-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** "1,234,567" as the panes print a whole amount. */
const whole = (d: Decimal) => Number(d.toFixed(0)).toLocaleString('en-US');

/**
 * The console on every account of the simulator's advisor login, able to trade: one AccountSession and trading session
 * per account (as `live --account all --trade` builds them), the store and the App at 200x50. `close` tears it all down.
 */
function tradingConsole(sim: { port: number; close(): Promise<void> }, clientId: number) {
  const m = openLiveMulti({
    host: '127.0.0.1',
    port: sim.port,
    clientId,
    accounts: 'all',
    settings: DEFAULT_SETTINGS,
    sourceOptions: { openOrdersPollMs: 300 },
  });
  const { set, trading } = followAccounts({
    multi: m,
    connection: m.connection.feed,
    trade: true,
    core: (feed, account) => {
      const t = createConsoleTrading({
        mode: 'trade',
        feed,
        source: accountGateway(m.source, account),
        clientId,
        auditDir: dir,
        auditName: accountAuditName(account),
        armMinutes: 10,
        timeoutMs: 20_000,
      });
      return { session: new AccountSession(feed, { risk: createStressRunner({ params: riskParamsOf(DEFAULT_SETTINGS) }), trading: t.session }), trading: t };
    },
  });
  const store = new ConsoleStore(set.feed, { throttleMs: 50, clockMs: 200, session: set.session, accounts: () => set.view() });
  const off = set.onChange(() => store.publish());
  const tui = renderApp(store, { columns: 200, rows: 50 }, { trading: 'trade', trade: trading!, accounts: set });
  const close = async () => {
    tui.unmount();
    off();
    trading?.close('test over');
    store.dispose();
    await m.close('test over');
    await sim.close();
  };
  return { m, set, tui, close };
}

describe('the console with several accounts of one login', () => {
  it('shows each account as the simulator has it, switches the panes on Enter, sums NLV, and trades only the selected account', async () => {
    // Frozen prices and a manual clock: the figures compared stay put while the test reads them.
    const sim = await startAdvisorSim();
    const all = [MAIN, ...Object.keys(FA_BOOKS)];
    const { m, set, tui, close } = tradingConsole(sim, CLIENT);
    try {
      // (a) Each account's own state is the simulator's book and values of that account.
      await waitFor(() => set.accounts.length === all.length, 20_000, 'every account of the login');
      expect(set.accounts).toEqual(all);
      for (const a of all) {
        const snap = sim.snapshot(a);
        const feed = set.member(a)!.feed;
        const nlv = new Decimal(snapshotValue(snap, 'NetLiquidation')!);
        await waitFor(() => baseValue(feed.state, 'NetLiquidation')?.eq(nlv), 20_000, `${a} NetLiquidation`);
        // The Accounts pane's row reads the same figure.
        await waitFor(
          () =>
            set
              .view()
              .rows.find((r) => r.account === a)
              ?.netLiquidation?.eq(nlv),
          20_000,
          `${a} row`,
        );
        await waitFor(() => feed.state.positions.size === snap.positions.length, 20_000, `${a} positions`);
        const held = [...feed.state.positions.values()].map((p) => [p.contract.conId, p.position.toString()]).sort();
        expect(held).toEqual(snap.positions.map((p) => [p.conId, new Decimal(p.position).toString()]).sort());
        expect(feed.state.account).toBe(a);
        // Marked from market data (no PORTFOLIO_VALUE for a *Multi account): the simulator's own unrealized P&L, bonds
        // (priced in percent of face) and futures (average cost per contract) included. Options are left out: their
        // quotes tick on the option's price grid, while the simulator's own row uses its unrounded model mark.
        const priced = new Set(snap.positions.filter((p) => p.secType !== 'OPT' && p.secType !== 'FOP').map((p) => p.conId));
        const unrealized = () =>
          snap.positions
            .filter((p) => priced.has(p.conId))
            .map((p) => [p.conId, new Decimal(p.unrealizedPnl).toString()])
            .sort();
        const ours = () =>
          [...feed.state.portfolio.values()]
            .filter((r) => priced.has(r.contract.conId))
            .map((r) => [r.contract.conId, r.unrealizedPnl?.toString()])
            .sort();
        await waitFor(() => JSON.stringify(ours()) === JSON.stringify(unrealized()), 20_000, `${a} unrealized P&L`).catch(() => {
          expect(ours()).toEqual(unrealized());
        });
      }

      // The Accounts pane: a row per account and "all", whose NLV is the sum in USD (the EUR account at TWS's rate).
      const eurRate = new Decimal(snapshotValue(sim.snapshot(), 'ExchangeRate', 'EUR')!);
      const sum = all
        .reduce((acc, a) => {
          const snap = sim.snapshot(a);
          const v = new Decimal(snapshotValue(snap, 'NetLiquidation')!);
          return acc.add(snap.baseCurrency === 'EUR' ? v.mul(eurRate) : v);
        }, new Decimal(0))
        .toDecimalPlaces(2);
      await waitFor(() => set.view().aggregate.netLiquidation?.eq(sum), 20_000, 'the aggregate NLV');
      const first = await tui.waitForFrame(
        (f) => f.includes('all (4)') && f.includes(`${whole(sum)} USD`) && f.includes('7 Accounts'),
        'the Accounts pane with its sum',
        20_000,
      );
      for (const a of all) expect(first).toContain(a);
      expect(first).toMatch(/Enter show account/);
      // The first account is shown at first: its Toyota position is on the Positions pane.
      await tui.waitForFrame((f) => f.includes('7203') && f.includes(`${MAIN} (1 of 4)`), 'the first account in the panes', 20_000);

      // (b) Enter on another row switches the panes: DU2000001 holds only AAPL, no Toyota. The panes were frozen on the
      // first account: showing another thaws them, so the bar and the panes name the same account.
      await tui.write(' ');
      await tui.waitForFrame((f) => f.includes('FROZEN'), 'frozen');
      await tui.write('7');
      await tui.write('j');
      await tui.write('\r');
      const sub = await tui.waitForFrame((f) => f.includes('DU2000001 (2 of 4)') && !f.includes('7203'), 'DU2000001 in the panes', 20_000);
      expect(sub).toContain('AAPL');
      expect(sub).not.toContain('FROZEN');

      // (c) The aggregate row selected: nothing trades, and the refusal says why.
      await tui.write('G');
      await tui.write('\r');
      await tui.waitForFrame((f) => f.includes('ALL 4 accounts'), 'the aggregate selected');
      await tui.write(':trade.arm\r');
      await tui.waitForFrame((f) => f.includes('trading always targets exactly one account'), 'arming refused on the aggregate');
      await tui.write(':trade.flattenScope all\r');
      await tui.waitForFrame((f) => f.includes('Refused: the aggregate row "all" is selected'), 'flatten refused on the aggregate');
      expect(sim.snapshot().openOrders.filter((o) => o.clientId === CLIENT)).toEqual([]);

      // (d) A sub-account's flatten dialog names it and plans its own position only (100 AAPL, not the login's 500).
      await tui.write('g');
      await tui.write('j');
      await tui.write('\r');
      await tui.waitForFrame((f) => f.includes('DU2000001 (2 of 4)'), 'DU2000001 selected again');
      await tui.write(':trade.arm\r');
      await tui.waitForFrame((f) => f.includes('Account DU2000001') && f.includes('Type the last four characters'), 'the arming dialog names the account');
      await tui.write('0001');
      await tui.write('\r');
      await tui.waitForFrame((f) => / ARMED \d/.test(f.split('\n')[0]!), 'DU2000001 armed');
      {
        const member = set.member('DU2000001')!;
        await ticksKnown(member.session.trading!, member.feed.state.positions.keys());
      }
      await tui.write('2');
      await tui.write('X');
      const subPlan = await tui.waitForFrame((f) => f.includes('Account DU2000001 ·') && f.includes('sends'), 'the flatten dialog of DU2000001');
      expect(subPlan).toMatch(/SELL 100 AAPL/);
      expect(subPlan).not.toMatch(/SELL 500 AAPL/);
      await tui.write('\u001b');
      await tui.waitForFrame((f) => !f.includes('Account DU2000001 ·'), 'the dialog declined');

      // (e) The login's own account: armed on its own (the other's arming does not carry over), flatten sent, and the
      // simulator's order book holds that one order, sent with the account field naming it.
      await tui.write('7');
      await tui.write('g');
      await tui.write('\r');
      await tui.waitForFrame(
        (f) =>
          f.includes(`${MAIN} (1 of 4)`) && f.includes('7203') && !/ ARMED \d/.test(f.split('\n')[0]!) && f.split('\n')[0]!.includes('ARMED ALSO DU2000001'),
        'the login account, not armed, the other one said to be',
      );
      await tui.write(':trade.arm\r');
      await tui.waitForFrame((f) => f.includes(`Account ${MAIN}`) && f.includes('Type the last four characters'), 'the arming dialog of the login account');
      await tui.write('4567');
      await tui.write('\r');
      await tui.waitForFrame((f) => / ARMED \d/.test(f.split('\n')[0]!), `${MAIN} armed`);
      {
        const member = set.member(MAIN)!;
        await ticksKnown(member.session.trading!, member.feed.state.positions.keys());
      }
      await tui.write('2');
      await tui.write('/7203\r');
      await tui.waitForFrame((f) => /^›7203/m.test(f), 'Toyota selected');
      await tui.write('X');
      const plan = await tui.waitForFrame(
        (f) => f.includes(`Account ${MAIN} ·`) && f.includes('Flatten 7203') && f.includes('sends'),
        'the flatten dialog of the login account',
      );
      const toyota = [...set.member(MAIN)!.feed.state.positions.values()].find((p) => p.contract.symbol === '7203')!;
      // The demo book holds 2,000 Toyota (docs/simulator.md), shown grouped as in the Qty column.
      expect(toyota.position.toString()).toBe('2000');
      expect(plan).toContain('SELL 2,000 7203');
      await tui.write('y');
      const ours = await waitFor(
        () => {
          const o = sim.snapshot().openOrders.filter((x) => x.clientId === CLIENT);
          return o.length > 0 ? o : undefined;
        },
        20_000,
        'the order in the simulator',
      );
      expect(ours.map((o) => [o.conId, o.requestedAccount, o.action])).toEqual([[toyota.contract.conId, MAIN, 'SELL']]);
      // One audit log per account armed, each named by and written for its own account.
      const logs = readdirSync(dir).filter((f) => f.endsWith('.jsonl'));
      expect(logs.map((f) => /-console-(\w+)\.jsonl$/.exec(f)?.[1]).sort()).toEqual(['DU1234567', 'DU2000001']);
      for (const f of logs) {
        const header = JSON.parse(readFileSync(join(dir, f), 'utf8').split('\n')[0]!) as { account?: string };
        expect(f).toContain(`-console-${header.account}.jsonl`);
      }
    } finally {
      await close();
    }
  }, 120_000);

  it('flattens a sub-account: exactly its orders are sent, they fill in that account only, and its Accounts row follows', async () => {
    // Prices frozen but time running: the order is acknowledged and filled, and only the fill moves the books.
    const sim = await startAdvisorSim({ speed: 1, orders: { ackDelayMs: 20, fillDelayMs: 30, partialIntervalMs: 60 } });
    const SUB = 'DU2000001';
    const all = [MAIN, ...Object.keys(FA_BOOKS)];
    const others = all.filter((a) => a !== SUB);
    const { set, tui, close } = tradingConsole(sim, CLIENT + 2);
    const book = (a: string) => {
      const snap = sim.snapshot(a);
      return { positions: snap.positions.map((p) => [p.conId, p.position]), cash: snap.cash };
    };
    try {
      await waitFor(() => set.accounts.length === all.length, 20_000, 'every account of the login');
      const nlvBefore = new Decimal(snapshotValue(sim.snapshot(SUB), 'NetLiquidation')!);
      await waitFor(() => set.member(SUB)!.feed.state.positions.size === 1, 20_000, `${SUB} positions`);
      const before = new Map(others.map((a) => [a, book(a)]));

      await tui.write('7');
      await tui.write('j');
      await tui.write('\r');
      await tui.waitForFrame((f) => f.includes(`${SUB} (2 of 4)`), `${SUB} shown`, 20_000);
      await tui.write(':trade.arm\r');
      await tui.waitForFrame((f) => f.includes(`Account ${SUB}`) && f.includes('Type the last four characters'), 'the arming dialog');
      await tui.write('0001');
      await tui.write('\r');
      await tui.waitForFrame((f) => / ARMED \d/.test(f.split('\n')[0]!), `${SUB} armed`);
      await ticksKnown(set.member(SUB)!.session.trading!, set.member(SUB)!.feed.state.positions.keys());
      await tui.write('2');
      // The flatten acts on the row selected in the focused pane: wait until the Positions pane has the focus and its row.
      await tui.waitForFrame((f) => f.includes('▶2 Positions') && f.includes('›AAPL'), `${SUB}'s Positions focused`);
      await tui.write('X');
      const plan = await tui.waitForFrame((f) => f.includes(`Account ${SUB} ·`) && f.includes('sends'), `the flatten dialog of ${SUB}`);
      expect(plan).toMatch(/SELL 100 AAPL/);
      await tui.write('y');

      // The simulator booked the flatten in the sub-account: its AAPL is gone, by one sale of exactly 100 shares.
      await waitFor(() => sim.snapshot(SUB).positions.find((p) => p.conId === 265598)?.position === '0', 20_000, `${SUB} flat in the simulator`);
      const fills = sim.snapshot(SUB).executions;
      expect(fills.map((e) => [e.clientId, e.conId, e.account, e.side, e.shares])).toEqual([[CLIENT + 2, 265598, SUB, 'SLD', '100']]);
      // Nothing was sent for, or booked in, any other account.
      for (const a of others) {
        expect(sim.snapshot(a).executions).toEqual([]);
        expect(sim.snapshot(a).openOrders).toEqual([]);
        expect(book(a)).toEqual(before.get(a));
      }
      // The console's picture of that account follows: its position is closed and its Accounts row has the new NLV.
      const nlvAfter = new Decimal(snapshotValue(sim.snapshot(SUB), 'NetLiquidation')!);
      expect(nlvAfter.eq(nlvBefore)).toBe(false);
      await waitFor(() => [...set.member(SUB)!.feed.state.positions.values()].every((p) => p.position.isZero()), 20_000, `${SUB} flat in the console`);
      await waitFor(
        () =>
          set
            .view()
            .rows.find((r) => r.account === SUB)
            ?.netLiquidation?.eq(nlvAfter),
        20_000,
        `${SUB} row at the new NLV`,
      );
      // The dialog says the flatten is done; closed, the Accounts pane draws the row.
      await tui.waitForFrame((f) => f.includes('FLAT: every position in scope reads zero'), 'the flatten reported done');
      await tui.write('\u001b');
      await tui.waitForFrame((f) => !f.includes('FLAT: every position'), 'the dialog closed');
      await tui.write('7');
      await tui.waitForFrame((f) => f.split('\n').some((l) => l.includes(SUB) && l.includes(whole(nlvAfter))), `${SUB} row drawn at the new NLV`, 20_000);
    } finally {
      await close();
    }
  }, 120_000);

  it("raises an account's alerts in that account only, names the account in each, and counts them on the bar whichever account is shown", async () => {
    // DU3000001 is short far more stock than its cash carries: ExcessLiquidity below zero, a critical alert.
    const sim = await startAdvisorSim({
      subAccounts: { DU3000001: { positions: [{ conId: 76792991, quantity: '-5000', avgPrice: '250' }], cash: { USD: '1400000' } } },
    });
    const m = openLiveMulti({ host: '127.0.0.1', port: sim.port, clientId: CLIENT + 1, accounts: 'all', settings: DEFAULT_SETTINGS });
    const { set } = followAccounts({
      multi: m,
      connection: m.connection.feed,
      trade: false,
      core: (feed) => ({
        session: new AccountSession(feed, {
          risk: createStressRunner({ params: riskParamsOf(DEFAULT_SETTINGS) }),
          alerts: createAlertRunner(alertConfigOf(DEFAULT_SETTINGS), { publish: (b) => feed.publish(b) }),
        }),
      }),
    });
    const store = new ConsoleStore(set.feed, { throttleMs: 50, clockMs: 200, session: set.session, accounts: () => set.view() });
    const off = set.onChange(() => store.publish());
    const tui = renderApp(store, { columns: 200, rows: 50 }, { accounts: set });
    try {
      await waitFor(() => set.member('DU3000001')?.feed.state.alerts.size, 30_000, "DU3000001's alert recorded in its own feed");
      // The login's own account is calm: nothing recorded there.
      expect(set.member(MAIN)!.feed.state.alerts.size).toBe(0);
      // Shown: the login's account; the bar still counts the other account's critical alert, and its row says it.
      const frame = await tui.waitForFrame((f) => /DU3000001 .* \d+ CRIT/.test(f) && f.includes(`${MAIN} (1 of 2)`), 'the critical alert on its row', 20_000);
      expect(frame.split('\n')[0]).toMatch(/ \d+ CRITICAL /);
      expect(frame).toMatch(new RegExp(`${MAIN} .* none`));
      expect(frame).not.toMatch(/DU3000001: /);
      // Shown: DU3000001; its alert is listed, naming the account.
      await tui.write('7');
      await tui.write('j');
      await tui.write('\r');
      await tui.waitForFrame((f) => f.includes('DU3000001 (2 of 2)') && /DU3000001: .*[Ee]xcess/.test(f), "DU3000001's alert in the Alerts pane", 20_000);
    } finally {
      tui.unmount();
      off();
      store.dispose();
      await m.close('test over');
      await sim.close();
    }
  }, 120_000);

  it('a single-account console has no Accounts pane: no tab, and its key says why instead of doing nothing', async () => {
    const source = new Subject<FeedEventBody>();
    const feed = new Feed(source);
    for (const b of [
      { type: 'healthChanged', health: 'ready', host: '127.0.0.1', port: 7497, clientId: 1 } as FeedEventBody,
      ...accountEvents(),
      ...positionEvents(),
    ])
      source.next(b);
    const store = new ConsoleStore(feed, { throttleMs: 50 });
    const tui = renderApp(store, { columns: 100, rows: 30 });
    try {
      const first = await tui.waitForFrame((f) => f.includes('6 Alerts and log'), 'the console');
      expect(first).not.toContain('Accounts');
      expect(first.split('\n')[0]).not.toMatch(/ of \d/);
      await tui.write('7');
      const after = await tui.waitForFrame((f) => f.includes('One account is followed'), 'the reason on the hint line');
      expect(after).toMatch(/▶2 Positions/);
    } finally {
      tui.unmount();
      store.dispose();
      await feed.close('test over');
    }
  });

  it('demo --account refuses what several accounts cannot do before starting anything (exit 2)', async () => {
    const run = async (...argv: string[]) => {
      const err: string[] = [];
      const code = await main(argv, { out: () => {}, err: (x) => err.push(x) });
      return { code, err: err.join('\n') };
    };
    const rec = await run('demo', '--account', 'all', '--record', join(dir, 'x.jsonl'));
    expect(rec.code).toBe(2);
    expect(rec.err).toMatch(/--record: a flight recording holds one account/);
    // --publish is not refused for several accounts (each is published as its own session): only the terminal is missing.
    const pub = await run('demo', '--account', 'DU2000001,DU2000002', '--publish', 'nats://127.0.0.1:1');
    expect(pub.code).toBe(2);
    expect(pub.err).not.toMatch(/--publish/);
    expect(pub.err).toMatch(/opens the console/);
    const once = await run('demo', '--account', 'all', '--once');
    expect(once.code).toBe(2);
    expect(once.err).toMatch(/opens the console .*tws-risk report --account all/);
    const one = await run('demo', '--account', 'DU2000001');
    expect(one.code).toBe(2);
    expect(one.err).toMatch(/--account expects all or a list/);
  });
});
