// Benchmark child helpers: each benchmark runs in its own process so its peak RSS is its own.
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
