// The accountChanged fact in the model: the state keeps the old account's book, calls it stale, and the guard refuses.
import { describe, expect, it } from 'vitest';
import type { FeedEventBody } from '../../src/model/events.js';
import { accountLost, isStale } from '../../src/model/freshness.js';
import { decodeState, encodeState } from '../../src/model/codec.js';
import { reduceAll } from '../../src/model/reducer.js';
import { deriveHealth, INITIAL_HEALTH_INPUTS } from '../../src/streams/health.js';
import { guardAny } from '../../src/trading/guard.js';
import { formatDenial } from '../../src/trading/types.js';
import { statusCells } from '../../src/views/rows/status.js';
import { AAPL, ACCOUNT, T0, accountEvents, positionEvents } from '../support/book.js';
import { EventLog, portfolio } from '../support/events.js';

const OTHER = 'DU7654321';

function stateAfter(extra: FeedEventBody[]) {
  const log = new EventLog(T0);
  log.pushAll([
    { type: 'healthChanged', health: 'ready', reason: 'heartbeat answered', host: '127.0.0.1', port: 7497, clientId: 4217 },
    ...accountEvents(),
    { type: 'accountDownloadEnded', account: ACCOUNT },
    ...positionEvents(),
    { type: 'positionsEnded' },
    { type: 'openOrdersEnded' },
  ]);
  const before = reduceAll(log.events);
  log.pushAll(extra);
  return { before, after: reduceAll(log.events), log };
}

describe('accountChanged', () => {
  it('keeps the old book, marks it stale even while health says ready, and never mixes in the new login', () => {
    const { before, after, log } = stateAfter([
      { type: 'managedAccountsReceived', accounts: [OTHER] },
      { type: 'accountChanged', followed: ACCOUNT, managed: [OTHER] },
      portfolio(OTHER, AAPL, '-900', '228.50'),
    ]);
    const at = log.events[log.events.length - 2]!.receivedAt;
    expect(after.account).toBe(ACCOUNT);
    expect(after.accountChange).toEqual({ followed: ACCOUNT, managed: [OTHER], since: at });
    expect(after.portfolio.get(AAPL.conId)?.position.toString()).toBe(before.portfolio.get(AAPL.conId)?.position.toString());
    expect(after.health).toBe('ready');
    expect(isStale(before, 'portfolio', at)).toBe(false);
    expect(isStale(after, 'portfolio', at)).toBe(true);
    expect(accountLost(after)).toBe(true);
    // Keyframes carry it: a seek into the middle of the switch still shows it.
    expect(decodeState(encodeState(after)).accountChange).toEqual(after.accountChange);
  });

  it('a second report of the same switch keeps its start; the return closes it', () => {
    const { after, log } = stateAfter([
      { type: 'accountChanged', followed: ACCOUNT, managed: [OTHER] },
      { type: 'accountChanged', followed: ACCOUNT, managed: [OTHER, 'DU0000001'] },
      { type: 'accountChanged', followed: ACCOUNT, managed: [ACCOUNT] },
    ]);
    const [lost, , back] = log.events.slice(-3);
    expect(after.accountChange).toEqual({ followed: ACCOUNT, managed: [OTHER, 'DU0000001'], since: lost!.receivedAt, until: back!.receivedAt });
    expect(accountLost(after)).toBe(false);
  });

  it('the guard refuses while it lasts, and after it an arming from before', () => {
    const { after, log } = stateAfter([{ type: 'accountChanged', followed: ACCOUNT, managed: [OTHER] }]);
    const now = log.events[log.events.length - 1]!.receivedAt;
    const arm = { armed: true as const, until: now + 60_000, by: 'palette' as const, at: now - 1 };
    const lost = guardAny({ mode: 'trade', state: after, sourceReady: true, arm, now });
    expect(lost).toEqual({ code: 'ACCOUNT_CHANGED', followed: ACCOUNT, managed: [OTHER], back: false });
    expect(formatDenial(lost!)).toContain(`manages ${OTHER}, not ${ACCOUNT}`);
    // Read-only says read-only first: the account does not matter when nothing can be sent anyway.
    expect(guardAny({ mode: 'readOnly', state: after, sourceReady: true, arm, now })).toEqual({ code: 'READ_ONLY' });

    const back = stateAfter([
      { type: 'accountChanged', followed: ACCOUNT, managed: [OTHER] },
      { type: 'accountChanged', followed: ACCOUNT, managed: [ACCOUNT] },
    ]);
    const until = back.after.accountChange!.until!;
    const old = { ...arm, at: until - 1 };
    expect(guardAny({ mode: 'trade', state: back.after, sourceReady: true, arm: old, now: until })).toMatchObject({ code: 'ACCOUNT_CHANGED', back: true });
    const headless = { armed: true as const, until: until + 60_000, by: 'headless' as const };
    expect(guardAny({ mode: 'trade', state: back.after, sourceReady: true, arm: headless, now: until })).toMatchObject({ code: 'ACCOUNT_CHANGED', back: true });
    expect(guardAny({ mode: 'trade', state: back.after, sourceReady: true, arm: { ...arm, at: until }, now: until })).toBeUndefined();
  });

  it('the status bar says it, with both accounts masked when accounts are masked', () => {
    const { after, log } = stateAfter([{ type: 'accountChanged', followed: ACCOUNT, managed: [OTHER] }]);
    const now = log.events[log.events.length - 1]!.receivedAt;
    const plain = statusCells({ live: after, mode: 'paper', maskAccount: false, trading: 'readOnly', now })
      .map((c) => c.text)
      .join('|');
    expect(plain).toContain(`ACCOUNT CHANGED: login manages ${OTHER}, not ${ACCOUNT}`);
    expect(plain).toContain('STALE');
    const masked = statusCells({ live: after, mode: 'paper', maskAccount: true, trading: 'readOnly', now })
      .map((c) => c.text)
      .join('|');
    expect(masked).toContain('ACCOUNT CHANGED');
    expect(masked).not.toContain(OTHER);
    expect(masked).not.toContain(ACCOUNT);
  });

  it('health: a login not managing the followed account is never usable, whatever else holds', () => {
    const h = deriveHealth({
      ...INITIAL_HEALTH_INPUTS,
      socket: 'connected',
      nextValidIdSeen: true,
      heartbeatAnswered: true,
      accountMismatch: `this login manages ${OTHER}, not ${ACCOUNT}`,
    });
    expect(h).toEqual({ health: 'connected', reason: `this login manages ${OTHER}, not ${ACCOUNT}`, cause: 'accountMismatch' });
  });
});
