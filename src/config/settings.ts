// Settings: the typed shape of the config file, its defaults and its checker (each bad key named, keeping its default).
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { Checker, isObject, show } from '../model/check.js';
import { exDateMs } from '../risk/params.js';

export interface ConnectionSettings {
  readonly host: string;
  readonly port: number;
  /** A fixed client id: TWS binds orders to it, and a random one would change on every reconnect. */
  readonly clientId: number;
  /** Account to follow when the login manages several; empty means the first, with a notice. */
  readonly account: string;
}

export interface RecorderSettings {
  readonly enabled: boolean;
  /**
   * Directory for flight recordings; empty means the platform data directory. Absolute once checked: the file may say
   * `~/recs` (expanded here), never a relative path (it would follow wherever the command happens to run).
   */
  readonly dir: string;
  readonly gzip: boolean;
  /** Start a new file after this many bytes (and at each new UTC day). */
  readonly rotateBytes: number;
  readonly keyframeEveryEvents: number;
  readonly keyframeEveryMs: number;
  /** Our recordings in `dir` together stay under this many bytes: the oldest sealed ones are deleted, each named. */
  readonly maxBytes: number;
  /** Recordings last written more than this many days ago are deleted (sealed ones only, each named). */
  readonly keepDays: number;
}

export interface UiSettings {
  /** View-model throttle for prices, in ms (health and alerts are immediate). */
  readonly throttleMs: number;
  readonly theme: 'dark' | 'light' | 'mono';
  /** Colour depth: auto-detected, or forced (COLORTERM is not forwarded over SSH); NO_COLOR always means mono. */
  readonly color: 'auto' | '16' | '256' | 'truecolor';
  /** Start with the account id masked in the status bar (screen sharing). */
  readonly maskAccount: boolean;
  /** ASCII only (box drawing, bars, markers, signs): forced when true; otherwise a non-UTF-8 locale decides. */
  readonly ascii: boolean;
}

/** One key override: `{ "key": "ctrl+n", "command": "nav.down" }`, or `"-nav.down"` to unbind (src/keymap/overrides.ts). */
export interface KeymapSetting {
  readonly key: string;
  readonly command: string;
}

/** Risk engine settings (docs/stress-model.md). */
export interface RiskSettings {
  /** `auto` decides from TWS's account type rows, else from which estimate the reported requirement matches. */
  readonly marginMethod: 'auto' | 'regT' | 'portfolio';
  /**
   * Risk-free rate by ISO currency, a fraction (0.045 is 4.5%), for option pricing; merged over the engine's
   * documented defaults (DEFAULT_RATES in src/risk/params.ts), so `{ "EUR": 0.025 }` changes EUR only.
   */
  readonly rates: Readonly<Record<string, number>>;
  /**
   * Announced cash dividends by underlying symbol, `[{ "exDate": "YYYY-MM-DD", "amount": 0.26 }]`: American options
   * on the symbol with an ex-date before expiry are priced on the cash-dividend lattice (docs/stress-model.md).
   */
  readonly dividends: Readonly<Record<string, readonly { readonly exDate: string; readonly amount: number }[]>>;
}

export interface Settings {
  readonly connection: ConnectionSettings;
  /** Named connections, chosen with --profile NAME. */
  readonly profiles: Readonly<Record<string, Partial<ConnectionSettings>>>;
  readonly recorder: RecorderSettings;
  readonly ui: UiSettings;
  /**
   * Key overrides as written in the file (a list): src/keymap/overrides.ts checks each entry at start, names a bad
   * one and keeps the others, so an entry here may still be malformed.
   */
  readonly keymap: readonly KeymapSetting[];
  readonly trading: TradingSettings;
  readonly risk: RiskSettings;
  /**
   * Alert thresholds and severities (docs/alerts.md); checked in depth by parseAlertConfig at load. Its `bell` and
   * `hook` keys are the console's side effects of alert transitions (AlertEffectSettings, checked by load.ts).
   */
  readonly alerts: Readonly<Record<string, unknown>>;
}

/** The severity from which an alert effect fires; `off` never. */
export type AlertEffectLevel = 'off' | 'info' | 'warning' | 'critical';

/**
 * `alerts.hook`: a program run for each alert raised, escalated or cleared at or above `minSeverity`, with the
 * transition as JSON on its stdin (docs/alerts.md "Hook"). `command` is the program and its arguments, run
 * without a shell.
 */
