// Replay as a review tool (issue 16 item 13): a house-margin change is a marker, and G lands where playing ends.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readRecording } from '../../src/streams/recording/reader.js';
import { MARGIN_CHANGE_SHARE } from '../../src/streams/replay/markers.js';
import { ReplayPlayer } from '../../src/streams/replay/player.js';
import { stateHash, type SampleEntry } from '../../scripts/sim-recordings.js';

const manifest = JSON.parse(readFileSync('recordings/manifest.json', 'utf8')) as SampleEntry[];
const sample = (name: string) => join('recordings', manifest.find((m) => m.scenario === name)!.file);

describe('replay markers for review', () => {
  it("marks the margin-spike session's margin changes, made with no position change, at the event that shows them", async () => {
    const file = sample('margin-spike');
    // The reference, from the reader alone: base-currency MaintMarginReq jumps of a tenth or more, no position change between.
    const jumps: number[] = [];
    let last: number | undefined;
    let moved = false;
    let base: string | undefined;
    for await (const item of readRecording(file, { skipKeyframeStates: true })) {
      if (item.kind === 'header') base = item.header.baseCurrency ?? undefined;
      if (item.kind !== 'event') continue;
      const e = item.event;
      if (e.type === 'positionUpdated') moved = true;
      const v =
        e.type === 'accountValueUpdated' && e.key === 'MaintMarginReq' && (e.currency === base || e.currency === 'BASE')
          ? Number(e.value)
          : e.type === 'accountSummaryUpdated' && e.tag === 'MaintMarginReq'
            ? Number(e.value)
            : undefined;
      if (v === undefined) continue;
      if (last !== undefined && last > 0 && !moved && Math.abs(v - last) / last >= MARGIN_CHANGE_SHARE) jumps.push(e.seq);
      last = v;
      moved = false;
    }
    expect(jumps.length).toBeGreaterThanOrEqual(1);
    const p = await ReplayPlayer.open(file);
    await p.scanned();
    const margin = p.status().markers.filter((m) => m.kind === 'margin');
    expect(margin.map((m) => m.seq)).toEqual(jumps);
    for (const m of margin) expect(m.label).toMatch(/MaintMarginReq .* → .* with no position change/);
    await p.close();
  });

  for (const entry of manifest) {
    it(`G (to the end) shows what playing ${entry.file} to the end shows, recorded alerts included`, async () => {
      const played = await ReplayPlayer.open(join('recordings', entry.file), { speed: 'max' });
      played.play();
      await played.finished();
      const jumped = await ReplayPlayer.open(join('recordings', entry.file));
      await jumped.toEnd();
      expect(jumped.state.lastSeq).toBe(played.state.lastSeq);
      expect(JSON.stringify([...jumped.state.alerts.entries()])).toBe(JSON.stringify([...played.state.alerts.entries()]));
      expect(stateHash(jumped.state)).toBe(stateHash(played.state));
      expect(jumped.status().ended).toBe(true);
      await Promise.all([played.close(), jumped.close()]);
    });
  }
});
