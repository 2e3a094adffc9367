// Two simulated accounts published by two guards into a real nats-server; the fleet table, staleness and gap refill.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { FleetRow } from '../../src/commands/fleet.js';
import { fleetCommand } from '../../src/commands/fleet.js';
import { startGuard } from '../../src/commands/guard.js';
import { Decimal } from '../../src/model/money.js';
import type { Simulator } from '../../src/sim/index.js';
import { readEvents } from '../../src/streams/nats/fleet.js';
import { DEFAULT_STREAM } from '../../src/streams/nats/subjects.js';
import { waitFor } from '../sim/helpers.js';
import { deadPort, simulatorsPerTest } from '../support/sim-rig.js';
import { startNatsServer, startRelay, type NatsServer } from '../support/nats-server.js';
import { startPublishingGuard, type PublishingGuard } from '../support/publishing-guard.js';
import { QUICK_SOURCE } from '../support/sim-feed.js';

const root = mkdtempSync(join(tmpdir(), 'tws-risk-fleet-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const sims = simulatorsPerTest();
const stops: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (stops.length) await stops.pop()!();
});

const POLICY = {
  rules: [{ when: { alert: 'excess.negative', severity: 'critical' }, do: 'globalCancel' }],
  limits: { maxActionsPerHour: 3, coolDownMs: 600_000, window: 'always' },
};
let n = 0;

async function publishingGuard(sim: Simulator, url: string, clientId: number): Promise<PublishingGuard> {
  const g = await startPublishingGuard({
    dir: join(root, `guard-${++n}`),
    port: sim.port,
    clientId,
    publish: url,
    policy: POLICY,
    runtime: { source: QUICK_SOURCE },
  });
  stops.push(() => g.h.stop('test over'));
  return g;
}

