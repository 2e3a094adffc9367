// The fleet view's two test summaries (the user trial's): two criticals, ARMED and a long scenario name; a quiet one.
import type { RiskSummary } from '../../src/streams/nats/summary.js';

/** The first summary from host trader-1 (session s1), the second from desk-2 (s2), both stamped `at`. */
export function trialSummaries(at: number): readonly [RiskSummary, RiskSummary] {
  const base = {
    format: 'tws-risk-summary',
    host: 'trader-1',
    session: 's1',
    at,
    lastSeq: 10,
    lastEventAt: at,
    health: 'ready',
    baseCurrency: 'USD',
    publishing: { behind: 0, dropped: 0 },
  } as const;
  return [
    {
      ...base,
      account: 'DU1111111',
      role: 'guard',
      netLiquidation: '1234567.2',
      excessLiquidity: '600123',
      cushion: '0.486',
      worstStress: { scenario: 'Crash: indexes -20%, vol up, credit wider', loss: '-178432.4' },
      alerts: { critical: 2, warning: 1, info: 0 },
      armed: true,
      mode: 'trade',
    },
    {
      ...base,
      host: 'desk-2',
      session: 's2',
      account: 'DU2222222',
      role: 'console',
      netLiquidation: '250000',
      excessLiquidity: '180000',
      cushion: '0.72',
      worstStress: { scenario: 'Rates +100bp', loss: '-12000' },
      alerts: { critical: 0, warning: 0, info: 3 },
      armed: false,
      mode: 'readOnly',
    },
  ];
}
