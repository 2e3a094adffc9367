// Settings: the typed shape of the config file, its defaults and its JSON schema (validated by conf/ajv).

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
  /** Directory for flight recordings; empty means the platform data directory. */
  readonly dir: string;
  readonly gzip: boolean;
  /** Start a new file after this many bytes (and at each new UTC day). */
  readonly rotateBytes: number;
  readonly keyframeEveryEvents: number;
  readonly keyframeEveryMs: number;
}

export interface UiSettings {
  /** View-model throttle for prices, in ms (health and alerts are immediate). */
  readonly throttleMs: number;
  readonly theme: 'dark' | 'light' | 'mono';
  /** Colour depth: auto-detected, or forced (COLORTERM is not forwarded over SSH); NO_COLOR always means mono. */
  readonly color: 'auto' | '16' | '256' | 'truecolor';
  /** Start with the account id masked in the status bar (screen sharing). */
  readonly maskAccount: boolean;
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
}

export interface Settings {
  readonly connection: ConnectionSettings;
  /** Named connections, chosen with --profile NAME. */
  readonly profiles: Readonly<Record<string, Partial<ConnectionSettings>>>;
  readonly recorder: RecorderSettings;
  readonly ui: UiSettings;
  /** Key overrides, checked at start; a bad entry is named and the default keys stay. */
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
  /** At most this many hooks run at once; a transition beyond that is dropped, with a note. */
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
}

export const DEFAULT_SETTINGS: Settings = {
  connection: { host: '127.0.0.1', port: 7497, clientId: 4217, account: '' },
  profiles: {},
  recorder: { enabled: true, dir: '', gzip: false, rotateBytes: 256 * 1024 * 1024, keyframeEveryEvents: 5000, keyframeEveryMs: 60_000 },
  ui: { throttleMs: 250, theme: 'dark', color: 'auto', maskAccount: false },
  keymap: [],
  trading: { armMinutes: 5 },
  risk: { marginMethod: 'auto' },
  alerts: {},
};

const port = { type: 'integer', minimum: 1, maximum: 65535 } as const;
const clientId = { type: 'integer', minimum: 0, maximum: 2147483647 } as const;
const connectionProps = {
  host: { type: 'string', minLength: 1 },
  port,
  clientId,
  account: { type: 'string' },
} as const;

/** conf's `schema` option: one JSON schema per top-level key. Unknown keys are refused so typos get named. */
export const SETTINGS_SCHEMA = {
  connection: { type: 'object', additionalProperties: false, properties: connectionProps },
  profiles: {
    type: 'object',
    additionalProperties: { type: 'object', additionalProperties: false, properties: connectionProps },
  },
  recorder: {
    type: 'object',
    additionalProperties: false,
    properties: {
      enabled: { type: 'boolean' },
      dir: { type: 'string' },
      gzip: { type: 'boolean' },
      rotateBytes: { type: 'integer', minimum: 1024 * 1024 },
      keyframeEveryEvents: { type: 'integer', minimum: 100 },
      keyframeEveryMs: { type: 'integer', minimum: 1000 },
    },
  },
  ui: {
    type: 'object',
    additionalProperties: false,
    properties: {
      throttleMs: { type: 'integer', minimum: 33, maximum: 5000 },
      theme: { enum: ['dark', 'light', 'mono'] },
      color: { enum: ['auto', '16', '256', 'truecolor'] },
      maskAccount: { type: 'boolean' },
    },
  },
  alerts: { type: 'object' },
  risk: {
    type: 'object',
    additionalProperties: false,
    properties: { marginMethod: { enum: ['auto', 'regT', 'portfolio'] } },
  },
  trading: {
    type: 'object',
    additionalProperties: false,
    properties: { armMinutes: { type: 'number', exclusiveMinimum: 0, maximum: 240 } },
  },
  keymap: {
    type: 'array',
    items: {
      type: 'object',
      additionalProperties: false,
      required: ['key', 'command'],
      properties: { key: { type: 'string', minLength: 1 }, command: { type: 'string', minLength: 1 } },
    },
  },
} as const;
