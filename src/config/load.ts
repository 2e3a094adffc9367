// Loads settings: finds the file (--config, TWS_RISK_CONFIG, platform dir), reads it, validates each key, and degrades.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import envPaths from 'env-paths';
import { Checker } from '../model/check.js';
import { neutralise } from '../model/text.js';
import { hookProgramWarnings } from './hook-program.js';
import { parseAlertConfig, type AlertConfig } from '../risk/alerts/config.js';
import {
  checkSettings,
  DEFAULT_ALERT_EFFECTS,
  DEFAULT_ALERT_HOOK,
  DEFAULT_SETTINGS,
  type AlertEffectLevel,
  type AlertEffectSettings,
  type AlertHookSettings,
  type Settings,
} from './settings.js';

export const CONFIG_ENV = 'TWS_RISK_CONFIG';

export interface LoadedSettings {
  /** The settings in force: every valid key of the file, the default for each key that is missing or invalid. */
  readonly settings: Settings;
  readonly path: string;
  readonly exists: boolean;
  /** Each problem names the file and the key path; empty when the file is valid (or absent). */
  readonly problems: readonly string[];
  /**
   * What is in force but will likely fail here (a hook program not found or not executable): said at start and by
   * `config validate`, never refused, since the file may be meant for another host.
   */
  readonly warnings?: readonly string[];
}

/** Where the config file is (or would be), without creating it: --config, then $TWS_RISK_CONFIG, then the platform's config dir. */
export function configPath(file?: string, env: NodeJS.ProcessEnv = process.env): string {
  const chosen = file ?? env[CONFIG_ENV] ?? undefined;
  if (chosen) return resolve(chosen);
  // The directory conf picked for projectName 'tws-risk' with no suffix (the loader used conf until session 13).
  return resolve(envPaths('tws-risk', { suffix: '' }).config, 'config.json');
}

/** Where the JSON breaks, as JSON.parse says it: ": Expected ... (line 3 column 14)". */
function whereInvalid(path: string): string {
  try {
    JSON.parse(readFileSync(path, 'utf8'));
    return '';
  } catch (e) {
    // The parser may quote the file's text, which is the user's and may hold control characters.
    return e instanceof SyntaxError ? `: ${neutralise(e.message)}` : '';
  }
}

/** A file that cannot be read at all (syntax, permissions): the one case where the whole file gives way to the defaults. */
function unreadable(err: unknown, path: string): string {
  const msg = err instanceof Error ? err.message : String(err);
  if (err instanceof SyntaxError || /not valid JSON/.test(msg))
    return `${path}: not valid JSON${whereInvalid(path)} (fix the syntax or delete the file to use defaults)`;
  const code = (err as NodeJS.ErrnoException).code;
  if (code) return `${path}: cannot read (${code})`;
  return `${path}: ${msg}`;
}

/** The file's top level when it is not a JSON object (`null`, `[]`, `"x"` would otherwise validate as "ok"). */
function notAnObject(path: string, top: unknown): string | undefined {
  if (typeof top === 'object' && top !== null && !Array.isArray(top)) return undefined;
  const got = top === null ? 'null' : Array.isArray(top) ? 'an array' : `a ${typeof top}`;
  return `${path}: settings must be a JSON object, got ${got} (the defaults are in force)`;
}

/**
 * An explicitly named settings file (--config) that is not there: a mistyped path must not run on the defaults (an
 * account shown unmasked). Only the default location, or the one $TWS_RISK_CONFIG names, may hold no file.
 */
export function missingConfigFile(file: string | undefined): string | undefined {
  if (file === undefined) return undefined;
  const path = resolve(file);
  return existsSync(path) ? undefined : `--config ${path}: no such file (only the default location may be absent)`;
}

/**
 * Loads settings. A missing file means defaults (nothing is written). In a file that reads, each invalid key is
 * named (file, key path, value) and falls back to its default alone; everything valid is in force. Only a file that
 * cannot be read or parsed gives way to the defaults as a whole. Never throws for a bad file.
 */
