// Two publishers of one account on one host (two guards, a guard and a console) stay two rows that read differently, even at 80 columns.
import { describe, expect, it } from 'vitest';
import { fleetColumns, fleetRows } from '../../src/commands/fleet.js';
import { summarySubject } from '../../src/streams/nats/subjects.js';
import type { RiskSummary } from '../../src/streams/nats/summary.js';
import { fitColumns } from '../../src/views/format.js';
import { trialSummaries } from '../support/fleet-books.js';

const AT = Date.UTC(2026, 11, 7, 18, 41, 50);

describe('rows of one account on one host', () => {
  const [guard] = trialSummaries(AT);
  const g1: RiskSummary = { ...guard, account: 'DU7654321', host: 'vm', session: 'vm-1', instance: 'c4801' };
  const g2: RiskSummary = { ...g1, session: 'vm-2', instance: 'c4802' };
  const console_: RiskSummary = { ...guard, account: 'DU7654321', host: 'vm', session: 'vm-3', role: 'console' };
  const c1: RiskSummary = { ...console_, session: 'vm-4', instance: 'c4217' };

  it('each guard and console publishes its summary on a subject of its own (by client id); an older console its role subject', () => {
    const subjects = [g1, g2, c1, console_].map((s) => summarySubject(s.account, s.host, s.role, s.instance));
    expect(subjects).toEqual([
      'tws-risk.DU7654321.summary.vm-guard-c4801',
      'tws-risk.DU7654321.summary.vm-guard-c4802',
      'tws-risk.DU7654321.summary.vm-console-c4217',
      'tws-risk.DU7654321.summary.vm-console',
    ]);
    // The fleet reads every one of them: one token after `summary`, whatever the publisher's version.
    expect(subjects.every((s) => /^tws-risk\.[^.]+\.summary\.[^.]+$/.test(s))).toBe(true);
  });

  for (const width of [80, 100])
    it(`${width} columns: ROLE (with the client id) is drawn, so no two rows read the same`, () => {
      const { specs, rows } = fleetColumns(fleetRows([g1, g2, console_], AT + 1_000, 5_000));
      const fitted = fitColumns(specs, width);
      const ids = fitted.map((c) => c.id);
      expect(ids).toContain('role');
      const drawn = rows.map((r) => ids.map((id) => r[specs.findIndex((s) => s.id === id)]).join(' '));
      expect(new Set(drawn).size).toBe(3);
      expect(rows.map((r) => r[specs.findIndex((s) => s.id === 'role')]).sort()).toEqual(['console', 'guard c4801', 'guard c4802']);
    });

  it('rows on different hosts keep the usual order of giving way (HOST before ROLE)', () => {
    const [a, b] = trialSummaries(AT);
    const { specs } = fleetColumns(fleetRows([a, b], AT + 1_000, 5_000));
    expect(fitColumns(specs, 80).map((c) => c.id)).not.toContain('role');
    expect(fitColumns(specs, 80).map((c) => c.id)).toContain('host');
  });
});
