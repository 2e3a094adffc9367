import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { GENESIS_HASH, sealLine } from '../src/streams/recording/format.js';
import { runCli } from './support/cli.js';
import { loadSettings } from '../src/config/load.js';
import type { CommandId } from '../src/keymap/bindings.js';
import { applyOverrides } from '../src/keymap/overrides.js';

const dir = mkdtempSync(join(tmpdir(), 'tws-risk-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const SAMPLE = resolve('recordings/sample-multicurrency.jsonl');

const run = runCli;

/** Writes `settings` as the settings file `name` in the test's directory; returns its path. */
function settingsFile(name: string, settings: unknown): string {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify(settings));
  return file;
}

describe('tws-risk CLI', () => {
  it('lists every command in --help and exits 0', async () => {
    const r = await run('--help');
    expect(r.code).toBe(0);
    for (const c of ['demo', 'sim', 'report', 'replay', 'flatten', 'cancel', 'verify', 'config']) expect(r.out).toMatch(new RegExp(`^  ${c} `, 'm'));
  });

  it('prints the package version', async () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    expect((await run('--version')).out).toBe(pkg.version);
  });

  it('rejects an unknown command with one line plus usage, exit 2', async () => {
    const r = await run('frobnicate');
    expect(r.code).toBe(2);
    expect(r.err.split('\n')[0]).toBe("tws-risk: unknown command 'frobnicate'");
  });

  it('rejects an unknown flag naming it, exit 2', async () => {
    const r = await run('verify', SAMPLE, '--frobnicate');
    expect(r.code).toBe(2);
    expect(r.err.split('\n')[0]).toBe('tws-risk verify: unknown option --frobnicate');
    expect(r.err).toContain('Usage: tws-risk verify');
  });

  it('names an unknown flag as typed when no command was named, not the console it would have run', async () => {
    for (const argv of [['--bogus'], ['--mask', '--bogus']]) {
      const r = await run(...argv);
      expect(r.code).toBe(2);
      const lines = r.err.split('\n');
      expect(lines[0]).toBe('tws-risk: unknown option --bogus');
      expect(lines[1]).toContain('tws-risk --help');
      expect(r.err).not.toContain('tws-risk live:');
    }
  });

  it('says a flag given without its value needs one, in two lines (what and what it takes), not the whole help; exit 2', async () => {
    for (const argv of [
      ['demo', '--speed'],
      ['demo', '--speed', '--once'],
    ]) {
      const r = await run(...argv);
      expect(r.code).toBe(2);
      const lines = r.err.split('\n');
      expect(lines[0]).toBe('tws-risk demo: --speed needs a value');
      expect(lines[1]).toBe('Give it as --speed X (see `tws-risk demo --help`).');
      expect(lines).toHaveLength(2);
      expect(r.err).not.toMatch(/argument missing|ambiguous|<value>|Usage:/);
    }
    const replay = await run('replay', SAMPLE, '--speed');
    expect(replay.code).toBe(2);
    expect(replay.err.split('\n')).toEqual(['tws-risk replay: --speed needs a value', 'Give it as --speed SPEED (see `tws-risk replay --help`).']);
    // No command named: the console's flags, said as typed.
    const live = await run('--config');
    expect(live.code).toBe(2);
    expect(live.err.split('\n')[0]).toBe('tws-risk: --config needs a value');
    expect(live.err.split('\n')[1]).toBe('Give it as --config FILE (see `tws-risk live --help`).');
  });

  it('takes a negative number after a flag as its value, so the flag says what it expects (usage error, exit 2)', async () => {
    const demo = await run('demo', '--speed', '-1');
    expect(demo.code).toBe(2);
    expect(demo.err.split('\n')[0]).toBe('tws-risk demo: --speed expects a non-negative number, got "-1"');
    const report = await run('report', '--timeout', '-5');
    expect(report.code).toBe(2);
    expect(report.err.split('\n')[0]).toBe('tws-risk report: --timeout expects an integer from 1 to 3600, got "-5"');
    for (const r of [demo, report]) expect(r.err).not.toMatch(/ambiguous|XYZ/);
  });

  it('runs with the same Node flags however it is started (bin shebang, npm run demo, the benchmarks)', async () => {
    const shebang = readFileSync('bin/tws-risk', 'utf8').split('\n')[0]!;
    const flags = shebang.split(/\s+/).filter((w) => w.startsWith('--'));
    expect(flags).toEqual(['--max-semi-space-size=8', '--min-semi-space-size=8']);
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.demo).toBe(`node ${flags.join(' ')} bin/tws-risk demo`);
    const { productNodeFlags, shebangNodeFlags, lateNodeFlags } = await import('../bench/node-flags.js');
    expect(shebangNodeFlags()).toEqual(flags);
    // Set by the bin once start-up is over, where it does not cost Node's built-in code cache (docs/performance.md).
    expect(lateNodeFlags()).toEqual(['--heap-growing-percent=20']);
    expect(productNodeFlags()).toEqual([...flags, '--heap-growing-percent=20']);
  });

  it('replay without a terminal points to the scripting forms, exit 1', async () => {
    const r = await run('replay', 'recordings/sample-multicurrency.jsonl');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/needs a terminal.*--events/);
  });

  it('replay refuses a recording of an unknown schema version, naming it, before needing a terminal', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tws-risk-cli-schema-'));
    const lines = readFileSync(SAMPLE, 'utf8').split('\n');
    const header = JSON.parse(lines[0]!) as Record<string, unknown>;
    delete header.hash;
    lines[0] = sealLine(GENESIS_HASH, { ...header, schemaVersion: 7 }).text;
    const file = join(dir, 'v7.jsonl');
    writeFileSync(file, lines.join('\n'));
    const r = await run('replay', file);
    rmSync(dir, { recursive: true, force: true });
    expect(r.code).toBe(1);
    expect(r.err).toContain('schema version 7 is not supported');
  });

  it('replay flags of the player and of --events do not mix (usage error, exit 2)', async () => {
    expect((await run('replay', SAMPLE, '--events', '--speed', '4')).code).toBe(2);
    expect((await run('replay', SAMPLE, '--kind', 'priceTicked')).code).toBe(2);
    const bad = await run('replay', SAMPLE, '--speed', '3');
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/expected one of 0.25/);
  });

  it('verifies the sample recording: valid, exit 0', async () => {
    const r = await run('verify', SAMPLE);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^VALID /);
    expect(r.out).toContain('account DU1234567, base USD');
  });

  it('verify names the account and base currency from the events when the header, written before the login, has none', async () => {
    const file = 'recordings/quiet-day.jsonl.gz';
    const header = JSON.parse(gunzipSync(readFileSync(file)).toString('utf8').split('\n')[0]!) as { account: string | null };
    expect(header.account).toBeNull();
    // The simulator's account (src/sim), which every account row of this sample names.
    const r = await run('verify', file);
    expect(r.code).toBe(0);
    // And its base currency, TWS's NetLiquidation currency in this sample.
    expect(r.out).toContain('account DU1234567 (from its events), base USD (from its events)');
    const j = JSON.parse((await run('verify', file, '--json')).out) as {
      account: string | null;
      baseCurrency: string | null;
      header: { account: string | null; baseCurrency: string | null };
    };
    expect(j).toMatchObject({ account: 'DU1234567', baseCurrency: 'USD', header: { account: null, baseCurrency: null } });
  });

  it('reports a tampered recording with its line, exit 1', async () => {
    const lines = readFileSync(SAMPLE, 'utf8').split('\n');
    const i = lines.findIndex((l) => l.includes('"price":"189.85"'));
    expect(i).toBeGreaterThan(0);
    lines[i] = lines[i]!.replace('"price":"189.85"', '"price":"189.95"');
    const bad = join(dir, 'tampered.jsonl');
    writeFileSync(bad, lines.join('\n'));
    const r = await run('verify', bad);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${bad}:${i + 1}: line breaks the hash chain`);
    const j = await run('verify', bad, '--json');
    expect(JSON.parse(j.out)).toMatchObject({ valid: false, problem: 'tampered', line: i + 1 });
  });

  it('exits 1 for an unsealed recording only with --strict', async () => {
    const lines = readFileSync(SAMPLE, 'utf8').split('\n');
    const cut = join(dir, 'unsealed.jsonl');
    writeFileSync(cut, lines.slice(0, 50).join('\n') + '\n');
    const loose = await run('verify', cut);
    expect(loose.code).toBe(0);
    expect(loose.out).toMatch(/^VALID \(UNSEALED\)/);
    expect((await run('verify', cut, '--strict')).code).toBe(1);
  });

  it('prints a recording one line per event, filtered by kind and time', async () => {
    const r = await run('replay', SAMPLE, '--events', '--kind', 'executionReceived,commissionReceived');
    expect(r.code).toBe(0);
    const lines = r.out.split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^2026-11-23T14:30:\d\d\.\d{3}Z #\d+ executionReceived .*execId=0000e0d5\.674a1b2c\.01\.01 .*side=SLD shares=1 price=6018\.5/);
    expect(lines[1]).toMatch(/commissionReceived execId=0000e0d5\.674a1b2c\.01\.01 commission=2\.25 currency=USD/);
    const early = await run('replay', SAMPLE, '--events', '--to', '14:30:00');
    expect(early.out).toBe('');
    expect((await run('replay', SAMPLE, '--events', '--kind', 'bogus')).code).toBe(2);
  });

  it('needs exactly one file for verify', async () => {
    expect((await run('verify')).code).toBe(2);
  });
});

describe('tws-risk config', () => {
  it('names the file and every bad key of a broken config; each bad key keeps its default alone, the rest is honoured', async () => {
    const file = settingsFile('bad.json', {
      connection: { host: 'tws.lan', port: 'seven', hots: 'x' },
      recorder: { gzip: 'yes', dir: '/srv/rec' },
      trading: { armMinutes: 0 },
      ui: { theme: 'light' },
    });
    const r = await run('config', 'validate', '--config', file);
    expect(r.code).toBe(1);
    expect(r.err.split('\n')).toEqual([
      `${file}: error at connection.hots: unknown key (expected one of host, port, clientId, account)`,
      `${file}: error at connection.port: expected a whole number from 1 to 65535, got "seven"`,
      `${file}: error at recorder.gzip: expected true or false, got "yes"`,
      `${file}: error at trading.armMinutes: expected a number of minutes above 0, at most 240, got 0`,
    ]);
    const show = await run('config', 'show', '--config', file);
    expect(show.code).toBe(0);
    const s = JSON.parse(show.out);
    expect(s.connection).toEqual({ host: 'tws.lan', port: 7497, clientId: 4217, account: '' });
    expect(s.recorder).toMatchObject({ gzip: true, dir: '/srv/rec' });
    expect(s.ui.theme).toBe('light');
    expect(s.trading.armMinutes).toBe(5);
    expect(show.err).toMatch(/keeps its default/);
  });

  it("accepts the README's own settings example, keymap list included, and the console binds its key", async () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const example = /## Settings[\s\S]*?```json\n([\s\S]*?)```/.exec(readme)![1]!;
    const file = join(dir, 'readme.json');
    writeFileSync(file, example);
    // Its hook, /usr/local/bin/page-me, is a placeholder not installed here: named as a warning, the file still valid.
    expect(await run('config', 'validate', '--config', file)).toMatchObject({
      code: 0,
      out: `ok ${file} (1 warning above)`,
      err: `${file}: warning at alerts.hook.command: the hook program "/usr/local/bin/page-me" does not exist; the hook cannot start, and each alert's page will fail (outcome spawnError) until it is installed`,
    });
    const show = await run('config', 'show', '--config', file);
    const shown = JSON.parse(show.out);
    expect(shown.keymap).toEqual(JSON.parse(example).keymap);
    expect(Array.isArray(shown.keymap)).toBe(true);
    // What the console does with it (src/commands/console.ts): no error, and the key is bound.
    const keys = applyOverrides(loadSettings(file).settings.keymap);
    expect(keys.errors).toEqual([]);
    const first = JSON.parse(example).keymap[0];
    expect(keys.bindings[first.command as CommandId]).toContain(first.key);
  });

  it('names a bad keymap entry by its index, as the console would, and keeps the good ones', async () => {
    const file = settingsFile('keys.json', {
      keymap: [
        { key: 'ctrl+n', command: 'nav.down' },
        { key: 'ctrl+p', command: 'nav.upp' },
      ],
    });
    const r = await run('config', 'validate', '--config', file);
    expect(r.code).toBe(1);
    expect(r.err.split('\n')).toHaveLength(1);
    expect(r.err.startsWith(`${file}: error at keymap[1]: unknown command "nav.upp"; valid commands are`)).toBe(true);
    expect(applyOverrides(loadSettings(file).settings.keymap).bindings['nav.down']).toContain('ctrl+n');
  });

  it('config show prints what is in force: a refused keymap entry is left out, a refused alert value shows its default, each refused one listed apart with why', async () => {
    const file = settingsFile('refused.json', {
      keymap: [
        { key: 'y', command: 'trade.flattenScope' },
        { key: 'enter', command: 'trade.arm' },
        { key: 'zz', command: 'nope' },
        { key: 'ctrl+n', command: 'nav.down' },
      ],
      alerts: { bell: 'loud', coolDownMs: 5000 },
    });
    const show = await run('config', 'show', '--config', file);
    expect(show.code).toBe(0);
    const s = JSON.parse(show.out);
    expect(s.keymap).toEqual([{ key: 'ctrl+n', command: 'nav.down' }]);
    expect(s.alerts.bell).toBe('critical');
    expect(s.alerts.coolDownMs).toBe(5000);
    const refused = show.err.split('\n').filter((l) => l.startsWith('refused: '));
    expect(refused).toHaveLength(4);
    expect(refused.join('\n')).toContain(`refused: ${file}: error at keymap[0]: refused: "y" would both open a dialog (trade.flattenScope)`);
    expect(refused.join('\n')).toContain(`refused: ${file}: error at keymap[1]: refused: trade.arm is dangerous and "enter"`);
    expect(refused.join('\n')).toContain(`refused: ${file}: error at keymap[2]: unknown command "nope"`);
    expect(refused.join('\n')).toContain(`refused: ${file}: error at alerts.bell: expected one of "off", "info", "warning", "critical", got "loud"`);
    expect(show.out).not.toContain('"loud"');
    expect(show.out).not.toContain('trade.flattenScope');
  });

  it('a list with a bad item keeps its whole default, and config show agrees with the message', async () => {
    const file = settingsFile('lists.json', {
      alerts: {
        session: { days: ['Mon', 'Tues', 'Wed', 'Thu', 'Fri'], holidays: ['2026-02-30'] },
        rules: { 'foreign.client': { expectedClientIds: [7, '8'] }, 'stream.stale': { marketHoursOnly: ['nope'] } },
      },
    });
    const show = await run('config', 'show', '--config', file);
    const s = JSON.parse(show.out);
    expect(s.alerts.session.days).toEqual(['Mon', 'Tue', 'Wed', 'Thu', 'Fri']);
    expect(s.alerts.session.holidays).toEqual([]);
    expect(s.alerts.rules['foreign.client'].expectedClientIds).toEqual([]);
    expect(s.alerts.rules['stream.stale'].marketHoursOnly).toEqual(['accountValues', 'portfolio', 'marketData', 'optionComputations']);
    const v = await run('config', 'validate', '--config', file);
    expect(v.code).toBe(1);
    expect(v.err).toContain(
      `${file}: error at alerts.session.days[1]: expected one of "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", got "Tues"; the whole list keeps its default`,
    );
    expect(v.err).toContain(`${file}: error at alerts.session.holidays[0]: expected a date "YYYY-MM-DD" that exists, got "2026-02-30"`);
  });

  it('recorder.dir: config validate refuses a relative path, config show prints ~/ expanded to the home directory', async () => {
    const relative = await run('config', 'validate', '--config', settingsFile('rel.json', { recorder: { dir: 'recs' } }));
    expect(relative.code).toBe(1);
    expect(relative.err).toContain('error at recorder.dir: recorder.dir must be absolute or start with ~/, got "recs"');
    const tilde = settingsFile('tilde.json', { recorder: { dir: '~/recs' } });
    expect((await run('config', 'validate', '--config', tilde)).code).toBe(0);
    expect(JSON.parse((await run('config', 'show', '--config', tilde)).out).recorder.dir).toBe(join(homedir(), 'recs'));
  });

  it('config validate names a relative $TWS_RISK_DATA_DIR (exit 1): the audit logs would follow the working directory', async () => {
    const saved = process.env.TWS_RISK_DATA_DIR;
    process.env.TWS_RISK_DATA_DIR = 'data';
    try {
      const r = await run('config', 'validate', '--config', settingsFile('empty.json', {}));
      expect(r.code).toBe(1);
      expect(r.err).toBe('$TWS_RISK_DATA_DIR: must be absolute or start with ~/, got "data"; the platform data directory is used');
    } finally {
      if (saved === undefined) delete process.env.TWS_RISK_DATA_DIR;
      else process.env.TWS_RISK_DATA_DIR = saved;
    }
  });

  it('checks the alert thresholds in depth, naming each bad key and its valid choices', async () => {
    const file = settingsFile('alerts.json', { alerts: { rules: { bogus: 1 }, coolDownMs: 'x' } });
    const r = await run('config', 'validate', '--config', file);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${file}: error at alerts.coolDownMs: expected a number`);
    expect(r.err).toMatch(/error at alerts\.rules\.bogus: unknown key \(expected one of excess\.negative/);
  });

  it('reports invalid JSON by file, without a stack', async () => {
    const file = join(dir, 'syntax.json');
    writeFileSync(file, '{"connection": {\n  "port": 7497,\n}}');
    const r = await run('config', 'validate', '--config', file);
    expect(r.code).toBe(1);
    // Where it breaks: the trailing comma, on line 3.
    expect(r.err).toMatch(
      new RegExp(`^${file.replaceAll('.', '\\.')}: not valid JSON: .*\\(line 3 column 1\\) \\(fix the syntax or delete the file to use defaults\\)$`),
    );
  });

  it('refuses a --config file that does not exist (exit 2, naming it) instead of running on the defaults', async () => {
    const mask = settingsFile('mask.json', { ui: { maskAccount: true } });
    const typo = mask.replace(/mask\.json$/, 'masks.json');
    for (const argv of [
      ['config', 'validate', '--config', typo],
      ['--config', typo, 'demo', '--once', '--no-record'],
    ]) {
      const r = await run(...argv);
      expect(r.code).toBe(2);
      expect(r.err).toBe(`tws-risk ${argv.includes('demo') ? 'demo' : 'config'}: --config ${typo}: no such file (only the default location may be absent)`);
      expect(r.out).toBe('');
    }
  });

  it('refuses a settings file whose top level is not an object (null, [], a string)', async () => {
    for (const [name, text, got] of [
      ['null.json', 'null', 'null'],
      ['array.json', '[]', 'an array'],
      ['string.json', '"x"', 'a string'],
    ] as const) {
      const file = join(dir, name);
      writeFileSync(file, text);
      const r = await run('config', 'validate', '--config', file);
      expect(r.code).toBe(1);
      expect(r.err).toBe(`${file}: settings must be a JSON object, got ${got} (the defaults are in force)`);
    }
  });

  it('warns, without refusing, of a hook program that is missing, not executable or a program name with its arguments', async () => {
    const hook = (name: string, command: unknown) => settingsFile(name, { alerts: { hook: { command } } });
    const script = join(dir, 'page-me.sh');
    writeFileSync(script, '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    const plain = join(dir, 'page-me.txt');
    writeFileSync(plain, '#!/bin/sh\nexit 0\n', { mode: 0o644 });
    const cases: [string, unknown, string | RegExp][] = [
      ['hook-missing.json', [join(dir, 'no-such-pager'), '--tws'], `the hook program "${join(dir, 'no-such-pager')}" does not exist; the hook cannot start`],
      ['hook-plain.json', plain, `the hook program "${plain}" is not executable; the hook cannot start`],
      ['hook-dir.json', dir, `the hook program "${dir}" is not a file`],
      ['hook-bare.json', 'tws-risk-no-such-pager', /the hook program "tws-risk-no-such-pager" is not found on PATH \(.+\); the hook cannot start/],
      [
        'hook-space.json',
        'page-me --tws',
        `the hook program "page-me --tws" is not found on PATH (${process.env.PATH}); hooks run without a shell, so its name cannot hold arguments: give the program and its arguments as a list, "command": ["page-me","--tws"]`,
      ],
    ];
    for (const [name, command, want] of cases) {
      const file = hook(name, command);
      const r = await run('config', 'validate', '--config', file);
      expect(r.code, name).toBe(0);
      expect(r.out, name).toBe(`ok ${file} (1 warning above)`);
      expect(r.err, name).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: warning at alerts\.hook\.command: `));
      if (typeof want === 'string') expect(r.err, name).toContain(want);
      else expect(r.err, name).toMatch(want);
      // In force all the same: the program may be installed later on the host that runs it.
      expect(JSON.parse((await run('config', 'show', '--config', file)).out).alerts.hook.command, name).toEqual(
        typeof command === 'string' ? [command] : command,
      );
    }
    // A program that runs, by path or a bare name on PATH, says nothing.
    for (const command of [[script, '--tws'], 'sh'])
      expect(await run('config', 'validate', '--config', hook('hook-ok.json', command))).toMatchObject({ code: 0, err: '' });
  });

  it('merges a partial file over the defaults and never rewrites it', async () => {
    const file = join(dir, 'partial.json');
    const text = '{"connection": {"port": 4002}}';
    writeFileSync(file, text);
    const show = await run('config', 'show', '--config', file);
    const s = JSON.parse(show.out);
    expect(s.connection).toEqual({ host: '127.0.0.1', port: 4002, clientId: 4217, account: '' });
    expect((await run('config', 'validate', '--config', file)).out).toBe(`ok ${file}`);
    expect(readFileSync(file, 'utf8')).toBe(text);
  });

  it('follows TWS_RISK_CONFIG when no --config is given', async () => {
    const file = join(dir, 'env.json');
    const before = process.env.TWS_RISK_CONFIG;
    process.env.TWS_RISK_CONFIG = file;
    try {
      expect((await run('config', 'path')).out).toBe(file);
    } finally {
      if (before === undefined) delete process.env.TWS_RISK_CONFIG;
      else process.env.TWS_RISK_CONFIG = before;
    }
  });

  it('a TWS_RISK_CONFIG naming no file is said (it ran on the defaults without a word): validate fails, report warns, flatten --trade refuses', async () => {
    const file = join(dir, 'mistyped-setings.json');
    const warning = `${file}: warning: no such file (named by $TWS_RISK_CONFIG); the defaults are in force`;
    const before = process.env.TWS_RISK_CONFIG;
    process.env.TWS_RISK_CONFIG = file;
    try {
      const validate = await run('config', 'validate');
      expect(validate.code).toBe(1);
      expect(validate.err).toBe(warning);
      const report = await run('report', '--replay', 'recordings/quiet-day.jsonl.gz');
      expect(report.code).toBe(0);
      expect(report.err.split('\n')).toContain(warning);
      const flatten = await run('flatten', '--scope', 'all', '--port', '1', '--trade', '--confirm-account', 'DU1234567');
      expect(flatten.code).toBe(2);
      expect(flatten.err).toContain(`tws-risk flatten: ${warning}`);
    } finally {
      if (before === undefined) delete process.env.TWS_RISK_CONFIG;
      else process.env.TWS_RISK_CONFIG = before;
    }
  });
});

