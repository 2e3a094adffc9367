// A session whose output pipe is closed by its reader (`demo | head -3`) ends sealed and indexed, with exit 141.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/commands/io.js';
import { verifyRecording } from '../../src/streams/recording/reader.js';
import { T0 } from '../sim/helpers.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'tws-risk-output-closed-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a recording session whose output is closed', () => {
  it('demo piped into a reader that quits: sealed with "output closed", index written, exit 141', async () => {
    const file = join(dir, 'demo.jsonl');
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'tws-risk'), 'demo', '--start', T0, '--record', file], {
      cwd: dir,
      env: { ...process.env, TWS_RISK_DATA_DIR: join(dir, 'data') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (b: Buffer) => (err += b.toString('utf8')));
    // As `head` does: the first text read, the pipe's read end is closed; the next draw meets EPIPE.
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    expect(err).toContain('ended: output closed');
    expect(code).toBe(EXIT.outputClosed);
    const v = await verifyRecording(file);
    expect(v.ok && v.summary.sealed).toBe(true);
    expect(v.ok && v.summary.footer?.reason).toBe('output closed');
    expect(statSync(`${file}.idx`).size).toBeGreaterThan(0);
  }, 30_000);
});
