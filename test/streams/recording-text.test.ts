// A recording is text from outside: control characters in it reach no terminal, whatever command reads it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { FeedEvent } from '../../src/model/events.js';
import { reduce } from '../../src/model/reducer.js';
import { INITIAL_STATE } from '../../src/model/state.js';
import { FlightRecorder } from '../../src/streams/recorder.js';
import { readRecording } from '../../src/streams/recording/reader.js';
import { RecordingWriter } from '../../src/streams/recording/writer.js';
import { acct, EventLog, portfolio, stock } from '../support/events.js';
import { runCli } from '../support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'tws-risk-rec-text-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Sets the terminal title, writes the clipboard (OSC 52), hides what follows (SGR 8) and clears the screen. */
const HOSTILE = 'AAPL\u001b]0;pwned\u0007\u001b]52;c;ZWNobyBoaQ==\u0007\u001b[8m\u001b[2J\u202e';
const SHOWN = 'AAPL\\x1b]0;pwned\\x07\\x1b]52;c;ZWNobyBoaQ==\\x07\\x1b[8m\\x1b[2J\\u202e';

async function hostileRecording(): Promise<string> {
  const file = join(dir, `hostile-${Date.now()}.jsonl`);
  const log = new EventLog();
  const events: FeedEvent[] = log.pushAll([
    { type: 'managedAccountsReceived', accounts: ['DU1234567'] },
    acct('DU1234567', 'NetLiquidation', '100000', 'USD'),
    portfolio('DU1234567', stock(265598, HOSTILE, 'USD'), '100', '200'),
    { type: 'brokerMessage', id: -1, code: 2104, message: `farm ${HOSTILE}`, class: 'info' },
  ]);
  const writer = new RecordingWriter({
    file,
    appVersion: '0.0.0-test',
    source: 'synthetic',
    account: 'DU1234567',
    baseCurrency: 'USD',
    startedAtMs: events[0]!.receivedAt,
  });
  const rec = new FlightRecorder(writer, { everyEvents: 2, everyMs: 1e12 });
  let s = INITIAL_STATE;
  for (const ev of events) {
    s = reduce(s, ev);
    rec.record(ev, s);
  }
  await rec.close('test done', s);
  return file;
}

const run = runCli;

describe('control characters in a recording', () => {
  it('are shown as visible escapes by the reader, in events and messages', async () => {
    const file = await hostileRecording();
    const symbols: string[] = [];
    for await (const it of readRecording(file)) {
      if (it.kind !== 'event') continue;
      if (it.event.type === 'portfolioUpdated') symbols.push(it.event.contract.symbol);
      if (it.event.type === 'brokerMessage') symbols.push(it.event.message);
    }
    expect(symbols).toEqual([SHOWN, `farm ${SHOWN}`]);
  });

  it('are shown as visible escapes in keyframe states too (where a seek or a report starts)', async () => {
    const file = await hostileRecording();
    const symbols: string[] = [];
    for await (const it of readRecording(file)) {
      if (it.kind === 'keyframe') for (const row of it.state.portfolio.values()) symbols.push(row.contract.symbol);
    }
    expect(symbols.length).toBeGreaterThan(0);
    expect(new Set(symbols)).toEqual(new Set([SHOWN]));
  });

  it.each([
    ['replay --events', ['replay', '--events']],
    ['report --replay', ['report', '--replay']],
    ['report --replay --json', ['report', '--json', '--replay']],
    ['verify', ['verify']],
  ])('never reach the terminal through %s', async (_name, args) => {
    const file = await hostileRecording();
    const r = await run(...args, file);
    // eslint-disable-next-line no-control-regex
    expect(r.text).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e]/);
    if (args[0] !== 'verify') expect(r.text).toContain('AAPL\\');
  });
});
