// The guard's log lines: stamped by the guard's clock, a run of identical lines folded into a count, journald's prefix first.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { guardLog, REPEAT_EVERY_MS } from '../../src/commands/guard-log.js';
import { startGuard, STATUS_EVERY_MS } from '../../src/commands/guard.js';
import type { CommandIo } from '../../src/commands/io.js';
import { DEFAULT_SETTINGS } from '../../src/config/settings.js';
import { ManualClock } from '../../src/model/clock.js';

const START = Date.UTC(2026, 2, 2, 14, 30, 0);
const iso = (ms: number) => new Date(ms).toISOString();

function capture(): { io: CommandIo; lines: string[]; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  const lines: string[] = [];
  return {
    io: {
      out: (l) => (out.push(l), lines.push(l)),
      err: (l) => (err.push(l), lines.push(l)),
    },
    lines,
    out,
    err,
  };
}

describe('the guard log', () => {
  it("starts every line with the guard clock's ISO UTC time, then level, event and the fields (quoted when they need it)", () => {
    const clock = new ManualClock(START);
    const c = capture();
    const log = guardLog({ io: c.io, clock, journald: false });
    log('notice', 'guard.start', { mode: 'dry-run', port: 7497, account: undefined });
    clock.advance(1_234);
    log('crit', 'action.error', { msg: 'it broke: badly\u001b[2J' });
    expect(c.out).toEqual([`2026-03-02T14:30:00.000Z level=notice event=guard.start mode=dry-run port=7497`]);
    expect(c.err).toEqual([`2026-03-02T14:30:01.234Z level=crit event=action.error msg="it broke: badly\\\\x1b[2J"`]);
  });

  it("puts journald's priority before the time", () => {
    const c = capture();
    const log = guardLog({ io: c.io, clock: new ManualClock(START), journald: true });
    log('warning', 'hook.note', { msg: 'x' });
    log('err', 'status.unwritable', { file: '/x' });
    expect(c.lines).toEqual([
      `<4>2026-03-02T14:30:00.000Z level=warning event=hook.note msg=x`,
      `<3>2026-03-02T14:30:00.000Z level=err event=status.unwritable file=/x`,
    ]);
  });

  it('folds a run of identical lines into one count, written when another line comes, stamped with the last repetition', () => {
    const clock = new ManualClock(START);
    const c = capture();
    const log = guardLog({ io: c.io, clock, journald: false });
    for (let i = 0; i < 5; i++) {
      log('err', 'status.unwritable', { file: '/ro/status.json', msg: 'EACCES' });
      clock.advance(1_000);
    }
    log('notice', 'connection', { health: 'ready' });
    // Not the same line: another level, or another field, starts a run of its own.
    log('warning', 'connection', { health: 'ready' });
    log('notice', 'connection', { health: 'ready' });
    expect(c.lines).toEqual([
      `${iso(START)} level=err event=status.unwritable file=/ro/status.json msg=EACCES`,
      `${iso(START + 4_000)} level=err event=status.unwritable file=/ro/status.json msg=EACCES repeated=4`,
      `${iso(START + 5_000)} level=notice event=connection health=ready`,
      `${iso(START + 5_000)} level=warning event=connection health=ready`,
      `${iso(START + 5_000)} level=notice event=connection health=ready`,
    ]);
  });

  it('says a run that goes on again with its count at most once a minute, and a state that comes back each time', () => {
    const clock = new ManualClock(START);
    const c = capture();
    const log = guardLog({ io: c.io, clock, journald: false });
    // An evaluation throwing the same way every 500 ms for two and a half minutes.
    for (let t = 0; t <= 150_000; t += 500) {
      clock.advance(t === 0 ? 0 : 500);
      log('crit', 'guard.error', { msg: 'TypeError: x is undefined' });
    }
    const line = `level=crit event=guard.error msg="TypeError: x is undefined"`;
    expect(c.err).toEqual([
      `${iso(START)} ${line}`,
      `${iso(START + REPEAT_EVERY_MS)} ${line} repeated=120`,
      `${iso(START + 2 * REPEAT_EVERY_MS)} ${line} repeated=120`,
    ]);
    log('notice', 'guard.stopping', { reason: 'SIGTERM' });
    expect(c.err.at(-1)).toBe(`${iso(START + 150_000)} ${line} repeated=60`);
    // ready, lost, ready: each change written, the same text or not.
    const states = guardLog({ io: c.io, clock, journald: false });
    c.out.length = 0;
    for (const h of ['ready', 'disconnected', 'ready']) states('notice', 'connection', { health: h });
    expect(c.out.map((l) => l.split(' ').slice(1).join(' '))).toEqual([
      'level=notice event=connection health=ready',
      'level=notice event=connection health=disconnected',
      'level=notice event=connection health=ready',
    ]);
  });
});