export function loadSettings(file?: string, env: NodeJS.ProcessEnv = process.env): LoadedSettings {
  const path = configPath(file, env);
  // The data directory is the environment's setting, not the file's, but it is reported with them (and by `config
  // validate`): where the audit logs go is as much a setting as where the recordings go.
  const dataDirProblems = [dataDirProblem(env)].filter((p) => p !== undefined);
  if (!existsSync(path)) {
    // $TWS_RISK_CONFIG naming no file is allowed (a box set up before its file is written) but said: a mistyped path ran
    // on the defaults without a word, and a cron job could not tell (ops trial).
    const named = file === undefined && env[CONFIG_ENV] ? [`${path}: warning: no such file (named by $${CONFIG_ENV}); the defaults are in force`] : [];
    return { settings: DEFAULT_SETTINGS, path, exists: false, problems: dataDirProblems, ...(named.length > 0 ? { warnings: named } : {}) };
  }
  let raw: unknown;
  try {
    // Read and parsed here: conf, which did it before, brought ~170 modules (ajv, semver, atomically) and 80-100 ms
    // to the start of every run with a settings file, for a read-only JSON.parse (docs/performance.md "Start-up").
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    return { settings: DEFAULT_SETTINGS, path, exists: true, problems: [unreadable(err, path), ...dataDirProblems] };
  }
  const notObject = notAnObject(path, raw);
  if (notObject) return { settings: DEFAULT_SETTINGS, path, exists: true, problems: [notObject, ...dataDirProblems] };
  const c = new Checker(path);
  const settings = checkSettings(raw, c, homeOf(env));
  // The alert rules and effects have their own parsers on the same checker style; a bad key keeps its default.
  const alerts = parseAlertConfig(settings.alerts, path, EFFECT_KEYS, 'alerts');
  const effects = parseAlertEffects(settings.alerts, path, 'alerts');
  const warnings = hookProgramWarnings(effects.effects.hook?.command, path, env);
  return { settings, path, exists: true, problems: [...c.problems, ...alerts.problems, ...effects.problems, ...dataDirProblems], warnings };
}

export const DATA_DIR_ENV = 'TWS_RISK_DATA_DIR';

/** The home directory `~/` means: $HOME of the environment given (tests pass their own), else the system's. */
function homeOf(env: NodeJS.ProcessEnv): string {
  return env.HOME || homedir();
}

/**
 * $TWS_RISK_DATA_DIR as a directory: absolute, `~/...` expanded (a systemd `Environment=` or a quoted assignment
 * does not expand it), or undefined when unset or relative. A relative one would move the audit logs and recordings
 * with the working directory, and a literal `~` would make a directory named `~` there, as `recorder.dir` did.
 */
function dataDirOf(env: NodeJS.ProcessEnv): string | undefined {
  const v = env[DATA_DIR_ENV];
  if (!v) return undefined;
  if (v === '~' || v.startsWith('~/')) return join(homeOf(env), v.slice(1));
  return isAbsolute(v) ? v : undefined;
}

/** The problem with $TWS_RISK_DATA_DIR (relative), reported with the settings' problems; undefined when fine. */
export function dataDirProblem(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const v = env[DATA_DIR_ENV];
  if (!v || dataDirOf(env) !== undefined) return undefined;
  return `$${DATA_DIR_ENV}: must be absolute or start with ~/, got ${JSON.stringify(v)}; the platform data directory is used`;
}

/** Where recordings and audit logs live: $TWS_RISK_DATA_DIR (absolute or ~/), else the platform data directory. */
export function dataDir(env: NodeJS.ProcessEnv = process.env): string {
  return dataDirOf(env) ?? envPaths('tws-risk', { suffix: '' }).data;
}

/** The alert configuration in force: the settings' `alerts`, defaults for anything missing or invalid. */
export function alertConfigOf(settings: Settings): AlertConfig {
  return parseAlertConfig(settings.alerts, 'settings', EFFECT_KEYS).config;
}

