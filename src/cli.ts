// tws-risk command line: argument parsing, subcommands and exit codes. Every path returns a code; none throws.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { flagProblem, joinNegativeValues, missingValueFlag } from './model/args.js';
// Each command's module is imported when that command runs, never before: `--help` or `verify` must not pay for the
// TWS client, RxJS and Ink that the console needs (docs/performance.md "Start-up").
import type { DemoFlags } from './commands/demo.js';
import type { LiveFlags } from './commands/live-console.js';
import type { EventsFlags } from './commands/replay-events.js';
import type { ReplayFlags } from './commands/replay.js';
import type { ReportFlags } from './commands/report.js';
import type { CancelFlags, FlattenFlags } from './commands/trade.js';
import type { GuardFlags } from './commands/guard.js';
import { wrapHelpText } from './model/help-wrap.js';
import { asciiIo, drawableTerminal, EXIT, maskingIo, outputClosed, processIo, type CommandIo } from './commands/io.js';
import { setAccountMaskForced } from './views/format.js';
import { installInkPasteGuard } from './views/ink-paste-guard.js';
import { asciiOnly } from './views/theme.js';
import type { FleetFlags } from './commands/fleet.js';
import type { FleetCommandFlags } from './commands/fleet-command.js';
import type { FleetOpenFlags } from './commands/fleet-open.js';
import { appVersion } from './version.js';