describe('bin/tws-risk', () => {
  it('says in one line that Node 22.12 is needed when started on an older Node', () => {
    // Pretend to be Node 18 before the shim runs: the check must not depend on syntax an old Node cannot parse.
    const preload = join(dir, 'old-node.cjs');
    writeFileSync(
      preload,
      "Object.defineProperty(process, 'versions', { value: { ...process.versions, node: '18.19.1' } }); Object.defineProperty(process, 'version', { value: 'v18.19.1' });",
    );
    const r = spawnSync(process.execPath, ['-r', preload, 'bin/tws-risk', '--help'], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/needs Node\.js 22\.12 or newer \(this is v18\.19\.1\)/);
    // 22.0 to 22.11 cannot require() the settings loader's ES module: refused the same way.
    writeFileSync(
      preload,
      "Object.defineProperty(process, 'versions', { value: { ...process.versions, node: '22.11.0' } }); Object.defineProperty(process, 'version', { value: 'v22.11.0' });",
    );
    const r22 = spawnSync(process.execPath, ['-r', preload, 'bin/tws-risk', '--help'], { encoding: 'utf8' });
    expect(r22.status).toBe(1);
    expect(r22.stderr).toMatch(/needs Node\.js 22\.12 or newer \(this is v22\.11\.0\)/);
  });
});
