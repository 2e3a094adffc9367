// `tws-risk sim`: runs the simulator in the foreground until SIGINT/SIGTERM.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { flagProblem, joinNegativeValues } from '../model/args.js';
import { wrapHelpText } from '../model/help-wrap.js';
import { isoTimeProblemText, parseIsoTime } from '../model/iso-time.js';
import { startSimulator, ScenarioError } from './index.js';
import { MIN_SERVER_VERSION, SERVER_VERSION } from './wire.js';

export const SIM_USAGE = `usage: tws-risk sim [options]

Runs a simulated TWS (server versions 157 to 193) for tws-risk and any other TWS API client.

  --port N            API port (default 7497; 0 = any free port)
  --host H            interface to bind (default 127.0.0.1; name another one explicitly to expose it)
  --control-port P    JSON-lines control channel on 127.0.0.1 (default: port + 1)
  --seed N            random seed; the same seed gives the same market path (default 1)
  --scenario S        shipped scenario (quiet-day, chf-gap, margin-spike, crash, expiry-day, advisor-login) or a JSON file
  --speed X           simulated seconds per real second (default 1; 0 = frozen clock)
  --start ISO         simulated start time, e.g. 2026-03-02T14:30:00Z (default: now)
  --account ID        account id (default DU1234567)
  --base CCY          base currency: USD, EUR, CHF, GBP or JPY (default USD)
  --max-server-version V  offer at most server version V (157..193; default 193), like an older TWS
  --read-only-api     answer orders and cancels with error 321, like TWS's "Read-Only API"
  --no-live-data      an account without a live market-data subscription: 10089, delayed data after reqMarketDataType(3)
  --log FILE          append the log to FILE instead of stderr
  -h, --help          show this help

See docs/simulator.md for the portfolio, scenario files and the control channel.
`;

/** The usage wrapped as every command's help is: to the terminal it goes to, else to 80 columns. */
function usageFor(stream: NodeJS.WriteStream): string {
  return `${wrapHelpText(SIM_USAGE.trimEnd(), stream.isTTY === true ? stream.columns : undefined)}\n`;
}

function fail(message: string): number {
  process.stderr.write(`tws-risk sim: ${message}\n${usageFor(process.stderr)}`);
  return 2;
}

function intFlag(name: string, v: string | undefined, min: number, max: number): number | string | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) return `--${name} expects an integer from ${min} to ${max}, got ${JSON.stringify(v)}`;
  return Number(v);
}

const SIM_OPTIONS = {
  port: { type: 'string' },
  host: { type: 'string' },
  'control-port': { type: 'string' },
  seed: { type: 'string' },
  scenario: { type: 'string' },
  speed: { type: 'string' },
  start: { type: 'string' },
  account: { type: 'string' },
  base: { type: 'string' },
  'read-only-api': { type: 'boolean' },
  'no-live-data': { type: 'boolean' },
  'max-server-version': { type: 'string' },
  log: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

/** Runs the simulator; resolves 0 after SIGINT/SIGTERM, 2 on bad arguments, 1 if it cannot start. */
export async function simCommand(argv: string[]): Promise<number> {
  let values;
  try {
    // A negative number after a flag is its value (`--port -1`), judged by the flag's own check below.
    ({ values } = parseArgs({ args: joinNegativeValues(argv, SIM_OPTIONS), strict: true, allowPositionals: false, options: SIM_OPTIONS }));
  } catch (err) {
    // The main CLI's wording (`unknown option --bogus`), not parseArgs'.
    return fail(flagProblem(err));
  }
  if (values.help) {
    process.stdout.write(usageFor(process.stdout));
    return 0;
  }
  const port = intFlag('port', values.port, 0, 65535);
  const controlPort = intFlag('control-port', values['control-port'], 0, 65535);
  const seed = intFlag('seed', values.seed, 0, 2 ** 32 - 1);
  const maxServerVersion = intFlag('max-server-version', values['max-server-version'], MIN_SERVER_VERSION, SERVER_VERSION);
  for (const v of [port, controlPort, seed, maxServerVersion]) if (typeof v === 'string') return fail(v);
  let speed: number | undefined;
  if (values.speed !== undefined) {
    speed = Number(values.speed);
    if (values.speed.trim() === '' || !Number.isFinite(speed) || speed < 0 || speed > 100_000) {
      return fail(`--speed expects a number from 0 to 100000, got ${JSON.stringify(values.speed)}`);
    }
  }
  const start = values.start === undefined ? undefined : parseIsoTime(values.start.trim());
  if (typeof start === 'string') return fail(isoTimeProblemText('--start', values.start!, start));
  if (values.base !== undefined && !/^[A-Za-z]{3}$/.test(values.base)) return fail(`--base expects a currency code, got ${JSON.stringify(values.base)}`);

  let sim;
  try {
    sim = await startSimulator({
      host: values.host,
      port: port as number | undefined,
      controlPort: controlPort as number | undefined,
      seed: seed as number | undefined,
      scenario: values.scenario,
      speed,
      startTime: values.start,
      account: values.account,
      baseCurrency: values.base,
      readOnlyApi: values['read-only-api'],
      ...(values['no-live-data'] ? { liveMarketData: false } : {}),
      maxServerVersion: maxServerVersion as number | undefined,
      log: values.log ? { file: values.log } : 'stderr',
    });
  } catch (err) {
    if (err instanceof ScenarioError) {
      process.stderr.write(`tws-risk sim: ${err.message}\n`);
      return 2;
    }
    process.stderr.write(`tws-risk sim: cannot start: ${(err as Error).message}\n`);
    return 1;
  }
  const control = sim.controlPort === null ? 'no control channel' : `control 127.0.0.1:${sim.controlPort}`;
  process.stderr.write(
    `tws-risk sim: TWS API on ${sim.host}:${sim.port}, ${control}, account ${sim.account} (${sim.baseCurrency}), ` +
      `seed ${sim.seed}${sim.scenario ? `, scenario ${sim.scenario.name}` : ''}${values['read-only-api'] ? ', read-only API' : ''}\n`,
  );
  return new Promise<number>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      process.stderr.write(`tws-risk sim: ${signal}, stopping\n`);
      sim.close().then(
        () => resolve(0),
        () => resolve(0),
      );
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
