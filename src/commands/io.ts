// Output sinks for commands, injectable so tests read what a command printed without spawning a process.
export interface CommandIo {
  out(line: string): void;
  err(line: string): void;
}

export const processIo: CommandIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

/** Exit codes shared by every command (README "Exit codes"). */
export const EXIT = {
  ok: 0,
  invalid: 1,
  usage: 2,
  cannotConnect: 3,
  timedOut: 4,
  criticalAlert: 5,
  incomplete: 6,
} as const;
