// A big rebuild's option ladders priced by the main thread and one worker thread together, over shared memory.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Book, BookReading } from './boundary.js';
import {
  CHUNK,
  CLOSED,
  DONE,
  NEXT,
  POSTED,
  RECORD,
  STATUS,
  WAITS,
  WORKER_MARK,
  chunkEnd,
  claim,
  jobControl,
  ladderFor,
  priceRecord,
  type LadderPlanShape,
  type PricingJob,
} from './price-worker.js';
import type { StressParams } from './params.js';
import { ladderModel, optionRate, optionT0, pointsPerRate, takesLattice, type BookGroup, type ScenarioColumns, type Scratch } from './revalue.js';

/*
 * Why a worker: a rebuild of a big book (a position opened or closed) prices every option in every column, and on
 * the 5,000-position benchmark book that is two thirds of the rebuild, on one core while the machine has more. The
 * main thread posts the job as soon as the book's classes and currencies are known, before reading its positions, then
 * writes each option's inputs to a record as it reads the option (nine numbers; the ladder is filled by whichever
 * thread prices it) and publishes the count chunk by chunk: the worker prices behind that count while the rest of the
 * book is read. Then both threads claim chunks of records from a shared counter until none is left, so a worker that
 * is slow to start or gets no core only leaves more for the main thread; the main thread then waits for the worker's
 * last chunk alone. Both fill and price a record with the same
 * functions (priceRecord), so the grid is the same double for double as
 * with the worker off (test/risk/price-pool.test.ts). Small books never start the worker (params.pricingWorkerMinOptions):
 * a thread costs memory the console's demo book does not need.
 */

/**
 * How long the main thread waits for a chunk the worker claimed before it prices the rest itself and drops the
 * worker. A chunk is a millisecond or two of work: a worker silent this long has no core (a loaded machine), and the
 * main thread (the console's input, TWS's socket) must not wait on it. After a stall no worker is started again for
 * STALL_BACKOFF_MS: on a machine that busy, one thread is the better bet.
 */
const STALL_MS = 250;
const STALL_BACKOFF_MS = 10_000;
let stalledUntil = 0;

interface Pool {
  readonly worker: Worker;
  /** Set to 1 by the worker once it has warmed up (price-worker.ts warmUp); until then rebuilds price alone. */
  readonly ready: Int32Array;
  /** Grow-only shared buffers; replaced, never reused, after a stall (the old worker may still write to them). */
  records: Float64Array;
  out: Float64Array;
}

let pool: Pool | undefined;
/** Set when the worker could not start or failed: the process prices on the main thread from then on. */
let broken = false;

/** The worker's script: the compiled module next to this one, the bundle's entry, or (tests, on sources) the .ts. */
function workerScript(): { url: URL; source: boolean } | undefined {
  for (const [rel, source] of [
    ['./price-worker.js', false],
    ['../price-worker.js', false],
    ['./price-worker.ts', true],
  ] as const) {
    const url = new URL(rel, import.meta.url);
    if (existsSync(fileURLToPath(url))) return { url, source };
  }
  return undefined;
}

/*
 * On the TypeScript sources (vitest) Node strips the types itself, but the imports name .js files: the worker
 * resolves a relative .js that does not exist to its .ts.
 */
const SOURCE_BOOT = `
const { registerHooks } = require('node:module');
registerHooks({
  resolve(specifier, context, next) {
    try {
      return next(specifier, context);
    } catch (e) {
      if (/^\\.\\.?\\//.test(specifier) && specifier.endsWith('.js')) return next(specifier.slice(0, -3) + '.ts', context);
      throw e;
    }
  },
});
import(require('node:worker_threads').workerData.url);
`;