/** The keys of the settings' `alerts` section that are the console's effects, not the rules. */
const EFFECT_KEYS = ['bell', 'hook'] as const;
const BELL_LEVELS: readonly AlertEffectLevel[] = ['off', 'info', 'warning', 'critical'];
const SEVERITY_LEVELS = ['info', 'warning', 'critical'] as const;

/**
 * Checks `alerts.bell` and `alerts.hook` (docs/alerts.md "Bell", "Hook"). Each problem names the file and key and
 * keeps the default: a bad bell level rings at the default level; a hook without a valid command is not run.
 */
export function parseAlertEffects(alerts: unknown, file: string, root = ''): { readonly effects: AlertEffectSettings; readonly problems: readonly string[] } {
  const c = new Checker(file, root);
  const problems = c.problems;
  const fail = (key: string, msg: string) => c.fail(key, msg);
  const show = (v: unknown) => (v === undefined ? 'nothing' : JSON.stringify(v));
  if (typeof alerts !== 'object' || alerts === null || Array.isArray(alerts)) return { effects: DEFAULT_ALERT_EFFECTS, problems };
  const a = alerts as Record<string, unknown>;
  let bell = DEFAULT_ALERT_EFFECTS.bell;
  if ('bell' in a) {
    if (typeof a.bell === 'string' && BELL_LEVELS.includes(a.bell as AlertEffectLevel)) bell = a.bell as AlertEffectLevel;
    else fail('bell', `expected one of ${BELL_LEVELS.map((l) => `"${l}"`).join(', ')}, got ${show(a.bell)}`);
  }
  if (!('hook' in a) || a.hook === null) return { effects: { bell }, problems };
  const h = a.hook;
  if (typeof h !== 'object' || h === null || Array.isArray(h)) {
    fail('hook', `expected an object with a command, got ${show(h)}`);
    return { effects: { bell }, problems };
  }
  const o = h as Record<string, unknown>;
  const known = ['command', 'timeoutMs', 'minSeverity', 'maxRunning'];
  for (const k of Object.keys(o)) if (!known.includes(k)) fail(`hook.${k}`, `unknown key (expected one of ${known.join(', ')})`);
  let command: readonly string[] | undefined;
  // A string is the program alone (no arguments, no shell); a list is the program and its arguments.
  if (typeof o.command === 'string' && o.command.trim() !== '') command = [o.command];
  else if (Array.isArray(o.command) && o.command.length > 0 && o.command.every((x) => typeof x === 'string') && (o.command[0] as string).trim() !== '')
    command = o.command as string[];
  else fail('hook.command', `expected a program path, or a list of the program and its arguments, got ${show(o.command)}; the hook is off`);
  const int = (key: 'timeoutMs' | 'maxRunning', min: number, max: number): number => {
    const v = o[key];
    if (v === undefined) return DEFAULT_ALERT_HOOK[key];
    if (typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max) return v;
    fail(`hook.${key}`, `expected a whole number from ${min} to ${max}, got ${show(v)}`);
    return DEFAULT_ALERT_HOOK[key];
  };
  const timeoutMs = int('timeoutMs', 100, 600_000);
  const maxRunning = int('maxRunning', 1, 64);
  let minSeverity = DEFAULT_ALERT_HOOK.minSeverity;
  if ('minSeverity' in o) {
    if (typeof o.minSeverity === 'string' && (SEVERITY_LEVELS as readonly string[]).includes(o.minSeverity))
      minSeverity = o.minSeverity as AlertHookSettings['minSeverity'];
    else fail('hook.minSeverity', `expected one of ${SEVERITY_LEVELS.map((l) => `"${l}"`).join(', ')}, got ${show(o.minSeverity)}`);
  }
  return { effects: { bell, ...(command ? { hook: { command, timeoutMs, minSeverity, maxRunning } } : {}) }, problems };
}

/** The alert effects in force: the settings' `alerts.bell` and `alerts.hook`, defaults for anything invalid. */
export function alertEffectsOf(settings: Settings): AlertEffectSettings {
  return parseAlertEffects(settings.alerts, 'settings').effects;
}
