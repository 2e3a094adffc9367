// tws-risk command line: argument parsing, subcommands and exit codes. Every path returns a code; none throws.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { configCommand } from './commands/config.js';
import { demoCommand, type DemoFlags } from './commands/demo.js';
import { liveCommand, type LiveFlags } from './commands/live-console.js';
import { replayEventsCommand, type EventsFlags } from './commands/replay-events.js';
import { replayCommand, type ReplayFlags } from './commands/replay.js';
import { reportCommand, type ReportFlags } from './commands/report.js';
import { cancelCommand, flattenCommand, type CancelFlags, type FlattenFlags } from './commands/trade.js';
import { asciiIo, EXIT, maskingIo, processIo, type CommandIo } from './commands/io.js';
import { loadSettings } from './config/load.js';
import { setAccountMaskForced } from './views/format.js';
import { asciiOnly } from './views/theme.js';
import { verifyCommand } from './commands/verify.js';
import { appVersion } from './version.js';

interface CommandSpec {
  readonly name: string;
  readonly args: string;
  readonly summary: string;
  /** Set while a later issue has not built the command yet; the command then says so and exits 1. */
  readonly notBuilt?: string;
  readonly options?: ParseArgsConfig['options'];
  readonly run?: (positionals: string[], values: Record<string, unknown>, io: CommandIo) => Promise<number> | number;
  /** Commands that parse their own arguments (the simulator is also usable on its own). */
  readonly runRaw?: (argv: string[]) => Promise<number>;
}

const GLOBAL_OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  config: { type: 'string' },
  mask: { type: 'boolean' },
} as const satisfies ParseArgsConfig['options'];

const CONNECTION_OPTIONS = {
  host: { type: 'string' },
  port: { type: 'string' },
  'client-id': { type: 'string' },
  account: { type: 'string' },
  timeout: { type: 'string' },
  json: { type: 'boolean' },
} as const satisfies ParseArgsConfig['options'];

const TRADE_OPTIONS = {
  trade: { type: 'boolean' },
  'confirm-account': { type: 'string' },
  'no-record': { type: 'boolean' },
  record: { type: 'string' },
} as const satisfies ParseArgsConfig['options'];