function poolOf(): Pool | undefined {
  if (pool || broken || performance.now() < stalledUntil) return pool;
  const script = workerScript();
  if (!script) {
    broken = true;
    return undefined;
  }
  try {
    const ready = new Int32Array(new SharedArrayBuffer(4));
    const workerData = { [WORKER_MARK]: true, url: script.url.href, ready };
    const worker = script.source ? new Worker(SOURCE_BOOT, { eval: true, workerData }) : new Worker(script.url, { workerData });
    // The worker never keeps the process alive; an error ends its use for good.
    worker.unref();
    // A worker dropped or stopped on purpose is no longer the pool's by then, and its exit breaks nothing.
    worker.on('error', () => pool?.worker === worker && drop(true));
    worker.on('exit', () => pool?.worker === worker && drop(true));
    pool = { worker, ready, records: new Float64Array(0), out: new Float64Array(0) };
  } catch {
    broken = true;
  }
  return pool;
}

function drop(failed: boolean): void {
  const p = pool;
  pool = undefined;
  if (failed) broken = true;
  if (p) void p.worker.terminate().catch(() => undefined);
}

const shared = (n: number) => new Float64Array(new SharedArrayBuffer(Math.max(8, n * 8 + (n >> 4) * 8)));

/** The rebuild a pricing job serves: the book being read and the layout its classes and currencies gave. */
export interface PrepriceRebuild {
  readonly reading: BookReading;
  readonly groups: readonly BookGroup[];
  /** Each row's shock vector (rowShocks). */
  readonly shocks: readonly Float64Array[];
  readonly cols: ScenarioColumns;
  readonly params: StressParams;
  readonly scratch: Scratch;
}

/** The rebuild's own steps, in the order prepriceOptions runs them. */
export interface PrepriceSteps {
  /** Gets the book once every position is read. */
  readonly read: (book: Book) => void;
  /** Main-thread work while the worker prices (the groups without options). */
  readonly meanwhile: () => void;
  /** Revalues group `g` once its options are priced. */
  readonly optionGroup: (g: number) => void;
}

/**
 * When the book has at least params.pricingWorkerMinOptions options (0: never), prices the ladders of its options in
 * the grid's columns with the worker and leaves them in scratch.prepriced, where revalueOption takes them; the
 * options that take the per-element batch (the cash-dividend lattice) are left to revalueOption. The book is read
 * here (`reading`, whose classes and currencies gave the groups, shocks and columns): the job is posted first and
 * each option's record as its position is read, group by group, so the worker prices while the rest of the book is
 * read; `read` then gets the book. `meanwhile` runs on the main thread next (the rebuild revalues the groups without
 * options there); then `optionGroup` runs for each group with options, in order, as soon as its records are priced:
 * the main thread revalues a group while the worker prices the next ones, and prices the next unclaimed chunk itself
 * whenever it would otherwise wait. Returns false, having run nothing, when the worker is not used (or not started
 * yet, or still warming up, see price-worker.ts warmUp: the rebuild is then priced on the main thread); before
 * starting the worker it reads the book's options to count those that can be priced (the reading keeps them). The caller clears
 * scratch.prepriced when its revaluation is done.
 */
