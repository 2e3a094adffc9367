// Freezing the panes freezes the picture only: during a margin spike with the panes frozen, the console still raises
// the alert, rings the bell, runs the hook and records the transition (runConsole on the simulator).
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { runConsole } from '../../src/commands/console.js';
import type { CommandIo } from '../../src/commands/io.js';
import { DEFAULT_SETTINGS } from '../../src/config/settings.js';
import type { FeedEvent } from '../../src/model/events.js';
import { waitFor } from '../sim/helpers.js';
import { startRecordedConsole } from '../support/recorded-console.js';

const dir = mkdtempSync(join(tmpdir(), 'tws-risk-console-freeze-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The house-margin jump, made critical at 2× our estimate in these settings (report-alerts.test.ts does the same). */
const isExcessAlert = (ev: FeedEvent) =>
  ev.type === 'alertChanged' && ev.kind === 'raised' && ev.alert.id === 'margin.jump' && ev.alert.severity === 'critical';

describe('a frozen console during a margin spike', () => {
  it('raises, rings, hooks and records the critical alert while the panes stay frozen', async () => {
    const rig = await startRecordedConsole(dir, 34);
    const { sim, feed, stdout, stdin, hookOut } = rig;
    const io: CommandIo = { out: () => {}, err: () => {} };
    const settings = {
      ...DEFAULT_SETTINGS,
      keymap: [{ key: 'Q', command: 'app.quit' }],
      alerts: { bell: 'critical', hook: { command: [...rig.hook] }, rules: { 'margin.jump': { factorAbove: { critical: 2 } } } },
    };
    try {
      await waitFor(() => feed.state.health === 'ready' && feed.state.complete.accountDownload && feed.state.complete.positions, 20_000, 'a synchronised feed');
      const done = runConsole({ ...rig.wiring, settings, io, trading: 'readOnly' });
      await vi.waitFor(() => expect(stdout.out).toContain('Positions'), { timeout: 20_000 });
      expect(stdout.out).not.toContain('\u0007'); // nothing critical before the spike
      stdin.type(' ');
      await vi.waitFor(() => expect(stdout.out).toMatch(/FROZEN/), { timeout: 20_000 });
      const seen: FeedEvent[] = [];
      const sub = feed.events$.subscribe((ev) => seen.push(ev));
      // House margins for futures ×2.5: the reported requirement jumps to 2.5× our estimate.
      await sim.trigger({ incident: 'margin-spike', factor: 2.5, secTypes: ['FUT', 'FOP'] });
      await waitFor(() => seen.some(isExcessAlert), 30_000, 'a critical alert raised while frozen');
      sub.unsubscribe();
      await waitFor(() => existsSync(hookOut) && readFileSync(hookOut, 'utf8').includes('"critical"'), 20_000, 'the hook run');
      expect(stdout.out).toContain('\u0007');
      // Still frozen: the panes did not thaw to show it, the status bar says so.
      expect(stdout.out.slice(stdout.out.lastIndexOf('FROZEN') - 2000)).toMatch(/FROZEN/);
      stdin.type('Q');
      expect(await done).toBe(0);
      expect((await rig.recorded()).filter(isExcessAlert).length).toBeGreaterThan(0);
    } finally {
      await rig.close();
    }
  }, 120_000);
});