const COMMANDS: readonly CommandSpec[] = [
  {
    name: 'live',
    args: '[--host H] [--port P] [--client-id N] [--account A] [--no-record | --record FILE] [--color 16|256|truecolor] [--trade]',
    summary: 'open the console on TWS or IB Gateway (the default command)',
    options: {
      host: { type: 'string' }, port: { type: 'string' }, 'client-id': { type: 'string' }, account: { type: 'string' },
      'no-record': { type: 'boolean' }, record: { type: 'string' }, color: { type: 'string' }, trade: { type: 'boolean' },
    },
    run: (pos, values, io) => (pos.length > 0 ? usageError('live', `unexpected argument '${pos[0]}'`, io) : liveCommand(values as LiveFlags, io)),
  },
  {
    name: 'demo',
    args: '[--scenario NAME|FILE] [--seed N] [--speed X] [--start ISO] [--no-record | --record FILE] [--color 16|256|truecolor] [--once] [--trade]',
    summary: 'run tws-risk on the embedded TWS simulator, no broker account needed',
    options: {
      scenario: { type: 'string' }, seed: { type: 'string' }, speed: { type: 'string' }, start: { type: 'string' }, 'no-record': { type: 'boolean' }, record: { type: 'string' },
      color: { type: 'string' }, once: { type: 'boolean' }, trade: { type: 'boolean' },
    },
    run: (pos, values, io) => (pos.length > 0 ? usageError('demo', `unexpected argument '${pos[0]}'`, io) : demoCommand(values as DemoFlags, io)),
  },
  {
    name: 'sim',
    args: '[--port 7497] [--seed N] [--scenario NAME|FILE] [--speed X] [--read-only-api]',
    summary: 'run the embedded TWS simulator in the foreground, for any TWS API client',
    runRaw: async (argv) => (await import('./sim/cli.js')).simCommand(argv),
  },
  {
    name: 'report',
    args: '[--host H] [--port P] [--client-id N] [--account A] [--timeout S] [--json] [--shock TEXT]... [--scenarios FILE] [--margin-method auto|regT|portfolio] | --replay FILE [--at TIME] [--json]',
    summary: 'print the account and its stress report once (live or from a recording), for scripts and cron',
    options: { ...CONNECTION_OPTIONS, record: { type: 'string' }, replay: { type: 'string' }, at: { type: 'string' }, shock: { type: 'string', multiple: true }, scenarios: { type: 'string' }, 'margin-method': { type: 'string' } },
    run: (pos, values, io) => (pos.length > 0 ? usageError('report', `unexpected argument '${pos[0]}'`, io) : reportCommand(values as ReportFlags, io)),
  },
  {
    name: 'replay',
    args: 'FILE [--speed 0.25..64|max] [--at TIME] [--color C] | FILE --events [--kind K[,K...]] [--from TIME] [--to TIME]',
    summary: 'play a recorded session in the console (read-only; Space, ., g, G, [ ], :goto); --events prints one line per event',
    options: { events: { type: 'boolean' }, kind: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, speed: { type: 'string' }, at: { type: 'string' }, color: { type: 'string' } },
    run: (pos, values, io) => {
      if (pos.length !== 1) return usageError('replay', 'expects exactly one recording file', io);
      if (values.events === true) {
        for (const k of ['speed', 'at', 'color'] as const) if (values[k] !== undefined) return usageError('replay', `--${k} is for the player, not --events`, io);
        return replayEventsCommand(pos[0]!, values as EventsFlags, io);
      }
      for (const k of ['kind', 'from', 'to'] as const) if (values[k] !== undefined) return usageError('replay', `--${k} needs --events`, io);
      return replayCommand(pos[0]!, values as ReplayFlags, io);
    },
  },
  {
    name: 'flatten',
    args: '--scope all|currency:EUR|class:OPT|underlying:AAPL|conid:N [--mkt] [--collar PCT] [--json] [--trade --confirm-account A] [--timeout S] [--host H] [--port P] [--client-id N] [--account A]',
    summary: 'print the plan to close positions; with --trade --confirm-account, send it and follow it',
    options: { ...CONNECTION_OPTIONS, ...TRADE_OPTIONS, scope: { type: 'string' }, mkt: { type: 'boolean' }, collar: { type: 'string' } },
    run: (pos, values, io) => (pos.length > 0 ? usageError('flatten', `unexpected argument '${pos[0]}'`, io) : flattenCommand(values as FlattenFlags, io)),
  },
  {
    name: 'cancel',
    args: '--all|--global|--order ID [--json] [--trade --confirm-account A] [--timeout S] [--host H] [--port P] [--client-id N] [--account A]',
    summary: 'print what would be cancelled; with --trade --confirm-account, cancel and follow',
    options: { ...CONNECTION_OPTIONS, ...TRADE_OPTIONS, all: { type: 'boolean' }, global: { type: 'boolean' }, order: { type: 'string' } },
    run: (pos, values, io) => (pos.length > 0 ? usageError('cancel', `unexpected argument '${pos[0]}'`, io) : cancelCommand(values as CancelFlags, io)),
  },
  {
    name: 'verify',
    args: 'FILE [--strict] [--json]',
    summary: 'check a recording: JSON, hash chain, sequence, seal (exit 0 valid, 1 invalid)',
    options: { strict: { type: 'boolean' }, json: { type: 'boolean' } },
    run: async (pos, values, io) => {
      if (pos.length !== 1) return usageError('verify', 'expects exactly one recording file', io);
      return verifyCommand(pos[0]!, { strict: values.strict === true, json: values.json === true }, io);
    },
  },
  {
    name: 'config',
    args: 'path|show|validate',
    summary: 'where the settings file is, the settings in force, or what is wrong with the file',
    run: (pos, values, io) => {
      if (pos.length !== 1) return usageError('config', 'expects one of path, show, validate', io);
      return configCommand(pos[0]!, values.config as string | undefined, io);
    },
  },
];

