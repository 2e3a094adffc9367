// Quantities and account values TWS sends as NaN, infinities, unset sentinels or junk: kept visible, flagged, never 0 or OK.
import type { Contract as IbContract } from '@stoqey/ib';
import { describe, expect, it } from 'vitest';
import { decodeState, encodeState } from '../../src/model/codec.js';
import type { FeedEventBody } from '../../src/model/events.js';
import { dec } from '../../src/model/money.js';
import { reduceAll } from '../../src/model/reducer.js';
import { portfolioBody, positionBody } from '../../src/streams/tws/map.js';
import { DISARMED } from '../../src/trading/arming.js';
import { guardFlatten } from '../../src/trading/guard.js';
import { planFlatten } from '../../src/trading/plan.js';
import { formatDenial, type FlattenPlan } from '../../src/trading/types.js';
import { accountVM } from '../../src/views/rows/account.js';
import { positionsVM } from '../../src/views/rows/positions.js';
import { initialUi } from '../../src/views/ui-state.js';
import { AAPL, ACCOUNT, MSFT, T0, bookState } from '../support/book.js';
import { acct } from '../support/events.js';

const IB_AAPL: IbContract = { conId: AAPL.conId, symbol: 'AAPL', secType: 'STK' as IbContract['secType'], currency: 'USD', exchange: 'SMART' };
/** IB's two unset sentinels (UNSET_DOUBLE, and UNSET_DECIMAL as @stoqey/ib parses it) and the non-finite numbers. */
const NOT_QUANTITIES: readonly [number, string][] = [
  [Number.NaN, 'NaN'],
  [Infinity, 'Infinity'],
  [-Infinity, '-Infinity'],
  [Number.MAX_VALUE, 'unset'],
  [1.7014118346046923e38, 'unset'],
];

describe('at the edge', () => {
  it.each(NOT_QUANTITIES)('a quantity of %s is no quantity, and says what TWS sent', (n, sent) => {
    const pos = positionBody(ACCOUNT, IB_AAPL, n, 190);
    expect(pos).toMatchObject({ type: 'positionUpdated', unknownQuantity: sent });
    expect('position' in pos).toBe(false);
    const pf = portfolioBody(IB_AAPL, n, 190.5, 1000, 180, 10, 0, ACCOUNT);
    expect(pf).toMatchObject({ type: 'portfolioUpdated', unknownQuantity: sent });
    expect('position' in pf).toBe(false);
  });

  it('a real quantity, zero included, stays a quantity', () => {
    expect(positionBody(ACCOUNT, IB_AAPL, 0)).toMatchObject({ position: expect.anything() });
    expect((positionBody(ACCOUNT, IB_AAPL, -12.5) as { position: { toString(): string } }).position.toString()).toBe('-12.5');
  });
});

/** The book with AAPL's quantity sent as NaN by both streams (portfolio with its mark). */
function unknownAapl(extra: FeedEventBody[] = []) {
  return bookState({
    extra: [
      { ...portfolioBody(IB_AAPL, Number.NaN, 231.25, Number.NaN, 190, Number.NaN, 0, ACCOUNT) },
      positionBody(ACCOUNT, IB_AAPL, Number.NaN, 190),
      ...extra,
    ],
  });
}

describe('in the state', () => {
  it('keeps the position, out of the numeric maps, under each stream that said so', () => {
    const before = bookState();
    expect(before.portfolio.get(AAPL.conId)).toBeDefined();
    const s = unknownAapl();
    expect(s.portfolio.get(AAPL.conId)).toBeUndefined();
    expect(s.positions.get(AAPL.conId)).toBeUndefined();
    expect(s.unknownQuantities.get(`portfolio:${AAPL.conId}`)).toMatchObject({ stream: 'portfolio', sent: 'NaN', account: ACCOUNT });
    expect(s.unknownQuantities.get(`portfolio:${AAPL.conId}`)?.marketPrice?.toString()).toBe('231.25');
    expect(s.unknownQuantities.get(`positions:${AAPL.conId}`)).toMatchObject({ stream: 'positions', sent: 'NaN' });
    // The other positions are untouched, and keyframes carry the unknown ones.
    expect(s.portfolio.get(MSFT.conId)?.position.toString()).toBe(before.portfolio.get(MSFT.conId)?.position.toString());
    const restored = decodeState(JSON.parse(JSON.stringify(encodeState(s))));
    expect(restored.unknownQuantities.get(`portfolio:${AAPL.conId}`)?.marketPrice?.toString()).toBe('231.25');
  });

  it('a usable quantity from the same stream ends it; a new snapshot drops entries it does not repeat', () => {
    const back = unknownAapl([positionBody(ACCOUNT, IB_AAPL, 300, 190)]);
    expect(back.positions.get(AAPL.conId)?.position.toString()).toBe('300');
    expect(back.unknownQuantities.get(`positions:${AAPL.conId}`)).toBeUndefined();
    expect(back.unknownQuantities.get(`portfolio:${AAPL.conId}`)).toBeDefined();
    const resync = unknownAapl([{ type: 'snapshotRequested', snapshot: 'positions' }, { type: 'positionsEnded' }]);
    expect(resync.unknownQuantities.get(`positions:${AAPL.conId}`)).toBeUndefined();
    expect(resync.unknownQuantities.get(`portfolio:${AAPL.conId}`)).toBeDefined();
  });
});

