// Benchmark child helpers: each benchmark runs in its own process so its peak RSS is its own.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
export interface BenchResult {
  readonly name: string;
  readonly metric: string;
  readonly value: number;
  readonly unit: string;
  readonly target?: string;
  readonly pass?: boolean;
  readonly extra?: Record<string, number | string>;
}

/** Peak resident set size of this process so far, in MB. */
export function peakRssMb(): number {
  return process.resourceUsage().maxRSS / 1024;
}

/** Prints the results as one JSON line on stdout for the parent to collect. */
export function report(results: BenchResult[]): void {
  process.stdout.write(`BENCH ${JSON.stringify(results)}\n`);
}

const here = dirname(fileURLToPath(import.meta.url));
/** The checkout's bin/tws-risk, whether the bench runs from bench/ or built, from dist/bench/. */
export const PRODUCT_BIN = join(
  [resolve(here, '..'), resolve(here, '..', '..')].find((d) => {
    try {
      return readFileSync(join(d, 'bin', 'tws-risk')).length > 0;
    } catch {
      return false;
    }
  })!,
  'bin',
  'tws-risk',
);
