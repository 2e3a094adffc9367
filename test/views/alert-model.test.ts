// The console runs the alert engine with its lifecycle: raised after the debounce, acknowledged and recorded on request.
import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { FeedEvent, FeedEventBody } from '../../src/model/events.js';
import { reduce } from '../../src/model/reducer.js';
import { createAlertRunner } from '../../src/views/alert-model.js';
import { ConsoleStore } from '../../src/views/store.js';
import { bookState } from '../support/book.js';

// AAPL is over 40% of gross position value in this book: the concentration rule warns.
const state = bookState();
const t0 = state.lastEventAt;

describe('createAlertRunner', () => {
  it('raises a condition only once it persisted (2 evaluations over 1 s), then lists it until it clears', () => {
    const run = createAlertRunner();
    expect(run.evaluate(state, undefined, t0)).toEqual([]);
    const raised = run.evaluate(state, undefined, t0 + 1000);
    expect(raised.map((a) => [a.id, a.severity])).toEqual([['concentration.und:AAPL', 'warning']]);
    expect(raised[0]!.title).toMatch(/^AAPL is \d+\.\d% of gross position value/);
    expect(run.evaluate(state, undefined, t0 + 2000)).toBe(raised); // unchanged: the same list, so the pane is reused
  });

  it('acknowledges what is listed and says which ids, once', () => {
    const run = createAlertRunner();
    run.evaluate(state, undefined, t0);
    run.evaluate(state, undefined, t0 + 1000);
    expect(run.acknowledgeAll(t0 + 2000)).toEqual(['concentration.und:AAPL']);
    expect(run.listed()[0]).toMatchObject({ acknowledged: true, acknowledgedAt: t0 + 2000 });
    expect(run.acknowledgeAll(t0 + 3000)).toEqual([]);
  });
});

describe('the store with alerts', () => {
  it('publishes the listed alerts and records an acknowledgement as an operator action', async () => {
    const published: FeedEventBody[] = [];
    let s = state;
    const events$ = new Subject<FeedEvent>();
    const feed = {
      get state() {
        return s;
      },
      events$,
      publish(body: FeedEventBody) {
        published.push(body);
        s = reduce(s, { ...body, seq: s.lastSeq + 1, receivedAt: t0 + 5000 } as FeedEvent);
      },
    };
    let now = t0;
    const store = new ConsoleStore(feed, { throttleMs: 250, clockMs: 60_000, now: () => now, alerts: createAlertRunner() });
    store.publish();
    now = t0 + 1000;
    store.publish();
    expect(store.getSnapshot().alerts?.map((a) => a.id)).toEqual(['concentration.und:AAPL']);
    store.acknowledgeAlerts();
    expect(published).toEqual([{ type: 'operatorActed', action: 'alertAcknowledged', detail: { ids: ['concentration.und:AAPL'] } }]);
    expect(store.getSnapshot().alerts?.[0]?.acknowledged).toBe(true);
    store.dispose();
  });
});
