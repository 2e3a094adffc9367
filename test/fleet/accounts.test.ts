// Several accounts of one advisor login published from one process (a report, a console): each under its own subjects
// and session, whole.
import { connect } from '@nats-io/transport-node';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli.js';
import { runConsole } from '../../src/commands/console.js';
import { openLiveMulti } from '../../src/commands/live.js';
import { holdAccountFeeds } from '../../src/commands/publish.js';
import { DEFAULT_SETTINGS } from '../../src/config/settings.js';
import type { FleetRow } from '../../src/commands/fleet.js';
import { fleetCommand } from '../../src/commands/fleet.js';
import type { FeedEvent } from '../../src/model/events.js';
import { Decimal } from '../../src/model/money.js';
import { snapshotValue, type Simulator } from '../../src/sim/index.js';
import { readEvents, readSummaries } from '../../src/streams/nats/fleet.js';
import { DEFAULT_STREAM } from '../../src/streams/nats/subjects.js';
import { FA_BOOKS, startAdvisorSim, T0 } from '../sim/helpers.js';
import { Tty, TtyIn, ttyStreams } from '../support/fake-tty.js';
import { startNatsServer, startRelay } from '../support/nats-server.js';

const open: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (open.length) await open.pop()!();
});

async function faSim(): Promise<Simulator> {
  // Frozen prices: the figures compared do not move between the report and the snapshot.
  const s = await startAdvisorSim();
  open.push(() => s.close());
  return s;
}

describe('report --account all --publish', () => {
  it("publishes every account of the login under its own subjects, each session whole from seq 1, and the fleet shows each account's values", async () => {
    const nats = await startNatsServer();
    open.push(() => nats.stop());
    const sim = await faSim();
    const all = [sim.account, ...Object.keys(FA_BOOKS)];
    const out: string[] = [];
    const code = await main(
      ['report', '--timeout', '30', '--port', String(sim.port), '--client-id', '71', '--account', 'all', '--json', '--publish', nats.url],
      {
        out: (x) => out.push(x),
        err: (x) => out.push(x),
      },
    );
    expect([0, 5], out.join('\n')).toContain(code);

    const fo: string[] = [];
    expect(await fleetCommand({ nats: nats.url, json: true }, { out: (l) => fo.push(l), err: (l) => fo.push(l) })).toBe(code);
    const rows = (JSON.parse(fo.join('\n')) as { rows: FleetRow[] }).rows;
    expect(rows.map((r) => r.account).sort()).toEqual([...all].sort());
    for (const a of all) {
      const r = rows.find((x) => x.account === a)!;
      const snap = sim.snapshot(a);
      expect(r.role).toBe('report');
      expect(r.baseCurrency).toBe(snap.baseCurrency);
      expect(new Decimal(r.netLiquidation!).eq(snapshotValue(snap, 'NetLiquidation')!), a).toBe(true);
      expect(new Decimal(r.excessLiquidity!).eq(snapshotValue(snap, 'ExcessLiquidity')!), a).toBe(true);
      // Its own stress, computed on its own book.
      expect(r.worstStress).not.toBeNull();
    }
    // One session per account: each feed counts its own seq, and none is dropped as another's duplicate.
    expect(new Set(rows.map((r) => r.session)).size).toBe(all.length);

    const nc = await connect({ servers: nats.url });
    open.push(() => nc.close());
    const { summaries } = await readSummaries(nc, DEFAULT_STREAM);
    for (const a of all) {
      const s = summaries.find((x) => x.account === a)!;
      const events = await readEvents(nc, DEFAULT_STREAM, a, s.session);
      expect(events.map((e) => e.seq)).toEqual(Array.from({ length: events.length }, (_, i) => i + 1));
      expect(events.length).toBeGreaterThanOrEqual(s.lastSeq);
      // What went to an account's subject is that account's: no other account's values in it.
      const named = new Set(events.flatMap((e) => (e.type === 'accountValueUpdated' ? [e.account] : [])));
      expect([...named]).toEqual([a]);
    }
  }, 120_000);

  it('refuses --publish with one account, and a bad URL, before connecting', async () => {
    const out: string[] = [];
    const io = { out: (x: string) => out.push(x), err: (x: string) => out.push(x) };
    expect(await main(['report', '--port', '1', '--publish', 'nats://127.0.0.1:1'], io)).toBe(2);
    expect(out.join('\n')).toMatch(/--publish is for several accounts/);
    expect(await main(['report', '--port', '1', '--account', 'all', '--publish', 'localhost:4222'], io)).toBe(2);
    expect(out.join('\n')).toMatch(/--publish expected nats:\/\/HOST:PORT/);
  }, 30_000);
});