export interface AlertHookSettings {
  readonly command: readonly string[];
  /** Killed (its process group) after this long; the kill is noted in the session. */
  readonly timeoutMs: number;
  readonly minSeverity: 'info' | 'warning' | 'critical';
  /** At most this many hooks run at once; one beyond that waits its turn (FIFO, HOOK_QUEUE_BOUND waiting at most; past that it is dropped, with a note). */
  readonly maxRunning: number;
}

/** `alerts.bell` and `alerts.hook`: what the console does, besides listing and recording, when an alert changes. */
export interface AlertEffectSettings {
  /** Ring the terminal bell (BEL) when an alert at or above this severity is raised or escalated. */
  readonly bell: AlertEffectLevel;
  readonly hook?: AlertHookSettings;
}

export const DEFAULT_ALERT_EFFECTS: AlertEffectSettings = { bell: 'critical' };

export const DEFAULT_ALERT_HOOK: Omit<AlertHookSettings, 'command'> = { timeoutMs: 10_000, minSeverity: 'warning', maxRunning: 4 };

export interface TradingSettings {
  /** Arming expires by itself after this many minutes (docs/trading.md). */
  readonly armMinutes: number;
  /**
   * How long a plan must have been on screen before its confirm key (or its word's Enter) is taken (ms): a reflexive
   * `X y` is refused, nobody reads a plan in 70 ms (docs/trading.md "Reading time").
   */
  readonly confirmReadMs: number;
}

/** The reading time's default and its range: 0 would bring the reflexive confirm back, so there is a floor. */
export const DEFAULT_CONFIRM_READ_MS = 500;
export const MIN_CONFIRM_READ_MS = 200;
export const MAX_CONFIRM_READ_MS = 10_000;

export const DEFAULT_SETTINGS: Settings = {
  connection: { host: '127.0.0.1', port: 7497, clientId: 4217, account: '' },
  profiles: {},
  recorder: {
    enabled: true,
    dir: '',
    gzip: true,
    rotateBytes: 256 * 1024 * 1024,
    keyframeEveryEvents: 5000,
    keyframeEveryMs: 60_000,
    maxBytes: 4 * 1024 ** 3,
    keepDays: 30,
  },
  ui: { throttleMs: 250, theme: 'dark', color: 'auto', maskAccount: false, ascii: false },
  keymap: [],
  trading: { armMinutes: 5, confirmReadMs: DEFAULT_CONFIRM_READ_MS },
  risk: { marginMethod: 'auto', rates: {}, dividends: {} },
  alerts: {},
};

/**
 * A directory setting: absolute, or `~` / `~/...` expanded to `home`; empty keeps its meaning (the default place). A
 * relative path is refused: no shell expands the `~` of a JSON file, so `"~/recs"` taken literally made a directory
 * named `~` in the current one (one `rm -rf ~` from a disaster), and `"recs"` moved with the working directory.
 */
export function directory(c: Checker, path: string, v: unknown, def: string, home: string): string {
  const s = c.string(path, v, def);
  if (s !== v || s === '') return s;
  if (s === '~' || s.startsWith('~/')) return join(home, s.slice(1));
  if (isAbsolute(s)) return s;
  c.fail(path, `${path} must be absolute or start with ~/, got ${show(s)}`);
  return def;
}

/**
 * Checks a settings object as read from the file, key by key: each invalid key is named (file, key path, value) and
 * keeps its default alone; every valid key is honoured; unknown keys are named so typos show. The `alerts` section
 * is handed on as written: its own parser checks it in depth (risk/alerts/config.ts), with the same checker.
 */
