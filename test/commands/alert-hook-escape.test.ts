// A hook whose child leaves its process group (setsid) and keeps the stderr pipe open (issue 14 item 5).
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createAlertEffects } from '../../src/commands/alert-effects.js';
import type { AlertEffectSettings } from '../../src/config/settings.js';
import type { JsonValue } from '../../src/model/events.js';
import type { Alert, AlertTransition } from '../../src/risk/alerts/index.js';
import { waitFor } from '../sim/helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'tws-risk-hook-escape-'));
const escaped: string[] = [];
afterAll(() => {
  // The escaped sleepers are outside every group we kill: end them by the pids they wrote.
  for (const f of escaped) {
    if (!existsSync(f)) continue;
    try {
      process.kill(Number(readFileSync(f, 'utf8').trim()), 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

const alert: Alert = {
  id: 'excess.negative',
  rule: 'excess.negative',
  severity: 'critical',
  title: 'ExcessLiquidity is negative',
  detail: {},
  firstSeenAt: 1000,
  raisedAt: 2000,
  lastSeenAt: 2000,
  acknowledged: false,
};
const raised = (id: string): AlertTransition => ({ kind: 'raised', at: 2000, alert: { ...alert, id } });

/** A hook that starts a sleeper in its own session (holding the hook's stderr), then does `rest`. */
function escapingHook(name: string, rest: string): { file: string; pidFile: string } {
  const pidFile = join(dir, `${name}.pid`);
  escaped.push(pidFile);
  const file = join(dir, `${name}.sh`);
  writeFileSync(file, `#!/bin/sh\nsetsid sh -c 'echo $$ > "${pidFile}"; exec sleep 120' &\n${rest}\n`);
  chmodSync(file, 0o755);
  return { file, pidFile };
}

function rig(settings: AlertEffectSettings) {
  const notes: { [k: string]: JsonValue }[] = [];
  return { fx: createAlertEffects({ settings, note: (d) => notes.push(d) }), notes };
}

describe('a hook whose child escapes its process group', () => {
  it('is done at its timeout plus the kill grace, and the next hook runs', async () => {
    const { file, pidFile } = escapingHook('slow', 'sleep 120');
    const marker = join(dir, 'second-ran');
    const second = join(dir, 'second.sh');
    writeFileSync(second, `#!/bin/sh\ntouch "${marker}"\n`);
    chmodSync(second, 0o755);
    const r = rig({ bell: 'off', hook: { command: [file], timeoutMs: 300, minSeverity: 'info', maxRunning: 1 } });
    const started = Date.now();
    r.fx.handle([raised('a')], 'U1');
    await waitFor(() => existsSync(pidFile), 10_000, 'the escaped sleeper started');
    await r.fx.idle();
    // The documented bound: timeoutMs, then SIGKILL 2 s later; generous slack for a loaded machine.
    expect(Date.now() - started).toBeLessThan(300 + 2_000 + 5_000);
    expect(r.notes).toEqual([expect.objectContaining({ outcome: 'timedOut', alert: 'a' })]);
    expect(r.fx.running).toBe(0);
    const ok = rig({ bell: 'off', hook: { command: [second], timeoutMs: 5_000, minSeverity: 'info', maxRunning: 1 } });
    ok.fx.handle([raised('b')], 'U1');
    await ok.fx.idle();
    expect(existsSync(marker)).toBe(true);
  }, 20_000);

  it('is done soon after the hook itself exits, even though the escaped child still holds its stderr', async () => {
    const { file, pidFile } = escapingHook('quick', 'exit 0');
    const r = rig({ bell: 'off', hook: { command: [file], timeoutMs: 60_000, minSeverity: 'info', maxRunning: 1 } });
    const started = Date.now();
    r.fx.handle([raised('c')], 'U1');
    await r.fx.idle();
    expect(Date.now() - started).toBeLessThan(10_000); // far below the 60 s timeout and the sleeper's 120 s
    expect(existsSync(pidFile)).toBe(true);
    expect(r.notes).toEqual([]);
  }, 20_000);
});
