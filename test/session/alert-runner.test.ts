// The console runs the alert engine with its lifecycle: raised after the debounce, acknowledged and recorded on request.
import { AccountSession } from '../../src/session/session.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/model/clock.js';
import { encodeState } from '../../src/model/codec.js';
import type { FeedEvent, FeedEventBody } from '../../src/model/events.js';
import { reduce } from '../../src/model/reducer.js';
import type { AlertTransition } from '../../src/risk/alerts/index.js';
import { Feed } from '../../src/streams/feed.js';
import { FlightRecorder } from '../../src/streams/recorder.js';
import { readRecording } from '../../src/streams/recording/reader.js';
import { RecordingWriter } from '../../src/streams/recording/writer.js';
import { createAlertRunner } from '../../src/session/alert-runner.js';
import { ConsoleStore } from '../../src/views/store.js';
import { ACCOUNT, T0, accountEvents, bookState, positionEvents } from '../support/book.js';

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
    const clock = new ManualClock(t0);
    const store = new ConsoleStore(feed, { throttleMs: 250, clockMs: 60_000, clock, session: new AccountSession(feed, { alerts: createAlertRunner() }) });
    store.publish();
    clock.advance(1000);
    store.publish();
    expect(store.getSnapshot().alerts?.map((a) => a.id)).toEqual(['concentration.und:AAPL']);
    store.acknowledgeAlerts();
    expect(published).toEqual([{ type: 'operatorActed', action: 'alertAcknowledged', detail: { ids: ['concentration.und:AAPL'] } }]);
    expect(store.getSnapshot().alerts?.[0]?.acknowledged).toBe(true);
    store.dispose();
  });
});

describe('alert transitions in the session', () => {
  it('publishes one alertChanged event per transition through the feed, folds it into state.alerts, and the recording keeps it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tws-risk-alert-rec-'));
    try {
      const file = join(dir, 'session.jsonl');
      const clock = new ManualClock(T0);
      const writer = new RecordingWriter({ file, appVersion: '0.0.0-test', source: 'synthetic', account: ACCOUNT, baseCurrency: 'USD', startedAtMs: T0 });
      const source = new Subject<FeedEventBody>();
      const feed = new Feed(source, { now: clock.now, sink: new FlightRecorder(writer) });
      for (const b of [
        { type: 'healthChanged', health: 'ready', host: '127.0.0.1', port: 7497, clientId: 4217 } as FeedEventBody,
        ...accountEvents(),
        { type: 'accountDownloadEnded', account: ACCOUNT } as FeedEventBody,
        ...positionEvents(),
        { type: 'positionsEnded' } as FeedEventBody,
        { type: 'openOrdersEnded' } as FeedEventBody,
      ])
        source.next(b);
      const effects: { transitions: readonly AlertTransition[]; account: string | undefined; lastSeq: number }[] = [];
      const alerts = createAlertRunner(undefined, {
        publish: (b) => feed.publish(b),
        onTransitions: (ts, s) => effects.push({ transitions: ts, account: s.account, lastSeq: feed.state.lastSeq }),
      });
      const store = new ConsoleStore(feed, { throttleMs: 250, clockMs: 60_000, clock, session: new AccountSession(feed, { alerts }) });
      store.publish();
      clock.advance(1000);
      const before = feed.state;
      store.publish();
      expect(store.getSnapshot().alerts?.map((a) => a.id)).toEqual(['concentration.und:AAPL']);
      // Recorded during the evaluation, in order: the feed queues it if it is mid-publish, so no caller defers it.
      expect(feed.state.lastSeq).toBe(before.lastSeq + 1);
      // The effects see the transitions after they are recorded, with the state's account.
      expect(effects).toEqual([{ transitions: [expect.objectContaining({ kind: 'raised' })], account: ACCOUNT, lastSeq: before.lastSeq + 1 }]);
      // The event changes nothing but the recorded alerts and the envelope fields every event changes.
      const after = feed.state;
      expect(after.alerts.get('concentration.und:AAPL')).toMatchObject({ severity: 'warning', raisedAt: T0 + 1000, acknowledged: false });
      const facts = (s: typeof after) => {
        const { alerts: _a, ...rest } = encodeState(s) as Record<string, unknown>;
        return JSON.stringify({ ...rest, lastSeq: 0, lastEventAt: 0 });
      };
      expect(facts(after)).toBe(facts(before));
      // Another evaluation with the condition unchanged: no new transition, no new event.
      clock.advance(1000);
      store.publish();
      await Promise.resolve();
      expect(feed.state.lastSeq).toBe(before.lastSeq + 1);
      store.dispose();
      await feed.close('test over');

      const recorded: FeedEvent[] = [];
      for await (const it of readRecording(file)) if (it.kind === 'event') recorded.push(it.event);
      const changed = recorded.filter((e) => e.type === 'alertChanged');
      expect(changed).toEqual([
        {
          type: 'alertChanged',
          seq: before.lastSeq + 1,
          receivedAt: T0 + 1000,
          kind: 'raised',
          at: T0 + 1000,
          alert: expect.objectContaining({
            id: 'concentration.und:AAPL',
            rule: 'concentration.und',
            severity: 'warning',
            raisedAt: T0 + 1000,
            acknowledged: false,
          }),
        },
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
