import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import type { FeedEvent } from '../../src/model/events.js';
import { reduce } from '../../src/model/reducer.js';
import { INITIAL_STATE, type PortfolioState } from '../../src/model/state.js';
import { GENESIS_HASH, sealLine } from '../../src/streams/recording/format.js';
import { readRecording, RecordingError } from '../../src/streams/recording/reader.js';
import { RecordingWriter } from '../../src/streams/recording/writer.js';
import { FlightRecorder } from '../../src/streams/recorder.js';
import { acct, EventLog } from '../support/events.js';
import { parseSpeed, ReplayPlayer, SPEEDS } from '../../src/streams/replay/player.js';
import { stateHash, type SampleEntry } from '../../scripts/sim-recordings.js';
import { waitFor } from '../sim/helpers.js';
import { replayInfo } from '../../src/views/rows/replay.js';

const dir = mkdtempSync(join(tmpdir(), 'tws-risk-player-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const manifest = JSON.parse(readFileSync('recordings/manifest.json', 'utf8')) as SampleEntry[];
const sample = (name: string) => join('recordings', manifest.find((m) => m.scenario === name)!.file);

/** Every event of a file, folded from the top with the reader alone (the reference the player must equal). */
async function allEvents(file: string): Promise<FeedEvent[]> {
  const out: FeedEvent[] = [];
  for await (const item of readRecording(file, { skipKeyframeStates: true })) if (item.kind === 'event') out.push(item.event);
  return out;
}

function foldUpTo(events: readonly FeedEvent[], pred: (e: FeedEvent) => boolean): PortfolioState {
  let s = INITIAL_STATE;
  for (const e of events) {
    if (!pred(e)) break;
    s = reduce(s, e);
  }
  return s;
}

describe('ReplayPlayer', () => {
  for (const entry of manifest) {
    it(`plays ${entry.file} at max speed to the final state of the live run that recorded it`, async () => {
      const p = await ReplayPlayer.open(join('recordings', entry.file), { speed: 'max' });
      p.play();
      await p.finished();
      expect(p.state.lastSeq).toBe(entry.events);
      expect(stateHash(p.state)).toBe(entry.finalStateSha256);
      expect((await p.scanned()).state).toBe('sealed');
      await p.close();
    });
  }

  it('keeps event order through speed changes, pauses and steps', async () => {
    const file = sample('chf-gap');
    const p = await ReplayPlayer.open(file, { speed: 64 });
    const seen: number[] = [];
    p.events$.subscribe((e) => seen.push(e.seq));
    p.play();
    const speeds = ['max', 0.25, 'max', 16, 'max'] as const;
    for (const s of speeds) {
      const before = seen.length;
      p.setSpeed(s);
      // Wait until this speed has played something (at 0.25x at least the next event comes within its gap/4).
      if (s === 0.25) {
        await p.step();
        p.play();
      }
      for (let i = 0; i < 200 && seen.length === before && !p.status().ended; i++) await new Promise((r) => setTimeout(r, 5));
      if (s !== 'max') {
        p.pause();
        await p.step();
        await p.step();
        p.play();
      }
    }
    p.setSpeed('max');
    await p.finished();
    const events = await allEvents(file);
    // Played events are the file's events in order; steps fold without emitting into the gap they leave.
    const ordered = seen.every((s, i) => i === 0 || s > seen[i - 1]!);
    expect(ordered).toBe(true);
    expect(p.state.lastSeq).toBe(events.at(-1)!.seq);
    expect(stateHash(p.state)).toBe(stateHash(foldUpTo(events, () => true)));
    await p.close();
  });

  it('a seek to a time lands on the state playing to that time reaches, forwards and backwards', async () => {
    const file = sample('margin-spike');
    const events = await allEvents(file);
    const p = await ReplayPlayer.open(file, { scan: false });
    for (const frac of [0.8, 0.1, 0.5, 0.99, 0.3]) {
      const at = events[Math.floor(events.length * frac)]!.receivedAt;
      await p.seekTo({ atMs: at });
      expect(stateHash(p.state)).toBe(stateHash(foldUpTo(events, (e) => e.receivedAt <= at)));
      expect(p.status().at).toBe(at);
    }
    await p.toStart();
    expect(p.state.lastSeq).toBe(0);
    await p.toEnd();
    expect(p.state.lastSeq).toBe(events.at(-1)!.seq);
    expect(p.status().ended).toBe(true);
    // The end is read from the closing keyframe, after which no event follows: the clock still shows the last event's time.
    expect(p.status().at).toBe(events.at(-1)!.receivedAt);
    await p.close();
  });

  it('steps one event at a time and continues playing from there with the same result', async () => {
    const file = sample('quiet-day');
    const events = await allEvents(file);
    const p = await ReplayPlayer.open(file, { scan: false });
    await p.seekTo({ seq: 100 });
    const seen: FeedEvent[] = [];
    p.events$.subscribe((e) => seen.push(e));
    await p.step();
    await p.step();
    expect(seen.map((e) => e.seq)).toEqual([101, 102]);
    expect(p.status().paused).toBe(true);
    expect(p.status().at).toBe(events[101]!.receivedAt);
    expect(stateHash(p.state)).toBe(stateHash(foldUpTo(events, (e) => e.seq <= 102)));
    await p.close();
  });

  it('names the account and base currency from the first events that say them when the header (written before the login) has none', async () => {
    const file = sample('quiet-day');
    const p = await ReplayPlayer.open(file);
    expect(p.status().header.account).toBeNull();
    expect((await p.scanned()).state).toBe('sealed');
    // The reference: the first event of the file that names an account, read with the reader alone.
    const first = (await allEvents(file)).find((e) => 'account' in e && typeof e.account === 'string' && e.account !== '') as { account: string };
    expect(p.status().account).toBe(first.account);
    // The base currency: that of the first whole-account NetLiquidation row.
    const net = (await allEvents(file)).find((e) => e.type === 'accountValueUpdated' && e.key === 'NetLiquidation') as { currency: string };
    expect(p.status().baseCurrency).toBe(net.currency);
    const info = replayInfo(p.status(), { close: 'i', play: 'space', markers: 'n', pick: 'enter', jump: 'g' }, { room: 20 });
    expect(info.lines.map((l) => l.text).join('\n')).toContain(`account ${first.account} · base ${net.currency}`);
    await p.close();
  });

  it("with scan 'later' verifies nothing until startScan, then verifies once", async () => {
    const file = sample('flatten-disconnect');
    const later = await ReplayPlayer.open(file, { scan: 'later' });
    // The same file scanned at open by another player: by the time that scan is over, this one has not begun.
    const now = await ReplayPlayer.open(file);
    expect((await now.scanned()).state).toBe('sealed');
    expect(later.status().integrity).toEqual({ state: 'checking', events: 0 });
    expect(later.status().markers).toEqual([]);
    later.startScan();
    later.startScan(); // a second call starts no second scan (the markers would be listed twice)
    await waitFor(() => later.status().integrity.state !== 'checking', 30_000, 'the scan started by startScan');
    expect(later.status().integrity).toEqual(now.status().integrity);
    expect(later.status().markers).toEqual(now.status().markers);
    await later.close();
    await now.close();
  });

  it('finds markers (operator actions, disconnects) and jumps between them', async () => {
    const file = sample('flatten-disconnect');
    const events = await allEvents(file);
    const p = await ReplayPlayer.open(file);
    expect((await p.scanned()).state).toBe('sealed');
    const markers = p.status().markers;
    const kinds = new Set(markers.map((m) => m.kind));
    expect(kinds.has('operator')).toBe(true);
    expect(kinds.has('disconnect')).toBe(true);
    // Each marker points at the event that made it.
    for (const m of markers) expect(events.find((e) => e.seq === m.seq)?.receivedAt).toBe(m.at);
    const first = await p.nextMarker();
    expect(first?.seq).toBe(markers[0]!.seq);
    expect(p.state.lastSeq).toBe(markers[0]!.seq);
    const second = await p.nextMarker();
    expect(second?.seq).toBe(markers[1]!.seq);
    const back = await p.prevMarker();
    expect(back?.seq).toBe(markers[0]!.seq);
    expect(stateHash(p.state)).toBe(stateHash(foldUpTo(events, (e) => e.seq <= markers[0]!.seq)));
    await p.close();
  });

  it('goes as many markers on as `]` was pressed, even when the presses come before the first seek lands', async () => {
    const file = sample('flatten-disconnect');
    const p = await ReplayPlayer.open(file);
    await p.scanned();
    const markers = p.status().markers;
    expect(markers.length).toBeGreaterThanOrEqual(4);
    // Three presses in one read of the terminal: none awaited before the next.
    const jumps = [p.nextMarker(), p.nextMarker(), p.nextMarker()];
    const landed = await Promise.all(jumps);
    expect(landed.map((m) => m?.seq)).toEqual([markers[0]!.seq, markers[1]!.seq, markers[2]!.seq]);
    expect(p.state.lastSeq).toBe(markers[2]!.seq);
    const back = [p.prevMarker(), p.prevMarker()];
    await Promise.all(back);
    expect(p.state.lastSeq).toBe(markers[0]!.seq);
    await p.close();
  });

  it('marks the alerts the margin-spike session raised (recorded as alertChanged events)', async () => {
    const p = await ReplayPlayer.open(sample('margin-spike'));
    await p.scanned();
    const alerts = p.status().markers.filter((m) => m.kind === 'alert');
    expect(alerts.some((m) => /^alert raised: warning Initial margin \(commodities\) .* our rules-based estimate/.test(m.label))).toBe(true);
    // Jumping to it lands on the state right after the alert was recorded.
    const jump = alerts.find((m) => m.label.includes('rules-based estimate'))!;
    await p.seekTo({ seq: jump.seq });
    expect(p.state.lastSeq).toBe(jump.seq);
    expect(p.state.alerts.get('margin.jump')?.severity).toBe('warning');
    await p.close();
  });

  it('a seek far past the raise (from a keyframe written before alerts were kept) still lists the recorded alerts, as playing does', async () => {
    const file = sample('margin-spike');
    const events = await allEvents(file);
    const raise = events.find((e) => e.type === 'alertChanged' && e.kind === 'raised')!;
    const clear = events.find((e) => e.type === 'alertChanged' && e.kind === 'cleared')!;
    const p = await ReplayPlayer.open(file);
    // Between the raises and the clear, then after the clear: several keyframes later in both cases.
    for (const seq of [Math.floor((raise.seq + clear.seq) / 2), clear.seq + 1]) {
      await p.seekTo({ seq });
      const played = foldUpTo(events, (e) => e.seq <= seq);
      expect([...p.state.alerts.keys()].sort()).toEqual([...played.alerts.keys()].sort());
      expect(played.alerts.size).toBeGreaterThan(0);
      expect(JSON.stringify([...p.state.alerts.entries()])).toBe(JSON.stringify([...played.alerts.entries()]));
    }
    await p.close();
  });

  it('marks a margin breach, recorded alerts and the TWS codes that matter in a recording written through the real writer', async () => {
    const file = join(dir, 'breach.jsonl');
    const writer = new RecordingWriter({
      file,
      appVersion: 'test',
      source: 'synthetic',
      account: 'DU1',
      baseCurrency: 'USD',
      startedAtMs: Date.UTC(2026, 10, 23, 14, 30),
    });
    const recorder = new FlightRecorder(writer);
    const log = new EventLog();
    let s = INITIAL_STATE;
    const T = Date.UTC(2026, 10, 23, 14, 31);
    const bodies = [
      acct('DU1', 'ExcessLiquidity', '1000', 'USD'),
      acct('DU1', 'ExcessLiquidity', '-5', 'EUR'),
      acct('DU1', 'ExcessLiquidity', '-250', 'USD'),
      acct('DU1', 'ExcessLiquidity', '-300', 'USD'),
      { type: 'brokerMessage', id: -1, code: 1100, message: 'Connectivity between IB and TWS has been lost.', class: 'connection' },
      { type: 'brokerMessage', id: -1, code: 2104, message: 'Market data farm connection is OK', class: 'info' },
      { type: 'alertChanged', kind: 'raised', at: T, alert: { id: 'excess.negative', severity: 'critical', title: 'ExcessLiquidity below zero' } },
      { type: 'alertChanged', kind: 'cleared', at: T + 1, alert: { id: 'excess.negative', severity: 'critical', title: 'ExcessLiquidity below zero' } },
    ] as const;
    for (const b of bodies) {
      const ev = log.push(b);
      const next = reduce(s, ev);
      recorder.record(ev, next);
      s = next;
    }
    await recorder.close('test', s);
    const p = await ReplayPlayer.open(file);
    await p.scanned();
    const markers = p.status().markers;
    // One breach (the first negative USD value, not the EUR row, not the second negative), alerts for 1100 (not
    // 2104) and for the raised alert (not its clearing).
    expect(markers.map((m) => [m.kind, m.seq])).toEqual([
      ['breach', 3],
      ['alert', 5],
      ['alert', 7],
    ]);
    expect(markers[2]!.label).toBe('alert raised: critical ExcessLiquidity below zero');
    await p.close();
  });

  it('opens a tampered file, says where the chain breaks, and plays only up to the break', async () => {
    const lines = readFileSync('recordings/sample-multicurrency.jsonl', 'utf8').split('\n');
    const bad = 20;
    lines[bad - 1] = lines[bad - 1]!.replace(/"value":"(\d)/, (_m, d: string) => `"value":"${(Number(d) + 1) % 10}`);
    const file = join(dir, 'tampered.jsonl');
    writeFileSync(file, lines.join('\n'));
    const p = await ReplayPlayer.open(file, { speed: 'max' });
    const integrity = await p.scanned();
    expect(integrity.state).toBe('broken');
    if (integrity.state !== 'broken') return;
    expect(integrity.problem).toBe('tampered');
    expect(integrity.line).toBe(bad);
    p.play();
    await p.finished();
    expect(p.state.lastSeq).toBe(integrity.lastGoodSeq);
    expect(p.status().message).toMatch(/tampered\.jsonl:20/);
    // A seek past the break stops at the last good event.
    await p.toEnd();
    expect(p.state.lastSeq).toBe(integrity.lastGoodSeq);
    await p.close();
  });

  it('opens an unsealed (cut) file and says so', async () => {
    const text = gunzipSync(readFileSync(sample('quiet-day'))).toString('utf8');
    const file = join(dir, 'cut.jsonl');
    writeFileSync(file, text.slice(0, Math.floor(text.length * 0.6)));
    const p = await ReplayPlayer.open(file);
    const integrity = await p.scanned();
    expect(integrity.state).toBe('unsealed');
    await p.close();
  });

  it('refuses a recording with an unknown schema version, naming it', async () => {
    const lines = readFileSync('recordings/sample-multicurrency.jsonl', 'utf8').split('\n');
    const header = JSON.parse(lines[0]!) as Record<string, unknown>;
    delete header.hash;
    lines[0] = sealLine(GENESIS_HASH, { ...header, schemaVersion: 99 }).text;
    const file = join(dir, 'future.jsonl');
    writeFileSync(file, lines.join('\n'));
    const err = await ReplayPlayer.open(file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RecordingError);
    expect((err as RecordingError).message).toMatch(/schema version 99 is not supported/);
  });

  it('parses speeds from 0.25x to 64x and max, and refuses others', () => {
    expect(parseSpeed('4x')).toEqual({ speed: 4 });
    expect(parseSpeed('0.25')).toEqual({ speed: 0.25 });
    expect(parseSpeed('MAX')).toEqual({ speed: 'max' });
    expect(parseSpeed('max')).toEqual({ speed: 'max' });
    expect(parseSpeed('3')).toEqual({ error: expect.stringMatching(/expected one of/) as unknown });
    expect(SPEEDS[0]).toBe(0.25);
    expect(SPEEDS).toContain(64);
  });

  it('plays in recorded time at a numeric speed: the clock moves with the speed and never runs past the next event', async () => {
    let real = 1_000_000;
    const file = sample('quiet-day');
    const p = await ReplayPlayer.open(file, { scan: false, speed: 8, now: () => real });
    const start = p.clock();
    p.play();
    real += 1000;
    for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 5));
    const at = p.clock();
    // 1 s of real time at 8x is 8 s of recorded time, unless the next unplayed event is earlier.
    expect(at - start).toBeLessThanOrEqual(8000);
    expect(at).toBeGreaterThan(start);
    expect(p.state.lastEventAt).toBeLessThanOrEqual(at);
    expect(p.state.lastSeq).toBeGreaterThan(0);
    p.pause();
    expect(p.clock()).toBe(p.status().at);
    await p.close();
  });
});
