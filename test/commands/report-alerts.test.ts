// `tws-risk report --json` against the simulator's margin spike: a one-shot report has no baseline from before the
// spike, so margin.jump flags it in one look, by the reported requirement against our rules-based estimate.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import { startSimulator } from '../../src/sim/index.js';
import { T0 } from '../sim/helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'tws-risk-report-alerts-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function report(
  port: number,
  clientId: number,
  config?: string,
): Promise<{ code: number; doc: { alerts: { id: string; severity: string; title: string }[] }; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(
    ['report', '--port', String(port), '--client-id', String(clientId), '--json', '--timeout', '20', ...(config ? ['--config', config] : [])],
    {
      out: (x) => out.push(x),
      err: (x) => err.push(x),
    },
  );
  return { code, doc: JSON.parse(out.join('\n')), err: err.join('\n') };
}

describe('tws-risk report during a margin spike', () => {
  it('lists margin.jump in one look (warning by default); with a critical factor level it exits 5', async () => {
    const sim = await startSimulator({ port: 0, controlPort: null, seed: 7, speed: 20, startTime: T0, log: false });
    const config = join(dir, 'settings.json');
    writeFileSync(config, JSON.stringify({ alerts: { rules: { 'margin.jump': { factorAbove: { critical: 2 } } } } }));
    try {
      // Before the spike: no margin alert, nothing critical.
      const quiet = await report(sim.port, 51, config);
      expect(quiet.err).toBe('');
      expect(quiet.doc.alerts.filter((a) => a.id === 'margin.jump')).toEqual([]);
      expect(quiet.code).toBe(0);

      await sim.trigger({ incident: 'margin-spike', factor: 2.5, secTypes: ['FUT', 'FOP'] });
      const byDefault = await report(sim.port, 52);
      const jump = byDefault.doc.alerts.find((a) => a.id === 'margin.jump');
      expect(jump?.severity).toBe('warning');
      // Our SPAN scan offsets the short ES calls against the long futures, which the simulator's rules do not: the factor is above 2.5.
      expect(jump?.title).toMatch(/^(Maintenance|Initial) margin \(commodities\) [\d,]+ USD is \d+\.\d\d× our rules-based estimate [\d,]+ USD \(limit 2×\)/);

      const critical = await report(sim.port, 53, config);
      expect(critical.doc.alerts.find((a) => a.id === 'margin.jump')?.severity).toBe('critical');
      expect(critical.code).toBe(5);
    } finally {
      await sim.close();
    }
  }, 90_000);
});