describe('on screen', () => {
  it('shows the row with ? and UNKNOWN QTY, and says it is not in the totals', () => {
    const s = unknownAapl();
    const ui = initialUi().lists.positions;
    const vm = positionsVM(s, undefined, ui, 'class', 140, 40);
    const row = vm.rows.find((r) => r.id === `unknown:${AAPL.conId}`);
    expect(row?.cells.qty?.text).toBe('?');
    expect(row?.cells.flag?.text).toBe('UNKNOWN QTY');
    expect(row?.cells.mark?.text).toContain('231.25');
    const heading = vm.rows.find((r) => r.kind === 'group' && r.id === 'group:STK');
    expect(heading?.label).toContain('1 UNKNOWN QTY not in totals or risk');
    expect(vm.info).toContain('1 UNKNOWN QTY');
    // The STK total is the known rows' only: the book without AAPL.
    const withoutAapl = bookState({ extra: [{ type: 'portfolioUpdated', account: ACCOUNT, contract: AAPL, position: dec(0) }] });
    const expected = positionsVM(withoutAapl, undefined, ui, 'class', 140, 40).rows.find((r) => r.id === 'group:STK')!.label!;
    const full = positionsVM(bookState(), undefined, ui, 'class', 140, 40).rows.find((r) => r.id === 'group:STK')!.label!;
    expect(heading!.label!.split(' · ')[2]).toBe(expected.split(' · ')[2]);
    expect(heading!.label!.split(' · ')[2]).not.toBe(full.split(' · ')[2]);
  });

  it('an unreadable Cushion shows unknown and the band never says OK', () => {
    const ok = accountVM(bookState(), undefined, 100, T0);
    expect(ok.band).toBe('ok');
    for (const junk of ['abc', '', 'NaN', '1.7976931348623157E308']) {
      const s = bookState({ extra: [acct(ACCOUNT, 'Cushion', junk, '')] });
      const vm = accountVM(s, undefined, 100, T0);
      expect(vm.cushion).toBe('? unknown');
      expect(vm.band).not.toBe('ok');
      expect(vm.bandText).not.toMatch(/\bOK\b/);
    }
    const elv = accountVM(bookState({ extra: [acct(ACCOUNT, 'EquityWithLoanValue', 'abc', 'USD')] }), undefined, 100, T0);
    expect(elv.band).toBe('unreadable');
    expect(elv.rows.find((r) => r.id === 'EquityWithLoanValue')?.cells.total?.text).toBe('?');
  });
});

describe('trading', () => {
  it('refuses to plan while a quantity is unknown, naming it', () => {
    const msft: FeedEventBody = { type: 'positionUpdated', account: ACCOUNT, contract: MSFT, position: dec(100) };
    const s = unknownAapl([msft]);
    const d = planFlatten(s, { kind: 'all' }, { clientId: 17, orderType: 'LMT', collar: 0.02, now: 1 });
    expect(d).toEqual({ code: 'UNKNOWN_QUANTITY', conIds: [AAPL.conId], sent: ['NaN'] });
    expect(formatDenial(d as never)).toContain(`conId ${AAPL.conId}`);
    // A plan made before the quantity went unknown is refused by the guard too (after its own checks pass).
    const known = bookState({ extra: [msft] });
    const plan = planFlatten(known, { kind: 'underlying', symbol: 'MSFT' }, { clientId: 17, orderType: 'LMT', collar: 0.02, now: 1 }) as FlattenPlan;
    expect(plan.legs.length).toBeGreaterThan(0);
    const now = s.lastEventAt;
    const ctx = {
      mode: 'trade' as const,
      state: s,
      sourceReady: true,
      arm: { armed: true as const, until: now + 60_000, by: 'palette' as const, at: now },
      now,
    };
    expect(guardFlatten(ctx, plan, 'first')).toMatchObject({ code: 'UNKNOWN_QUANTITY' });
    expect(guardFlatten({ ...ctx, arm: DISARMED }, plan, 'first')).toMatchObject({ code: 'NOT_ARMED' });
  });
});