interface CommandSpec {
  readonly name: string;
  readonly args: string;
  readonly summary: string;
  /** Set while a later issue has not built the command yet; the command then says so and exits 1. */
  readonly notBuilt?: string;
  readonly options?: ParseArgsConfig['options'];
  /** This command's own reading of a flag, where FLAG_HELP's would mislead. */
  readonly flagHelp?: Readonly<Record<string, readonly [arg: string, text: string]>>;
  /** Formats (FORMAT_HELP keys) its flags use. */
  readonly formats?: readonly string[];
  /** Lines after the flags: defaults and exit codes particular to the command. */
  readonly notes?: readonly string[];
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

/** Publishing to NATS JetStream (docs/fleet.md), on the console and the guard. */
const PUBLISH_OPTIONS = {
  publish: { type: 'string' },
  'nats-creds': { type: 'string' },
  'nats-stream': { type: 'string' },
} as const satisfies ParseArgsConfig['options'];

const TRADE_OPTIONS = {
  trade: { type: 'boolean' },
  'confirm-account': { type: 'string' },
  'no-record': { type: 'boolean' },
  record: { type: 'string' },
} as const satisfies ParseArgsConfig['options'];

/**
 * What each flag takes and does, in one style for every command's --help: `--flag ARG  sentence (default)`. A
 * command that reads a flag its own way says so in `CommandSpec.flagHelp`. A test checks that every flag a command
 * accepts is described here or there.
 */
const FLAG_HELP: Readonly<Record<string, readonly [arg: string, text: string]>> = {
  host: ['H', 'TWS or IB Gateway host (default: connection.host in the settings, 127.0.0.1)'],
  port: ['P', 'API port (default: connection.port, 7497 = TWS paper; TWS live 7496, Gateway 4001 live / 4002 paper)'],
  'client-id': ['N', 'API client id, 0 to 2147483647 (default: connection.clientId); TWS binds orders to it'],
  account: ['A', 'the account to follow when the login manages several (default: the first, with a notice)'],
  timeout: ['S', 'seconds to wait for positions, orders and account data before giving up (exit 4)'],
  json: ['', 'print one JSON document instead of text (docs/report-json.md)'],
  // A global option: listed under "Global options", read here when it is given without its file.
  config: ['FILE', 'settings file (default: $TWS_RISK_CONFIG, else the platform config dir; see `tws-risk config path`)'],
  'no-record': ['', 'do not record this session (the flight recorder is on by default)'],
  record: ['FILE', 'record to FILE (never overwritten; compressed when it ends in .gz)'],
  color: ['DEPTH', 'colour depth: 16, 256, truecolor or auto (default: ui.color; NO_COLOR always means none)'],
  trade: ['', 'allow trading; actions still need arming in the console (docs/trading.md)'],
  'confirm-account': ['A', 'with --trade: the account id, typed, that the orders go to; must match the connected one'],
  scenario: ['NAME|FILE', 'a shipped simulator scenario by name, or a scenario JSON file (docs/simulator.md)'],
  seed: ['N', 'random seed of the simulated market, a whole number (default 1): the same seed, the same session'],
  speed: ['X', 'simulated time per real second, a number from 0 (frozen) up (default 1)'],
  start: ['ISO', "the simulator's start time, an ISO-8601 date-time such as 2026-03-02T14:30:00Z (default: now)"],
  once: ['', 'print the account once as text and exit, instead of opening the console'],
  replay: ['FILE', 'read the account from a recording instead of TWS'],
  at: ['TIME', 'the moment of the recording to use (default: its end)'],
  shock: ['TEXT', 'an extra scenario in the SHOCK format; repeat the flag for more'],
  scenarios: ['FILE', 'extra scenarios from a JSON FILE (see SCENARIOS FILE below)'],
  'margin-method': ['M', 'auto, regT or portfolio: which margin rules the estimate uses (default: risk.marginMethod)'],
  events: ['', 'print one line per recorded event instead of playing the recording'],
  kind: ['K[,K...]', 'with --events: only these event kinds (e.g. orderStatusUpdated,alertChanged)'],
  from: ['TIME', 'with --events: from this moment'],
  to: ['TIME', 'with --events: up to this moment'],
  strict: ['', 'also fail on an unsealed file (a crash or a writer still running)'],
  scope: ['SCOPE', 'which positions to close (see SCOPE below)'],
  mkt: ['', 'market orders instead of marketable limits'],
  collar: ['PCT', 'how far past the mark a closing limit may be, in percent from 0 to 20 (default 2)'],
  all: ['', 'cancel every open order of this client id'],
  global: ['', 'cancel every open order of the account, from every client and TWS itself (reqGlobalCancel)'],
  order: ['ID', 'cancel one open order by its order id'],
  policy: ['FILE', "the guard's policy: which alert, how bad, for how long, leads to which action (docs/guard.md)"],
  'status-file': ['F', 'where the guard writes its status, and guard status reads it (default: <data dir>/guard/status.json)'],
  publish: ['URL', 'also publish events and a risk summary to NATS JetStream, nats://[USER:PASS@]HOST:PORT (docs/fleet.md)'],
  'nats-creds': ['FILE', "NATS credentials file (else the URL's user and password, else NATS_CREDS, NATS_USER/NATS_PASSWORD, NATS_TOKEN)"],
  'nats-stream': ['NAME', 'the JetStream stream (default TWS_RISK; created when missing)'],
  nats: ['URL', 'the NATS server the accounts publish to, nats://[USER:PASS@]HOST:PORT'],
  'stale-after': ['S', 'fleet: a publisher silent for S seconds is shown stale (default 5)'],
  'max-age': ['S', 'guard status: a status older than S seconds means the guard is not running (default 15)'],
};

/** Formats that several flags share, explained once under "Formats:" wherever a command's flags use them. */
const FORMAT_HELP: Readonly<Record<string, string>> = {
  TIME: "HH:MM[:SS[.mmm]] in UTC on the recording's first day, or an ISO-8601 time (2026-03-02T14:32:05.250Z; no offset: UTC)",
  SHOCK: 'comma-separated moves, e.g. px:STK=-10%,fx:EUR=-8%,sym:AAPL=-25%,rates=+50bp,vol=+30%,days=1 (docs/scenarios.md)',
  'SCENARIOS FILE': 'a JSON list of {"label": "...", "shocks": "SHOCK"} objects (docs/scenarios.md "User scenarios")',
  SCOPE: 'all, currency:EUR, class:OPT, underlying:AAPL or conid:N (an IB contract id); a scope that matches nothing is an error',
  'SPEED (replay)': '0.25, 0.5, 1, 2, 4, 8, 16, 32, 64 or max',
};

const COMMANDS: readonly CommandSpec[] = [
  {
    name: 'live',
    args: '[--host H] [--port P] [--client-id N] [--account A|all|A,B,...] [--no-record | --record FILE] [--color 16|256|truecolor] [--trade] [--publish URL [--nats-creds FILE] [--nats-stream NAME]]',
    summary: 'open the console on TWS or IB Gateway (the default command)',
    notes: ['Needs a terminal that can move its cursor: refused (exit 1) on a pipe or with TERM=dumb; use report there.'],
    flagHelp: {
      record: ['FILE', 'record to FILE instead of the recordings directory (never overwritten; compressed when it ends in .gz)'],
      account: [
        'A',
        'the account to follow; all (or a list A,B) follows every account of an advisor login in an Accounts pane (7); not recorded; --publish publishes each',
      ],
    },
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      'client-id': { type: 'string' },
      account: { type: 'string' },
      'no-record': { type: 'boolean' },
      record: { type: 'string' },
      color: { type: 'string' },
      trade: { type: 'boolean' },
      ...PUBLISH_OPTIONS,
    },
    run: async (pos, values, io) =>
      pos.length > 0
        ? usageError('live', `unexpected argument '${pos[0]}'`, io)
        : (await import('./commands/live-console.js')).liveCommand(values as LiveFlags, io),
  },
  {
    name: 'demo',
    args: '[--scenario NAME|FILE] [--seed N] [--speed X] [--start ISO] [--account all|A,B,...] [--no-record | --record FILE] [--color 16|256|truecolor] [--once] [--trade] [--publish URL]',
    summary: 'run tws-risk on the embedded TWS simulator, no broker account needed',
    flagHelp: {
      record: ['FILE', 'record to FILE instead of the recordings directory (never overwritten; compressed when it ends in .gz)'],
      account: [
        'A',
        'all (or a list A,B) follows several accounts of the simulator advisor login (scenario advisor-login unless --scenario names one); not recorded; --publish publishes each',
      ],
    },
    notes: [
      'Without a terminal (a pipe, a script, or TERM=dumb, which cannot move the cursor) or with --once, prints the account as text instead of the console.',
    ],
    options: {
      account: { type: 'string' },
      scenario: { type: 'string' },
      seed: { type: 'string' },
      speed: { type: 'string' },
      start: { type: 'string' },
      'no-record': { type: 'boolean' },
      record: { type: 'string' },
      color: { type: 'string' },
      once: { type: 'boolean' },
      trade: { type: 'boolean' },
      ...PUBLISH_OPTIONS,
    },
    run: async (pos, values, io) =>
      pos.length > 0 ? usageError('demo', `unexpected argument '${pos[0]}'`, io) : (await import('./commands/demo.js')).demoCommand(values as DemoFlags, io),
  },
  {
    name: 'sim',
    args: '[--port 7497] [--seed N] [--scenario NAME|FILE] [--speed X] [--read-only-api]',
    summary: 'run the embedded TWS simulator in the foreground, for any TWS API client',
    runRaw: async (argv) => (await import('./sim/cli.js')).simCommand(argv),
  },
  {
    name: 'report',
    args: '[--host H] [--port P] [--client-id N] [--account A|all|A,B,...] [--timeout S] [--json] [--shock TEXT]... [--scenarios FILE] [--margin-method auto|regT|portfolio] [--publish URL] | --replay FILE [--at TIME] [--json]',
    summary: 'print the account and its stress report once (live or from a recording), for scripts and cron',
    flagHelp: {
      account: ['A', 'the account to follow; all (or a list A,B,C) reports every account of an advisor login and their sum'],
      timeout: ['S', 'seconds to wait for a complete snapshot before printing what there is (exit 4; default 20)'],
      record: ['FILE', 'record the connection to FILE (a report records nothing otherwise)'],
      publish: ['URL', 'with several accounts: also publish each account (its events and a summary) to NATS JetStream (docs/fleet.md)'],
      json: ['', 'print one JSON document instead of text (docs/report-json.md)'],
    },
    formats: ['TIME', 'SHOCK', 'SCENARIOS FILE'],
    notes: ['Exit 0 ok, 1 bad recording, 2 usage, 3 cannot connect, 4 timed out, 5 a critical alert is active.'],
    options: {
      ...CONNECTION_OPTIONS,
      record: { type: 'string' },
      replay: { type: 'string' },
      at: { type: 'string' },
      shock: { type: 'string', multiple: true },
      scenarios: { type: 'string' },
      'margin-method': { type: 'string' },
      ...PUBLISH_OPTIONS,
    },
    run: async (pos, values, io) =>
      pos.length > 0
        ? usageError('report', `unexpected argument '${pos[0]}'`, io)
        : (await import('./commands/report.js')).reportCommand(values as ReportFlags, io),
  },
  {
    name: 'replay',
    args: 'FILE [--speed 0.25..64|max] [--at TIME] [--color C] | FILE --events [--kind K[,K...]] [--from TIME] [--to TIME]',
    summary: 'play a recorded session in the console (read-only; Space, ., g, G, [ ], :goto); --events prints one line per event',
    flagHelp: {
      speed: ['SPEED', 'playback speed (see SPEED below; default 1)'],
      at: ['TIME', 'start the player at this moment of the recording'],
      color: ['DEPTH', 'colour depth: 16, 256, truecolor or auto (default: ui.color)'],
    },
    formats: ['TIME', 'SPEED (replay)'],
    options: {
      events: { type: 'boolean' },
      kind: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      speed: { type: 'string' },
      at: { type: 'string' },
      color: { type: 'string' },
    },
    run: async (pos, values, io) => {
      if (pos.length !== 1) return usageError('replay', 'expects exactly one recording file', io);
      if (values.events === true) {
        for (const k of ['speed', 'at', 'color'] as const)
          if (values[k] !== undefined) return usageError('replay', `--${k} is for the player, not --events`, io);
        return (await import('./commands/replay-events.js')).replayEventsCommand(pos[0]!, values as EventsFlags, io);
      }
      for (const k of ['kind', 'from', 'to'] as const) if (values[k] !== undefined) return usageError('replay', `--${k} needs --events`, io);
      return (await import('./commands/replay.js')).replayCommand(pos[0]!, values as ReplayFlags, io);
    },
  },
  {
    name: 'flatten',
    args: '--scope all|currency:EUR|class:OPT|underlying:AAPL|conid:N [--mkt] [--collar PCT] [--json] [--trade --confirm-account A] [--timeout S] [--what-if-timeout S] [--host H] [--port P] [--client-id N] [--account A]',
    summary: 'print the plan to close positions; with --trade --confirm-account, send it and follow it',
    flagHelp: {
      timeout: ['S', 'seconds to wait for the snapshot, and with --trade for each order to end (default 30)'],
      'what-if-timeout': ['S', "seconds to wait in all for TWS's what-if margins of the plan, before printing or sending (default 5; 0 does not ask)"],
      trade: ['', 'send the plan (needs --confirm-account); without it nothing is sent'],
      'no-record': ['', 'with --trade: do not record the session (a dry run records nothing anyway)'],
      record: ['FILE', 'record the session to FILE (a dry run records nothing otherwise)'],
    },
    formats: ['SCOPE'],
    notes: ['Exit 0 planned or flat, 1 refused or nothing matches, 2 usage, 3 cannot connect, 4 timed out, 6 not flat.'],
    options: {
      ...CONNECTION_OPTIONS,
      ...TRADE_OPTIONS,
      scope: { type: 'string' },
      mkt: { type: 'boolean' },
      collar: { type: 'string' },
      'what-if-timeout': { type: 'string' },
    },
    run: async (pos, values, io) =>
      pos.length > 0
        ? usageError('flatten', `unexpected argument '${pos[0]}'`, io)
        : (await import('./commands/trade.js')).flattenCommand(values as FlattenFlags, io),
  },
  {
    name: 'cancel',
    args: '--all|--global|--order ID [--json] [--trade --confirm-account A] [--timeout S] [--host H] [--port P] [--client-id N] [--account A]',
    summary: 'print what would be cancelled; with --trade --confirm-account, cancel and follow',
    flagHelp: {
      timeout: ['S', 'seconds to wait for the snapshot, and with --trade for each cancel to end (default 30)'],
      trade: ['', 'send the cancels (needs --confirm-account); without it nothing is sent'],
      'no-record': ['', 'with --trade: do not record the session (a dry run records nothing anyway)'],
      record: ['FILE', 'record the session to FILE (a dry run records nothing otherwise)'],
    },
    notes: ['Exit 0 ok, 1 refused or no such open order, 2 usage, 3 cannot connect, 4 timed out, 6 some cancel did not complete.'],
    options: { ...CONNECTION_OPTIONS, ...TRADE_OPTIONS, all: { type: 'boolean' }, global: { type: 'boolean' }, order: { type: 'string' } },
    run: async (pos, values, io) =>
      pos.length > 0
        ? usageError('cancel', `unexpected argument '${pos[0]}'`, io)
        : (await import('./commands/trade.js')).cancelCommand(values as CancelFlags, io),
  },
  {
    name: 'guard',
    args: '--policy FILE [--trade --confirm-account A] [--host H] [--port P] [--client-id N] [--account A] [--status-file F] [--publish URL] | guard check --policy FILE | guard status [--status-file F] [--max-age S] [--json]',
    summary: 'the kill switch daemon: act on alerts by a written policy (a dry run without --trade); `guard status` for monitors',
    flagHelp: {
      'client-id': ['N', "the guard's own API client id, never the trading engine's (default 4218)"],
      trade: [
        '',
        'act: send the cancels and orders the policy decides (needs --confirm-account); without it, a dry run that only says and records what it would do',
      ],
      timeout: ['S', 'seconds to wait for each order or cancel of an action to end (default 30)'],
      json: ['', 'guard status: print the status as one JSON document'],
      record: ['FILE', 'record to FILE instead of the recordings directory (the guard records by default)'],
    },
    notes: [
      'The daemon logs one line per event (level=... event=...) to stdout; SIGHUP reloads the policy (a bad one is refused and the old kept), SIGTERM stops it and seals the recording.',
      'Exit 0 stopped, 2 usage, a bad policy (every problem named), with --trade settings it cannot read whole, or a status file another live guard writes; 3 a connection that cannot come back (client id in use, not TWS); a refused connection is retried. guard check: 0 valid, 2 not. guard status: exit 0 healthy, 1 not (stopped, stale, not connected, cannot act).',
    ],
    options: {
      ...CONNECTION_OPTIONS,
      ...TRADE_OPTIONS,
      policy: { type: 'string' },
      'status-file': { type: 'string' },
      'max-age': { type: 'string' },
      ...PUBLISH_OPTIONS,
    },
    run: async (pos, values, io) => {
      if (pos[0] === 'status') {
        if (pos.length > 1) return usageError('guard', `unexpected argument '${pos[1]}'`, io);
        for (const k of [
          'policy',
          'trade',
          'confirm-account',
          'record',
          'no-record',
          'host',
          'port',
          'client-id',
          'account',
          'timeout',
          'publish',
          'nats-creds',
          'nats-stream',
        ] as const) {
          if (values[k] !== undefined) return usageError('guard', `--${k} is for the daemon, not guard status`, io);
        }
        return (await import('./commands/guard.js')).guardStatusCommand(values as { 'status-file'?: string; json?: boolean; 'max-age'?: string }, io);
      }
      if (pos[0] === 'check') {
        if (pos.length > 1) return usageError('guard', `unexpected argument '${pos[1]}'`, io);
        return (await import('./commands/guard.js')).guardCheckCommand(values as { policy?: string }, io);
      }
      if (pos.length > 0) return usageError('guard', `unexpected argument '${pos[0]}' (the subcommands are status and check)`, io);
      if (values['max-age'] !== undefined || values.json !== undefined) return usageError('guard', '--max-age and --json are for guard status', io);
      return (await import('./commands/guard.js')).guardCommand(values as GuardFlags, io);
    },
  },
  {
    name: 'fleet',
    args: '--nats URL [--nats-creds FILE] [--nats-stream NAME] [--stale-after S] [--json | --trade [--operator NAME] [--timeout S]] | fleet --nats URL --open ACCOUNT [--session ID] [--at TIME] | fleet command --nats URL --account A --rule NAME --confirm-account A [--guard HOST/SESSION] [--nats-creds FILE] [--nats-stream NAME] [--operator NAME] [--timeout S] [--json]',
    summary:
      "every account that publishes to NATS (consoles and guards with --publish), riskiest first; --open one account's console from the stream; `fleet command` asks a guard to run one of its policy actions",
    flagHelp: {
      json: ['', "print the table (or the guard's reply) once as one JSON document (docs/fleet.md)"],
      account: ['A', 'fleet command: the account whose guard runs the action'],
      rule: ['NAME', "fleet command: a rule of that guard's policy, by name or index"],
      'confirm-account': ['A', 'fleet command: the account typed again'],
      guard: ['HOST/SESSION', 'fleet command: the guard to ask, when several of the account listen (the command lists them); one guard acts on one command'],
      operator: ['NAME', "fleet command (and the view with --trade): who asks, for the guard's audit log (default: the login name)"],
      timeout: ['S', "fleet command (and the view with --trade): seconds to wait for the guard's answer (default 90)"],
      trade: ['', "the view: X asks the selected account's guard for one of its policy's actions, after arming (docs/fleet.md)"],
      open: ['ACCOUNT', "follow that account's latest session live from the stream in its console, read-only (--at: a replay of it instead)"],
      session: ['ID', 'with --open: that session of the account instead of the latest'],
      at: ['TIME', 'with --open: replay the session from the stream at that moment instead of following it live'],
    },
    notes: [
      'Exit 0 ok, 2 usage, 3 cannot reach NATS, 5 some account has a critical alert. --open: exit 1 when the stream has no such account.',
      'fleet command: exit 0 done (or planned by a dry-run guard, or nothing to do), 1 refused (by the guard or the server), 2 usage, 3 cannot connect or no guard listens, 4 no answer in time, 6 failed.',
    ],
    options: {
      nats: { type: 'string' },
      'nats-creds': { type: 'string' },
      'nats-stream': { type: 'string' },
      'stale-after': { type: 'string' },
      json: { type: 'boolean' },
      account: { type: 'string' },
      rule: { type: 'string' },
      'confirm-account': { type: 'string' },
      guard: { type: 'string' },
      operator: { type: 'string' },
      timeout: { type: 'string' },
      open: { type: 'string' },
      session: { type: 'string' },
      at: { type: 'string' },
      color: { type: 'string' },
      trade: { type: 'boolean' },
    },
    run: async (pos, values, io) => {
      const commandOnly = ['account', 'rule', 'confirm-account', 'guard'] as const;
      const openOnly = ['session', 'at', 'color'] as const;
      if (pos[0] === 'command') {
        if (pos.length > 1) return usageError('fleet', `unexpected argument '${pos[1]}'`, io);
        if (values['stale-after'] !== undefined) return usageError('fleet', '--stale-after is for the table, not fleet command', io);
        for (const k of ['open', 'trade', ...openOnly] as const)
          if (values[k] !== undefined) return usageError('fleet', `--${k} is for the fleet view, not fleet command`, io);
        return (await import('./commands/fleet-command.js')).fleetCommandCommand(values as FleetCommandFlags, io);
      }
      if (pos.length > 0) return usageError('fleet', `unexpected argument '${pos[0]}' (the subcommand is command)`, io);
      for (const k of commandOnly) if (values[k] !== undefined) return usageError('fleet', `--${k} is for fleet command`, io);
      if (values.open !== undefined) {
        for (const k of ['json', 'stale-after', 'trade', 'operator', 'timeout'] as const)
          if (values[k] !== undefined) return usageError('fleet', `--${k} is for the table, not --open (a followed account is read-only)`, io);
        return (await import('./commands/fleet-open.js')).fleetOpenCommand(values as FleetOpenFlags, io);
      }
      for (const k of openOnly) if (values[k] !== undefined) return usageError('fleet', `--${k} goes with --open ACCOUNT`, io);
      return (await import('./commands/fleet.js')).fleetCommand(values as FleetFlags, io);
    },
  },
  {
    name: 'verify',
    args: 'FILE [--strict] [--json]',
    summary: 'check a recording: JSON, hash chain, sequence, seal (exit 0 valid, 1 invalid)',
    flagHelp: { json: ['', 'print the verdict as one JSON document'] },
    options: { strict: { type: 'boolean' }, json: { type: 'boolean' } },
    run: async (pos, values, io) => {
      if (pos.length !== 1) return usageError('verify', 'expects exactly one recording file', io);
      return (await import('./commands/verify.js')).verifyCommand(pos[0]!, { strict: values.strict === true, json: values.json === true }, io);
    },
  },
  {
    name: 'config',
    args: 'path|show|validate',
    summary: 'where the settings file is, the settings in force, or what is wrong with the file',
    notes: [
      '  path      print where the settings file is read from',
      '  show      print the settings in force (file over defaults) as JSON',
      '  validate  list every problem in the file (exit 1 if any)',
    ],
    run: async (pos, values, io) => {
      if (pos.length !== 1) return usageError('config', 'expects one of path, show, validate', io);
      return (await import('./commands/config.js')).configCommand(pos[0]!, values.config as string | undefined, io);
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
    'Exit codes: 0 ok, 1 invalid input or failed check, 2 usage error, 3 cannot connect, 4 timed out, 5 critical alert active, 6 some order did not complete.',
  ];
  return lines.join('\n');
}

/** `--help` for one command: usage, each flag with what it takes, the formats its flags use, its notes. */
function commandUsage(c: CommandSpec): string {
  const flags = Object.keys(c.options ?? {}).map((k) => {
    const [arg, text] = c.flagHelp?.[k] ?? FLAG_HELP[k] ?? ['', ''];
    return [`--${k}${arg ? ` ${arg}` : ''}`, text] as const;
  });
  const width = Math.max(0, ...flags.map(([f]) => f.length));
  const lines = [`Usage: tws-risk ${c.name} ${c.args}`.trimEnd(), `  ${c.summary}`];
  if (flags.length > 0) lines.push('', 'Options:', ...flags.map(([f, t]) => `  ${f.padEnd(width)}  ${t}`));
  if (c.formats && c.formats.length > 0) lines.push('', 'Formats:', ...c.formats.map((k) => `  ${k}: ${FORMAT_HELP[k] ?? ''}`));
  if (c.notes && c.notes.length > 0) lines.push('', ...c.notes);
  if (!c.runRaw) lines.push('', 'Global options (before or after the command): --config FILE, --mask, -h/--help; see `tws-risk --help`.');
  return lines.join('\n');
}

/** Help text wrapped to the terminal's width, or to 80 columns off a terminal (src/model/help-wrap.ts). */
function wrapHelp(text: string, io: CommandIo): string {
  return wrapHelpText(text, io.columns);
}

/** Every flag a command accepts and the text its --help gives it (for the test that none goes unexplained). */
export function describedFlags(command: string): { flag: string; text: string }[] {
  const c = COMMANDS.find((x) => x.name === command);
  return Object.keys(c?.options ?? {}).map((k) => ({ flag: k, text: (c?.flagHelp?.[k] ?? FLAG_HELP[k])?.[1] ?? '' }));
}

/** The commands, for tests and docs. */
export const COMMAND_NAMES: readonly string[] = COMMANDS.map((c) => c.name);

/** What a flag takes, in one short line, for a flag given without its value: "Give it as --speed X (see `tws-risk demo --help`)." */
function valueHint(spec: CommandSpec, flag: string): string {
  const [arg = ''] = spec.flagHelp?.[flag] ?? FLAG_HELP[flag] ?? [];
  const help = `\`tws-risk ${spec.name} --help\``;
  return arg ? `Give it as --${flag} ${arg} (see ${help}).` : `See ${help}.`;
}

function usageError(command: string | undefined, message: string, io: CommandIo): number {
  io.err(`tws-risk${command ? ` ${command}` : ''}: ${message}`);
  const spec = COMMANDS.find((c) => c.name === command);
  io.err(spec ? wrapHelp(commandUsage(spec), io) : 'Run `tws-risk --help` for the list of commands.');
  return EXIT.usage;
}

/** Runs the CLI and returns the exit code. */
export async function main(argv: readonly string[], io: CommandIo = processIo): Promise<number> {
  // Before any command imports Ink: a paste with no end marker must not hold every key (src/views/ink-paste-guard.ts).
  installInkPasteGuard();
  if (io === processIo) {
    // `tws-risk verify x | head` closes the pipe early; that is the reader's choice, not an error. A session that
    // records (`demo | head -3`) is ended as a hangup ends it instead, so that its recording is sealed.
    const closed = (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE' && !outputClosed()) process.exit(EXIT.ok);
    };
    process.stdout.on('error', closed);
    process.stderr.on('error', closed);
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
    if (io === processIo && drawableTerminal(process.stdout) && drawableTerminal(process.stdin)) return dispatch(['live'], io);
    io.out(wrapHelp(usage(), io));
    return EXIT.ok;
  }
  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
    io.out(appVersion());
    return EXIT.ok;
  }
  // Global flags may come before the command (`tws-risk --config F config show`): they move to after its name.
  const globals: string[] = [];
  let implicitLive = false;
  for (;;) {
    const a = argv[0];
    if (a === '--mask' || a?.startsWith('--config=')) globals.push(argv.shift()!);
    else if (a === '--config' && argv.length >= 2) globals.push(argv.shift()!, argv.shift()!);
    else break;
  }
  if (globals.length > 0) {
    const next = argv[0];
    if (next === undefined || next.startsWith('-')) {
      argv = ['live', ...globals, ...argv];
      implicitLive = true;
    } else if (next !== 'help') {
      const spec = COMMANDS.find((c) => c.name === next);
      if (!spec) return usageError(undefined, `unknown command '${next}'`, io);
      if (spec.runRaw) return usageError(next, `${globals[0]} is not an option of ${next}`, io);
      argv = [next, ...globals, ...argv.slice(1)];
    }
  }
  const first = argv[0]!;
  if (first === '--help' || first === '-h' || first === 'help') {
    const topic = argv[1] ? COMMANDS.find((c) => c.name === argv[1]) : undefined;
    io.out(wrapHelp(topic ? commandUsage(topic) : usage(), io));
    return EXIT.ok;
  }
  // The console is the command when none is named; an error then names what the user typed, not `live`.
  const implicit = implicitLive || first.startsWith('-');
  const command = first.startsWith('-') ? 'live' : first;
  const rest = first.startsWith('-') ? argv : argv.slice(1);
  const spec = COMMANDS.find((c) => c.name === command);
  if (!spec) return usageError(undefined, `unknown command '${command}'`, io);

