// The times replay --events --from/--to (and --at, goto) accept: to the millisecond in both forms; anything else refused.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { parseAt } from '../../src/streams/replay/state-at.js';
import { runCli } from '../support/cli.js';

const FILE = join(import.meta.dirname, '..', '..', 'recordings', 'margin-spike.jsonl.gz');

/** Every event's seq and receipt time, read off the file's JSON lines directly (not through the reader under test). */
const EVENTS = gunzipSync(readFileSync(FILE))
  .toString('utf8')
  .split('\n')
  .filter((l) => l.startsWith('{"kind":"event"'))
  .map((l) => (JSON.parse(l) as { event: { seq: number; receivedAt: number } }).event);

/** The seqs `replay --events` printed ("<iso> #<seq> <type> ..."). */
const seqsOf = (out: string) => out.split('\n').map((l) => Number(/^\S+ #(\d+) /.exec(l)![1]));

describe('replay --events --from/--to with fractions of a second', () => {
  // An event that shares its second with others before and after it, at a time with milliseconds.
  const target = EVENTS.find(
    (e, i) =>
      i > 0 && e.receivedAt % 1000 !== 0 && EVENTS[i - 1]!.receivedAt < e.receivedAt && EVENTS[i - 1]!.receivedAt >= e.receivedAt - (e.receivedAt % 1000),
  )!;
  const iso = new Date(target.receivedAt).toISOString();
  const clock = iso.slice(11, 23);

  for (const [form, from] of [
    ['HH:MM:SS.mmm', clock],
    ['ISO-8601 with milliseconds', iso],
    ['ISO-8601 with milliseconds and an offset', `${new Date(target.receivedAt + 3_600_000).toISOString().slice(0, 23)}+01:00`],
  ] as const) {
    it(`starts at the first event at or after ${form}`, async () => {
      const r = await runCli('replay', FILE, '--events', '--from', from, '--to', from);
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      // Exactly the events received in that millisecond: the one before it is out, the one after it too.
      expect(seqsOf(r.out)).toEqual(EVENTS.filter((e) => e.receivedAt === target.receivedAt).map((e) => e.seq));
    });
  }

  it('reads a shorter fraction as tenths and hundredths (.7 is 700 ms)', async () => {
    const second = target.receivedAt - (target.receivedAt % 1000);
    const r = await runCli('replay', FILE, '--events', '--from', `${clock.slice(0, 8)}.7`, '--to', `${clock.slice(0, 8)}.75`);
    expect(r.code).toBe(0);
    const want = EVENTS.filter((e) => e.receivedAt >= second + 700 && e.receivedAt <= second + 750).map((e) => e.seq);
    expect(want.length).toBeGreaterThan(0);
    expect(seqsOf(r.out)).toEqual(want);
  });

  for (const bad of [
    '14:30:00.2501',
    '14:30:00.',
    '1',
    'March 2',
    '2026-02-30T10:00:00Z',
    '2026-11-23T24:00:00Z',
    '14:30,250',
    '2026-11-23T14:30:00.250+25:00',
  ]) {
    it(`refuses ${JSON.stringify(bad)} with the accepted forms and exit 2, printing nothing`, async () => {
      const r = await runCli('replay', FILE, '--events', '--from', bad);
      expect(r.code).toBe(2);
      expect(r.out).toBe('');
      expect(r.err).toMatch(
        /^tws-risk replay: --from .*(expected HH:MM\[:SS\[\.mmm\]\] \(UTC, on the recording's first day\) or an ISO-8601 time|not a date and time|not a UTC offset)/,
      );
    });
  }
});

describe('replay --events window', () => {
  it('refuses a --from after its --to with exit 2 rather than print nothing and succeed', async () => {
    const r = await runCli('replay', FILE, '--events', '--from', '14:40', '--to', '14:35');
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toBe('tws-risk replay: --from 14:40 is after --to 14:35: no time is in that window');
  });
});

describe('replay --events window that holds nothing', () => {
  it('says so on stderr with the recording start, rather than print nothing and say nothing', async () => {
    // 23:00 on the first day is after the last event (the recording is 14 minutes from 14:30).
    const r = await runCli('replay', FILE, '--events', '--from', '23:00');
    expect(r.code).toBe(0);
    expect(r.out).toBe('');
    expect(r.err).toMatch(
      /^tws-risk replay: no event received between 2026-11-23T23:00:00\.000Z and - \(the recording started 2026-11-23T14:\d\d:\d\d\.\d{3}Z; times are when the console received each event, in UTC\)/,
    );
    const kinded = await runCli('replay', FILE, '--events', '--kind', 'executionReceived', '--to', '00:01');
    expect(kinded.err).toMatch(/^tws-risk replay: no executionReceived event received between - and 2026-11-23T00:01:00\.000Z/);
  });
});

describe('parseAt', () => {
  const start = Date.UTC(2026, 10, 23, 14, 30, 0, 5);
  it('takes a time of day on the recording’s first day, to the millisecond', () => {
    expect(parseAt('14:32:05.250', start)).toBe(Date.UTC(2026, 10, 23, 14, 32, 5, 250));
    expect(parseAt('14:32:05.25', start)).toBe(Date.UTC(2026, 10, 23, 14, 32, 5, 250));
    expect(parseAt('14:32', start)).toBe(Date.UTC(2026, 10, 23, 14, 32));
    expect(parseAt('24:00', start)).toMatch(/^--at 24:00: not a time of day .*expected HH:MM\[:SS\[\.mmm\]\]/);
  });
  it('names the accepted forms in every refusal, whichever part is out of range', () => {
    for (const bad of ['23:59:60', '2026-03-02T24:00:00Z', '2026-02-29', '2026-03-02T14:32:05+24:00'])
      expect(parseAt(bad, start)).toMatch(/: not a .*; expected HH:MM\[:SS\[\.mmm\]\] \(UTC, on the recording's first day\) or an ISO-8601 time/);
  });
  it('takes a time with the spaces around it that a quoted argument or a copied field brings', () => {
    expect(parseAt(' 14:32:05.250 ', start)).toBe(Date.UTC(2026, 10, 23, 14, 32, 5, 250));
    expect(parseAt('\t2026-03-02T14:32:05.250+05:45\n', start)).toBe(Date.UTC(2026, 2, 2, 8, 47, 5, 250));
  });
  it('reads an ISO-8601 time without an offset as UTC, like the time of day (never the machine zone)', () => {
    expect(parseAt('2026-03-02T14:32:05.250', start)).toBe(Date.UTC(2026, 2, 2, 14, 32, 5, 250));
    expect(parseAt('2026-03-02 14:32:05.250Z', start)).toBe(Date.UTC(2026, 2, 2, 14, 32, 5, 250));
    expect(parseAt('2026-03-02T14:32:05.250-05:00', start)).toBe(Date.UTC(2026, 2, 2, 19, 32, 5, 250));
    expect(parseAt('2026-03-02', start)).toBe(Date.UTC(2026, 2, 2));
  });
});
