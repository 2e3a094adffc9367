// Runs the CLI in-process as a user would type it, capturing what each stream printed.
import { main } from '../../src/cli.js';
import type { CommandIo } from '../../src/commands/io.js';

export interface CliRun {
  readonly code: number;
  /** What went to stdout, one line per write. */
  readonly out: string;
  /** What went to stderr. */
  readonly err: string;
  /** Both, in the order they were written (as a terminal shows them). */
  readonly text: string;
}

export async function runCli(...argv: string[]): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const all: string[] = [];
  const io: CommandIo = {
    out: (l) => {
      out.push(l);
      all.push(l);
    },
    err: (l) => {
      err.push(l);
      all.push(l);
    },
  };
  const code = await main(argv, io);
  return { code, out: out.join('\n'), err: err.join('\n'), text: all.join('\n') };
}