describe('the guard daemon log', () => {
  const root = mkdtempSync(join(tmpdir(), 'tws-risk-guard-log-'));
  let server: Server | undefined;
  afterAll(() => {
    server?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('stamps its lines with its injected clock, and says a status file it cannot write once, then with its count', async () => {
    // A TWS port that takes the connection and never answers: the guard stays connecting, its health unchanged.
    server = createServer(() => undefined);
    const port = await new Promise<number>((r) => server!.listen(0, '127.0.0.1', () => r((server!.address() as { port: number }).port)));
    const policy = join(root, 'policy.json');
    writeFileSync(policy, JSON.stringify({ rules: [{ when: { alert: 'excess.negative' }, do: 'notify' }] }));
    // The status file's directory becomes a file once the guard runs (at start an unwritable one is refused, exit 2):
    // every write after that fails the same way.
    mkdirSync(join(root, 'data'));
    const statusDir = join(root, 'not-a-dir');
    const clock = new ManualClock(START);
    const c = capture();
    const h = await startGuard({ policy, port: String(port), 'client-id': '61', 'no-record': true, 'status-file': join(statusDir, 'status.json') }, c.io, {
      clock,
      evalMs: 500,
      auditDir: join(root, 'audit'),
      settings: DEFAULT_SETTINGS,
      env: { TWS_RISK_DATA_DIR: join(root, 'data') },
      source: { heartbeatMs: 3_600_000, heartbeatTimeoutMs: 3_600_000, handshakeTimeoutMs: 3_600_000, readyTimeoutMs: 3_600_000 },
    });
    if (typeof h === 'number') throw new Error(`guard did not start (exit ${h}):\n${c.lines.join('\n')}`);
    rmSync(statusDir, { recursive: true, force: true });
    writeFileSync(statusDir, '');
    try {
      expect(c.lines[0]).toMatch(/^2026-03-02T14:30:00\.000Z level=notice event=guard\.start version=\S+ mode=dry-run host=127\.0\.0\.1 /);
      // Two and a half minutes of passes: the status file is tried at least every STATUS_EVERY_MS.
      for (let t = 0; t < 150_000; t += 500) clock.advance(500);
      const unwritable = c.lines.filter((l) => l.includes('event=status.unwritable'));
      const at = (l: string) => Date.parse(l.slice(0, 24));
      // Every failed write counted, in a handful of lines (not one per write); the first at the first write after the
      // change, by the injected clock.
      expect(unwritable.length, c.lines.join('\n')).toBeLessThanOrEqual(6);
      expect(at(unwritable[0]!)).toBeGreaterThanOrEqual(START);
      expect(at(unwritable[0]!)).toBeLessThanOrEqual(START + STATUS_EVERY_MS);
      // Once nothing else happens (the connection and its alert settled in the first seconds): the count once a minute.
      const late = unwritable.filter((l) => at(l) > START + 10_000);
      expect(late.length).toBe(2);
      expect(late.map((l) => at(l) - at(late[0]!))).toEqual([0, REPEAT_EVERY_MS]);
      expect(late.every((l) => / repeated=1[12]$/.test(l))).toBe(true);
    } finally {
      await h.stop('test over');
    }
    // The run still going when the guard stops is said before its stopping line: no failed write goes uncounted.
    const unwritable = c.lines.filter((l) => l.includes('event=status.unwritable'));
    const counts = unwritable.map((l) => Number(/ repeated=(\d+)$/.exec(l)?.[1] ?? 1));
    expect(counts.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(150_000 / STATUS_EVERY_MS);
    expect(c.lines[c.lines.findIndex((l) => l.includes('event=guard.stopping')) - 1]).toMatch(/ event=status\.unwritable .* repeated=\d+$/);
    expect(c.lines.every((l) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z level=/.test(l))).toBe(true);
  }, 60_000);
});
