import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { accountValue, baseValue } from '../src/model/account-values.js';
import type { FeedEvent } from '../src/model/events.js';
import { reduceAll } from '../src/model/reducer.js';
import { readRecording } from '../src/streams/recording/reader.js';
import { MANIFEST, SAMPLE_FILE, writeSampleRecording } from '../scripts/make-recordings.js';
import { stateHash, type SampleEntry } from '../scripts/sim-recordings.js';
import { INITIAL_STATE } from '../src/model/state.js';
import { reduce } from '../src/model/reducer.js';
import { verifyRecording } from '../src/streams/recording/reader.js';
import { seek } from '../src/streams/replay/seek.js';
import { encodeState } from '../src/model/codec.js';
import type { PortfolioState } from '../src/model/state.js';

/** The recorded alerts of a state as JSON (stateHash leaves them out: they are checked here on their own). */
const alertsJson = (s: PortfolioState) => JSON.stringify((encodeState(s) as { alerts?: unknown }).alerts ?? []);

/** Ids raised and not cleared by the alertChanged events up to `seq`, read straight off the events. */
function openAlertIds(events: readonly FeedEvent[], seq: number): string[] {
  const open = new Set<string>();
  for (const e of events) {
    if (e.seq > seq) break;
    if (e.type !== 'alertChanged') continue;
    const id = String(e.alert.id);
    if (e.kind === 'cleared') open.delete(id);
    else open.add(id);
  }
  return [...open].sort();
}

const dir = mkdtempSync(join(tmpdir(), 'tws-risk-samples-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('shipped sample recording', () => {
  it('is exactly what `npm run recordings` writes (regenerate it after changing the writer or the sample)', async () => {
    const fresh = await writeSampleRecording(dir);
    expect(readFileSync(fresh, 'utf8')).toBe(readFileSync(join('recordings', SAMPLE_FILE), 'utf8'));
  });

  it('folds into a multi-currency account with the values it was written with', async () => {
    const events: FeedEvent[] = [];
    for await (const item of readRecording(join('recordings', SAMPLE_FILE))) if (item.kind === 'event') events.push(item.event);
    const s = reduceAll(events);
    expect(s.baseCurrency).toBe('USD');
    expect([...s.fxRates.keys()].sort()).toEqual(['CHF', 'EUR', 'GBP', 'JPY', 'USD']);
    expect(baseValue(s, 'NetLiquidation')?.toString()).toBe('1046214.37');
    expect(accountValue(s, 'CashBalance', 'JPY')?.value?.toString()).toBe('2500000');
    // The ES future was sold during the session: its row is gone, its fill and commission are joined.
    expect(s.portfolio.get(620731036)).toBeUndefined();
    expect(s.portfolio.size).toBe(6);
    expect([...s.executions.values()][0]?.commission?.toString()).toBe('2.25');
    expect(s.health).toBe('ready');
  });
});

describe('simulator sample recordings (recordings/manifest.json)', () => {
  const manifest = JSON.parse(readFileSync(join('recordings', MANIFEST), 'utf8')) as SampleEntry[];

  it('lists the four incident samples', () => {
    expect(manifest.map((m) => m.scenario)).toEqual(['quiet-day', 'chf-gap', 'margin-spike', 'flatten-disconnect']);
  });

  for (const entry of manifest) {
    it(`${entry.file} verifies and replays to the final state of the live run that recorded it`, async () => {
      const file = join('recordings', entry.file);
      const v = await verifyRecording(file);
      expect(v.ok && v.summary.sealed).toBe(true);
      let s = INITIAL_STATE;
      for await (const item of readRecording(file, { skipKeyframeStates: true })) if (item.kind === 'event') s = reduce(s, item.event);
      expect(s.lastSeq).toBe(entry.events);
      expect(stateHash(s)).toBe(entry.finalStateSha256);
      // A seek to the middle lands where playing to the middle does.
      const mid = Math.floor(entry.events / 2);
      let played = INITIAL_STATE;
      for await (const item of readRecording(file, { skipKeyframeStates: true })) {
        if (item.kind === 'event' && item.event.seq <= mid) played = reduce(played, item.event);
      }
      expect(stateHash((await seek(file, { seq: mid })).state)).toBe(stateHash(played));
    });

    it(`${entry.file}: seeking and playing list the same recorded alerts, those its alertChanged events left open`, async () => {
      const file = join('recordings', entry.file);
      const events: FeedEvent[] = [];
      for await (const item of readRecording(file, { skipKeyframeStates: true })) if (item.kind === 'event') events.push(item.event);
      // The keyframes of the shipped samples predate alerts in state: every seek from one must rebuild them.
      for (const seq of [Math.floor(entry.events / 2), Math.floor((entry.events * 9) / 10), entry.events]) {
        const played = reduceAll(events.filter((e) => e.seq <= seq));
        const sought = (await seek(file, { seq })).state;
        expect([...sought.alerts.keys()].sort()).toEqual(openAlertIds(events, seq));
        expect(alertsJson(sought)).toBe(alertsJson(played));
      }
    });
  }

  it('flatten-disconnect shows the drop after the first order and the stock never sent', async () => {
    const events: FeedEvent[] = [];
    for await (const item of readRecording(join('recordings', 'flatten-disconnect.jsonl.gz'), { skipKeyframeStates: true }))
      if (item.kind === 'event') events.push(item.event);
    const sentAt = events.findIndex((e) => e.type === 'operatorActed' && e.action === 'ordersSent');
    const drop = events.findIndex((e, i) => i > sentAt && e.type === 'healthChanged' && e.health === 'disconnected');
    expect(sentAt).toBeGreaterThan(0);
    expect(drop).toBeGreaterThan(sentAt);
    const sent = events.filter((e) => e.type === 'operatorActed' && e.action === 'ordersSent');
    const stockConId = 265598;
    expect(sent.some((e) => e.type === 'operatorActed' && (e.detail as { conId?: number }).conId === stockConId)).toBe(false);
    expect(events.some((e, i) => i > drop && e.type === 'healthChanged' && e.health === 'ready')).toBe(true);
  });
});
