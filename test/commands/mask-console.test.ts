// The console with masking on: no write to the terminal carries the account id, wherever a view shows it (issue 14 item 13).
import { Subject } from 'rxjs';
import { describe, expect, it, vi } from 'vitest';
import { runConsole } from '../../src/commands/console.js';
import type { CommandIo } from '../../src/commands/io.js';
import { DEFAULT_SETTINGS } from '../../src/config/settings.js';
import type { FeedEventBody } from '../../src/model/events.js';
import { Feed } from '../../src/streams/feed.js';
import { accountEvents, positionEvents } from '../support/book.js';
import { Tty, TtyIn, ttyStreams } from '../support/fake-tty.js';

async function session(maskAccount: boolean): Promise<{ screen: string; out: string[] }> {
  const source = new Subject<FeedEventBody>();
  const feed = new Feed(source);
  const events: FeedEventBody[] = [
    { type: 'healthChanged', health: 'ready', host: '127.0.0.1', port: 7497, clientId: 1 },
    ...accountEvents(),
    ...positionEvents(),
    // A log line naming the account (short enough for the sidebar's width).
    { type: 'brokerMessage', id: -1, code: 0, class: 'warning', message: 'following DU1234567' },
  ];
  for (const b of events) source.next(b);
  const stdout = new Tty(160, 50);
  const stdin = new TtyIn();
  const out: string[] = [];
  const io: CommandIo = { out: (l) => out.push(l), err: (l) => out.push(l) };
  const done = runConsole({
    feed,
    mode: 'demo',
    endpoint: { host: '127.0.0.1', port: 7497 },
    io,
    close: async () => feed.close('test'),
    settings: { ...DEFAULT_SETTINGS, ui: { ...DEFAULT_SETTINGS.ui, maskAccount }, keymap: [{ key: 'Q', command: 'app.quit' }] },
    recorder: { files: [] },
    streams: ttyStreams(stdout, stdin),
  });
  await vi.waitFor(() => expect(stdout.out).toMatch(/following (DU1234567|•••••4567)/), { timeout: 20_000 });
  stdin.type('Q');
  expect(await done).toBe(0);
  return { screen: stdout.out, out };
}

describe('console masking', () => {
  it('masks the account in the status bar, the log line that names it and the exit line; unmasked, they show it', async () => {
    const plain = await session(false);
    expect(plain.screen).toContain('following DU1234567');
    const masked = await session(true);
    expect(masked.screen).toContain('following •••••4567');
    expect(masked.screen).not.toContain('DU1234567');
    expect(plain.out.join('\n')).toContain('account DU1234567');
    expect(masked.out.join('\n')).toContain('account •••••4567');
    expect(masked.out.join('\n')).not.toContain('DU1234567');
  });
});