export function checkSettings(raw: unknown, c: Checker, home: string = homedir()): Settings {
  const d = DEFAULT_SETTINGS;
  if (raw === undefined) return d;
  const top = c.object('', raw, Object.keys(d));
  if (!top) return d;
  const connectionField = (o: Record<string, unknown>, k: keyof ConnectionSettings, path: string, def: ConnectionSettings) => {
    const at = Checker.at(path, k);
    switch (k) {
      case 'host':
        return c.string(at, o[k], def.host, true);
      case 'port':
        return c.number(at, o[k], def.port, 1, 65535, true);
      case 'clientId':
        return c.number(at, o[k], def.clientId, 0, 2147483647, true);
      case 'account':
        return c.string(at, o[k], def.account);
    }
  };
  const connection = (v: unknown, path: string, def: ConnectionSettings): Partial<ConnectionSettings> | undefined => {
    const o = c.object(path, v, Object.keys(def));
    if (!o) return undefined;
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(def) as (keyof ConnectionSettings)[]) {
      // A bad key is left out: the main connection's value (or the default) stands in for it.
      if (k in o) {
        const before = c.problems.length;
        const value = connectionField(o, k, path, def);
        if (c.problems.length === before) out[k] = value;
      }
    }
    return out as Partial<ConnectionSettings>;
  };
  const has = (k: keyof Settings) => k in top && top[k] !== undefined;

  const conn = has('connection') ? { ...d.connection, ...connection(top.connection, 'connection', d.connection) } : d.connection;

  const profiles: Record<string, Partial<ConnectionSettings>> = {};
  if (has('profiles')) {
    const p = c.object('profiles', top.profiles, Object.keys(top.profiles ?? {}));
    for (const [name, v] of Object.entries(p ?? {})) {
      const one = connection(v, Checker.at('profiles', name), d.connection);
      if (one) profiles[name] = one;
    }
  }

  let recorder = d.recorder;
  if (has('recorder')) {
    const o = c.object('recorder', top.recorder, Object.keys(d.recorder));
    if (o) {
      const r = d.recorder;
      const at = (k: string) => Checker.at('recorder', k);
      recorder = {
        enabled: 'enabled' in o ? c.boolean(at('enabled'), o.enabled, r.enabled) : r.enabled,
        dir: 'dir' in o ? directory(c, at('dir'), o.dir, r.dir, home) : r.dir,
        gzip: 'gzip' in o ? c.boolean(at('gzip'), o.gzip, r.gzip) : r.gzip,
        rotateBytes: 'rotateBytes' in o ? c.number(at('rotateBytes'), o.rotateBytes, r.rotateBytes, 1024 * 1024, Number.MAX_SAFE_INTEGER, true) : r.rotateBytes,
        keyframeEveryEvents:
          'keyframeEveryEvents' in o
            ? c.number(at('keyframeEveryEvents'), o.keyframeEveryEvents, r.keyframeEveryEvents, 100, 10_000_000, true)
            : r.keyframeEveryEvents,
        keyframeEveryMs:
          'keyframeEveryMs' in o ? c.number(at('keyframeEveryMs'), o.keyframeEveryMs, r.keyframeEveryMs, 1000, 86_400_000, true) : r.keyframeEveryMs,
        maxBytes: 'maxBytes' in o ? c.number(at('maxBytes'), o.maxBytes, r.maxBytes, 16 * 1024 * 1024, Number.MAX_SAFE_INTEGER, true) : r.maxBytes,
        keepDays: 'keepDays' in o ? c.number(at('keepDays'), o.keepDays, r.keepDays, 1, 36_500, true) : r.keepDays,
      };
    }
  }

  let ui = d.ui;
  if (has('ui')) {
    const o = c.object('ui', top.ui, Object.keys(d.ui));
    if (o) {
      const u = d.ui;
      ui = {
        throttleMs: 'throttleMs' in o ? c.number('ui.throttleMs', o.throttleMs, u.throttleMs, 33, 5000, true) : u.throttleMs,
        theme: 'theme' in o ? c.oneOf('ui.theme', o.theme, ['dark', 'light', 'mono'], u.theme) : u.theme,
        color: 'color' in o ? c.oneOf('ui.color', o.color, ['auto', '16', '256', 'truecolor'], u.color) : u.color,
        maskAccount: 'maskAccount' in o ? c.boolean('ui.maskAccount', o.maskAccount, u.maskAccount) : u.maskAccount,
        ascii: 'ascii' in o ? c.boolean('ui.ascii', o.ascii, u.ascii) : u.ascii,
      };
    }
  }

  let trading = d.trading;
  if (has('trading')) {
    const o = c.object('trading', top.trading, Object.keys(d.trading));
    if (o && 'armMinutes' in o) {
      const v = o.armMinutes;
      if (typeof v === 'number' && Number.isFinite(v) && v > 0 && v <= 240) trading = { ...trading, armMinutes: v };
      else c.fail('trading.armMinutes', `expected a number of minutes above 0, at most 240, got ${show(v)}`);
    }
    if (o && 'confirmReadMs' in o) {
      const v = o.confirmReadMs;
      if (typeof v === 'number' && Number.isFinite(v) && v >= MIN_CONFIRM_READ_MS && v <= MAX_CONFIRM_READ_MS) trading = { ...trading, confirmReadMs: v };
      else
        c.fail(
          'trading.confirmReadMs',
          `expected milliseconds from ${MIN_CONFIRM_READ_MS} to ${MAX_CONFIRM_READ_MS} (the plan's reading time), got ${show(v)}`,
        );
    }
  }

  // The entries are the keymap's to judge (src/keymap/overrides.ts names each bad one and keeps the rest), so they
  // pass through as written: `config validate` and the console report them alike.
  let keymap = d.keymap;
  if (has('keymap')) {
    if (Array.isArray(top.keymap)) keymap = top.keymap as KeymapSetting[];
    else c.fail('keymap', `expected a list of {"key": "...", "command": "..."} entries, got ${show(top.keymap)}`);
  }

  let risk = d.risk;
  if (has('risk')) {
    const o = c.object('risk', top.risk, Object.keys(d.risk));
    if (o) {
      const marginMethod =
        'marginMethod' in o ? c.oneOf('risk.marginMethod', o.marginMethod, ['auto', 'regT', 'portfolio'], d.risk.marginMethod) : d.risk.marginMethod;
      // Each currency is judged alone: a bad one is named and left out, the others are honoured.
      const rates: Record<string, number> = {};
      if ('rates' in o) {
        const r = c.object('risk.rates', o.rates, Object.keys(isObject(o.rates) ? o.rates : {}));
        for (const [ccy, v] of Object.entries(r ?? {})) {
          const at = Checker.at('risk.rates', ccy);
          if (!/^[A-Z]{3}$/.test(ccy)) c.fail(at, 'expected a three-letter ISO currency code in capitals');
          else {
            const before = c.problems.length;
            const x = c.number(at, v, NaN, -0.2, 1);
            if (c.problems.length === before) rates[ccy] = x;
          }
        }
      }
      // Each symbol is judged alone; within a symbol's list, every bad dividend is named and one refuses the list, as
      // any list does (model/check.ts `items`): the symbol is then priced as if the settings did not name it (TWS's
      // dividends, docs/stress-model.md), not on the dividends that remain, a schedule nobody wrote.
      const dividends: Record<string, { exDate: string; amount: number }[]> = {};
      if ('dividends' in o) {
        const dv = c.object('risk.dividends', o.dividends, Object.keys(isObject(o.dividends) ? o.dividends : {}));
        for (const [sym, list] of Object.entries(dv ?? {})) {
          const at = Checker.at('risk.dividends', sym);
          if (!Array.isArray(list)) {
            c.fail(at, `expected a list of { "exDate": "YYYY-MM-DD", "amount": number }, got ${show(list)}`);
            continue;
          }
          const kept: { exDate: string; amount: number }[] = [];
          const before = c.problems.length;
          list.forEach((d: unknown, i) => {
            const di = Checker.at(at, i);
            const e = c.object(di, d, ['exDate', 'amount']);
            if (!e) return;
            const exDate = e.exDate;
            if (typeof exDate !== 'string' || !Number.isFinite(exDateMs(exDate)))
              c.fail(Checker.at(di, 'exDate'), `expected a date as YYYY-MM-DD, got ${show(exDate)}`);
            const amount = c.number(Checker.at(di, 'amount'), e.amount, NaN, 0, 1e6);
            kept.push({ exDate: exDate as string, amount });
          });
          if (c.problems.length === before) dividends[sym] = kept;
          else c.fail(at, `the list is refused for the problems above: ${sym} is priced as if not named here (TWS's dividends)`);
        }
      }
      risk = { marginMethod, rates, dividends };
    }
  }

  let alerts = d.alerts;
  if (has('alerts')) {
    if (isObject(top.alerts)) alerts = top.alerts;
    else c.fail('alerts', `expected an object, got ${show(top.alerts)}`);
  }

  return { connection: conn, profiles, recorder, ui, keymap, trading, risk, alerts };
}
