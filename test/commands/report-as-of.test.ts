// `tws-risk report`'s "as of" against a simulator whose clock is not this machine's: the JSON's `asOf` is the valuation
// time on TWS's clock, as the text report says, and `receivedAt` is when the data arrived on ours.
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import { startSimulator, type Simulator } from '../../src/sim/index.js';
import { T0 } from '../sim/helpers.js';

const open: Simulator[] = [];
afterEach(async () => {
  while (open.length) await open.pop()!.close();
});

async function report(port: number, clientId: number, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(['report', '--timeout', '30', '--port', String(port), '--client-id', String(clientId), ...args], {
    out: (x) => out.push(x),
    err: (x) => err.push(x),
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('tws-risk report: as of', () => {
  it("gives the valuation time on TWS's clock as asOf, the text's as of, and our receipt time as receivedAt", async () => {
    // A manual clock pinned at T0, long before any day this test runs: TWS's clock and ours cannot coincide.
    const sim = await startSimulator({ port: 0, controlPort: null, seed: 3, speed: 0, startTime: T0, log: false, market: { volScale: 0 } });
    open.push(sim);
    const before = Date.now();
    const json = await report(sim.port, 73, '--json');
    const after = Date.now();
    expect(json.err).toBe('');
    const doc = JSON.parse(json.out) as { asOf: string; receivedAt: string };
    const text = await report(sim.port, 74);
    const shown = /as of (\d{4}-\d\d-\d\d \d\d:\d\d) UTC/.exec(text.out)?.[1];
    // The simulator's clock stands still at T0, so both reports value at its minute.
    const simMinute = new Date(sim.now()).toISOString().replace('T', ' ').slice(0, 16);
    expect(shown).toBe(simMinute);
    expect(doc.asOf.replace('T', ' ').slice(0, 16)).toBe(simMinute);
    const received = Date.parse(doc.receivedAt);
    expect(received).toBeGreaterThanOrEqual(before);
    expect(received).toBeLessThanOrEqual(after);
  }, 90_000);
});
