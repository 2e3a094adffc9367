// Server versions 157..193 (issue 18 item 1): the handshake picks the highest version both sides support, and every
// versioned message decodes in the official client's field order at 157, 163, 170, 178, 186 and 193 with no field
// short or left over. Requests TWS does not serve here get TWS's answer, never silence.
import { connect } from 'node:net';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { EventName, type IBApi } from '@stoqey/ib';
import { Decimal } from '../../src/model/money.js';
import { detailsOf } from '../../src/sim/contract-details.js';
import { buildUniverse } from '../../src/sim/instruments.js';
import * as M from '../../src/sim/messages.js';
import type { Simulator } from '../../src/sim/index.js';
import { connectApi, disconnectAll, startTestSim, T0, waitFor } from './helpers.js';
import { decodeBondContractData, decodeCompletedOrder, decodeContractData, decodeError, decodeExecution, decodeOpenOrder } from './official-decoder.js';
import { RawClient, frame, handshake } from './raw-client.js';

const VERSIONS = [157, 163, 170, 178, 186, 193];
const d = (s: string) => new Decimal(s);

describe('messages in the official field order at every server version', () => {
  const universe = buildUniverse(Date.parse(T0));
  const aapl = universe.find((i) => i.conId === 265598)!;
  const bond = universe.find((i) => i.secType === 'BOND')!;
  const order = {
    orderId: 1001,
    contract: aapl,
    action: 'BUY',
    totalQuantity: d('150'),
    orderType: 'LMT',
    lmtPrice: 227.5,
    tif: 'DAY',
    account: 'DU1234567',
    orderRef: 'ref-1',
    clientId: 7,
    permId: 1000000042,
    parentId: 0,
    outsideRth: false,
    whatIf: false,
    status: 'Submitted',
    commissionCurrency: 'USD',
    warningText: '',
  };

  it.each(VERSIONS)('CONTRACT_DATA and BOND_CONTRACT_DATA at %i', (sv) => {
    const cd = decodeContractData(sv, M.contractData(sv, 5, detailsOf(aapl, Date.parse(T0))));
    expect(cd).toMatchObject({ reqId: '5', symbol: 'AAPL', secType: 'STK', conId: '265598', primaryExchange: 'NASDAQ', evMultiplier: '' });
    if (sv < 164) expect(cd.version).toBe('8');
    else expect(cd.minSize).toBeDefined();
    expect('lastTradeDate' in cd).toBe(sv >= 182);
    const bd = decodeBondContractData(sv, M.bondContractData(sv, 6, { ...detailsOf(bond, Date.parse(T0)), ...bond.bond! }));
    expect(bd).toMatchObject({ reqId: '6', cusip: '91282CLW9', maturity: '20341115', evMultiplier: '' });
    expect('tradingHours' in bd).toBe(sv >= 188);
  });

  it.each(VERSIONS)('OPEN_ORDER, COMPLETED_ORDER, EXECUTION_DATA and ERR_MSG at %i', (sv) => {
    const open = decodeOpenOrder(sv, M.openOrder(sv, order));
    expect(open).toMatchObject({
      orderId: '1001',
      symbol: 'AAPL',
      action: 'BUY',
      totalQuantity: '150',
      lmtPrice: '227.5',
      account: 'DU1234567',
      permId: '1000000042',
      status: 'Submitted',
    });
    expect('faProfile' in open).toBe(sv < 177);
    expect('manualOrderIndicator' in open).toBe(sv >= 193);
    const done = decodeCompletedOrder(
      sv,
      M.completedOrder(sv, { ...order, filledQuantity: d('150'), completedTime: '20260302-14:35:00', completedStatus: 'Filled Size: 150', status: 'Filled' }),
    );
    expect(done).toMatchObject({ permId: '1000000042', status: 'Filled', filledQuantity: '150', completedTime: '20260302-14:35:00' });
    expect('customerAccount' in done).toBe(sv >= 183);
    const exec = decodeExecution(
      sv,
      M.execDetails(sv, -1, {
        orderId: 1001,
        contract: aapl,
        execId: 'e1',
        time: '20260302 14:31:05 UTC',
        account: 'DU1234567',
        exchange: 'NASDAQ',
        side: 'BOT',
        shares: d('150'),
        price: 227.5,
        permId: 1000000042,
        clientId: 7,
        cumQty: d('150'),
        avgPrice: 227.5,
        orderRef: 'ref-1',
        lastLiquidity: 1,
      }),
    );
    expect(exec).toMatchObject({ reqId: '-1', orderId: '1001', execId: 'e1', side: 'BOT', shares: '150', lastLiquidity: '1' });
    expect('pendingPriceRevision' in exec).toBe(sv >= 178);
    const err = decodeError(sv, M.errorMessage(sv, 12, 354, 'Requested market data is not subscribed.'));
    expect(err).toMatchObject({ reqId: '12', code: '354' });
    expect('advancedOrderRejectJson' in err).toBe(sv >= 166);
  });
});

