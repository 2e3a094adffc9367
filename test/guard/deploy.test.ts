// The shipped systemd unit and example policy: the hardening is there, ExecStart is a runnable guard, the policy parses.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { describedFlags } from '../../src/cli.js';
import { DATA_DIR_ENV } from '../../src/config/load.js';
import { GUARD_ACTIONS, parsePolicy } from '../../src/session/guard-policy.js';

const UNIT = 'deploy/systemd/tws-risk-guard.service';
const POLICY = 'deploy/systemd/guard-policy.example.json';
const README = 'deploy/systemd/README.md';

/** A unit file as systemd reads it: sections of keys, each key keeping every assignment in order (empty ones too). */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  // A trailing backslash continues the line (systemd.syntax(7)).
  const lines = text.replace(/\\\n/g, ' ').split('\n');
  for (const raw of lines) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const head = /^\[(.+)\]$/.exec(line);
    if (head) {
      current = new Map();
      sections.set(head[1]!, current);
      continue;
    }
    const eq = line.indexOf('=');
    if (eq < 0 || !current) throw new Error(`${UNIT}: not a key=value line inside a section: ${line}`);
    const key = line.slice(0, eq).trim();
    current.set(key, [...(current.get(key) ?? []), line.slice(eq + 1).trim()]);
  }
  return sections;
}

/** systemd time spans as the unit may write them: `90`, `90s`, `1min 30s`. */
function seconds(span: string): number {
  const units: Record<string, number> = { '': 1, s: 1, sec: 1, m: 60, min: 60, h: 3600 };
  let total = 0;
  for (const part of span.trim().split(/\s+/)) {
    const m = /^(\d+)([a-z]*)$/.exec(part);
    if (!m || units[m[2]!] === undefined) throw new Error(`not a time span: ${span}`);
    total += Number(m[1]) * units[m[2]!]!;
  }
  return total;
}

const unit = parseUnit(readFileSync(UNIT, 'utf8'));
const service = unit.get('Service')!;
/** The value in force: the last assignment wins, as in systemd. */
const last = (key: string): string | undefined => service.get(key)?.at(-1);
const execStart = (): string[] => {
  const all = service.get('ExecStart') ?? [];
  expect(all).toHaveLength(1);
  return all[0]!.split(/\s+/);
};

describe('deploy/systemd/tws-risk-guard.service', () => {
  it('runs as the dedicated user, sandboxed, with no capabilities', () => {
    expect(last('User')).toBe('tws-risk-guard');
    expect(last('Group')).toBe('tws-risk-guard');
    expect(last('NoNewPrivileges')).toBe('yes');
    expect(last('ProtectSystem')).toBe('strict');
    expect(last('ProtectHome')).toBe('yes');
    expect(last('PrivateTmp')).toBe('yes');
    // Present and empty: the bounding set is cleared, not left at systemd's default (everything).
    expect(service.get('CapabilityBoundingSet')).toEqual(['']);
    expect(new Set(last('RestrictAddressFamilies')!.split(/\s+/))).toEqual(new Set(['AF_INET', 'AF_INET6', 'AF_UNIX']));
    expect(last('SystemCallFilter')).toBe('@system-service');
    // V8's JIT needs writable and executable memory: with this on, Node dies at start.
    expect(service.has('MemoryDenyWriteExecute')).toBe(false);
  });

  it('writes only to the data directory the guard is told to use', () => {
    const env = (service.get('Environment') ?? []).map((e) => e.replace(/^"|"$/g, ''));
    const dataDir = env.find((e) => e.startsWith(`${DATA_DIR_ENV}=`))?.slice(DATA_DIR_ENV.length + 1);
    expect(dataDir).toMatch(/^\/var\/lib\//);
    expect(service.get('ReadWritePaths')).toEqual([dataDir]);
    // No other key that opens a writable path beside it.
    for (const k of ['StateDirectory', 'LogsDirectory', 'CacheDirectory', 'RuntimeDirectory', 'ConfigurationDirectory', 'BindPaths']) {
      expect(service.has(k), k).toBe(false);
    }
  });

  it('reloads on SIGHUP, stops on SIGTERM with time for an action in flight, restarts on failure, logs to the journal', () => {
    expect(last('ExecReload')).toBe('/bin/kill -HUP $MAINPID');
    expect(last('KillSignal')).toBe('SIGTERM');
    // An action's orders wait up to 30 s each (--timeout) and a hook 10 s + 2 s: a stop must not cut them short.
    expect(seconds(last('TimeoutStopSec')!)).toBeGreaterThanOrEqual(90);
    expect(last('Restart')).toBe('on-failure');
    // Exit 2 (a bad policy, an account mismatch) cannot be fixed by a restart.
    expect(last('RestartPreventExitStatus')?.split(/\s+/)).toContain('2');
    // An --account the login does not manage (exit 1) is not fixed by a restart either.
    expect(last('RestartPreventExitStatus')?.split(/\s+/)).toContain('1');
    expect(last('StandardOutput')).toBe('journal');
  });

  it('starts `guard --policy FILE` with flags the guard accepts, and never --trade without --confirm-account', () => {
    const argv = execStart();
    expect(argv[0]).toMatch(/\/bin\/tws-risk$/);
    expect(argv[1]).toBe('guard');
    const p = argv.indexOf('--policy');
    expect(p).toBeGreaterThan(1);
    expect(argv[p + 1]).toMatch(/^\/etc\/.+\.json$/);
    const accepted = new Set(describedFlags('guard').map((f) => f.flag));
    for (const a of argv.filter((x) => x.startsWith('--'))) expect(accepted.has(a.slice(2)), a).toBe(true);
    if (argv.includes('--trade')) {
      const c = argv.indexOf('--confirm-account');
      expect(c).toBeGreaterThan(0);
      expect(argv[c + 1]).toMatch(/^[^-]/);
    }
    // As shipped it is a dry run: acting is a deliberate drop-in, typed with the account.
    expect(argv).not.toContain('--trade');
  });

  it('points at docs that exist', () => {
    const docs = (unit.get('Unit')!.get('Documentation') ?? []).join(' ').split(/\s+/);
    expect(docs.length).toBeGreaterThan(0);
    for (const d of docs) expect(existsSync(d.replace(/^file:\/opt\/tws-risk\//, '')), d).toBe(true);
  });

  it('is installed by the README with the same user and data directory', () => {
    const readme = readFileSync(README, 'utf8');
    const dataDir = service.get('ReadWritePaths')![0]!;
    expect(readme).toMatch(new RegExp(`useradd --system[^\\n]*--shell /usr/sbin/nologin[^\\n]*${last('User')}`));
    expect(readme).toContain(`install -d -m 0700 -o ${last('User')} -g ${last('Group')} ${dataDir}`);
    const policyPath = execStart()[execStart().indexOf('--policy') + 1]!;
    expect(readme).toContain(policyPath);
  });
});

describe('deploy/systemd/guard-policy.example.json', () => {
  it('parses with no problem, one rule per action of the issue example', () => {
    const r = parsePolicy(readFileSync(POLICY, 'utf8'), POLICY);
    expect(r.problems).toEqual([]);
    const rules = r.policy!.rules;
    expect(rules.map((x) => x.do)).toEqual(['globalCancel', 'reduce', 'cancelClient', 'notify']);
    for (const x of rules) expect(GUARD_ACTIONS).toContain(x.do);
    expect(rules[1]!.maxReductionPct).toBe(25);
    expect(rules[2]!.clientIds).toBe('foreign');
    expect(r.policy!.limits.window).toBe('market');
  });
});
