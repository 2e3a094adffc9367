// The guard's risk passes hold what it reads (alerts' report, worst scenario) and leave out what only panes draw.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { startGuard, type GuardHandle } from '../../src/commands/guard.js';
import type { CommandIo } from '../../src/commands/io.js';
import { DEFAULT_SETTINGS } from '../../src/config/settings.js';
import type { RiskResult } from '../../src/session/stress-model.js';
import { waitFor } from '../sim/helpers.js';
import { simulatorsPerTest } from '../support/sim-rig.js';

const root = mkdtempSync(join(tmpdir(), 'tws-risk-guard-risk-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const sims = simulatorsPerTest();
const running: GuardHandle[] = [];
afterEach(async () => {
  while (running.length) await running.pop()!.stop('test over');
});

const POLICY = {
  rules: [{ when: { alert: 'excess.negative', severity: 'critical' }, do: 'globalCancel' }],
  limits: { maxActionsPerHour: 3, coolDownMs: 600_000, window: 'always' },
};

describe('the guard’s risk passes', () => {
  it('are made for no display: no P&L curves nor model greeks, the scenarios, worst and alerts all there', async () => {
    const sim = await sims();
    const dir = join(root, 'run');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'policy.json'), JSON.stringify(POLICY));
    const lines: string[] = [];
    const io: CommandIo = { out: (l) => lines.push(l), err: (l) => lines.push(l) };
    const passes: RiskResult[] = [];
    const h = await startGuard(
      { policy: join(dir, 'policy.json'), port: String(sim.port), 'client-id': '62', 'no-record': true, 'status-file': join(dir, 'status.json') },
      io,
      {
        evalMs: 100,
        auditDir: join(dir, 'audit'),
        settings: DEFAULT_SETTINGS,
        env: { ...process.env, TWS_RISK_DATA_DIR: join(dir, 'data') },
        source: { heartbeatMs: 500, heartbeatTimeoutMs: 10_000, backoff: { initialMs: 100, maxMs: 400, jitter: 0.1 } },
        onRiskPass: (r) => passes.push(r),
      },
    );
    if (typeof h === 'number') throw new Error(`guard did not start (exit ${h}):\n${lines.join('\n')}`);
    running.push(h);
    const pass = await waitFor(() => passes.find((p) => p.ok), 30_000, 'a risk pass on the simulator’s book');
    if (!pass.ok) throw new Error('unreachable');
    // What only the panes read is left out.
    expect(pass.display).toBe(false);
    expect(pass.model.modelGreeks.size).toBe(0);
    expect(pass.model.subjects.length).toBeGreaterThan(0);
    for (const s of pass.model.subjects) expect(s.curve, s.key).toEqual([]);
    // What the guard reads is whole: the engine's report for the alert rules, the scenarios and the worst for the summary.
    expect(pass.report.scenarios.length).toBeGreaterThan(0);
    expect(pass.model.scenarios.map((s) => s.id)).toEqual(pass.report.scenarios.map((s) => s.id));
    const losses = pass.report.scenarios.filter((s) => s.pnl.total.isNegative());
    expect(losses.length).toBeGreaterThan(0);
    const least = losses.reduce((a, s) => (s.pnl.total.lt(a.pnl.total) ? s : a));
    expect(pass.model.worst?.id).toBe(least.id);
    // And the alert rules still act on those passes: a margin spike takes ExcessLiquidity below zero.
    await sim.trigger({ incident: 'margin-spike', factor: 3, secTypes: ['ALL'] });
    await waitFor(() => h.status().wouldDo.some((v) => v.alert === 'excess.negative'), 30_000, 'the guard to see excess.negative');
    expect(passes.every((p) => !p.ok || p.display === false)).toBe(true);
  });
});
