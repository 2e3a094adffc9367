// Benchmark: key to frame in a real tmux pane running the pinned demo, against tmux echoing a key in a `cat` pane.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { PRODUCT_BIN, report, type BenchResult } from './measure.js';
import { shebangNodeFlags } from './node-flags.js';

/*
 * What the operator feels: a key sent to the pane (tmux send-keys) until the pane's screen shows its effect, read by
 * capture-pane in a tight loop. The anchor is the same loop on a `cat` pane in the same tmux server (tmux's own echo
 * of a key: the send, the pty, the capture), so the figure that matters is the console's latency as a ratio to it,
 * on whatever load the machine has. Each key is pressed REPS times, alternating with the key that undoes it, each
 * press only once the previous one showed; a median and p95 per key.
 */

const REPS = Number(process.env.BENCH_KEYS_REPS ?? 12);
/** A pinned simulator calendar and seed: the same book and marks whatever day the bench runs. */
const START = '2026-03-02T14:30:00Z';
const SOCKET = `tws-risk-bench-keys-${process.pid}`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const shq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

function tmux(...args: string[]): string {
  const r = spawnSync('tmux', ['-L', SOCKET, '-f', '/dev/null', ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tmux ${args.join(' ')}: ${r.stderr.trim()}`);
  return r.stdout;
}

const screen = (t: string) => tmux('capture-pane', '-p', '-t', t);

async function until(what: string, t: string, ok: (s: string) => boolean, ms = 60_000): Promise<string> {
  const end = Date.now() + ms;
  for (;;) {
    const s = screen(t);
    if (ok(s)) return s;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; screen:\n${s}`);
    await sleep(50);
  }
}

/** Sends the keys (tmux key names, one write each) and times until the screen satisfies `shown`, polling without pause. */
function timed(t: string, keys: readonly string[], shown: (s: string) => boolean, what: string): number {
  const t0 = performance.now();
  for (const k of keys) tmux('send-keys', '-t', t, k);
  for (;;) {
    const s = screen(t);
    if (shown(s)) return performance.now() - t0;
    if (performance.now() - t0 > 30_000) throw new Error(`${what} never showed; screen:\n${s}`);
  }
}

const focused = (s: string) => /^▶(\d)/m.exec(s)?.[1];
/** The selected row of the left column (the Positions pane in the 160-column layout). */
const selected = (s: string) =>
  s
    .split('\n')
    .find((l) => l.startsWith('›'))
    ?.slice(0, 20);
const armed = (s: string) => /TRADE ARMED|ARMED/.test(s.split('\n')[0] ?? '') && !/disarmed/.test(s.split('\n')[0] ?? '');

interface Probe {
  readonly name: string;
  /** Press and time it; then undo it (untimed) so the next rep starts from the same screen. */
  readonly run: (t: string) => Promise<number>;
}

function stats(xs: number[]): { median: number; p95: number } {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]!;
  return { median: Math.round(at(0.5)), p95: Math.round(at(0.95)) };
}

