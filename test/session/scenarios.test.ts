// One scenario selector: for the same state the console, `report`, the flatten preview and the alerts run one list.
import { describe, expect, it } from 'vitest';
import { chooseScenarios } from '../../src/commands/stress.js';
import { bookScenarios, stressForAlerts } from '../../src/risk/alerts/index.js';
import { createStressRunner } from '../../src/session/stress-model.js';
import { stateAt } from '../../src/streams/replay/state-at.js';

describe("the session's one scenario selector", () => {
  it('on the multi-currency sample, the Stress pane, report (and the flatten preview it shares) and the alert rules run the same scenarios', async () => {
    const { state } = await stateAt('recordings/sample-multicurrency.jsonl');
    const now = state.lastEventAt;
    const pane = createStressRunner()(state, now);
    if (!pane.ok) throw new Error(pane.error);
    const chosen = chooseScenarios(state, [], undefined);
    if (!('scenarios' in chosen)) throw new Error(chosen.problems.join('; '));
    const alerts = stressForAlerts(state, now);
    if (!alerts.ok) throw new Error(alerts.error);
    const ids = pane.report.scenarios.map((s) => s.id);
    expect(ids.length).toBeGreaterThan(0);
    expect(chosen.scenarios.map((s) => s.id)).toEqual(ids);
    expect(alerts.report.scenarios.map((s) => s.id)).toEqual(ids);
    expect(bookScenarios(state).map((s) => s.id)).toEqual(ids);
    // So the pane's "worst" is a scenario report names too.
    if (pane.model.worst) expect(chosen.scenarios.map((s) => s.id)).toContain(pane.model.worst.id);
  });
});
