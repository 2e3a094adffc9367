// The demo's start line on the shell's screen: one whole line at 80 columns, wrapped at spaces on a narrower terminal.
import { describe, expect, it } from 'vitest';
import { bannerLines } from '../../src/commands/demo.js';
import { T0 } from '../sim/helpers.js';
import { exitStatus, hasTmux, tmuxSuite } from '../support/tmux.js';
import { join } from 'node:path';

const server = tmuxSuite('banner', 'test/e2e/demo-banner-tmux.test.ts');
const { dir, tmux, newSession, freshUser, waitForScreen, press } = server;

// The widest ports there are, and the demo's account.
const SIM = { host: '127.0.0.1', port: 65535, controlPort: 65534 };
const WHO = 'account DU1234567';

describe("the demo's start line", () => {
  it('fits one line short of the last column at 80 columns, and wraps at spaces below that, losing nothing', () => {
    const [line, ...more] = bannerLines(WHO, SIM, 80);
    expect(more).toEqual([]);
    expect(line!.length).toBeLessThan(80);
    expect(line).toMatch(/control channel \d+\), account DU1234567$/);
    for (const columns of [40, 60, 79]) {
      const lines = bannerLines(WHO, SIM, columns);
      for (const l of lines) expect(l.length, `${columns}: ${l}`).toBeLessThan(columns);
      expect(lines.join(' ')).toBe(line);
    }
    // Not a terminal (a file, a pipe): one line, as a script reads it.
    expect(bannerLines(WHO, SIM, undefined)).toEqual([line]);
  });

  it.skipIf(!hasTmux)(
    'leaves no fragment of itself on the screen at 80 columns once the console has quit',
    async () => {
      const exitFile = join(dir, 'banner.exit');
      newSession('banner', { columns: 80, rows: 24, env: freshUser('banner-data'), exitFile }, `node bin/tws-risk demo --start ${T0} --seed 7 --no-record`);
      await waitForScreen('banner', (s) => /READY/.test(s), 'the ready demo');
      await press('banner', 'q');
      expect(await exitStatus(exitFile)).toBe('exit 0');
      const screen = await waitForScreen('banner', (s) => /tws-risk demo: /.test(s), 'the exit line');
      // Each row is the start line whole, the exit line (joined where the terminal wrapped it) or tmux's line under a
      // finished command: a row that is only the start line's tail (the account's last digit) was the trial's stray "7".
      const rows = tmux('capture-pane', '-p', '-J', '-t', 'banner')
        .split('\n')
        .filter((r) => r.trim() !== '');
      for (const r of rows)
        expect(r, screen).toMatch(/^(demo: simulator on 127\.0\.0\.1:\d+ \(control channel \d+\), account DU1234567$|tws-risk demo: |Pane is dead )/);
    },
    120_000,
  );
});
