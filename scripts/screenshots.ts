// Regenerates the plain-text screenshots in docs/screenshots/ from the pinned demo in tmux (npm run screenshots); `--check` only compares.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/*
 * The demo is pinned (start time, seed, speed 0: the simulated market does not move), so the screen is a function of
 * the code. What still changes from run to run is not the account: the simulator's ephemeral port, the wall clock
 * (status bar and log times) and the data's age. Those are written as one fixed run would show them, each keeping
 * its width so no column moves. Each size is a fresh console opened at that size.
 */

export const SCREENSHOT_DIR = 'docs/screenshots';
export const SIZES: ReadonlyArray<readonly [number, number]> = [
  [80, 24],
  [200, 50],
];
export const screenshotFile = ([x, y]: readonly [number, number]): string => join(SCREENSHOT_DIR, `demo-${x}x${y}.txt`);
const DEMO = 'node bin/tws-risk demo --start 2026-03-02T14:30:00Z --seed 1 --speed 0 --no-record';

/** Replaces every match by `to`, padded to the match's width (left-padded when `right` aligns it right). */
function keepWidth(text: string, pattern: RegExp, to: (m: string) => string, right = false): string {
  return text.replace(pattern, (m) => {
    const t = to(m);
    return right ? t.padStart(m.length) : t.padEnd(m.length);
  });
}

/** The screen with its run-to-run parts written as a fixed run shows them. */
export function normalize(screen: string): string {
  let s = keepWidth(screen, /127\.0\.0\.1:\d+/g, () => '127.0.0.1:7497');
  s = keepWidth(s, /\bdata \d+s/g, () => 'data 0s');
  s = s.replace(/\b\d\d:\d\d:\d\d\b/g, '14:30:00');
  // The Account pane's Age column ends its rows: right-aligned seconds.
  s = s
    .split('\n')
    .map((l) => keepWidth(l, / +\d+s$/, () => '0s', true))
    .join('\n');
  return s
    .split('\n')
    .map((l) => l.trimEnd())
    .join('\n')
    .replace(/\n+$/, '\n');
}

/** Opens the pinned demo in a private tmux at each size and returns the screens, normalized. */
export async function captureScreens(root = resolve('.')): Promise<Map<string, string>> {
  const dir = mkdtempSync(join(tmpdir(), 'tws-risk-screenshots-'));
  const socket = `tws-risk-screenshots-${process.pid}`;
  const conf = join(dir, 'tmux.conf');
  writeFileSync(conf, 'set -sg escape-time 10\nset -g status off\n');
  // The defaults, as a file: a $TWS_RISK_CONFIG naming none is said on the screen (a notice), as a typo should be.
  writeFileSync(join(dir, 'settings.json'), '{}');
  const env = {
    ...process.env,
    PATH: `${join(root, 'node_modules', '.bin')}:${process.env.PATH ?? ''}`,
    // The user's settings, data directory, time zone and locale must not show in the pictures.
    TWS_RISK_CONFIG: join(dir, 'settings.json'),
    TWS_RISK_DATA_DIR: join(dir, 'data'),
    TZ: 'UTC',
    LC_ALL: 'C.UTF-8',
    NO_COLOR: '1',
  };
  const tmux = (...args: string[]): string => {
    const r = spawnSync('tmux', ['-L', socket, '-f', conf, ...args], { encoding: 'utf8', env, cwd: root });
    if (r.status !== 0) throw new Error(`tmux ${args.join(' ')} failed: ${r.stderr}`);
    return r.stdout;
  };
  const out = new Map<string, string>();
  try {
    for (const [x, y] of SIZES) {
      const session = `s${x}x${y}`;
      tmux('new-session', '-d', '-s', session, '-x', String(x), '-y', String(y), '-c', root, DEMO);
      // Ready with every position priced (option data arrives after the positions) and the risk computed; then the
      // same picture for two seconds, longer than the console's once-a-second risk refresh. Not while the liquidation
      // distances are told as of an earlier search: on a busy machine data arriving late is confirmed by probes and
      // the pane says "(searched HH:MM:SS)" until the next pass on the unchanged book (at most a minute later) makes
      // them this pass's own again.
      let last = '';
      let same = 0;
      const deadline = Date.now() + 150_000;
      for (;;) {
        const screen = normalize(tmux('capture-pane', '-p', '-J', '-t', session));
        const ready =
          /READY/.test(screen) && /Worst /.test(screen) && /\bAAPL\b/.test(screen) && !/UNPRICED/.test(screen) && !/Liquidation at \(searched/.test(screen);
        same = ready && screen === last ? same + 1 : 0;
        last = screen;
        if (same >= 7) break;
        if (Date.now() > deadline) throw new Error(`the demo at ${x}x${y} did not settle; screen:\n${screen}`);
        await new Promise((r) => setTimeout(r, 300));
      }
      out.set(screenshotFile([x, y]), last);
      tmux('send-keys', '-t', session, 'q');
    }
  } finally {
    spawnSync('tmux', ['-L', socket, 'kill-server']);
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

async function main(): Promise<void> {
  const check = process.argv.includes('--check');
  const screens = await captureScreens();
  let stale = 0;
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  for (const [file, text] of screens) {
    let old: string | undefined;
    try {
      old = readFileSync(file, 'utf8');
    } catch {
      old = undefined;
    }
    if (old === text) continue;
    stale++;
    if (check) process.stderr.write(`${file} is out of date: run \`npm run screenshots\`\n`);
    else writeFileSync(file, text);
  }
  process.stdout.write(stale === 0 ? 'screenshots are up to date\n' : check ? '' : `${stale} screenshot(s) regenerated\n`);
  if (check && stale > 0) process.exit(1);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((e: unknown) => {
    process.stderr.write(`screenshots: ${(e as Error).message}\n`);
    process.exit(1);
  });
}
