// Simulators for command tests, pinned to T0 and closed after each test; and a loopback port nothing listens on.
import { createServer } from 'node:net';
import { afterEach } from 'vitest';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../src/sim/index.js';
import { T0 } from '../sim/helpers.js';

/**
 * Registers an afterEach that closes every simulator the test started, and returns the starter: frozen prices'
 * clock (speed 0) and seed 9 unless told otherwise.
 */
export function simulatorsPerTest(defaults: SimulatorOptions = {}): (o?: SimulatorOptions) => Promise<Simulator> {
  const open: Array<() => Promise<void>> = [];
  afterEach(async () => {
    while (open.length) await open.pop()!();
  });
  return async (o = {}) => {
    const s = await startSimulator({ port: 0, controlPort: null, seed: 9, speed: 0, startTime: T0, log: false, ...defaults, ...o });
    open.push(() => s.close());
    return s;
  };
}

/** A loopback port nothing listens on: bound, noted, closed. */
export async function deadPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}