export function prepriceOptions(rebuild: PrepriceRebuild, steps: PrepriceSteps): boolean {
  const { reading, groups, shocks, cols, params, scratch } = rebuild;
  const min = params.pricingWorkerMinOptions;
  if (!(min > 0) || broken) return false;
  // Before the positions are read their classes say which are options (some may turn out unpriced: no record).
  const classes = reading.classes;
  let capacity = 0;
  for (let i = 0; i < classes.length; i++) if (classes[i]!.kind === 'option') capacity++;
  if (capacity < min) return false;
  if (pool === undefined) {
    /*
     * No worker yet: this rebuild prices alone while one starts and warms up, so it can afford to read its options
     * first and start one only if at least `min` of them can be priced. Option contracts with no vol, no underlying
     * price or no expiry are held at their marks: counted as contracts, a book of them started a thread for nothing.
     * The reading keeps what it read, so the caller's finish() reads none of them again.
     */
    if (performance.now() < stalledUntil) return false;
    let priceable = 0;
    for (let i = 0; i < classes.length && priceable < min; i++) if (classes[i]!.kind === 'option' && reading.read(i).unpriced === undefined) priceable++;
    if (priceable >= min) poolOf();
    return false;
  }
  const pl = pool;
  if (Atomics.load(pl.ready, 0) !== 1) return false;
  // The plans come from the shock vectors, known before any position is read: the job carries them all.
  const planIndex = new Map<Float64Array, number>();
  const plans: LadderPlanShape[] = [];
  let maxRuns = 1,
    maxSlots = 1,
    outStride = 1;
  for (const group of groups) {
    if (!group.hasOptions) continue;
    for (const i of group.members) {
      const shock = shocks[i]!;
      if (classes[i]!.kind !== 'option' || planIndex.has(shock)) continue;
      const plan = scratch.ladderPlan(cols, shock);
      planIndex.set(shock, plans.length);
      const { slot, end, elements, runs, slots, vol, volTerm, days, rates, moves } = plan;
      plans.push({ slot, end, elements, runs, slots, vol, volTerm, days, rates, moves });
      maxRuns = Math.max(maxRuns, runs);
      maxSlots = Math.max(maxSlots, slots);
      outStride = Math.max(outStride, elements);
    }
  }
  if (pl.records.length < capacity * RECORD) pl.records = shared(capacity * RECORD);
  if (pl.out.length < capacity * outStride) pl.out = shared(capacity * outStride);
  const { records, out } = pl;
  /*
   * The control words are new for every job: after its last chunk the worker makes one more claim, which fails, and
   * it may make it after the main thread has gone on to the next rebuild. On the old words that claim fails; on
   * words reset for the next job it would take that job's first chunk with the last job's plans.
   */
  const ctl = jobControl(capacity);
  const job: PricingJob = { records, out, ctl, capacity, outStride, maxRuns, maxSlots, plans };
  pl.worker.postMessage(job);
  current = ctl;
  const postedAt = performance.now();
  const recordOf = new Int32Array(classes.length).fill(-1);
  // Records in group order, so that a group's are priced together; recordsEnd[g]: the end of group g's records.
  const recordsEnd = new Int32Array(groups.length);
  let count = 0;
  // Until every record is priced the worker may still read these records and write this `out`: should the rebuild
  // throw before then (reading the book, meanwhile, a group's revaluation), the next job must not be laid out in them.
  let settled = false;
  try {
    let lastShock: Float64Array | undefined,
      k = 0;
    for (let g = 0; g < groups.length; g++) {
      recordsEnd[g] = count;
      if (!groups[g]!.hasOptions) continue;
      for (const i of groups[g]!.members) {
        if (classes[i]!.kind !== 'option') continue;
        const p = reading.read(i);
        // An option on a future quoted in rate points moves by points of its own price (revalue.ts pointShocks), not by `shock`.
        if (p.unpriced !== undefined || takesLattice(reading, p, params) || pointsPerRate(p, cols) !== 0) continue;
        const shock = shocks[i]!;
        if (shock !== lastShock) k = planIndex.get((lastShock = shock))!;
        const model = ladderModel(p);
        const at = count * RECORD;
        records[at] = model;
        records[at + 1] = p.isCall;
        records[at + 2] = p.strike;
        records[at + 3] = optionT0(reading, p);
        records[at + 4] = optionRate(reading, p, params);
        records[at + 5] = p.iv;
        records[at + 6] = p.underlying;
        records[at + 7] = model === 2 ? 0 : p.pvDividend;
        records[at + 8] = k;
        recordOf[i] = count++;
        // A whole chunk posted: the worker, if it caught up, is waiting for it.
        if (count % CHUNK === 0) {
          Atomics.store(ctl, POSTED, count);
          Atomics.notify(ctl, POSTED);
        }
      }
      recordsEnd[g] = count;
    }
    close(ctl, count);
    const book = reading.finish();
    steps.read(book);
    scratch.prepriced = { book, cols, recordOf, priced: ctl.subarray(STATUS), out, stride: outStride };
    pricePosted(job, count, postedAt, groups, recordsEnd, steps);
    settled = true;
  } finally {
    if (!settled) {
      // The worker claims no more of this job, and the chunk it may be pricing writes to buffers no later job uses
      // (a grow-only pair reused after an aborted job got the aborted job's prices over the next one's).
      Atomics.store(ctl, NEXT, CLOSED);
      close(ctl, count);
      pl.records = new Float64Array(0);
      pl.out = new Float64Array(0);
    }
  }
  return true;
}

