// Public entry of the embedded TWS simulator: startSimulator() and the types callers need.
import { resolveOptions, type SimulatorOptions } from './config.js';
import { ControlChannel } from './control.js';
import type { Incident } from './incidents.js';
import { createLogger } from './log.js';
import { loadScenario, type Scenario } from './scenario.js';
import { TcpTransport } from './server.js';
import type { SimSnapshot } from './snapshot.js';
import { Simulation } from './simulation.js';

export type { SimulatorOptions } from './config.js';
export type { Cadence } from './cadence.js';
export type { Incident, OrderIncident } from './incidents.js';
export { INCIDENT_NAMES } from './incidents.js';
export type { Scenario, ScheduledIncident } from './scenario.js';
export { loadScenario, parseScenario, ScenarioError } from './scenario.js';
export type { SimSnapshot } from './snapshot.js';
export { snapshotValue } from './snapshot.js';
export type { LogTarget, SimLogger } from './log.js';

/** A running simulator. */
export interface Simulator {
  /** API port (the real one when 0 was asked for). */
  readonly port: number;
  /** Control channel port on 127.0.0.1, or null when disabled. */
  readonly controlPort: number | null;
  readonly host: string;
  readonly account: string;
  readonly baseCurrency: string;
  readonly seed: number;
  readonly scenario?: Scenario;
  /** Stops timers, closes every client and both listeners. Idempotent. */
  close(): Promise<void>;
  /** Applies an incident now (resolves once applied; a restart resolves when the listener is down). */
  trigger(incident: Incident): Promise<void>;
  /**
   * The simulator's own truth: positions, cash, account values as they would be sent now, orders, fills. With an FA
   * sub-account's name: that account's book and values (it has no orders).
   */
  snapshot(account?: string): SimSnapshot;
  /** Steps a manual clock (speed 0) by `ms` of virtual time; with a running clock it jumps ahead. */
  advance(ms: number): void;
  setSpeed(speed: number): void;
  /** Current virtual time (epoch ms). */
  now(): number;
}

/** Starts the simulator: binds the API port (and the control port), then begins the simulated day. */
export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const scenario = typeof options.scenario === 'string' ? loadScenario(options.scenario) : options.scenario;
  const opts = resolveOptions(options, scenario);
  const log = createLogger(opts.log);
  const sim = new Simulation(opts, log);
  const transport = new TcpTransport(opts.host, opts.port, (socket) => sim.addSocket(socket), log);
  sim.transport = transport;
  await transport.start();
  const control =
    opts.controlPort === null
      ? undefined
      : new ControlChannel(
          {
            trigger: (i) => sim.trigger(i),
            snapshot: () => sim.snapshot(),
            setSpeed: (s) => sim.clock.setSpeed(s),
            advance: (ms) => sim.clock.advance(ms),
            status: () => {
              const snap = sim.snapshot();
              return {
                time: new Date(sim.clock.now()).toISOString(),
                speed: sim.clock.speed,
                seed: opts.seed,
                scenario: scenario?.name ?? null,
                ...snap.state,
                sessions: snap.sessions,
              };
            },
          },
          log,
        );
  try {
    if (control) await control.listen(opts.controlPort ?? 0);
  } catch (err) {
    sim.stop();
    await transport.stop();
    throw err;
  }
  sim.start();
  log(
    'info',
    `simulator up on ${opts.host}:${transport.port}, account ${opts.account}, seed ${opts.seed}, speed ${opts.speed}` +
      (scenario ? `, scenario ${scenario.name}` : ''),
  );
  let closed: Promise<void> | undefined;
  return {
    get port() {
      return transport.port;
    },
    controlPort: control ? control.port : null,
    host: opts.host,
    account: opts.account,
    baseCurrency: opts.baseCurrency,
    seed: opts.seed,
    scenario,
    close() {
      closed ??= (async () => {
        sim.stop();
        await Promise.all([transport.stop(), control?.close()]);
        log('info', 'simulator stopped');
      })();
      return closed;
    },
    trigger: (i) => sim.trigger(i),
    snapshot: (account) => sim.snapshot(account),
    advance: (ms) => sim.clock.advance(ms),
    setSpeed: (s) => sim.clock.setSpeed(s),
    now: () => sim.clock.now(),
  };
}