function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  const lines = [
    `tws-risk ${appVersion()}: a terminal risk console for Interactive Brokers`,
    '',
    'Usage: tws-risk [command] [options]     (no command, in a terminal: the console on TWS, as `tws-risk live`)',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}${c.notBuilt ? ' (not built yet)' : ''}`),
    '',
    'Global options:',
    '  --config FILE   settings file (default: $TWS_RISK_CONFIG, else the platform config dir; see `tws-risk config path`)',
    '  --mask          show account ids masked (all but the last four characters) on screen and in every output; recordings keep the real id',
    '  -h, --help      help for tws-risk or a command',
    '  -V, --version   print the version',
    '',
    'Exit codes: 0 ok, 1 invalid input or failed check, 2 usage error, 3 cannot connect, 4 timed out,',
    '            5 critical alert active, 6 some order did not complete.',
  ];
  return lines.join('\n');
}

function commandUsage(c: CommandSpec): string {
  return `Usage: tws-risk ${c.name} ${c.args}`.trimEnd() + `\n  ${c.summary}`;
}

function usageError(command: string | undefined, message: string, io: CommandIo): number {
  io.err(`tws-risk${command ? ` ${command}` : ''}: ${message}`);
  const spec = COMMANDS.find((c) => c.name === command);
  io.err(spec ? commandUsage(spec) : 'Run `tws-risk --help` for the list of commands.');
  return EXIT.usage;
}

/** parseArgs' messages name the flag; keep the first sentence only (no stack, no hints about allowPositionals). */
function flagProblem(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.split('. ')[0]!.replace(/\.$/, '');
}

/** Runs the CLI and returns the exit code. */
export async function main(argv: readonly string[], io: CommandIo = processIo): Promise<number> {
  if (io === processIo) {
    // `tws-risk verify x | head` closes the pipe early; that is the reader's choice, not an error.
    process.stdout.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(EXIT.ok);
    });
  }
  try {
    return await dispatch([...argv], io);
  } catch (err) {
    // Last line of defence: a bug must still end in one readable line and a non-zero code, not a stack on a TUI.
    io.err(`tws-risk: unexpected error: ${err instanceof Error ? err.message : String(err)}`);
    if (process.env.TWS_RISK_DEBUG) io.err(err instanceof Error ? (err.stack ?? '') : '');
    return EXIT.invalid;
  }
}

async function dispatch(argv: string[], io: CommandIo): Promise<number> {
  if (argv.length === 0) {
    // The console on TWS is the default command; without a terminal (scripts, pipes) the usage is more useful.
    if (io === processIo && process.stdout.isTTY === true && process.stdin.isTTY === true) return dispatch(['live'], io);
    io.out(usage());
    return EXIT.ok;
  }
  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
    io.out(appVersion());
    return EXIT.ok;
  }
  const first = argv[0]!;
  if (first === '--help' || first === '-h' || first === 'help') {
    const topic = argv[1] ? COMMANDS.find((c) => c.name === argv[1]) : undefined;
    io.out(topic ? commandUsage(topic) : usage());
    return EXIT.ok;
  }
  const command = first.startsWith('-') ? 'live' : first;
  const rest = first.startsWith('-') ? argv : argv.slice(1);
  const spec = COMMANDS.find((c) => c.name === command);
  if (!spec) return usageError(undefined, `unknown command '${command}'`, io);

  if (spec.runRaw) return spec.runRaw(rest);

  if (spec.notBuilt) {
    if (rest.includes('--help') || rest.includes('-h')) {
      io.out(commandUsage(spec));
      io.out(`  not built yet (tracked in ${spec.notBuilt})`);
      return EXIT.ok;
    }
    io.err(`tws-risk ${spec.name}: not built yet (tracked in ${spec.notBuilt})`);
    return EXIT.invalid;
  }

  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: rest, options: { ...GLOBAL_OPTIONS, ...spec.options }, allowPositionals: true, strict: true });
  } catch (err) {
    return usageError(spec.name, flagProblem(err), io);
  }
  if (parsed.values.help) {
    io.out(commandUsage(spec));
    return EXIT.ok;
  }
  // Masking covers every line the command prints and the console's screen; what is written to files is not masked.
  const ui = loadSettings(parsed.values.config as string | undefined).settings.ui;
  const mask = parsed.values.mask === true || ui.maskAccount;
  // Text for people follows the locale (the console decides the same way for its screen); JSON is for programs
  // and keeps its strings as they are.
  const shown = asciiOnly(process.env, ui.ascii) && parsed.values.json !== true ? asciiIo(io) : io;
  if (!mask) return spec.run!(parsed.positionals, parsed.values, shown);
  setAccountMaskForced(true);
  try {
    return await spec.run!(parsed.positionals, parsed.values, maskingIo(shown));
  } finally {
    setAccountMaskForced(false);
  }
}
