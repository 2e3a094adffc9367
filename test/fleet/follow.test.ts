// fleet --open without --at: a guard's account followed live from a real nats-server, silence said, gaps never folded over.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstream } from '@nats-io/jetstream';
import { connect, headers } from '@nats-io/transport-node';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { fleetOpenCommand } from '../../src/commands/fleet-open.js';
import { baseValue } from '../../src/model/account-values.js';
import { systemClock } from '../../src/model/clock.js';
import { encodeEvent } from '../../src/model/codec.js';
import type { FeedEvent } from '../../src/model/events.js';
import { Decimal } from '../../src/model/money.js';
import type { Simulator } from '../../src/sim/index.js';
import { readSummaries } from '../../src/streams/nats/fleet.js';
import { StreamFollower } from '../../src/streams/nats/follow.js';
import { DEFAULT_LIMITS, ensureStream, eventsSubject, HDR_HOST, HDR_SESSION } from '../../src/streams/nats/subjects.js';
import { followCells } from '../../src/views/rows/status.js';
import { jetstreamManager } from '@nats-io/jetstream';
import { acct, EventLog } from '../support/events.js';
import { startNatsServer, startRelay } from '../support/nats-server.js';
import { isPublishing, startPublishingGuard } from '../support/publishing-guard.js';
import { QUICK_SOURCE } from '../support/sim-feed.js';
import { simulatorsPerTest } from '../support/sim-rig.js';

const root = mkdtempSync(join(tmpdir(), 'tws-risk-fleet-follow-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const sims = simulatorsPerTest();
const stops: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (stops.length) await stops.pop()!();
});

