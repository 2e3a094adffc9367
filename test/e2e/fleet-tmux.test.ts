// `tws-risk fleet` in a real terminal: the accounts a real nats-server holds, Enter follows one live and read-only, q ends it.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GuardHandle } from '../../src/commands/guard.js';
import { waitFor } from '../sim/helpers.js';
import { startNatsServer, type NatsServer } from '../support/nats-server.js';
import { isPublishing, startPublishingGuard } from '../support/publishing-guard.js';
import { simulatorsPerTest } from '../support/sim-rig.js';
import { ensureBuilt, hasTmux, tmuxServer } from '../support/tmux.js';

const server = tmuxServer('fleet-e2e');
const { dir, tmux, waitForScreen, press } = server;
const sims = simulatorsPerTest();
let nats: NatsServer | undefined;
let guard: GuardHandle | undefined;

beforeAll(() => {
  if (hasTmux) ensureBuilt();
}, 120_000);

afterAll(async () => {
  if (hasTmux) server.kill();
  await guard?.stop('test over');
  await nats?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('tws-risk fleet in tmux', () => {
  it.skipIf(!hasTmux)(
    'lists the publishing account, follows its console live from the stream on Enter, and ends with it',
    async () => {
      nats = await startNatsServer();
      const sim = await sims({ account: 'DU4444444', seed: 9 });
      const g = await startPublishingGuard({ dir: join(dir, 'guard'), port: sim.port, clientId: 64, publish: nats.url });
      guard = g.h;
      await waitFor(() => isPublishing(g), 30_000, 'a publishing guard');

      const s = 'fl';
      const exitFile = join(dir, 'fleet-exit.txt');
      tmux(
        'new-session',
        '-d',
        '-s',
        s,
        '-x',
        '160',
        '-y',
        '30',
        `TWS_RISK_DATA_DIR=${join(dir, 'data')} node bin/tws-risk fleet --nats ${nats.url}; echo "exit $?" > ${exitFile}`,
      );
      const table = await waitForScreen(s, (x) => /DU4444444\s+\S+\s+guard\s+READY/.test(x), 'the account in the fleet table');
      expect(table).toContain('tws-risk fleet · nats://127.0.0.1');
      expect(table).toMatch(/ACCOUNT\s+HOST\s+ROLE\s+HEALTH/);

      await press(s, 'Enter');
      const opened = await waitForScreen(
        s,
        (x) => /^ FOLLOW /m.test(x) && /DU4444444/.test(x) && /last event \d+s ago/.test(x) && /READY/.test(x),
        'the account followed from the stream',
      );
      expect(opened).toMatch(/READ-ONLY/);
      expect(opened).toMatch(/NATS nats:\/\/127\.0\.0\.1:\d+/);
      // The publisher stops: the console says so, and for how long.
      guard = undefined;
      await g.h.stop('test over');
      await waitForScreen(s, (x) => /publisher silent for \d+s/.test(x), 'the publisher silent');
      await press(s, '3');
      await waitForScreen(s, (x) => /\[3 Stress\]/.test(x), 'the console taking keys');
      // Quitting the account's console ends the command (run fleet again for the table).
      await press(s, 'q');
      // The exit code from a file: tmux may take its time to reap a finished pane.
      await waitFor(() => existsSync(exitFile), 30_000, 'the fleet to exit');
      expect(readFileSync(exitFile, 'utf8').trim()).toBe('exit 0');

      // A terminal that goes away (tmux kills the pane, SSH drops) takes the fleet view with it.
      tmux('new-session', '-d', '-s', 'gone', '-x', '160', '-y', '30', `node bin/tws-risk fleet --nats ${nats.url} --stale-after 7`);
      await waitForScreen('gone', (x) => /DU4444444/.test(x), 'a second fleet view');
      const running = () => spawnSync('pgrep', ['-f', `tws-risk fleet --nats ${nats!.url} --stale-after 7`]).status === 0;
      expect(running()).toBe(true);
      tmux('kill-session', '-t', 'gone');
      await waitFor(() => !running(), 20_000, 'the fleet process to end with its terminal');
    },
    120_000,
  );
});
