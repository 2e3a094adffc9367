// Issue 16 item 18: every command's --help explains each flag and format in one style; --scenario with a wrong name
// lists the valid ones; global flags work before the command.
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { COMMAND_NAMES, describedFlags, main } from '../../src/cli.js';
import { simCommand } from '../../src/sim/cli.js';
import { runCli } from '../support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'tws-risk-help-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `sim --help` as written to stdout (not a terminal here: 80 columns). */
async function simHelp(): Promise<string> {
  let out = '';
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  }) as typeof process.stdout.write;
  try {
    expect(await simCommand(['--help'])).toBe(0);
  } finally {
    process.stdout.write = write;
  }
  return out;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** Help as one line per entry: help is wrapped to the terminal (80 columns here), continuation lines indented. */
const unwrap = (s: string) => s.replace(/\n {3,}/g, ' ');

describe('--help', () => {
  const commands = COMMAND_NAMES.filter((c) => c !== 'sim'); // the simulator parses its own arguments
  for (const name of commands) {
    it(`${name} --help explains every flag it accepts, one per line, in one style`, async () => {
      const r = await runCli(name, '--help').then((x) => ({ ...x, out: unwrap(x.out) }));
      expect(r.code).toBe(0);
      expect(r.out).toMatch(new RegExp(`^Usage: tws-risk ${name}`));
      const flags = describedFlags(name);
      const optionLines = r.out.split('\n').filter((l) => /^ {2}--/.test(l));
      expect(optionLines).toHaveLength(flags.length);
      for (const { flag, text } of flags) {
        expect(text, `--${flag} of ${name}`).not.toBe('');
        expect(r.out).toMatch(new RegExp(`^ {2}--${escape(flag)}( \\S+)? {2,}${escape(text)}$`, 'm'));
      }
      expect(r.out).toContain('Global options (before or after the command): --config FILE, --mask');
    });
  }

  it('report --help explains TIME, SHOCK and the scenarios file', async () => {
    const raw = await runCli('report', '--help');
    const r = { ...raw, out: unwrap(raw.out) };
    expect(r.out).toMatch(/^ {2}--shock TEXT +an extra scenario in the SHOCK format; repeat the flag for more$/m);
    expect(r.out).toMatch(
      /^ {2}TIME: HH:MM\[:SS\[\.mmm\]\] in UTC on the recording's first day, or an ISO-8601 time \(\d{4}-\d\d-\d\dT[\d:.]+Z; no offset: UTC\)/m,
    );
    expect(r.out).toMatch(/^ {2}SHOCK: comma-separated moves, e\.g\. px:STK=-10%,fx:EUR=-8%/m);
    expect(r.out).toMatch(/^ {2}SCENARIOS FILE: a JSON list of \{"label": "\.\.\.", "shocks": "SHOCK"\} objects/m);
    expect((await runCli('help', 'report')).out).toBe(raw.out);
  });

  it('wraps to 80 columns off a terminal and to the width of one, each description going on under its own column', async () => {
    for (const argv of [['--help'], ...commands.map((c) => [c, '--help'])]) {
      for (const l of (await runCli(...argv)).out.split('\n')) expect(l.length, `${argv.join(' ')}: ${l}`).toBeLessThanOrEqual(80);
    }
    // The simulator parses its own arguments and writes its help itself: wrapped the same way (it ran to 122).
    const sim = await simHelp();
    for (const l of sim.split('\n')) expect(l.length, `sim --help: ${l}`).toBeLessThanOrEqual(80);
    const scenario = sim.split('\n').findIndex((l) => l.startsWith('  --scenario S '));
    expect(sim.split('\n')[scenario + 1]).toMatch(/^ {22}\S/);
    const fleet = (await runCli('fleet', '--help')).out.split('\n');
    const at = fleet.findIndex((l) => l.startsWith('  --nats-creds FILE '));
    const column = /^ {2}--nats-creds FILE +/.exec(fleet[at]!)![0].length;
    expect(fleet[at + 1]).toMatch(new RegExp(`^ {${column}}\\S`));
    const wide: string[] = [];
    await main(['fleet', '--help'], { out: (l) => wide.push(l), err: () => {}, columns: 200 });
    const widths = wide
      .join('\n')
      .split('\n')
      .map((l) => l.length);
    expect(Math.max(...widths)).toBeLessThanOrEqual(200);
    expect(Math.max(...widths)).toBeGreaterThan(80);
  });

  it('flatten --help explains SCOPE, replay --help the speeds', async () => {
    expect(unwrap((await runCli('flatten', '--help')).out)).toMatch(/^ {2}SCOPE: all, currency:EUR, class:OPT, underlying:AAPL or conid:N/m);
    expect(unwrap((await runCli('replay', '--help')).out)).toMatch(/^ {2}SPEED \(replay\): 0\.25, 0\.5, 1, 2, 4, 8, 16, 32, 64 or max$/m);
  });
});

describe('--scenario with a name that does not exist', () => {
  it('is a usage error listing every shipped scenario', async () => {
    const shipped = readdirSync('scenarios')
      .filter((n) => n.endsWith('.json'))
      .map((n) => n.replace(/\.json$/, ''));
    expect(shipped.length).toBeGreaterThan(2);
    const r = await runCli('demo', '--once', '--no-record', '--scenario', 'nope');
    expect(r.code).toBe(2);
    expect(r.err).toContain('unknown scenario "nope"');
    for (const name of shipped) expect(r.err).toContain(name);
  });
});

describe('global flags before the command', () => {
  it('--config F config show reads F, as config show --config F does', async () => {
    const file = join(dir, 'settings.json');
    writeFileSync(file, JSON.stringify({ ui: { theme: 'light' } }));
    const before = await runCli('--config', file, 'config', 'show');
    const after = await runCli('config', 'show', '--config', file);
    expect(before.code).toBe(0);
    expect(before.out).toMatch(/"theme": "light"/);
    expect(before.out).toBe(after.out);
  });

  it('--mask before the command masks its output', async () => {
    const r = await runCli('--mask', 'report', '--replay', 'recordings/quiet-day.jsonl.gz');
    expect(r.out).toContain('account •••••4567');
    expect(r.out).not.toContain('DU1234567');
  }, 60_000);

  it('an unknown word after a global flag is named as an unknown command', async () => {
    const r = await runCli('--mask', 'nope');
    expect(r.code).toBe(2);
    expect(r.err).toContain("unknown command 'nope'");
  });
});
