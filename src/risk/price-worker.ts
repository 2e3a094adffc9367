// The pricing worker of a big rebuild: option ladders read from shared memory and priced, claimed in chunks with the main thread.
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { priceLadder, type LadderModel, type OptionLadder } from './pricing/batch.js';

/*
 * A record is one option's ladder as optionLadder (revalue.ts) filled it: a header, then the runs' T, r, b and vol
 * (maxRuns each), then the slots' S, SE and LN (maxSlots each). Both threads read records into an OptionLadder of
 * their own and call the same priceLadder, so a price is the same double whichever thread computed it.
 */
export const HEAD = 6; // model, isCall, K, runs, slots, plan
/** Options per claim: small enough that the last chunk of either thread is short, large enough that claims are rare. */
export const CHUNK = 16;
/** Control words: the next record to claim, the chunks the worker finished; then one status word per record (1: priced, 2: failed). */
export const NEXT = 0;
export const DONE = 1;
export const STATUS = 2;

export interface LadderPlanShape {
  readonly slot: Int32Array;
  readonly end: Int32Array;
  readonly elements: number;
}

/** One rebuild's work, as posted to the worker (the typed arrays over SharedArrayBuffers, the plans copied). */
export interface PricingJob {
  readonly records: Float64Array;
  readonly out: Float64Array;
  readonly ctl: Int32Array;
  readonly count: number;
  readonly recordStride: number;
  readonly outStride: number;
  readonly maxRuns: number;
  readonly maxSlots: number;
  readonly plans: readonly LadderPlanShape[];
}

/** An OptionLadder with room for the job's runs and slots, and a price buffer for its elements. */
export function ladderFor(job: PricingJob): { L: OptionLadder; prices: Float64Array } {
  const f = (n: number) => new Float64Array(n);
  const L: OptionLadder = {
    isCall: 0,
    K: NaN,
    S: f(job.maxSlots),
    SE: f(job.maxSlots),
    LN: f(job.maxSlots),
    slot: new Int32Array(0),
    T: f(job.maxRuns),
    r: f(job.maxRuns),
    b: f(job.maxRuns),
    vol: f(job.maxRuns),
    end: new Int32Array(0),
    runs: 0,
  };
  return { L, prices: f(job.outStride) };
}

/** Prices record `rec` into job.out and marks it priced. */
export function priceRecord(job: PricingJob, rec: number, L: OptionLadder, prices: Float64Array): void {
  const { records, maxRuns: R, maxSlots: U } = job;
  const at = rec * job.recordStride;
  const runs = records[at + 3]!,
    slots = records[at + 4]!;
  const plan = job.plans[records[at + 5]!]!;
  L.isCall = records[at + 1]!;
  L.K = records[at + 2]!;
  L.runs = runs;
  L.slot = plan.slot;
  L.end = plan.end;
  const t = at + HEAD;
  for (let k = 0; k < runs; k++) {
    L.T[k] = records[t + k]!;
    L.r[k] = records[t + R + k]!;
    L.b[k] = records[t + 2 * R + k]!;
    L.vol[k] = records[t + 3 * R + k]!;
  }
  const s = t + 4 * R;
  for (let u = 0; u < slots; u++) {
    L.S[u] = records[s + u]!;
    L.SE[u] = records[s + U + u]!;
    L.LN[u] = records[s + 2 * U + u]!;
  }
  priceLadder(prices, L, records[at]! as LadderModel, plan.elements);
  const o = rec * job.outStride;
  const out = job.out;
  for (let e = 0; e < plan.elements; e++) out[o + e] = prices[e]!;
  Atomics.store(job.ctl, STATUS + rec, 1);
}

/**
 * Claims chunks of records until none is left and prices them; returns the chunks this thread priced. `afterChunk`
 * runs after each (the worker counts it done and wakes the main thread there). A record that throws is marked 2 and
 * left to the main thread, which prices it the ordinary way (revalueOption), so no throw ends the loop.
 */
export function priceClaimed(job: PricingJob, afterChunk?: () => void): number {
  const { L, prices } = ladderFor(job);
  let chunks = 0;
  for (;;) {
    const from = Atomics.add(job.ctl, NEXT, CHUNK);
    if (from >= job.count) return chunks;
    const to = Math.min(job.count, from + CHUNK);
    for (let rec = from; rec < to; rec++) {
      try {
        priceRecord(job, rec, L, prices);
      } catch {
        Atomics.store(job.ctl, STATUS + rec, 2);
      }
    }
    chunks++;
    afterChunk?.();
  }
}

/** Marks the worker in workerData, so that importing this module elsewhere (the main thread's pool) starts nothing. */
export const WORKER_MARK = 'twsRiskPricingWorker';

/** Passes of warmUp: a few milliseconds of an idle core, enough for the kernels to be compiled before a real chunk. */
const WARM_UP_PASSES = 64;

/**
 * A job on made-up ladders of every model and right, priced over and over before the worker says it is ready: a
 * cold worker runs its first chunks in the interpreter, and on a loaded machine one took longer than the pool's
 * stall limit (price-pool.ts), so the worker was dropped and a new cold one started 10 s later, never used.
 */
function warmUp(passes: number): void {
  const runs = 8,
    slots = 22,
    elements = 176;
  const slot = new Int32Array(elements),
    end = new Int32Array(runs);
  for (let e = 0; e < elements; e++) slot[e] = e % slots;
  for (let k = 0; k < runs; k++) end[k] = ((k + 1) * elements) / runs;
  const count = 6;
  const recordStride = HEAD + 4 * runs + 3 * slots;
  const sab = (n: number) => new Float64Array(new SharedArrayBuffer(8 * n));
  const records = sab(count * recordStride);
  for (let rec = 0; rec < count; rec++) {
    const at = rec * recordStride;
    const model = rec >> 1;
    records.set([model, rec & 1, 100, runs, slots, 0], at);
    for (let k = 0; k < runs; k++) {
      records[at + HEAD + k] = 0.5 - k * 0.01;
      records[at + HEAD + runs + k] = 0.04;
      records[at + HEAD + 2 * runs + k] = model === 2 ? 0 : 0.04;
      records[at + HEAD + 3 * runs + k] = 0.3 * (1 + k * 0.05);
    }
    for (let u = 0; u < slots; u++) {
      const s = 100 * (0.8 + u * 0.02);
      records[at + HEAD + 4 * runs + u] = s;
      records[at + HEAD + 4 * runs + slots + u] = s;
      records[at + HEAD + 4 * runs + 2 * slots + u] = Math.log(s / 100);
    }
  }
  const plans = [{ slot, end, elements }];
  for (let pass = 0; pass < passes; pass++) {
    const ctl = new Int32Array(new SharedArrayBuffer(4 * (STATUS + count)));
    priceClaimed({ records, out: sab(count * elements), ctl, count, recordStride, outStride: elements, maxRuns: runs, maxSlots: slots, plans });
  }
}

if (!isMainThread && parentPort && (workerData as Record<string, unknown> | undefined)?.[WORKER_MARK] === true) {
  const port = parentPort;
  warmUp(WARM_UP_PASSES);
  Atomics.store((workerData as { ready: Int32Array }).ready, 0, 1);
  port.on('message', (job: PricingJob) => {
    priceClaimed(job, () => {
      Atomics.add(job.ctl, DONE, 1);
      Atomics.notify(job.ctl, DONE);
    });
  });
}
