// `tws-risk fleet` in a real terminal: the accounts a real nats-server holds, Enter follows one live and read-only, q ends it.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { GuardHandle } from '../../src/commands/guard.js';
import { waitFor } from '../sim/helpers.js';
import { startNatsServer, type NatsServer } from '../support/nats-server.js';
import { isListening, isPublishing, startPublishingGuard } from '../support/publishing-guard.js';
import { QUICK_SOURCE } from '../support/sim-feed.js';
import { simulatorsPerTest } from '../support/sim-rig.js';
import { exitStatus, hasTmux, tmuxSuite } from '../support/tmux.js';

const server = tmuxSuite('fleet-e2e', 'test/e2e/fleet-tmux.test.ts', async () => {
  await guard?.stop('test over');
  await nats?.stop();
});
const { dir, tmux, newSession, waitForScreen, press, capture } = server;
const sims = simulatorsPerTest();
let nats: NatsServer | undefined;
let guard: GuardHandle | undefined;

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
      newSession(s, { columns: 160, rows: 30, exitFile }, `TWS_RISK_DATA_DIR=${join(dir, 'data')} node bin/tws-risk fleet --nats ${nats.url}`);
      const table = await waitForScreen(s, (x) => /DU4444444\s+\S+\s+guard c\d+\s+READY/.test(x), 'the account in the fleet table');
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
      expect(await exitStatus(exitFile, 'the fleet to exit')).toBe('exit 0');

      // A terminal that goes away (tmux kills the pane, SSH drops) takes the fleet view with it.
      newSession('gone', { columns: 160, rows: 30 }, `node bin/tws-risk fleet --nats ${nats.url} --stale-after 7`);
      await waitForScreen('gone', (x) => /DU4444444/.test(x), 'a second fleet view');
      const running = () => spawnSync('pgrep', ['-f', `tws-risk fleet --nats ${nats!.url} --stale-after 7`]).status === 0;
      expect(running()).toBe(true);
      tmux('kill-session', '-t', 'gone');
      await waitFor(() => !running(), 20_000, 'the fleet process to end with its terminal');
    },
    120_000,
  );

  it.skipIf(!hasTmux)(
    "fleet --trade: X asks the account's guard for one of its rules after arming; a wrong code, Enter and a read-only view send nothing",
    async () => {
      nats ??= await startNatsServer();
      const ACCOUNT = 'DU5555555';
      const sim = await sims({ account: ACCOUNT, seed: 11 });
      // Another API client's resting order: the guard's globalCancel rule is what removes it.
      await sim.trigger({
        incident: 'foreign-order',
        clientId: 42,
        symbol: 'AAPL',
        secType: 'STK',
        action: 'SELL',
        quantity: '100',
        orderType: 'LMT',
        lmtPrice: 100_000,
      });
      const openOrders = () => sim.snapshot().openOrders.length;
      expect(openOrders()).toBe(1);
      const g = await startPublishingGuard({
        dir: join(dir, 'guard-remote'),
        port: sim.port,
        clientId: 65,
        publish: nats.url,
        policy: {
          rules: [
            { name: 'say', when: { alert: 'connection.lost' }, do: 'notify' },
            { name: 'kill', when: { alert: 'excess.negative', severity: 'critical' }, do: 'globalCancel' },
          ],
          limits: { maxActionsPerHour: 3, coolDownMs: 600_000, window: 'always' },
        },
        flags: { trade: true, 'confirm-account': ACCOUNT },
        runtime: { actionTimeoutMs: 20_000, source: QUICK_SOURCE },
      });
      const { h, lines } = g;
      guard = h;
      await waitFor(() => isListening(g), 30_000, 'a ready guard listening for commands');
      const row = new RegExp(`${ACCOUNT}\\s+\\S+\\s+guard c\\d+\\s+READY`);

      // Without --trade the view is read-only: X says how to get remote commands, and asks nothing.
      newSession('ro', { columns: 160, rows: 30 }, `TWS_RISK_DATA_DIR=${join(dir, 'data')} node bin/tws-risk fleet --nats ${nats.url}`);
      await waitForScreen('ro', (x) => row.test(x), 'the guard in a read-only fleet view');
      await press('ro', 'X');
      await waitForScreen('ro', (x) => /Read-only: start tws-risk fleet --trade/.test(x), 'the read-only refusal');
      tmux('kill-session', '-t', 'ro');

      const s = 'remote';
      const exitFile = join(dir, 'remote-exit.txt');
      newSession(
        s,
        { columns: 160, rows: 40, exitFile },
        `TWS_RISK_DATA_DIR=${join(dir, 'data')} node bin/tws-risk fleet --nats ${nats.url} --trade --operator desk-lead`,
      );
      // The guard's row, selected: the first row is the riskiest, and this test's guard may share the table with the first test's.
      await waitForScreen(s, (x) => row.test(x) && /X ask its guard/.test(x), 'the guard in the fleet view with --trade');

      // Arming: a wrong code arms nothing.
      await pickRow(s, ACCOUNT);
      await press(s, 'X');
      await waitForScreen(s, (x) => x.includes(`Arm remote commands to ${ACCOUNT}`), 'the arming dialog');
      tmux('send-keys', '-t', s, '-l', '0000');
      await press(s, 'Enter');
      await waitForScreen(s, (x) => /Not armed: "0000" is not the last four characters/.test(x), 'a wrong code refused');
      tmux('send-keys', '-t', s, '-l', ACCOUNT.slice(-4));
      await press(s, 'Enter');
      let screen = await waitForScreen(s, (x) => /which of its rules\?/.test(x) && /kill \(globalCancel\)/.test(x), 'the rules of the guard');
      expect(screen).toMatch(new RegExp(`ARMED for remote commands to ${ACCOUNT} until \\d\\d:\\d\\d:\\d\\d UTC`));
      expect(screen).toMatch(/say \(notify\)/);
      await press(s, 'Down', 'Enter');
      await waitForScreen(s, (x) => /to run its rule kill \(globalCancel\) now\?/.test(x), 'the confirmation');
      // A pasted y (after a colour code, inside paste markers) answers nothing; Enter is never a confirmation: it
      // cancels. Keys are handled in order, so once Enter has cancelled, the pasted ys before it were dropped.
      for (const text of ['\u001b[0my', '\u001b[200~y\u001b[201~']) {
        tmux('set-buffer', '-b', 'clip', text);
        tmux('paste-buffer', '-b', 'clip', '-t', s);
      }
      // A lone y pasted as a terminal pastes it (-p: tmux brackets it, the view having asked for bracketed paste).
      tmux('set-buffer', '-b', 'clip', 'y');
      tmux('paste-buffer', '-p', '-b', 'clip', '-t', s);
      await press(s, 'Enter');
      await waitForScreen(s, (x) => /Cancelled: nothing was sent/.test(x), 'Enter cancelling');
      expect(openOrders()).toBe(1);
      expect(lines.some((l) => l.includes('event=command.'))).toBe(lines.some((l) => l.includes('event=command.listening')));
      expect(lines.filter((l) => /event=command\.(accepted|refused)/.test(l))).toEqual([]);

      // Armed already: X goes to the rules; y on the confirmation asks, and the guard's answer is shown.
      await press(s, 'X');
      await waitForScreen(s, (x) => /which of its rules\?/.test(x), 'the rules again (armed)');
      await press(s, 'Down', 'Enter');
      // Its key asks once the confirmation has been on screen for its reading time: the footer then offers it.
      await waitForScreen(s, (x) => /to run its rule kill \(globalCancel\) now\?/.test(x) && /y ask ·/.test(x), 'the confirmation again, read');
      await press(s, 'y');
      screen = await waitForScreen(s, (x) => /kill \(globalCancel\): DONE/.test(x), "the guard's answer", 60_000);
      expect(screen).toMatch(/plan: GLOBAL CANCEL: 1 open order\(s\)/);
      await waitFor(() => openOrders() === 0, 20_000, 'the resting order cancelled by the guard');
      expect(h.status().lastAction).toMatchObject({ rule: 'kill', action: 'globalCancel', alert: 'operator', outcome: 'done' });
      const decided = readFileSync(h.auditFile, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { kind: string; type?: string; detail?: Record<string, unknown> })
        .filter((e) => e.kind === 'entry' && e.type === 'guardDecision');
      expect(decided.map((e) => e.detail)).toEqual([expect.objectContaining({ rule: 'kill', operator: expect.objectContaining({ name: 'desk-lead' }) })]);

      // Quitting while armed asks first; disarmed, and quitting ends the command.
      await press(s, 'Escape');
      await waitForScreen(s, (x) => !/kill \(globalCancel\): DONE/.test(x), 'the answer closed');
      await press(s, 'q');
      await waitForScreen(s, (x) => new RegExp(`Remote commands are ARMED for ${ACCOUNT}: q again quits`).test(x), 'the quit asked again');
      expect(existsSync(exitFile)).toBe(false);
      await press(s, '!');
      await waitForScreen(s, (x) => /Remote commands disarmed/.test(x) && !/ARMED for remote commands/.test(x), 'disarmed');
      await press(s, 'q');
      expect(await exitStatus(exitFile, 'the fleet to exit')).toBe('exit 0');
      guard = undefined;
      await h.stop('test over');
    },
    150_000,
  );
});

/** Moves the fleet view's selection onto the row of an account (rows are sorted by risk, so its place is not fixed). */
async function pickRow(s: string, account: string): Promise<void> {
  for (let i = 0; i < 10; i++) {
    // The selected row is marked ▶ in its text (it is inverse too, which a colourless terminal does not show).
    if (
      capture(s)
        .split('\n')
        .some((l) => l.startsWith('▶ ') && l.includes(account))
    )
      return;
    await press(s, 'Down');
    await waitForScreen(s, (x) => x.split('\n').some((l) => l.startsWith('▶ ')), 'a selected row');
  }
  throw new Error(`could not select ${account}:\n${capture(s)}`);
}
