// The console in a real terminal under outside trouble (issue 14): `kill -INT` from another shell, a disk that
// fills up under a gzip recording. The built CLI runs in a private tmux server, as a user runs it.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyRecording } from '../../src/streams/recording/reader.js';
import { ensureBuilt, hasTmux, tmuxServer } from '../support/tmux.js';
import { fillUp, mountTmpfs, type Tmpfs } from '../support/tmpfs.js';

const server = tmuxServer('harden');
const { dir, tmux, waitForScreen, press } = server;
if (!hasTmux) console.warn('test/e2e/hardening-tmux.test.ts: skipped because tmux is not installed (on PATH); .ci/run installs it with apt-get');
let disk: Tmpfs | string = 'not mounted';

// The simulator's calendar is pinned: nothing on screen depends on today's date.
const scenario = join(dir, 'pinned.json');
writeFileSync(scenario, JSON.stringify({ name: 'pinned', startTime: '2026-03-02T14:30:00Z', seed: 7 }));

beforeAll(() => {
  if (!hasTmux) return;
  ensureBuilt();
  disk = mountTmpfs('e2e-full', 1024);
  if (typeof disk === 'string') console.warn(`test/e2e/hardening-tmux.test.ts: full-disk test skipped: ${disk}`);
}, 120_000);

afterAll(() => {
  if (hasTmux) server.kill();
  if (typeof disk !== 'string') disk.unmount();
  rmSync(dir, { recursive: true, force: true });
});

/** Starts the demo console; `exec` makes the pane's process the CLI itself, so a signal reaches it directly. */
function startDemo(session: string, args: string): void {
  tmux('new-session', '-d', '-s', session, '-x', '100', '-y', '30', `exec node bin/tws-risk demo --scenario ${scenario} ${args}`);
}

describe('the console under outside trouble', () => {
  it.skipIf(!hasTmux)('seals the recording on kill -INT from outside, like SIGTERM and SIGHUP', async () => {
    const record = join(dir, 'int.jsonl');
    startDemo('int', `--record ${record} --config ${join(dir, 'none.json')}`);
    await waitForScreen('int', (s) => /READY/.test(s) && /AAPL/.test(s), 'the ready console');
    const pid = Number(tmux('display-message', '-p', '-t', 'int', '#{pane_pid}').trim());
    process.kill(pid, 'SIGINT');
    const after = await waitForScreen('int', (s) => /tws-risk demo: .* recorded to /.test(s), 'the session summary after SIGINT');
    expect(after).toContain(`recorded to ${record}`);
    const v = await verifyRecording(record);
    expect(v.ok && v.summary.sealed).toBe(true);
    expect(v.ok && v.summary.footer?.reason).toBe('operator quit');
  }, 60_000);

  it.skipIf(!hasTmux)('keeps running when the disk fills under a gzip recording, says so on screen and in the exit line', async (ctx) => {
    if (typeof disk === 'string') return ctx.skip();
    const config = join(dir, 'gzip.json');
    writeFileSync(config, JSON.stringify({ recorder: { gzip: true } }));
    const record = join(disk.dir, 'full.jsonl.gz');
    startDemo('full', `--record ${record} --config ${config}`);
    await waitForScreen('full', (s) => /READY/.test(s) && /AAPL/.test(s), 'the ready console');
    fillUp(disk.dir);
    const stopped = await waitForScreen('full', (s) => /REC STOPPED/.test(s), 'REC STOPPED in the status bar');
    expect(stopped.split('\n')[0]).toMatch(/^ DEMO .*READY.*REC STOPPED.*READ-ONLY/);
    // Still alive and drawing after the failure: the Alerts pane (6) says why.
    await press('full', '6');
    await waitForScreen('full', (s) => /Recording STOPPED: .*ENOSPC/.test(s), 'the reason in the Alerts pane');
    await press('full', 'q');
    const after = await waitForScreen('full', (s) => /tws-risk demo: .*recording STOPPED \(/.test(s), 'the session summary');
    expect(after).toMatch(/recording STOPPED \(ENOSPC[^)]*\); \S*full\.jsonl\.gz holds the session until then, unsealed/);
    expect(after).not.toContain('recorded to');
    rmSync(join(disk.dir, 'filler'));
    const v = await verifyRecording(record);
    expect(v.ok && !v.summary.sealed).toBe(true);
  }, 60_000);
});
