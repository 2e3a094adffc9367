import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { verifyRecording } from '../../src/streams/recording/reader.js';
import { T0 } from '../sim/helpers.js';
import { runCli } from '../support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'tws-risk-demo-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = runCli;

describe('tws-risk demo', () => {
  it('runs on the embedded simulator through the live source and records the session', async () => {
    const file = join(dir, 'demo.jsonl');
    const r = await run('demo', '--once', '--start', T0, '--record', file, '--speed', '10');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/account DU1234567 {2}base USD {2}health READY/);
    expect(r.out).toMatch(/positions \(\d+\)/);
    expect(r.err).toContain(`session recorded to ${file}`);
    // --once exits by itself after the summary: the banner tells of no Ctrl-C (user trial).
    expect(r.err).toMatch(/^demo: simulator on .*, account DU1234567$/m);
    expect(r.err).not.toContain('Ctrl-C');
    const v = await verifyRecording(file);
    expect(v.ok && v.summary.sealed).toBe(true);
    expect(v.ok && v.summary.header.source).toBe('demo');
    expect(v.ok && v.summary.events).toBeGreaterThan(50);
    // --once waits for the options' computations, so its recording is a whole snapshot: cut at the account download,
    // it replayed every option unpriced (rosier figures) with exit 0 (quant trial).
    const report = await run('report', '--replay', file, '--json');
    expect(report.code).toBe(0);
    expect((JSON.parse(report.out) as { warnings: string[]; unpriced: unknown[] }).warnings).toEqual([]);
  });

  it('never overwrites an existing recording', async () => {
    const file = join(dir, 'demo.jsonl');
    const r = await run('demo', '--once', '--record', file);
    expect(r.code).toBe(2);
    expect(r.err).toContain('never overwritten');
  });

  it('refuses a --start that is not a date-time, naming it', async () => {
    const r = await run('demo', '--once', '--no-record', '--start', 'yesterday');
    expect(r.code).toBe(2);
    expect(r.err).toContain('--start expects an ISO date-time like 2026-03-02T14:30:00Z, got "yesterday"');
  });

  it('refuses a --start on a day its month does not have, instead of rolling it into March', async () => {
    const r = await run('demo', '--once', '--no-record', '--start', '2026-02-30T14:30:00Z');
    expect(r.code).toBe(2);
    expect(r.err).toContain('--start expects an ISO date-time like 2026-03-02T14:30:00Z, got "2026-02-30T14:30:00Z": no such date and time');
  });
});