async function fleet(url: string, extra: Record<string, string> = {}): Promise<{ code: number; rows: FleetRow[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await fleetCommand({ nats: url, json: true, ...extra }, { out: (l) => out.push(l), err: (l) => err.push(l) });
  const rows = out.length ? (JSON.parse(out.join('\n')) as { rows: FleetRow[] }).rows : [];
  return { code, rows, err };
}

/** The simulator's own account value in its base currency, as it serves it. */
function simValue(sim: Simulator, key: string): Decimal {
  const snap = sim.snapshot();
  const row = snap.accountValues.find((r) => r.key === key && r.currency === snap.baseCurrency);
  if (!row) throw new Error(`the simulator serves no ${key}`);
  return new Decimal(row.value);
}

describe('fleet over NATS JetStream', () => {
  it('shows each account with its own values, marks a silent publisher stale, the stream refills its gap, and a killed publisher comes back as a new session', async () => {
    const nats: NatsServer = await startNatsServer();
    stops.push(() => nats.stop());
    const relay = await startRelay(nats.port);
    stops.push(() => relay.cut());
    const simA = await sims({ account: 'DU1111111', seed: 9 });
    const simB = await sims({ account: 'DU2222222', seed: 10 });
    const a = await publishingGuard(simA, `nats://127.0.0.1:${relay.port}`, 61);
    const b = await publishingGuard(simB, nats.url, 62);

    const row = (rows: FleetRow[], account: string) => rows.find((r) => r.account === account);
    const matches = (rows: FleetRow[], sim: Simulator, account: string) => {
      const r = row(rows, account);
      return (
        r &&
        r.netLiquidation !== null &&
        r.excessLiquidity !== null &&
        new Decimal(r.netLiquidation).eq(simValue(sim, 'NetLiquidation')) &&
        new Decimal(r.excessLiquidity).eq(simValue(sim, 'ExcessLiquidity'))
      );
    };
    let last = { code: -1, rows: [] as FleetRow[], err: [] as string[] };
    // waitFor polls synchronously, so the fleet is read in a loop of our own with a generous deadline.
    const until = async (what: string, ok: (f: typeof last) => boolean) => {
      const deadline = Date.now() + 60_000;
      for (;;) {
        last = await fleet(nats.url);
        if (ok(last)) return last;
        if (Date.now() > deadline)
          throw new Error(`timed out waiting for ${what}; last fleet: ${JSON.stringify(last, null, 1)}\nguard A:\n${a.lines.join('\n')}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    };

    const first = await until("both accounts with the simulators' values", (f) => !!matches(f.rows, simA, 'DU1111111') && !!matches(f.rows, simB, 'DU2222222'));
    expect(first.rows.map((r) => r.host)).toEqual([first.rows[0]!.host, first.rows[0]!.host]);
    expect(first.rows.every((r) => !r.stale && r.role === 'guard' && r.mode === 'readOnly' && !r.armed)).toBe(true);
    expect(first.code).toBe(first.rows.some((r) => r.alerts.critical > 0) ? 5 : 0);
    const before = row(first.rows, 'DU1111111')!;

    // A's network to NATS goes: its row ages and turns stale; B's stays fresh.
    await relay.cut();
    const staleRead = await until('A stale', (f) => {
      const r = row(f.rows, 'DU1111111');
      return !!r && r.stale && r.ageMs > before.ageMs && !row(f.rows, 'DU2222222')!.stale;
    });
    const ageAtStale = row(staleRead.rows, 'DU1111111')!.ageMs;
    await until('A older still', (f) => row(f.rows, 'DU1111111')!.ageMs > ageAtStale);
    // The guard keeps working meanwhile; what it publishes waits in its buffer.
    const behind = await waitFor(() => a.lines.find((l) => l.includes('event=publish.behind')), 30_000, 'the guard saying it is behind');
    expect(behind).toMatch(/publishing behind by \d+/);

    // The network comes back: A is fresh again, same session, and its events in the stream have no gap.
    await relay.mend();
    const back = await until('A fresh again', (f) => {
      const r = row(f.rows, 'DU1111111');
      return !!r && !r.stale && r.session === before.session && r.lastSeq > before.lastSeq;
    });
    const lastSeq = row(back.rows, 'DU1111111')!.lastSeq;
    const nc = await connect({ servers: nats.url });
    try {
      // The summary says where the feed is; the buffered events reach the stream right behind it.
      let seqs: number[] = [];
      const deadline = Date.now() + 60_000;
      while (seqs.length < lastSeq && Date.now() < deadline) {
        seqs = (await readEvents(nc, DEFAULT_STREAM, 'DU1111111', before.session)).map((e) => e.seq);
        if (seqs.length < lastSeq) await new Promise((r) => setTimeout(r, 200));
      }
      expect(seqs.length).toBeGreaterThanOrEqual(lastSeq);
      expect(seqs.slice(0, lastSeq)).toEqual(Array.from({ length: lastSeq }, (_, i) => i + 1));
      // A subscriber that saw up to `before.lastSeq` asks for the rest and gets it, decoded by the recording's codec.
      const rest = await readEvents(nc, DEFAULT_STREAM, 'DU1111111', before.session, before.lastSeq + 1);
      expect(rest[0]!.seq).toBe(before.lastSeq + 1);
      expect(typeof rest[0]!.receivedAt).toBe('number');

      // B's publisher is killed outright: its row goes stale and ages; restarted, it is a new session (seq from 1),
      // fresh again with the simulator's values, and the stream holds the new session whole.
      const bBefore = row(back.rows, 'DU2222222')!;
      await b.h.stop('killed by the test');
      const bStale = await until('B stale', (f) => {
        const r = row(f.rows, 'DU2222222');
        return !!r && r.stale && r.ageMs > bBefore.ageMs && r.session === bBefore.session;
      });
      await until('B older still', (f) => row(f.rows, 'DU2222222')!.ageMs > row(bStale.rows, 'DU2222222')!.ageMs);
      // The same client id: a restart, whose summaries replace its own row (a guard of another client id is another row).
      await publishingGuard(simB, nats.url, 62);
      const bBack = await until(
        'B fresh in a new session',
        (f) => !!matches(f.rows, simB, 'DU2222222') && !row(f.rows, 'DU2222222')!.stale && row(f.rows, 'DU2222222')!.session !== bBefore.session,
      );
      const restarted = row(bBack.rows, 'DU2222222')!;
      let bSeqs: number[] = [];
      for (const deadline = Date.now() + 60_000; bSeqs.length < restarted.lastSeq && Date.now() < deadline;) {
        bSeqs = (await readEvents(nc, DEFAULT_STREAM, 'DU2222222', restarted.session)).map((e) => e.seq);
        if (bSeqs.length < restarted.lastSeq) await new Promise((r) => setTimeout(r, 200));
      }
      expect(bSeqs.slice(0, restarted.lastSeq)).toEqual(Array.from({ length: restarted.lastSeq }, (_, i) => i + 1));
    } finally {
      await nc.close();
    }
  }, 240_000);

  it('fleet --json exits 3 when NATS cannot be reached, 2 on a bad URL; guard --publish refuses a bad URL', async () => {
    const dead = await deadPort();
    const r = await fleet(`nats://127.0.0.1:${dead}`);
    expect(r.code).toBe(3);
    expect(r.err.join('\n')).toMatch(/cannot connect to NATS at nats:\/\/127\.0\.0\.1:\d+/);
    expect((await fleet('http://example')).code).toBe(2);
    const lines: string[] = [];
    const code = await startGuard({ policy: join(root, 'none.json'), publish: 'localhost:4222' }, { out: (l) => lines.push(l), err: (l) => lines.push(l) });
    expect(code).toBe(2);
    expect(lines.join('\n')).toMatch(/--publish expected nats:\/\/HOST:PORT/);
  }, 60_000);
});