describe('live/demo --account all --publish (the console on several accounts)', () => {
  it("publishes every account the console follows, each its own session from seq 1, and the fleet shows each with the simulator's NLV", async () => {
    const nats = await startNatsServer();
    open.push(() => nats.stop());
    const sim = await faSim();
    const all = [sim.account, ...Object.keys(FA_BOOKS)];
    // As live-console.ts and demo.ts wire it: the hold is openLiveMulti's onAccountFeed, the console attaches it.
    const hold = holdAccountFeeds();
    const m = openLiveMulti({
      host: '127.0.0.1',
      port: sim.port,
      clientId: 72,
      accounts: 'all',
      settings: DEFAULT_SETTINGS,
      onAccountFeed: hold.onAccountFeed,
    });
    const stdout = new Tty(160, 40);
    const stdin = new TtyIn();
    const out: string[] = [];
    const done = runConsole({
      feed: m.connection.feed,
      source: m.source,
      multi: m,
      mode: 'demo',
      endpoint: { host: '127.0.0.1', port: sim.port },
      settings: { ...DEFAULT_SETTINGS, keymap: [{ key: 'Q', command: 'app.quit' }] },
      io: { out: (x) => out.push(x), err: (x) => out.push(x) },
      publish: { publish: nats.url },
      publishHold: hold,
      clientId: 72,
      clock: m.clock,
      close: (reason) => m.close(reason),
      streams: ttyStreams(stdout, stdin),
    });
    let quit = false;
    open.push(async () => {
      if (!quit) stdin.type('Q');
      await done;
    });

    // The fleet lists each account the console follows, its figures the simulator's (read while the console runs).
    const fleetRows = async () => {
      const fo: string[] = [];
      await fleetCommand({ nats: nats.url, json: true }, { out: (l) => fo.push(l), err: () => {} });
      try {
        return (JSON.parse(fo.join('\n')) as { rows: FleetRow[] }).rows;
      } catch {
        return [];
      }
    };
    const nlvOf = (a: string) => new Decimal(snapshotValue(sim.snapshot(a), 'NetLiquidation')!);
    let rows: FleetRow[] = [];
    const deadline = Date.now() + 60_000;
    while (!all.every((a) => rows.some((r) => r.account === a && r.netLiquidation !== null && new Decimal(r.netLiquidation!).eq(nlvOf(a))))) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for the fleet to list ${all.join(', ')} at their NLV; it has ${JSON.stringify(rows)}`);
      await new Promise((r) => setTimeout(r, 250));
      rows = await fleetRows();
    }
    expect(rows.map((r) => r.account).sort()).toEqual([...all].sort());
    for (const a of all) {
      const r = rows.find((x) => x.account === a)!;
      expect(r.role).toBe('console');
      // Each account's row names the console's client id, as a one-account console's does.
      expect(r.instance).toBe('c72');
      expect(r.baseCurrency).toBe(sim.snapshot(a).baseCurrency);
    }
    expect(new Set(rows.map((r) => r.session)).size).toBe(all.length);

    stdin.type('Q');
    quit = true;
    expect(await done).toBe(0);
    expect(out.join('\n')).not.toMatch(/Publishing: /);

    // Each account's stream is whole from seq 1 (the events held while NATS answered came first) and its own.
    const nc = await connect({ servers: nats.url });
    open.push(() => nc.close());
    const { summaries } = await readSummaries(nc, DEFAULT_STREAM);
    for (const a of all) {
      const s = summaries.find((x) => x.account === a && x.role === 'console')!;
      const events = await readEvents(nc, DEFAULT_STREAM, a, s.session);
      expect(events[0]?.seq, a).toBe(1);
      expect(events.map((e) => e.seq)).toEqual(Array.from({ length: events.length }, (_, i) => i + 1));
      const named = new Set(events.flatMap((e) => (e.type === 'accountValueUpdated' ? [e.account] : [])));
      expect([...named]).toEqual([a]);
    }
  }, 120_000);

  it('started while NATS is down, keeps trying and publishes every account from seq 1 once NATS answers', async () => {
    const nats = await startNatsServer();
    open.push(() => nats.stop());
    const relay = await startRelay(nats.port);
    open.push(() => relay.cut());
    await relay.cut();
    const sim = await faSim();
    const all = [sim.account, ...Object.keys(FA_BOOKS)];
    const hold = holdAccountFeeds();
    // What the console says of publishing goes to each account's log (the connection's before any is known).
    const notes: string[] = [];
    const noted = (f: { events$: { subscribe(o: { next: (ev: FeedEvent) => void }): unknown } }) =>
      f.events$.subscribe({ next: (ev) => void (ev.type === 'operatorActed' && ev.action === 'note' && notes.push(ev.detail.text)) });
    const m = openLiveMulti({
      host: '127.0.0.1',
      port: sim.port,
      clientId: 73,
      accounts: 'all',
      settings: DEFAULT_SETTINGS,
      onAccountFeed: (a, f) => {
        noted(f);
        hold.onAccountFeed(a, f);
      },
    });
    noted(m.connection.feed);
    const stdin = new TtyIn();
    const done = runConsole({
      feed: m.connection.feed,
      source: m.source,
      multi: m,
      mode: 'demo',
      endpoint: { host: '127.0.0.1', port: sim.port },
      settings: { ...DEFAULT_SETTINGS, keymap: [{ key: 'Q', command: 'app.quit' }] },
      io: { out: () => {}, err: () => {} },
      publish: { publish: `nats://127.0.0.1:${relay.port}` },
      publishHold: hold,
      clientId: 73,
      clock: m.clock,
      close: (reason) => m.close(reason),
      streams: ttyStreams(new Tty(160, 40), stdin),
    });
    let quit = false;
    open.push(async () => {
      if (!quit) stdin.type('Q');
      await done;
    });
    await vi.waitFor(
      () => {
        if (!notes.some((t) => t.includes('the console runs without publishing for now and tries again in 1 s'))) throw new Error('no word of NATS yet');
      },
      { timeout: 30_000, interval: 100 },
    );
    await relay.mend();
    const nc = await connect({ servers: nats.url });
    open.push(() => nc.close());
    const summaries = await vi.waitFor(
      async () => {
        const got = (await readSummaries(nc, DEFAULT_STREAM)).summaries.filter((s) => s.role === 'console' && s.instance === 'c73');
        if (!all.every((a) => got.some((s) => s.account === a))) throw new Error(`summaries of ${got.map((s) => s.account).join(', ')} only`);
        return got;
      },
      { timeout: 60_000, interval: 200 },
    );
    for (const a of all) {
      const s = summaries.find((x) => x.account === a)!;
      const seqs = await vi.waitFor(
        async () => {
          const got = (await readEvents(nc, DEFAULT_STREAM, a, s.session)).map((e) => e.seq);
          if (got[0] !== 1) throw new Error(`${a}: the stream starts at seq ${got[0]}`);
          return got;
        },
        { timeout: 30_000, interval: 200 },
      );
      expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
    }
    expect(notes.some((t) => /^Publishing: connected to NATS after \d+ failed attempt\(s\)$/.test(t))).toBe(true);
    stdin.type('Q');
    quit = true;
    expect(await done).toBe(0);
  }, 120_000);
});