  if (spec.runRaw) return spec.runRaw(rest);

  if (spec.notBuilt) {
    if (rest.includes('--help') || rest.includes('-h')) {
      io.out(wrapHelp(commandUsage(spec), io));
      io.out(`  not built yet (tracked in ${spec.notBuilt})`);
      return EXIT.ok;
    }
    io.err(`tws-risk ${spec.name}: not built yet (tracked in ${spec.notBuilt})`);
    return EXIT.invalid;
  }

  let parsed: ReturnType<typeof parseArgs>;
  try {
    const options = { ...GLOBAL_OPTIONS, ...spec.options };
    parsed = parseArgs({ args: joinNegativeValues(rest, options), options, allowPositionals: true, strict: true });
  } catch (err) {
    const missing = missingValueFlag(err);
    if (missing !== undefined) {
      // One line on what is wrong and one on what the flag takes: the whole help after it buried both.
      io.err(`tws-risk${implicit ? '' : ` ${spec.name}`}: ${flagProblem(err)}`);
      io.err(valueHint(spec, missing));
      return EXIT.usage;
    }
    if (implicit) {
      io.err(`tws-risk: ${flagProblem(err)}`);
      io.err('Run `tws-risk --help` for the commands, `tws-risk live --help` for the options of the console (the command when none is named).');
      return EXIT.usage;
    }
    return usageError(spec.name, flagProblem(err), io);
  }
  if (parsed.values.help) {
    io.out(wrapHelp(commandUsage(spec), io));
    return EXIT.ok;
  }
  const { loadSettings, missingConfigFile } = await import('./config/load.js');
  const missingConfig = missingConfigFile(parsed.values.config as string | undefined);
  if (missingConfig) {
    io.err(`tws-risk${implicit ? '' : ` ${spec.name}`}: ${missingConfig}`);
    return EXIT.usage;
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
