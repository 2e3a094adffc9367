// AccountSet without a simulator: which account the store reads, the rows and their sum, and the same view while unchanged.
import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { FeedEvent, FeedEventBody } from '../../src/model/events.js';
import { ALL_ACCOUNTS, AccountSet } from '../../src/session/accounts.js';
import { AccountSession } from '../../src/session/session.js';
import { createStressRunner, type RiskResult } from '../../src/session/stress-model.js';
import { Feed } from '../../src/streams/feed.js';
import { accountEvents, positionEvents } from '../support/book.js';

function account(nlv: string) {
  const source = new Subject<FeedEventBody>();
  const feed = new Feed(source);
  for (const b of accountEvents({ nlv })) source.next(b);
  return { source, feed, session: new AccountSession(feed) };
}

describe('AccountSet', () => {
  it('counts a synchronised account with no positions as flat, not as a stress problem of the sum', () => {
    const connection = account('1');
    const set = new AccountSet(connection.feed);
    const a = account('500000');
    const b = account('300000');
    set.add({ account: 'A', feed: a.feed, session: a.session });
    set.add({ account: 'B', feed: b.feed, session: b.session });
    set.session.evaluate(0, 0, 1000);
    // Neither is synchronised yet: their stress is missing, and the sum says so.
    expect(set.view().aggregate.problems).toEqual(['A: stress not available (not computed yet)', 'B: stress not available (not computed yet)']);
    b.source.next({ type: 'healthChanged', health: 'ready' });
    // B is synchronised and holds nothing: no problem for B; A, still not synchronised, is still named.
    expect(set.view().aggregate.problems).toEqual(['A: stress not available (not computed yet)']);
  });

  it('reads the shown account, sums every account, keeps the view while nothing changed, and ignores unknown rows', () => {
    const connection = account('1');
    const set = new AccountSet(connection.feed);
    // Before any account is known the store reads the connection's own feed.
    expect(set.feed.state).toBe(connection.feed.state);
    const a = account('500000');
    const b = account('300000');
    set.add({ account: 'A', feed: a.feed, session: a.session });
    set.add({ account: 'B', feed: b.feed, session: b.session });
    expect(set.selected).toBe('A');
    expect(set.feed.state).toBe(a.feed.state);

    set.session.evaluate(0, 0, 1000);
    const v1 = set.view();
    expect(v1.rows.map((r) => [r.account, r.netLiquidation?.toString()])).toEqual([
      ['A', '500000'],
      ['B', '300000'],
    ]);
    expect(v1.aggregate.netLiquidation?.toString()).toBe('800000');
    set.session.evaluate(1, 1, 1000);
    expect(set.view()).toBe(v1);

    // Every account's events reach the store, and a change in B makes a new view.
    const seen: FeedEvent[] = [];
    const sub = set.feed.events$.subscribe((e) => seen.push(e));
    b.source.next(accountEvents({ nlv: '310000' })[1]!);
    expect(seen.map((e) => e.type)).toEqual(['accountValueUpdated']);
    const v2 = set.view();
    expect(v2).not.toBe(v1);
    expect(v2.aggregate.netLiquidation?.toString()).toBe('810000');
    sub.unsubscribe();

    const changes: string[] = [];
    set.onChange(() => changes.push(set.selected!));
    expect(set.select('B')).toBe(true);
    expect(set.feed.state).toBe(b.feed.state);
    // The aggregate: the panes keep the last account shown.
    expect(set.select(ALL_ACCOUNTS)).toBe(true);
    expect(set.view().shown).toBe('B');
    expect(set.feed.state).toBe(b.feed.state);
    expect(set.select('C')).toBe(false);
    expect(set.selected).toBe(ALL_ACCOUNTS);
    expect(changes).toEqual(['B', ALL_ACCOUNTS]);
  });

  it('runs the panes’ pass for the shown account only, and a whole one for an account as soon as it is shown', () => {
    const asked: [string, boolean][] = [];
    const withBook = (name: string, nlv: string) => {
      const source = new Subject<FeedEventBody>();
      const feed = new Feed(source);
      const runner = createStressRunner();
      const session = new AccountSession(feed, { risk: (s, now, display = true) => (asked.push([name, display]), runner(s, now, display)) });
      for (const b of accountEvents({ nlv })) source.next(b);
      source.next({ type: 'accountDownloadEnded', account: 'DU1234567' });
      for (const b of positionEvents()) source.next(b);
      source.next({ type: 'positionsEnded' });
      return { feed, session };
    };
    const set = new AccountSet(account('1').feed);
    const a = withBook('A', '500000');
    const b = withBook('B', '300000');
    set.add({ account: 'A', ...a });
    set.add({ account: 'B', ...b });
    const t = Date.UTC(2026, 2, 2, 14, 30);
    set.session.evaluate(t, t, 1000);
    expect(asked).toEqual([
      ['A', true],
      ['B', false],
    ]);
    const curves = (r: RiskResult | undefined) => (r?.ok ? r.model.subjects.filter((x) => x.curve.length > 0).length : -1);
    expect(curves(set.viewOf('A')?.risk)).toBeGreaterThan(2);
    expect(curves(set.viewOf('B')?.risk)).toBe(0);
    // B's report is whole: its row has its worst scenario.
    expect(set.view().rows.find((r) => r.account === 'B')?.worstStress).toBeDefined();
    // Shown a moment later (nothing changed, well inside the cadence), B gets a whole pass; A's is held.
    expect(set.select('B')).toBe(true);
    set.session.evaluate(t + 10, t + 10, 1000);
    expect(asked.slice(2)).toEqual([['B', true]]);
    expect(curves(set.viewOf('B')?.risk)).toBeGreaterThan(2);
    expect(curves(set.viewOf('A')?.risk)).toBeGreaterThan(2);
  });
});