async function main(): Promise<void> {
  const home = mkdtempSync(join(tmpdir(), 'tws-risk-bench-keys-'));
  const node = [process.execPath, ...shebangNodeFlags()].map(shq).join(' ');
  const env = `HOME=${shq(home)} XDG_CONFIG_HOME=${shq(join(home, 'config'))} XDG_DATA_HOME=${shq(join(home, 'data'))} XDG_STATE_HOME=${shq(join(home, 'state'))}`;
  // BENCH_KEYS_BIN: another build's bin/tws-risk (an earlier commit's), measured against the same anchor.
  const cmd = `${shq(process.env.BENCH_KEYS_BIN ?? PRODUCT_BIN)} demo --start ${START} --seed 1 --trade`;
  const results: BenchResult[] = [];
  try {
    tmux('new-session', '-d', '-s', 'k', '-x', '160', '-y', '48', `exec env ${env} ${node} ${cmd}`);
    tmux('new-window', '-d', '-t', 'k', 'exec cat');
    const demo = 'k:0';
    const cat = 'k:1';
    await until('the console to draw its panes', demo, (s) => s.includes('Positions') && /Net liq [\d,]+/.test(s) && s.includes('›'));
    const account = /DU\d+/.exec(screen(demo))?.[0] ?? 'DU1234567';
    // Warm up: every probe once, untimed counts dropped below by the rep loop's own first pass.
    await sleep(3000);

    let n = 0;
    let down = false;
    const probes: Probe[] = [
      {
        name: 'cat echo (anchor)',
        run: async (t) => {
          const want = ++n;
          return timed(t, ['x'], (s) => (s.match(/x/g)?.length ?? 0) >= want, 'cat echo');
        },
      },
      {
        name: 'pane switch (digit)',
        run: async (t) => {
          const to = focused(screen(t)) === '3' ? '2' : '3';
          return timed(t, [to], (s) => focused(s) === to, `pane ${to}`);
        },
      },
      {
        name: 'pane switch (Tab)',
        run: async (t) => {
          const from = focused(screen(t));
          const ms = timed(t, ['Tab'], (s) => focused(s) !== from, 'Tab');
          tmux('send-keys', '-t', t, '2');
          await until('Positions focused', t, (s) => focused(s) === '2');
          return ms;
        },
      },
      {
        name: 'selection (j/k)',
        run: async (t) => {
          const from = selected(screen(t));
          down = !down;
          const key = down ? 'j' : 'k';
          return timed(t, [key], (s) => selected(s) !== undefined && selected(s) !== from, key);
        },
      },
      {
        name: 'palette open (:)',
        run: async (t) => {
          const ms = timed(t, [':'], (s) => s.includes('commands · Enter runs'), 'palette');
          tmux('send-keys', '-t', t, 'Escape');
          await until('palette closed', t, (s) => !s.includes('commands · Enter runs'));
          return ms;
        },
      },
      {
        name: 'arm dialog (palette Enter)',
        run: async (t) => {
          tmux('send-keys', '-t', t, ':');
          await until('palette', t, (s) => s.includes('commands · Enter runs'));
          tmux('send-keys', '-t', t, '-l', 'trade.arm');
          await until('typed', t, (s) => s.includes(':trade.arm'));
          const ms = timed(t, ['Enter'], (s) => s.includes('Type the last four characters'), 'arm dialog');
          tmux('send-keys', '-t', t, 'Escape');
          await until('arm dialog closed', t, (s) => !s.includes('Type the last four characters'));
          return ms;
        },
      },
      {
        name: 'arming (code Enter)',
        run: async (t) => {
          tmux('send-keys', '-t', t, ':');
          await until('palette', t, (s) => s.includes('commands · Enter runs'));
          tmux('send-keys', '-t', t, '-l', 'trade.arm');
          await until('typed', t, (s) => s.includes(':trade.arm'));
          tmux('send-keys', '-t', t, 'Enter');
          await until('arm dialog', t, (s) => s.includes('Type the last four characters'));
          tmux('send-keys', '-t', t, '-l', account.slice(-4));
          await until('code typed', t, (s) => s.includes(`: ${account.slice(-4)}`));
          const ms = timed(t, ['Enter'], armed, 'ARMED');
          return ms;
        },
      },
      {
        name: 'flatten dialog (X)',
        run: async (t) => {
          const ms = timed(t, ['X'], (s) => s.includes('╔') && s.includes('Flatten'), 'flatten dialog');
          await until('the plan', t, (s) => s.includes('sends'));
          tmux('send-keys', '-t', t, 'Escape');
          await until('flatten dialog closed', t, (s) => !s.includes('╔'));
          return ms;
        },
      },
      {
        name: 'flatten plan shown (X)',
        run: async (t) => {
          const ms = timed(t, ['X'], (s) => s.includes('╔') && s.includes('sends'), 'flatten plan');
          tmux('send-keys', '-t', t, 'Escape');
          await until('flatten dialog closed', t, (s) => !s.includes('╔'));
          return ms;
        },
      },
      {
        name: 'disarm (palette Enter)',
        run: async (t) => {
          tmux('send-keys', '-t', t, ':');
          await until('palette', t, (s) => s.includes('commands · Enter runs'));
          tmux('send-keys', '-t', t, '-l', 'trade.disarm');
          await until('typed', t, (s) => s.includes(':trade.disarm'));
          return timed(t, ['Enter'], (s) => /disarmed/.test(s.split('\n')[0] ?? ''), 'disarmed');
        },
      },
    ];
    const only = (process.env.BENCH_KEYS_ONLY ?? '').split(',').filter(Boolean);
    const times = new Map<string, number[]>(probes.map((p) => [p.name, []]));
    // Interleaved, so a load spike on the machine falls on every key alike rather than on one.
    for (let rep = 0; rep <= REPS; rep++) {
      for (const p of probes) {
        if (only.length > 0 && !only.some((o) => p.name.includes(o)) && !p.name.includes('anchor')) continue;
        if (p.name.startsWith('flatten')) {
          // X flattens the selected position: the Positions pane is focused first (untimed).
          tmux('send-keys', '-t', demo, '2');
          await until('Positions focused', demo, (s) => focused(s) === '2');
        }
        const ms = await p.run(p.name.includes('anchor') ? cat : demo);
        if (rep > 0) times.get(p.name)!.push(ms);
        await sleep(150);
      }
    }
    const anchor = stats(times.get('cat echo (anchor)')!);
    for (const [name, xs] of times) {
      if (xs.length === 0) continue;
      const s = stats(xs);
      results.push({
        name: 'keys',
        metric: `${name}: key to frame, median (p95 ${s.p95} ms)`,
        value: s.median,
        unit: 'ms',
        extra: {
          p95: s.p95,
          reps: xs.length,
          anchorMedian: anchor.median,
          anchorP95: anchor.p95,
          ratio: Number((s.median / Math.max(1, anchor.median)).toFixed(1)),
        },
      });
    }
  } finally {
    spawnSync('tmux', ['-L', SOCKET, 'kill-server']);
    rmSync(home, { recursive: true, force: true });
  }
  report(results);
  for (const r of results) process.stderr.write(`${r.metric.padEnd(70)} ${r.value} ms  x${r.extra?.ratio}\n`);
}

await main();
