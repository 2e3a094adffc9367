// Sample recordings made from the simulator's incident scenarios, through the real client, feed and recorder.
import { createHash } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { systemClock } from '../src/model/clock.js';
import { encodeState } from '../src/model/codec.js';
import type { PortfolioState } from '../src/model/state.js';
import { startSimulator, type Simulator } from '../src/sim/index.js';
import { Feed } from '../src/streams/feed.js';
import { RotatingRecorder } from '../src/streams/recorder.js';
import { indexPathOf } from '../src/streams/recording/format.js';
import { TwsSource } from '../src/streams/tws/source.js';
import { AuditLog } from '../src/trading/audit.js';
import { executeFlatten } from '../src/trading/execute.js';
import { isDenial, planFlatten } from '../src/trading/plan.js';
import { appVersion } from '../src/version.js';
import { createAlertRunner } from '../src/session/alert-runner.js';
import { createStressRunner } from '../src/session/stress-model.js';

/** What the manifest records per sample: the live run's final state, which a replay must reproduce exactly. */
export interface SampleEntry {
  readonly file: string;
  readonly scenario: string;
  readonly description: string;
  readonly events: number;
  readonly finalStateSha256: string;
}

/**
 * SHA-256 of the portfolio facts of a state: the keyframe encoding without the recorded alerts, which are judgments
 * checked on their own (test/recordings.test.ts), so that the samples' hashes stay those of the runs that wrote them.
 */
