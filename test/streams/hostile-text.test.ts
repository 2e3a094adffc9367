// Terminal control codes in TWS text (a symbol, an error message) never reach the terminal: console data and commands.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import { startSimulator, type Simulator } from '../../src/sim/index.js';
import { Feed } from '../../src/streams/feed.js';
import { TwsSource } from '../../src/streams/tws/source.js';
import { layoutLine } from '../../src/views/format.js';
import { T0, waitFor } from '../sim/helpers.js';
import { errFrame, startFrameProxy, type FrameProxy } from '../support/hostile-peer.js';

/** Sets the terminal title, writes the clipboard (OSC 52), hides what follows (SGR 8), clears the screen. */
const HOSTILE = 'AAPL\u001b]0;pwned\u0007\u001b]52;c;cm0gLXJmIH4=\u0007\u001b[8m\u001b[2J\u009b31m';
const SHOWN = 'AAPL\\x1b]0;pwned\\x07\\x1b]52;c;cm0gLXJmIH4=\\x07\\x1b[8m\\x1b[2J\\x9b31m';
// eslint-disable-next-line no-control-regex
const ANY_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

let sim: Simulator;
let proxy: FrameProxy;

beforeAll(async () => {
  sim = await startSimulator({ port: 0, controlPort: null, seed: 3, speed: 20, startTime: T0, log: false });
  // Every field that says AAPL (positions, portfolio, orders, executions, contract details) says HOSTILE instead.
  proxy = await startFrameProxy(sim.port, (fields) => fields.map((f) => (f === 'AAPL' ? HOSTILE : f)));
  await sim.trigger({
    incident: 'foreign-order',
    clientId: 99,
    symbol: 'AAPL',
    secType: 'STK',
    action: 'BUY',
    quantity: '100',
    orderType: 'LMT',
    lmtPrice: 150,
  });
});
afterAll(async () => {
  await proxy?.close();
  await sim?.close();
});

async function run(...args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

function expectInert(lines: readonly string[]): void {
  for (const l of lines) expect(l, JSON.stringify(l)).not.toMatch(ANY_CONTROL);
}

describe('TWS text with control codes', () => {
  it('enters the feed with its control characters shown as escapes (symbols, order symbols, messages)', async () => {
    const source = new TwsSource({ host: '127.0.0.1', port: proxy.port, clientId: 71, heartbeatMs: 500, heartbeatTimeoutMs: 10_000, openOrdersPollMs: 300 });
    const feed = new Feed(source.events$);
    try {
      source.start();
      await waitFor(() => feed.state.health === 'ready' && feed.state.complete.positions && feed.state.complete.openOrders, 20_000, 'a synchronised feed');
      proxy.links.at(-1)!.inject(errFrame(-1, 2100, `bad \u001b[2J\u001b]0;title\u0007 news`));
      await waitFor(() => feed.state.messages.some((m) => m.message.startsWith('bad ')), 20_000, 'the hostile message');
      const s = feed.state;
      const symbols = [...s.positions.values()].map((p) => p.contract.symbol);
      expect(symbols).toContain(SHOWN);
      expect([...s.orders.values()].map((o) => o.info?.contract.symbol)).toContain(SHOWN);
      expect(s.messages.find((m) => m.message.startsWith('bad '))!.message).toBe('bad \\x1b[2J\\x1b]0;title\\x07 news');
      expectInert(symbols);
    } finally {
      source.stop();
      await feed.close('test over');
    }
  });

  it('report prints no control character, and shows the symbol escaped', async () => {
    const r = await run('report', '--port', String(proxy.port), '--client-id', '72', '--timeout', '20');
    expect(r.code, r.err.join('\n')).toBe(0);
    expectInert([...r.out, ...r.err]);
    expect(r.out.join('\n')).toContain('AAPL\\x1b]0;pwned');
  });

  it('flatten and cancel plans print no control character, and name the position escaped', async () => {
    const flat = await run('flatten', '--port', String(proxy.port), '--client-id', '73', '--scope', 'all');
    expectInert([...flat.out, ...flat.err]);
    // The foreign order on the position refuses the plan; the refusal names it, escaped.
    expect([...flat.out, ...flat.err].join('\n')).toContain('AAPL\\x1b]0;pwned');
    const cancel = await run('cancel', '--global', '--port', String(proxy.port), '--client-id', '74');
    expectInert([...cancel.out, ...cancel.err]);
    // A global cancel's plan counts orders without naming them; what it prints must still be inert.
    expect(cancel.code).toBe(0);
  });

  it('the console formatting refuses raw control codes as a second line of defence', () => {
    const line = layoutLine([{ id: 's', header: 'Symbol', width: 200, align: 'left', priority: 0 }], () => HOSTILE);
    expect(line).not.toMatch(ANY_CONTROL);
    expect(line.trimEnd()).toBe(SHOWN);
  });
});
