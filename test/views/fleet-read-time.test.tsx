// The fleet view's remote confirmation has the console's reading time: a y before it asks nothing and is written to the
// operator's audit log, a resize that cuts what it asks restarts it, and after it y asks (real remote port, real NATS).
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { remoteControl } from '../../src/commands/fleet-remote.js';
import { ManualClock } from '../../src/model/clock.js';
import { FleetView, type RemoteControl, type RemoteTarget } from '../../src/views/fleet/FleetView.js';
import { waitFor } from '../sim/helpers.js';
import { startNatsServer, type NatsServer } from '../support/nats-server.js';
import { renderTui } from '../support/render-tui.js';
import { PinnedClock } from '../support/pinned-clock.js';

const target: RemoteTarget = { account: 'DU7654321', host: 'desk-1', session: 's1', guardMode: 'trade', rules: [{ name: 'kill', action: 'globalCancel' }] };

let nats: NatsServer;
let nc: NatsConnection;
const auditDir = mkdtempSync(join(tmpdir(), 'tws-risk-fleet-read-'));
beforeAll(async () => {
  nats = await startNatsServer();
  nc = await connect({ servers: `127.0.0.1:${nats.port}` });
});
afterAll(async () => {
  await nc?.close();
  await nats?.stop();
  rmSync(auditDir, { recursive: true, force: true });
});

describe("the fleet view's remote confirmation", () => {
  it('refuses a y at +100 ms (nothing asked, audited), restarts the time after a resize cut what it asks, then asks once', async () => {
    const reading = new PinnedClock(0);
    const real = remoteControl({
      nc,
      clock: new ManualClock(Date.parse('2026-03-02T14:30:00Z')),
      readClock: reading,
      armMs: 5 * 60_000,
      readMs: 500,
      timeoutMs: 5_000,
      auditDir,
      appVersion: 'test',
    });
    // The real port, watched: which confirmations the view put on screen, in order.
    const shown: string[] = [];
    const remote: RemoteControl = {
      ...real,
      onScreen: (id, ready) => {
        shown.push(id);
        return real.onScreen(id, ready);
      },
    };
    const steps = () =>
      readFileSync(real.auditFile()!, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { kind: string; detail?: { step?: string; shownMs?: number | null } })
        .filter((e) => e.kind === 'entry')
        .map((e) => [e.detail!.step, e.detail!.shownMs ?? null]);
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
      await tui.waitForFrame((f) => f.includes('Type the last four characters'), 'the arming');
      await tui.write('4321');
      await tui.write('\r');
      await tui.waitForFrame((f) => f.includes('which of its rules?'), 'the rules');
      await tui.write('\r');
      const first = await tui.waitForFrame((f) => f.includes('now?') && f.includes('y works after 0.5 s on screen'), 'the confirmation, not read yet');
      expect(first).not.toContain('y ask ·');
      // Its time starts from the committed frame (a layout effect): the wiring knows it before any key.
      await waitFor(() => (shown.length === 1 && remote.readyIn(shown[0]!) === 500 ? true : undefined), 10_000, 'the confirmation counted as on screen');

      reading.t += 100;
      await tui.write('y');
      await tui.waitForFrame((f) => f.includes('Too soon (100 ms)') && f.includes('nothing was asked'), 'the refusal');

      // A terminal too narrow and short for what it asks: the line is cut, the time stops, y is not offered.
      reading.t += 500;
      tui.resize(40, 12);
      await tui.waitForFrame((f) => /more line\(s\)/.test(f) && !f.includes('y ask ·'), 'what it asks cut off');
      expect(remote.readyIn(shown[0]!)).toBe(Infinity);
      await tui.write('y');
      // The refusal's note is cut with the rest (the keys line stays and still says y is not offered); the audit has it.
      await waitFor(() => steps().some(([step, ms]) => step === 'tooSoon' && ms === null), 10_000, 'a y over the cut confirmation refused');

      // Whole again: its time starts again (the 500 ms it stood before the cut do not count).
      tui.resize(120, 30);
      await tui.waitForFrame((f) => f.includes('now?') && f.includes('y works after') && !/more line\(s\)/.test(f), 'whole again, not read');
      await waitFor(() => (shown.length === 2 && remote.readyIn(shown[1]!) === 500 ? true : undefined), 10_000, 'counted as on screen again');
      await tui.write('y');
      await tui.waitForFrame((f) => f.includes('Too soon (0 ms)'), 'a y at once refused');

      reading.t += 500;
      await tui.waitForFrame((f) => f.includes('y ask ·'), 'y offered after the reading time');
      await tui.write('y');
      // No guard listens on this server: the request is asked, and the server's answer says so.
      await tui.waitForFrame((f) => f.includes('no guard of account DU7654321 listens'), 'the answer');
      expect(steps()).toEqual([
        ['armed', null],
        ['tooSoon', 100],
        ['tooSoon', null],
        ['tooSoon', 0],
        ['asked', null],
        ['answer', null],
      ]);
    } finally {
      tui.unmount();
      real.close();
    }
  }, 60_000);
});