/** Polls an async or sync condition with a generous deadline; never a fixed sleep. */
async function until<T>(what: string, f: () => T | undefined | false, ms = 60_000, context: () => string = () => ''): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${context()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function simValue(sim: Simulator, key: string): Decimal {
  const snap = sim.snapshot();
  const row = snap.accountValues.find((r) => r.key === key && r.currency === snap.baseCurrency);
  if (!row) throw new Error(`the simulator serves no ${key}`);
  return new Decimal(row.value);
}

describe('fleet --open follows live', () => {
  it("keeps the console's state on the publisher's, says when it goes silent, and folds what it sent meanwhile in seq order", async () => {
    const nats = await startNatsServer();
    stops.push(() => nats.stop());
    const relay = await startRelay(nats.port);
    stops.push(() => relay.cut());
    const sim = await sims({ account: 'DU5555555', seed: 9 });
    const g = await startPublishingGuard({
      dir: join(root, 'guard'),
      port: sim.port,
      clientId: 65,
      publish: `nats://127.0.0.1:${relay.port}`,
      runtime: { source: QUICK_SOURCE },
    });
    const { h, lines } = g;
    stops.push(() => h.stop('test over'));
    await until('a publishing guard', () => isPublishing(g));
    // The fleet names the session from its summaries: wait for the first in the stream.
    const reader = await connect({ servers: nats.url });
    stops.push(() => reader.close());
    for (const deadline = Date.now() + 60_000; ;) {
      const { summaries } = await readSummaries(reader, DEFAULT_LIMITS.name).catch(() => ({ summaries: [] }));
      if (summaries.some((s) => s.account === 'DU5555555')) break;
      if (Date.now() > deadline) throw new Error(`no summary in the stream\n${lines.join('\n')}`);
      await new Promise((r) => setTimeout(r, 100));
    }

    const out: string[] = [];
    let checked = false;
    const open = async () =>
      fleetOpenCommand(
        { nats: nats.url, open: 'DU5555555' },
        { out: (l) => out.push(l), err: (l) => out.push(l) },
        {
          staleAfterMs: 2_000,
          follow: async (f) => {
            const seqs: number[] = [];
            const sub = f.events$.subscribe((ev) => seqs.push(ev.seq));
            const ctx = () => `status: ${JSON.stringify(f.status())}\nguard:\n${lines.join('\n')}`;
            // The followed state carries the simulator's own account values, as the guard's feed received them.
            await until(
              'the simulator NLV in the followed state',
              () => baseValue(f.state, 'NetLiquidation')?.eq(simValue(sim, 'NetLiquidation')),
              60_000,
              ctx,
            );
            expect(f.state.account).toBe('DU5555555');
            expect(
              followCells(f.status(), systemClock.now())
                .map((c) => c.text)
                .join(' '),
            ).toMatch(/NATS nats:\/\/127\.0\.0\.1:\d+ ← \S+ .*last event \d+s ago/);

            // The market moves at the publisher: the followed panes follow.
            await sim.trigger({ incident: 'margin-spike', factor: 3, secTypes: ['ALL'] });
            await until('the spiked ExcessLiquidity followed', () => baseValue(f.state, 'ExcessLiquidity')?.eq(simValue(sim, 'ExcessLiquidity')), 60_000, ctx);

            // The publisher's network goes: the follow says it is silent, with how long.
            const seqAtCut = f.state.lastSeq;
            await relay.cut();
            const silent = await until('the publisher silent', () => f.status().silentMs, 60_000, ctx);
            expect(silent).toBeGreaterThan(2_000);
            expect(
              followCells(f.status(), systemClock.now())
                .map((c) => c.text)
                .join(' '),
            ).toMatch(/publisher silent for \d+s/);
            await until('silence growing', () => (f.status().silentMs ?? 0) > silent, 60_000, ctx);

            // It comes back: what the guard held while cut off is folded, every seq once and in order.
            await relay.mend();
            await until('heard again, past the cut', () => f.status().silentMs === undefined && f.state.lastSeq > seqAtCut + 5, 60_000, ctx);
            sub.unsubscribe();
            expect(f.status().gap).toBeUndefined();
            expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => seqs[0]! + i));
            expect(f.state.lastSeq).toBe(seqs[seqs.length - 1]);
            // Read-only by construction: the follower has no way to publish into anyone's session.
            expect((f as unknown as { publish?: unknown }).publish).toBeUndefined();
            checked = true;
            return 0;
          },
        },
      );
    expect(await open(), out.join('\n')).toBe(0);
    expect(checked).toBe(true);
    expect(out[0]).toMatch(/^DU5555555 from \S+ \(session \S+\): following stream TWS_RISK live; read-only$/);
  }, 180_000);

  it('holds events past a gap in seq, reads the gap again, and folds once it is filled', async () => {
    const nats = await startNatsServer();
    stops.push(() => nats.stop());
    const nc = await connect({ servers: nats.url });
    stops.push(() => nc.close());
    await ensureStream(await jetstreamManager(nc), DEFAULT_LIMITS);
    const js = jetstream(nc);
    const log = new EventLog(Date.UTC(2026, 10, 23, 14, 30));
    const evs = log.pushAll([
      acct('DU7777777', 'NetLiquidation', '100', 'USD'),
      acct('DU7777777', 'NetLiquidation', '101', 'USD'),
      acct('DU7777777', 'NetLiquidation', '102', 'USD'),
      acct('DU7777777', 'NetLiquidation', '103', 'USD'),
    ]);
    const send = (ev: FeedEvent, session = 'hostA-1') => {
      const h = headers();
      h.set(HDR_SESSION, session);
      h.set(HDR_HOST, 'hostA');
      return js.publish(eventsSubject('DU7777777'), encodeEvent(ev), { headers: h, msgID: `${session}:${ev.seq}` });
    };
    // Another session's event with a seq that would fill the gap must not: sessions never mix.
    await send(evs[0]!);
    await send(evs[1]!);
    await send(evs[3]!);
    await send(evs[2]!, 'hostA-0');

    const f = await StreamFollower.start({
      nc,
      stream: DEFAULT_LIMITS.name,
      account: 'DU7777777',
      session: 'hostA-1',
      // A host name is the publisher's text: it reaches the status bar with its control characters shown, not obeyed.
      host: 'hostA\u001b[2J',
      server: nats.url,
      clock: systemClock,
      staleAfterMs: 60_000,
      refetchMs: 50,
    });
    stops.push(() => f.close());
    const seqs: number[] = [];
    const sub = f.events$.subscribe((ev) => seqs.push(ev.seq));
    stops.push(async () => sub.unsubscribe());
    await until('the gap seen', () => f.status().gap);
    expect(f.status().gap).toEqual({ after: 2, next: 4, held: 1 });
    expect(f.state.lastSeq).toBe(2);
    expect(f.state.accountValues.get('NetLiquidation|USD')?.value?.toString()).toBe('101');
    expect(
      followCells(f.status(), systemClock.now())
        .map((c) => c.text)
        .join(' '),
    ).toContain('GAP seq 3-3 missing');
    expect(f.status().host).toBe('hostA\\x1b[2J');
    expect(followCells(f.status(), systemClock.now()).some((c) => c.text.includes('\u001b'))).toBe(false);
    // While the gap lasts it is read again from the stream; the state never moves past it.
    await until('the gap read again twice', () => f.refetches >= 2);
    expect(f.state.lastSeq).toBe(2);

    // The missing event reaches the stream late (a resend after a lost acknowledgement): folded, then the held one.
    await send(evs[2]!);
    await until('the gap filled', () => f.state.lastSeq === 4);
    expect(f.status().gap).toBeUndefined();
    expect(seqs).toEqual([1, 2, 3, 4]);
    expect(f.state.accountValues.get('NetLiquidation|USD')?.value?.toString()).toBe('103');
  }, 60_000);
});
