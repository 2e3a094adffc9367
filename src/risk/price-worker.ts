// The pricing worker of a big rebuild: option ladders read from shared memory and priced, claimed in chunks with the main thread.
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { fillLadder, priceLadder, type LadderModel, type LadderRuns, type OptionLadder } from './pricing/batch.js';

/*
 * A record is one option's inputs: its model, right and strike, its time to expiry, rate, IV, spot and escrowed
 * dividend now, and its ladder plan (of the job's plans). The thread that claims a record fills the option's ladder
 * from it (fillLadder: the runs and the slots' spots and logarithms) and prices it, so the main thread only writes
 * these nine numbers per option before the worker can start; both threads call the same fillLadder and priceLadder,
 * so a price is the same double whichever thread computed it.
 */
export const RECORD = 9; // model, isCall, K, T0, r0, iv, spot, pvDividend, plan
/** Options per claim: small enough that the last chunk of either thread is short, large enough that claims are rare. */
export const CHUNK = 16;
/**
 * Control words: the next record to claim, the chunks the worker finished, the records posted so far (with CLOSED set
 * once that is the job's count), the times the worker waited for records to be posted; then one status word per
 * record (1: priced, 2: failed).
 */
export const NEXT = 0;
export const DONE = 1;
export const POSTED = 2;
export const WAITS = 3;
export const STATUS = 4;
/** Set in POSTED when no record will be posted any more: its count is the job's. */
export const CLOSED = 1 << 30;
/** What claim returns when no chunk is claimable yet (records are still being posted), and when the job is over. */
export const WAIT = -1;
export const OVER = -2;

/** The control words of a job that can take `capacity` records, none posted yet. */
export function jobControl(capacity: number): Int32Array {
  return new Int32Array(new SharedArrayBuffer(4 * (STATUS + capacity)));
}

/**
 * Claims the next chunk of posted records for this thread: its first record, WAIT, or OVER. While records are still
 * being posted (the main thread reads the book and posts each option as it reads it) only a whole chunk of posted
 * records is claimed, so a chunk never holds a record not written yet; once the count is closed the last one may be
 * shorter. The claim is a compare-and-swap, so two threads never take one chunk.
 */
export function claim(ctl: Int32Array): number {
  for (;;) {
    const posted = Atomics.load(ctl, POSTED);
    const next = Atomics.load(ctl, NEXT);
    const count = posted & (CLOSED - 1);
    if (next >= count) return posted >= CLOSED ? OVER : WAIT;
    if (posted < CLOSED && count - next < CHUNK) return WAIT;
    if (Atomics.compareExchange(ctl, NEXT, next, next + CHUNK) === next) return next;
  }
}

/** The end of the chunk claimed at `first` (posted covers it whole unless the count is closed). */
export function chunkEnd(ctl: Int32Array, first: number): number {
  return Math.min(first + CHUNK, Atomics.load(ctl, POSTED) & (CLOSED - 1));
}

/** A ladder plan as the job carries it (revalue.ts LadderPlan without its columns). */
export interface LadderPlanShape extends LadderRuns {
  readonly slot: Int32Array;
  readonly end: Int32Array;
  readonly elements: number;
}

/** One rebuild's work, as posted to the worker (the typed arrays over SharedArrayBuffers, the plans copied). */
export interface PricingJob {
  readonly records: Float64Array;
  readonly out: Float64Array;
  readonly ctl: Int32Array;
  /** Records the buffers and control words have room for; how many are posted is in ctl[POSTED]. */
  readonly capacity: number;
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

/**
 * Prices record `rec` into job.out and marks it priced; marks it 2 when its ladder cannot be filled (a scaled vol
 * move that underflows), for the main thread to price through the per-element batch.
 */
export function priceRecord(job: PricingJob, rec: number, L: OptionLadder, prices: Float64Array): void {
  const records = job.records;
  const at = rec * RECORD;
  const model = records[at]! as LadderModel;
  const plan = job.plans[records[at + 8]!]!;
  L.slot = plan.slot;
  L.end = plan.end;
  L.runs = plan.runs;
  const filled = fillLadder(
    L,
    plan,
    records[at + 3]!,
    records[at + 4]!,
    records[at + 5]!,
    model === 2,
    records[at + 1]!,
    records[at + 2]!,
    records[at + 6]!,
    records[at + 7]!,
  );
  if (!filled) {
    Atomics.store(job.ctl, STATUS + rec, 2);
    return;
  }
  priceLadder(prices, L, model, plan.elements);
  const o = rec * job.outStride;
  const out = job.out;
  for (let e = 0; e < plan.elements; e++) out[o + e] = prices[e]!;
  Atomics.store(job.ctl, STATUS + rec, 1);
}

/**
 * Claims chunks of records until the job is over and prices them; returns the chunks this thread priced. `afterChunk`
 * runs after each (the worker counts it done and wakes the main thread there). When it has caught up with the records
 * posted so far it sleeps until more are posted (the main thread wakes it). A record that throws is marked 2 and left
 * to the main thread, which prices it the ordinary way (revalueOption), so no throw ends the loop.
 */
export function priceClaimed(job: PricingJob, afterChunk?: () => void): number {
  const { L, prices } = ladderFor(job);
  const ctl = job.ctl;
  let chunks = 0;
  for (;;) {
    const seen = Atomics.load(ctl, POSTED);
    const from = claim(ctl);
    if (from === OVER) return chunks;
    if (from === WAIT) {
      Atomics.add(ctl, WAITS, 1);
      // Woken by the next post; the timeout only bounds a wake-up lost to nothing known.
      Atomics.wait(ctl, POSTED, seen, 100);
      continue;
    }
    const to = chunkEnd(ctl, from);
    for (let rec = from; rec < to; rec++) {
      try {
        priceRecord(job, rec, L, prices);
      } catch {
        Atomics.store(ctl, STATUS + rec, 2);
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
  const f = (n: number, x: (i: number) => number) => Float64Array.from({ length: n }, (_, i) => x(i));
  const plan = {
    slot,
    end,
    elements,
    runs,
    slots,
    vol: f(runs, (k) => k * 0.05),
    volTerm: f(runs, (k) => (k % 2) * 30),
    days: f(runs, (k) => k % 3),
    rates: f(runs, (k) => (k % 2) * 0.001),
    moves: f(slots, (u) => (u - slots / 2) * 0.02),
  };
  const count = 6;
  const sab = (n: number) => new Float64Array(new SharedArrayBuffer(8 * n));
  const records = sab(count * RECORD);
  // Every model and right: 0 European, 1 American stock option, 2 American futures option; calls and puts.
  for (let rec = 0; rec < count; rec++) records.set([rec >> 1, rec & 1, 100, 0.5, 0.04, 0.3, 100, rec >> 1 === 2 ? 0 : 1, 0], rec * RECORD);
  for (let pass = 0; pass < passes; pass++) {
    const ctl = jobControl(count);
    Atomics.store(ctl, POSTED, count | CLOSED);
    priceClaimed({ records, out: sab(count * elements), ctl, capacity: count, outStride: elements, maxRuns: runs, maxSlots: slots, plans: [plan] });
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