describe('version negotiation over the socket', () => {
  let sim: Simulator;
  const clients: RawClient[] = [];
  const apis: IBApi[] = [];

  beforeAll(async () => {
    ({ sim } = await startTestSim());
  });

  afterAll(async () => {
    for (const c of clients) c.close();
    disconnectAll(...apis);
    await sim.close();
  });

  function raw(): RawClient {
    const c = new RawClient(sim.port);
    clients.push(c);
    return c;
  }

  it("ib_async's v157..178 gets 178, contract details in the 178 layout, and errors with the 178 fields", async () => {
    const c = raw();
    await c.start(201, 'v157..178');
    expect(c.frames[0]![0]).toBe('178');
    // REQ_CONTRACT_DATA v8 for AAPL by conId.
    c.write(frame([9, 8, 7, 265598, '', '', '', '', '', '', '', '', '', '', '', 0, '', '', '']));
    await waitFor(() => c.count(52) === 1, 20_000, 'contract details end');
    const cd = decodeContractData(
      178,
      c.frames.find((f) => f[0] === '10')!,
    );
    expect(cd).toMatchObject({ reqId: '7', symbol: 'AAPL', conId: '265598', evMultiplier: '' });
    // CANCEL_ORDER keeps its version field before 192: an unknown order id is reported as such.
    c.write(frame([4, 1, 424242, '']));
    await waitFor(() => c.frames.some((f) => f[0] === '4' && f[3] === '10147'), 20_000, 'cancel of an unknown order');
    const err = decodeError(
      178,
      c.frames.find((f) => f[0] === '4' && f[3] === '10147')!,
    );
    expect(err.reqId).toBe('424242');
  });

  it('a client offering only v157 gets 157 and ERR_MSG without the advanced-reject field', async () => {
    const c = raw();
    await c.start(202, 'v157..157');
    expect(c.frames[0]![0]).toBe('157');
    c.write(frame([10, 5, 31, 265598, 'AAPL', 'STK', '', 0, '', '', 'SMART', '', 'USD', '', '', 5, 0, ''])); // reqMktDepth
    await waitFor(() => c.frames.some((f) => f[0] === '4' && f[2] === '31'), 20_000, 'market depth refused');
    expect(
      decodeError(
        157,
        c.frames.find((f) => f[0] === '4' && f[2] === '31')!,
      ),
    ).toMatchObject({ code: '354' });
  });

  it('a client range above 193 gets 193 and error 503; a range below 157 gets 157 and error 506; both are closed', async () => {
    const high = raw();
    high.write(handshake('v194..200'));
    await waitFor(() => high.closed, 20_000, 'newer client closed');
    expect(high.frames[0]![0]).toBe('193');
    expect(decodeError(193, high.frames[1]!)).toMatchObject({ reqId: '-1', code: '503' });
    const low = raw();
    low.write(handshake('v100..150'));
    await waitFor(() => low.closed, 20_000, 'older client closed');
    expect(low.frames[0]![0]).toBe('157');
    expect(decodeError(157, low.frames[1]!)).toMatchObject({ reqId: '-1', code: '506' });
    const wide = raw();
    await wide.start(203, 'v100..250');
    expect(wide.frames[0]![0]).toBe('193');
  });

  it('a pre-v100 client (npm `ib` 0.2.9 sends "62\\0", then its client id) gets server version 76, the time and a 506 in the legacy format, then the close', async () => {
    // The bytes node-ib 0.2.9 writes: its client version, then (once the server answered) its client id.
    const legacy = (bytes: string, thenClientId: boolean) =>
      new Promise<{ text: string; closed: boolean }>((resolve) => {
        const sock = connect({ host: '127.0.0.1', port: sim.port });
        let text = '';
        sock.on('error', () => {});
        sock.on('data', (b: Buffer) => {
          if (text === '' && thenClientId) sock.write('5\0');
          text += b.toString('utf8');
        });
        sock.on('close', () => resolve({ text, closed: true }));
        sock.write(bytes);
      });
    for (const [bytes, thenClientId] of [
      ['62\0', true],
      ['62\0', false],
    ] as const) {
      const { text, closed } = await legacy(bytes, thenClientId);
      expect(closed).toBe(true);
      // Unframed NUL-terminated strings, as EClientSocket's legacy connect and node-ib read them.
      const fields = text.split('\0');
      expect(fields.slice(0, 2)).toEqual(['76', '20260302 14:30:00 UTC']);
      expect(fields.slice(2, 6)).toEqual(['4', '2', '-1', '506']);
      expect(fields[6]).toMatch(/pre-v100 handshake.*v157\.\.193/);
    }
  });

  it("@stoqey/ib (v100..193) runs at 193 and gets TWS's answer to requests the simulator does not serve", async () => {
    const { api, rec } = await connectApi(sim.port, 204);
    apis.push(api);
    expect(api.serverVersion).toBe(193);
    api.reqMktDepth(61, { conId: 265598, symbol: 'AAPL', secType: 'STK' as never, exchange: 'SMART', currency: 'USD' }, 5, false, []);
    api.reqFundamentalData(62, { conId: 265598, symbol: 'AAPL', secType: 'STK' as never, exchange: 'SMART', currency: 'USD' }, 'ReportSnapshot', []);
    api.reqScannerParameters();
    api.reqNewsProviders();
    await waitFor(() => rec.errors.some((e) => e.reqId === 61) && rec.errors.some((e) => e.reqId === 62), 20_000, 'errors for depth and fundamentals');
    await waitFor(() => rec.of(EventName.scannerParameters).length === 1 && rec.of(EventName.newsProviders).length === 1, 20_000, 'catalogue replies');
    expect(rec.errors.find((e) => e.reqId === 61)!.code).toBe(354);
    expect(rec.errors.find((e) => e.reqId === 62)!.code).toBe(430);
    expect(rec.of(EventName.newsProviders)[0]).toEqual([[]]);
    expect(rec.errors.filter((e) => e.code === 505)).toEqual([]);
  });
});