export function stateHash(s: PortfolioState): string {
  const { alerts: _alerts, ...facts } = encodeState(s) as Record<string, unknown>;
  return createHash('sha256').update(JSON.stringify(facts)).digest('hex');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(pred: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

interface Session {
  readonly sim: Simulator;
  readonly source: TwsSource;
  readonly feed: Feed;
  /** The console's alert evaluation, so the samples carry alertChanged events (replay markers) as a console's do. */
  readonly alerts: ReturnType<typeof setInterval>;
}

/** A simulator (scenario, fast clock), the live source on it, and a gzip flight recorder to `file`. */
async function open(dir: string, file: string, scenario: string | undefined, speed: number): Promise<Session> {
  const path = join(dir, file);
  for (const f of [path, indexPathOf(path)]) if (existsSync(f)) rmSync(f);
  // Ticks every 2 s and marks every 10 s (TWS: 250 ms and 3 s) keep the shipped files small; the incidents and
  // the account are the same.
  const sim = await startSimulator({
    port: 0,
    controlPort: null,
    speed,
    log: false,
    ...(scenario ? { scenario } : { seed: 11 }),
    startTime: '2026-11-23T14:30:00Z',
    market: { tickMs: 2_000 },
    cadence: { portfolioMs: 10_000, pnlMs: 5_000 },
  });
  const source = new TwsSource({
    host: '127.0.0.1',
    port: sim.port,
    clientId: 4217,
    heartbeatMs: 2_000,
    heartbeatTimeoutMs: 2_000,
    backoff: { initialMs: 200, maxMs: 1_000, jitter: 0.1 },
  });
  const recorder = new RotatingRecorder({
    dir,
    firstFile: path,
    source: 'sim',
    appVersion: appVersion(),
    gzip: true,
    rotateBytes: 512 * 1024 * 1024,
    policy: { everyEvents: 2_000, everyMs: 60_000 },
    meta: { scenario: scenario ?? 'flatten-disconnect' },
  });
  // Simulated time, so the recording reads as the simulated session.
  const feed = new Feed(source.events$, { sink: recorder, now: () => sim.now() });
  source.start();
  await until(() => feed.state.health === 'ready' && feed.state.complete.positions && feed.state.complete.accountDownload, 15_000, 'sync');
  // As the console does at its store's cadence: stress then the alert rules, transitions recorded in the session.
  const risk = createStressRunner();
  const runner = createAlertRunner(undefined, { ourClientId: 4217, publish: (b) => feed.publish(b) });
  const alerts = setInterval(() => {
    const r = risk(feed.state, sim.now());
    runner.evaluate(feed.state, r.ok ? r.report : undefined, sim.now());
  }, 250);
  return { sim, source, feed, alerts };
}

async function close(s: Session): Promise<PortfolioState> {
  clearInterval(s.alerts);
  s.source.stop();
  await s.feed.close('sample complete');
  await s.sim.close();
  return s.feed.state;
}

async function scenarioSample(dir: string, scenario: string, virtualMs: number, speed: number, description: string): Promise<SampleEntry> {
  const file = `${scenario}.jsonl.gz`;
  const s = await open(dir, file, scenario, speed);
  await sleep(virtualMs / speed);
  const state = await close(s);
  return { file, scenario, description, events: state.lastSeq, finalStateSha256: stateHash(state) };
}

/** A flatten of AAPL with its options, interrupted by a socket drop between the options and the stock. */
async function flattenDisconnectSample(dir: string): Promise<SampleEntry> {
  const file = 'flatten-disconnect.jsonl.gz';
  const s = await open(dir, file, undefined, 5);
  await sleep(1_000);
  const plan = planFlatten(s.feed.state, { kind: 'underlying', symbol: 'AAPL' }, { clientId: 4217, orderType: 'MKT', collar: 0.02, now: s.sim.now() });
  if (isDenial(plan)) throw new Error(`sample plan refused: ${plan.code}`);
  const audit = new AuditLog(join(dir, '.flatten-disconnect.audit.jsonl'), { appVersion: appVersion(), account: plan.account, mode: 'sample' });
  s.feed.publish({ type: 'operatorActed', action: 'armed', detail: { by: 'sample', account: plan.account } });
  const lines = plan.legs.map((l) => `${l.action} ${l.quantity.toString()} ${l.contract.symbol} ${l.contract.secType} ${l.orderType}`);
  s.feed.publish({
    type: 'operatorActed',
    action: 'dialogShown',
    detail: { planId: plan.id, legs: lines, shown: { title: 'FLATTEN underlying:AAPL?', lines } },
  });
  s.feed.publish({ type: 'operatorActed', action: 'decision', detail: { planId: plan.id, decision: 'confirm' } });
  let placed = 0;
  const result = await executeFlatten(
    {
      mode: 'trade',
      state: () => s.feed.state,
      sourceReady: () => s.source.ready,
      // The feed stamps simulated time, so the guard's freshness clock must be the simulator's too (polls stay real).
      arm: () => ({ armed: true, until: s.sim.now() + 60_000, by: 'palette' }),
      clock: { ...systemClock, now: () => s.sim.now() },
      placeOrder: (c, o) => {
        const r = s.source.placeOrder(c, o);
        if (++placed === 1) void s.sim.trigger({ incident: 'drop' });
        return r;
      },
      cancelOrder: (id) => s.source.cancelOrder(id),
      globalCancel: () => s.source.globalCancel(),
      publish: (b) => s.feed.publish(b),
      audit,
      clientId: 4217,
    },
    plan,
    2_000,
  );
  audit.close();
  rmSync(audit.file);
  s.feed.publish({
    type: 'operatorActed',
    action: 'note',
    detail: { text: `flatten ${result.complete ? 'complete' : 'incomplete'}: ${result.legs.map((l) => `${l.label} ${l.outcome}`).join('; ')}` },
  });
  await until(() => s.feed.state.health === 'ready', 15_000, 'reconnect');
  await sleep(1_500);
  const state = await close(s);
  return {
    file,
    scenario: 'flatten-disconnect',
    description:
      'An AAPL flatten (options first, then the stock) whose socket drops right after the first order: the stock is never sent, nothing is resent after the reconnect.',
    events: state.lastSeq,
    finalStateSha256: stateHash(state),
  };
}

/** Writes every simulator sample into `dir` and returns their manifest entries. */
export async function writeSimRecordings(dir: string): Promise<SampleEntry[]> {
  return [
    await scenarioSample(dir, 'quiet-day', 120_000, 60, 'Two minutes of an ordinary session: marks, greeks, farm messages, nothing breaks.'),
    await scenarioSample(dir, 'chf-gap', 150_000, 60, 'CHF +20% against USD at once, Nestle -8%, then a 1100/1102 connectivity blip.'),
    await scenarioSample(dir, 'margin-spike', 840_000, 240, 'Futures margins x2.5 with no position change at 2 min, then house margins +30% at 12 min.'),
    await flattenDisconnectSample(dir),
  ];
}
