// The bin sets --heap-growing-percent once start-up is over (bin/tws-risk LATE_V8_FLAGS), V8 then obeys it, and at once.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { shebangNodeFlags } from '../bench/node-flags.js';

const dir = mkdtempSync(join(tmpdir(), 'tws-risk-late-flags-'));
const children: ChildProcess[] = [];
afterAll(() => {
  // A bin that never set its flags would run its simulator on: stopped here, whatever the test found.
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/*
 * A preload that, once the bin says its late flags are set, keeps about 30 MB of objects alive while churning through
 * garbage, and writes the largest heap V8 reserved. Collected at 1.2x its live size, the heap stays near 100 MB; at
 * V8's own factor (up to 4x) it grows to about twice that. The same preload in a process without the flag is the comparison.
 */
const PRELOAD = join(dir, 'churn.cjs');
writeFileSync(
  PRELOAD,
  `'use strict';
const fs = require('node:fs');
process.on('tws-risk:late-v8-flags', () => {
  const live = [];
  for (let i = 0; i < 300000; i++) live.push({ a: i, b: 'x' + i, c: [i] });
  let churn = [];
  let max = 0;
  for (let r = 0; r < 120; r++) {
    for (let i = 0; i < 20000; i++) churn.push({ r, i, s: 'y' + i });
    if (churn.length > 200000) churn = [];
    max = Math.max(max, process.memoryUsage().heapTotal);
  }
  fs.writeFileSync(process.env.TWS_TEST_HEAP_OUT, String(max));
  // Read after the loop, so that the live set stays alive through it.
  live.length = 0;
  process.exit(0);
});
`,
);

/** Runs argv with the preload; resolves with the largest heap it reserved, in MB. */
function maxHeapMb(argv: string[], name: string): Promise<number> {
  const out = join(dir, `${name}.txt`);
  return new Promise((done, fail) => {
    const child = spawn(argv[0]!, argv.slice(1), {
      cwd: join(import.meta.dirname, '..'),
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, NODE_OPTIONS: `--require ${PRELOAD}`, TWS_TEST_HEAP_OUT: out },
    });
    children.push(child);
    let err = '';
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.on('error', fail);
    child.on('exit', (code) => {
      if (code !== 0) return fail(new Error(`${argv.join(' ')} exited ${code}: ${err}`));
      done(Number(readFileSync(out, 'utf8')) / 2 ** 20);
    });
  });
}

/*
 * A preload that leaves about 60 MB of garbage in the old generation before the bin starts (what a start-up leaves),
 * and writes how much of the old space is still in use when the bin says its late flags are set, in MB.
 */
const STARTUP_GARBAGE = join(dir, 'startup-garbage.cjs');
writeFileSync(
  STARTUP_GARBAGE,
  `'use strict';
const fs = require('node:fs');
const v8 = require('node:v8');
const oldUsed = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'old_space').space_used_size;
let garbage = [];
for (let i = 0; i < 500000; i++) garbage.push({ a: i, b: 'x' + i, c: [i] });
const withGarbage = oldUsed();
garbage = null;
process.on('tws-risk:late-v8-flags', () => {
  fs.writeFileSync(process.env.TWS_TEST_HEAP_OUT, JSON.stringify({ withGarbage, atFlags: oldUsed() }));
  process.exit(0);
});
`,
);

/*
 * A preload that writes, once the bin says its late flags are set, whether a context created then still has V8's gc:
 * the bin turns --expose-gc on for its one collection and must not turn off what the user turned on.
 */
const GC_AFTER = join(dir, 'gc-after.cjs');
writeFileSync(
  GC_AFTER,
  `'use strict';
process.on('tws-risk:late-v8-flags', () => {
  require('node:fs').writeFileSync(process.env.TWS_TEST_HEAP_OUT, require('node:vm').runInNewContext('typeof gc'));
  process.exit(0);
});
`,
);

/** Runs the bin's simulator with extra node flags and NODE_OPTIONS; resolves with what GC_AFTER wrote. */
function gcAfterFlags(nodeFlags: string[], nodeOptions: string, name: string): Promise<string> {
  const out = join(dir, `${name}.txt`);
  return new Promise((done, fail) => {
    const argv = [...shebangNodeFlags(), ...nodeFlags, 'bin/tws-risk', 'sim', '--port', '0', '--start', '2026-03-02T14:30:00Z'];
    const child = spawn(process.execPath, argv, {
      cwd: join(import.meta.dirname, '..'),
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, NODE_OPTIONS: `${nodeOptions} --require ${GC_AFTER}`, TWS_TEST_HEAP_OUT: out },
    });
    children.push(child);
    let err = '';
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.on('error', fail);
    child.on('exit', (code) => (code === 0 ? done(readFileSync(out, 'utf8')) : fail(new Error(`bin exited ${code}: ${err}`))));
  });
}

describe('late V8 flags (bin/tws-risk)', () => {
  it('the heap is sized by the late flag at once: start-up garbage in the old space is collected when they are set', async () => {
    const node = [process.execPath, ...shebangNodeFlags()];
    const out = join(dir, 'startup-garbage.json');
    await new Promise<void>((done, fail) => {
      const child = spawn(node[0]!, [...node.slice(1), 'bin/tws-risk', 'sim', '--port', '0', '--start', '2026-03-02T14:30:00Z'], {
        cwd: join(import.meta.dirname, '..'),
        stdio: ['ignore', 'ignore', 'pipe'],
        env: { ...process.env, NODE_OPTIONS: `--require ${STARTUP_GARBAGE}`, TWS_TEST_HEAP_OUT: out },
      });
      children.push(child);
      let err = '';
      child.stderr.on('data', (b: Buffer) => (err += b.toString()));
      child.on('error', fail);
      child.on('exit', (code) => (code === 0 ? done() : fail(new Error(`bin exited ${code}: ${err}`))));
    });
    const { withGarbage, atFlags } = JSON.parse(readFileSync(out, 'utf8')) as { withGarbage: number; atFlags: number };
    // Without a full collection when the flags are set, V8 sizes the heap by them only at its next one, and the old
    // space still holds the 60 MB (the console grew to its start-up limit, 180 MB resident, before that collection).
    expect(withGarbage).toBeGreaterThan(40 * 2 ** 20);
    expect(atFlags).toBeLessThan(withGarbage / 3);
  });

  it('the bin sets --heap-growing-percent=20 after start-up, and the old generation is then collected early', async () => {
    const node = [process.execPath, ...shebangNodeFlags()];
    const bin = await maxHeapMb([...node, 'bin/tws-risk', 'sim', '--port', '0', '--start', '2026-03-02T14:30:00Z'], 'bin');
    // The same work in a process that never sets the flag, told to start it at once.
    const plain = await maxHeapMb([...node, '-e', "process.emit('tws-risk:late-v8-flags')"], 'plain');
    expect(plain).toBeGreaterThan(1.5 * bin);
  });

  it('the forced collection never stops the console: with gc exposed under another name the bin runs on', async () => {
    // V8 then exposes gc as `collect`, so the new context the bin collects from has no gc: that threw in a timer and
    // ended the process three seconds after start.
    expect(await gcAfterFlags(['--expose-gc-as=collect'], '', 'gc-as')).toBe('undefined');
  });

  it('a user who gave --expose-gc keeps gc in the contexts created after the late flags', async () => {
    expect(await gcAfterFlags([], '--expose-gc', 'gc-user')).toBe('function');
    // And without it, the bin turns the flag off again after its collection.
    expect(await gcAfterFlags([], '', 'gc-none')).toBe('undefined');
  });
});
