// The fleet view's remote confirmation has the console's reading time: a y 100 ms after it showed asks nothing and is
// reported to the operator's audit, a y after the reading time asks the guard (on a pinned clock).
import { describe, expect, it } from 'vitest';
import { FleetView, type RemoteControl, type RemoteOutcome, type RemoteTarget } from '../../src/views/fleet/FleetView.js';
import { renderTui } from '../support/render-tui.js';

const target: RemoteTarget = { account: 'DU7654321', host: 'desk-1', session: 's1', guardMode: 'trade', rules: [{ name: 'kill', action: 'globalCancel' }] };

describe("the fleet view's remote confirmation", () => {
  it('refuses a y at +100 ms (nothing asked, the refusal reported), offers y after 500 ms and then asks once', async () => {
    let t = Date.parse('2026-03-02T14:30:00Z');
    const asked: { target: RemoteTarget; index: number }[] = [];
    const early: (number | null)[] = [];
    // The view's port as fleet-remote.ts implements it, on a clock the test moves; the guard's answer is immediate.
    const remote: RemoteControl = {
      armMinutes: 5,
      readMs: 500,
      timeoutS: 10,
      now: () => t,
      armed: () => ({ account: target.account, until: t + 60_000 }),
      arm: () => ({ ok: true, until: t + 60_000 }),
      disarm: () => undefined,
      tooSoon: (_target, _rule, shownMs) => void early.push(shownMs),
      send: (tg, index): Promise<RemoteOutcome> => {
        asked.push({ target: tg, index });
        return Promise.resolve({ outcome: 'done', lines: ['kill (globalCancel): DONE'] });
      },
      inFlight: () => 0,
    };
    const tui = renderTui(
      <FleetView
        title="fleet"
        load={() => Promise.resolve({ lines: ['ACCOUNT HOST', `${target.account} ${target.host}`], keys: [target.account], targets: [target] })}
        everyMs={60_000}
        onOpen={() => undefined}
        onQuit={() => undefined}
        remote={remote}
      />,
      { columns: 120, rows: 30 },
    );
    try {
      await tui.waitForFrame((f) => f.includes(target.host), 'the table');
      await tui.write('X');
      await tui.waitForFrame((f) => f.includes('which of its rules?'), 'the rules');
      await tui.write('\r');
      const shown = await tui.waitForFrame((f) => f.includes('now?') && f.includes('y works after 0.5 s on screen'), 'the confirmation, not read yet');
      expect(shown).not.toContain('y ask ·');

      t += 100;
      await tui.write('y');
      await tui.waitForFrame((f) => f.includes('Too soon (100 ms)') && f.includes('nothing was asked'), 'the refusal');
      expect(asked).toEqual([]);
      expect(early).toEqual([100]);

      t += 400;
      await tui.waitForFrame((f) => f.includes('y ask ·'), 'y offered after the reading time');
      await tui.write('y');
      await tui.waitForFrame((f) => f.includes('kill (globalCancel): DONE'), "the guard's answer");
      expect(asked).toEqual([{ target, index: 0 }]);
      expect(early).toEqual([100]);
    } finally {
      tui.unmount();
    }
  }, 30_000);
});
