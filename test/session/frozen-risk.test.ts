// Frozen panes: the live risk pass serves the alerts alone (no curves, no model greeks), and a whole one comes before a pane draws.
import { Subject } from 'rxjs';
import { beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/model/clock.js';
import type { FeedEvent, FeedEventBody } from '../../src/model/events.js';
import { dec } from '../../src/model/money.js';
import { reduce } from '../../src/model/reducer.js';
import type { PortfolioState } from '../../src/model/state.js';
import { toReportJson } from '../../src/risk/report-json.js';
import { AccountSession } from '../../src/session/session.js';
import { createStressRunner, type RiskFunction, type RiskResult } from '../../src/session/stress-model.js';
import { ConsoleStore, type FeedLike } from '../../src/views/store.js';
import { bookState } from '../support/book.js';

let clock: ManualClock;
beforeEach(() => {
  clock = new ManualClock(Date.parse('2026-03-02T14:30:00Z'));
});

/** A feed stand-in over a given state: reduces pushed events into it and emits them, like src/streams/feed.ts. */
class BookFeed implements FeedLike {
  private seq = 1_000_000;
  readonly subject = new Subject<FeedEvent>();
  readonly events$ = this.subject.asObservable();
  constructor(public state: PortfolioState) {}
  push(body: FeedEventBody): void {
    const ev = { ...body, seq: ++this.seq, receivedAt: clock.now() } as FeedEvent;
    this.state = reduce(this.state, ev);
    this.subject.next(ev);
  }
}

/** Moves virtual time, running the store's due timers, then lets promises settle. */
async function advance(ms: number): Promise<void> {
  clock.advance(ms);
  for (let i = 0; i < 3; i++) await Promise.resolve();
}

function ok(r: RiskResult | undefined): Extract<RiskResult, { ok: true }> {
  if (!r?.ok) throw new Error(r ? r.error : 'no risk');
  return r;
}

const curves = (r: RiskResult | undefined) => ok(r).model.subjects.filter((s) => s.curve.length > 0).length;

describe('a risk pass no pane draws', () => {
  const moved = bookState({ prices: { aapl: '240', msft: '390' } });

  it('leaves out the curves and the model greeks, and gives the alert rules the same report and distances', () => {
    const whole = ok(createStressRunner()(moved, moved.lastEventAt));
    const alertsOnly = ok(createStressRunner()(moved, moved.lastEventAt, false));
    expect(whole.display).toBeUndefined();
    expect(curves(whole)).toBeGreaterThan(2);
    expect(alertsOnly.display).toBe(false);
    expect(curves(alertsOnly)).toBe(0);
    expect(alertsOnly.model.modelGreeks.size).toBe(0);
    expect(toReportJson(alertsOnly.report)).toEqual(toReportJson(whole.report));
    expect(alertsOnly.model.subjects.map((s) => s.distance)).toEqual(whole.model.subjects.map((s) => s.distance));
    expect(alertsOnly.model.worst).toEqual(whole.model.worst);
  });

  it("makes its display model when first read, from its own report: read after the runner moved on, it is that pass's", () => {
    const runner = createStressRunner();
    const first = ok(runner(moved, moved.lastEventAt, false));
    const later = bookState({ prices: { aapl: '200', msft: '450' } });
    const second = ok(runner(later, later.lastEventAt + 1000, false));
    // Read only now, after the grid has moved to the later book.
    const fresh = ok(createStressRunner()(moved, moved.lastEventAt, false)).model;
    const whole = ok(createStressRunner()(moved, moved.lastEventAt)).model;
    const seen = (m: typeof fresh) => ({
      ...m,
      subjects: m.subjects.map((s) => ({ ...s, curve: [], charted: false })),
      modelGreeks: [...m.modelGreeks],
      shareOfWorst: [...m.shareOfWorst],
    });
    expect(seen(first.model)).toEqual(seen(fresh));
    expect(first.model.scenarios).toEqual(whole.scenarios);
    expect(first.model.worst).toEqual(whole.worst);
    expect(first.model.estimates).toEqual(whole.estimates);
    expect(first.model.subjects.map((s) => s.distance)).toEqual(whole.subjects.map((s) => s.distance));
    // Only the panes read the shares of the worst loss: a drawn pass has them, this one not.
    expect(whole.shareOfWorst.size).toBeGreaterThan(0);
    expect(first.model.shareOfWorst.size).toBe(0);
    expect(second.model.scenarios).not.toEqual(first.model.scenarios);
    expect(first.model).toBe(first.model);
  });

  it('is followed by a whole pass as soon as a pane draws, whatever the cadence', () => {
    const session = new AccountSession({ state: moved, events$: new Subject<FeedEvent>() }, { risk: createStressRunner() });
    const t = clock.now();
    const frozen = session.evaluate(t, moved.lastEventAt, 1000, false).risk;
    expect(ok(frozen).display).toBe(false);
    // The same state a moment later: the cadence holds the pass for the alerts...
    expect(session.evaluate(t + 10, moved.lastEventAt, 1000, false).risk).toBe(frozen);
    // ...but not for a pane.
    const drawn = session.evaluate(t + 20, moved.lastEventAt, 1000).risk;
    expect(drawn).not.toBe(frozen);
    expect(ok(drawn).display).toBeUndefined();
    expect(curves(drawn)).toBeGreaterThan(2);
    // A whole pass is held as before.
    expect(session.evaluate(t + 30, moved.lastEventAt, 1000).risk).toBe(drawn);
  });
});

describe('the store while frozen', () => {
  it('asks the session for passes no pane draws, keeps the picture of the freeze, and has a whole pass on thawing', async () => {
    const feed = new BookFeed(bookState());
    const runner = createStressRunner();
    const asked: boolean[] = [];
    const risk: RiskFunction = (s, now, display = true) => (asked.push(display), runner(s, now, display));
    const store = new ConsoleStore(feed, { throttleMs: 100, clockMs: 1000, session: new AccountSession(feed, { risk }), clock });
    await advance(0);
    const before = store.getSnapshot().risk;
    expect(asked).toEqual([true]);
    expect(curves(before)).toBeGreaterThan(2);
    store.setFrozen(true);
    // The book moves while frozen: the alerts' pass runs on it, the panes keep the risk of the freeze.
    feed.push({ type: 'priceTicked', conId: 265598, field: 'last', price: dec('251'), delayed: false });
    for (let i = 0; i < 10 && asked.length < 2; i++) await advance(1000);
    expect(asked).toEqual([true, false]);
    expect(store.getSnapshot().risk).toBe(before);
    store.setFrozen(false);
    for (let i = 0; i < 10 && asked.length < 3; i++) await advance(100);
    expect(asked).toEqual([true, false, true]);
    const after = store.getSnapshot().risk;
    expect(after).not.toBe(before);
    expect(ok(after).display).toBeUndefined();
    expect(curves(after)).toBeGreaterThan(2);
    store.dispose();
  });
});
