// Issue 16 item 19: with no TWS listening, the console's status bar (on every pane) says why and when the next
// connection attempt is, from the source's typed health (healthChanged retryAt), not only the connection pane.
import { describe, expect, it, vi } from 'vitest';
import { runConsole } from '../../src/commands/console.js';
import type { CommandIo } from '../../src/commands/io.js';
import { openLive } from '../../src/commands/live.js';
import { DEFAULT_SETTINGS } from '../../src/config/settings.js';
import type { FeedEventBody } from '../../src/model/events.js';
import { reduceAll } from '../../src/model/reducer.js';
import { INITIAL_STATE } from '../../src/model/state.js';
import { downText } from '../../src/views/rows/status.js';
import { EventLog } from '../support/events.js';
import { Tty, TtyIn, ttyStreams } from '../support/fake-tty.js';
import { deadPort } from '../support/sim-rig.js';

describe('the status bar when TWS is not there', () => {
  it('says why and counts down to the next try, then says it is trying', () => {
    const t = 1_000_000;
    const log = new EventLog(t);
    log.push({ type: 'healthChanged', health: 'disconnected', reason: 'connection refused', cause: 'cannotConnect', retryAt: t + 4_000 } as FeedEventBody, t);
    const st = reduceAll(log.events, INITIAL_STATE);
    expect(downText(st, t)).toBe(' (connection refused) next try in 4s');
    expect(downText(st, t + 2_500)).toBe(' (connection refused) next try in 2s');
    expect(downText(st, t + 4_000)).toBe(' (connection refused) trying again now');
    // Once connecting again, the countdown is gone (the next healthChanged carries no retryAt).
    log.push(
      {
        type: 'healthChanged',
        health: 'connecting',
        reason: 'opening the socket and handshake, after: connection refused',
        cause: 'cannotConnect',
      } as FeedEventBody,
      t + 4_000,
    );
    expect(reduceAll(log.events, INITIAL_STATE).healthRetryAt).toBeUndefined();
  });

  it('the console on a port nobody listens on shows "connection refused" and the next try on its main screen', async () => {
    const port = await deadPort();
    const session = openLive({ host: '127.0.0.1', port, clientId: 91, record: false, recordingSource: 'live', settings: DEFAULT_SETTINGS });
    const stdout = new Tty(100, 30);
    const stdin = new TtyIn();
    const io: CommandIo = { out: () => {}, err: () => {} };
    const done = runConsole({
      feed: session.feed,
      source: session.source,
      mode: 'live',
      endpoint: { host: '127.0.0.1', port },
      settings: { ...DEFAULT_SETTINGS, keymap: [{ key: 'Q', command: 'app.quit' }] },
      io,
      close: (r) => session.close(r),
      streams: ttyStreams(stdout, stdin),
    });
    // The default pane is the positions list, not the connection pane: the bar says it anyway.
    await vi.waitFor(() => expect(stdout.out).toMatch(/DISCONNECTED \(connection refused\) next try in \d+s/), { timeout: 20_000 });
    expect(session.feed.state.healthCause).toBe('cannotConnect');
    stdin.type('Q');
    expect(await done).toBe(0);
  }, 60_000);
});
