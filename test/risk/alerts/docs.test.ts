// docs/alerts.md keeps the generated defaults and every rule in step with the code.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_ALERT_CONFIG } from '../../../src/risk/alerts/config.js';
import { RULE_NAMES } from '../../../src/risk/alerts/types.js';

const doc = readFileSync(new URL('../../../docs/alerts.md', import.meta.url), 'utf8');

describe('docs/alerts.md', () => {
  it('shows the defaults exactly as DEFAULT_ALERT_CONFIG has them', () => {
    const m = /<!-- BEGIN GENERATED: alert defaults[^>]*-->\s*```json\n([\s\S]*?)```\s*<!-- END GENERATED -->/.exec(doc);
    expect(m, 'the generated defaults block').not.toBeNull();
    expect(JSON.parse(m![1]!)).toEqual(JSON.parse(JSON.stringify(DEFAULT_ALERT_CONFIG)));
  });

  it('describes every rule', () => {
    const ids: Record<string, string> = {
      'liquidation.distance': 'liquidation.px:CLASS',
      'foreign.client': 'foreign.client:ID',
      'manual.order': 'manual.order:perm:N',
      'position.unexplained': 'position.unexplained:CONID',
      'stream.stale': 'stream.stale:STREAM',
      'tws.code': 'tws.code:CODE',
      'exposure.ccy': 'exposure.ccy:CCY',
      'concentration.und': 'concentration.und:SYMBOL',
    };
    for (const r of RULE_NAMES) expect(doc).toContain(`| \`${ids[r] ?? r}\` |`);
  });
});
