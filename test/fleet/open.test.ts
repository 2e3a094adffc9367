// fleet --open: one account's latest session copied from the stream into a private recording that verifies and
// folds to the state the publisher had; a missing account is named, with those the stream has.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { contiguous, fleetOpenCommand } from '../../src/commands/fleet-open.js';
import { verifyCommand } from '../../src/commands/verify.js';
import type { FeedEvent } from '../../src/model/events.js';
import { readRecording } from '../../src/streams/recording/reader.js';
import { waitFor } from '../sim/helpers.js';
import { startNatsServer } from '../support/nats-server.js';
import { isPublishing, startPublishingGuard } from '../support/publishing-guard.js';
import { simulatorsPerTest } from '../support/sim-rig.js';

const root = mkdtempSync(join(tmpdir(), 'tws-risk-fleet-open-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const sims = simulatorsPerTest();
const stops: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (stops.length) await stops.pop()!();
});

describe('fleet --open --at', () => {
  it("copies the account's session from the stream whole, and plays it read-only at the moment asked", async () => {
    const nats = await startNatsServer();
    stops.push(() => nats.stop());
    const sim = await sims({ account: 'DU3333333', seed: 9 });
    const g = await startPublishingGuard({ dir: join(root, 'guard'), port: sim.port, clientId: 63, publish: nats.url, record: true });
    const { h } = g;
    stops.push(() => h.stop('test over'));
    await waitFor(() => isPublishing(g), 30_000, 'a publishing guard');
    await sim.trigger({ incident: 'margin-spike', factor: 3, secTypes: ['ALL'] });
    await waitFor(() => h.status().lastAction?.action === 'notify', 30_000, 'the notification');
    await h.stop('test over');

    // What the guard recorded locally is the reference: the stream's copy must hold the same events.
    const local: FeedEvent[] = [];
    for await (const it of readRecording(g.recording!)) if (it.kind === 'event') local.push(it.event);

    let played: { file: string; at?: string } | undefined;
    const copied: FeedEvent[] = [];
    const out: string[] = [];
    // A moment inside the session, not its end: the replay opens where it was asked to.
    const at = new Date(local[Math.floor(local.length / 2)]!.receivedAt).toISOString();
    const code = await fleetOpenCommand(
      { nats: nats.url, open: 'DU3333333', at },
      { out: (l) => out.push(l), err: (l) => out.push(l) },
      {
        play: async (file, f) => {
          played = { file, ...(f.at ? { at: f.at } : {}) };
          expect(statSync(file).mode & 0o777).toBe(0o600);
          const v: string[] = [];
          expect(await verifyCommand(file, { strict: true, json: false }, { out: (l) => v.push(l), err: (l) => v.push(l) })).toBe(0);
          for await (const it of readRecording(file)) if (it.kind === 'event') copied.push(it.event);
          return 0;
        },
      },
    );
    expect(code, out.join('\n')).toBe(0);
    expect(out[0]).toMatch(/^DU3333333 from \S+ \(session \S+\): [\d,]+ events copied from TWS_RISK; read-only$/);
    expect(copied.map((e) => [e.seq, e.type])).toEqual(local.map((e) => [e.seq, e.type]));
    expect(copied.filter((e) => e.type === 'guardActed').length).toBeGreaterThan(0);
    expect(played!.at).toBe(at);
    // The copy is gone once the console closes.
    expect(() => statSync(played!.file)).toThrow();

    const missing: string[] = [];
    expect(await fleetOpenCommand({ nats: nats.url, open: 'DU9999999' }, { out: (l) => missing.push(l), err: (l) => missing.push(l) })).toBe(1);
    expect(missing[0]).toBe('tws-risk fleet: no account DU9999999 in stream TWS_RISK; it has DU3333333');
  }, 120_000);

  it('stops a copy at the first gap in seq', () => {
    const ev = (seq: number) => ({ type: 'positionsEnded', seq, receivedAt: seq }) as unknown as FeedEvent;
    expect(contiguous([ev(1), ev(2), ev(2), ev(3)]).events.map((e) => e.seq)).toEqual([1, 2, 3]);
    const cut = contiguous([ev(1), ev(2), ev(5), ev(6)]);
    expect(cut.events.map((e) => e.seq)).toEqual([1, 2]);
    expect(cut.gap).toEqual({ after: 2, next: 5 });
  });
});