/** No record is posted after these `count`: the worker claims the rest, the last chunk short, then stops. */
function close(ctl: Int32Array, count: number): void {
  Atomics.store(ctl, POSTED, count | CLOSED);
  Atomics.notify(ctl, POSTED);
}

/** The main thread's side of a posted job (see prepriceOptions): prices chunks and revalues each group once priced. */
function pricePosted(
  job: PricingJob,
  count: number,
  postedAt: number,
  groups: readonly BookGroup[],
  recordsEnd: Int32Array,
  { meanwhile, optionGroup }: PrepriceSteps,
): void {
  const { ctl } = job;
  meanwhile();
  const { L, prices } = ladderFor(job);
  let mine = 0,
    stalled = false,
    done = Atomics.load(ctl, DONE),
    progress = performance.now();
  // Claims the next chunk and prices it here; false when every chunk is claimed (the count is closed by now).
  const priceNextChunk = (): boolean => {
    const first = claim(ctl);
    if (first < 0) return false;
    for (let rec = first, to = chunkEnd(ctl, first); rec < to; rec++) priceRecord(job, rec, L, prices);
    mine++;
    return true;
  };
  for (let g = 0, from = 0; g < groups.length; from = recordsEnd[g++]!) {
    if (!groups[g]!.hasOptions) continue;
    const end = recordsEnd[g]!;
    /*
     * While a record of this group is not priced yet, the main thread prices the next unclaimed chunk rather than
     * wait for it: a group holds fewer options than a chunk, and waiting only for this group's records it found them
     * claimed by the worker nearly every time (the worker priced 98% of the chunks and the main thread waited for
     * its whole pricing). It waits only when every chunk is claimed. A worker that makes no progress for STALL_MS is
     * dropped: the records it did not finish keep status 0 and revalueOption prices them (the worker may still write
     * to these buffers, which are not used again).
     */
    for (let rec = from; rec < end && !stalled; rec++) {
      while (Atomics.load(ctl, STATUS + rec) === 0) {
        if (priceNextChunk()) continue;
        const now = performance.now();
        const d = Atomics.load(ctl, DONE);
        if (d !== done) {
          done = d;
          progress = now;
        } else if (now - progress > STALL_MS) {
          stalled = true;
          stalledUntil = now + STALL_BACKOFF_MS;
          drop(false);
          break;
        }
        if (Atomics.load(ctl, STATUS + rec) !== 0) break;
        Atomics.wait(ctl, DONE, d, 50);
      }
    }
    optionGroup(g);
  }
  const total = Math.ceil(count / CHUNK);
  last = { records: count, chunks: total, byWorker: stalled ? Atomics.load(ctl, DONE) : total - mine, workerWaits: Atomics.load(ctl, WAITS), postedAt };
}

let last = { records: 0, chunks: 0, byWorker: 0, workerWaits: 0, postedAt: NaN };

/**
 * The last shared pricing: its records, its chunks, how many of them the worker priced, how often the worker had
 * caught up with the records posted while the book was read and waited for more, and when (performance.now()) the
 * job was posted: what a rebuild did on the main thread alone before the worker could start (tests, the benchmark).
 */
export function lastSharedPricing(): {
  readonly records: number;
  readonly chunks: number;
  readonly byWorker: number;
  readonly workerWaits: number;
  readonly postedAt: number;
} {
  return last;
}

let current: Int32Array | undefined;

/** The control words of the last job posted (price-worker.ts NEXT … STATUS): tests watch a job while it is posted. */
export function sharedJobControl(): Int32Array | undefined {
  return current;
}

/** Ends the worker, if one runs (tests; the process never waits for it anyway). */
export function stopPricingWorker(): Promise<void> {
  const p = pool;
  pool = undefined;
  return p ? p.worker.terminate().then(() => undefined) : Promise.resolve();
}

/** Whether the pricing worker has warmed up and takes the next big rebuild's chunks (tests). */
export function pricingWorkerReady(): boolean {
  return pool !== undefined && Atomics.load(pool.ready, 0) === 1;
}

/** Whether a pricing worker is running (tests: a small book never starts one). */
export function pricingWorkerRunning(): boolean {
  return pool !== undefined;
}
