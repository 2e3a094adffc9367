// Alert config: defaults, merging, every problem named by file and key; the session calendar (market hours).
import { describe, expect, it } from 'vitest';
import { DEFAULT_ALERT_CONFIG, levelOf, parseAlertConfig } from '../../../src/risk/alerts/config.js';
import { isMarketOpen, localTime } from '../../../src/risk/alerts/session.js';
import { RULE_NAMES } from '../../../src/risk/alerts/types.js';

describe('parseAlertConfig', () => {
  it('no config, or an empty one, is the defaults, with no problem', () => {
    expect(parseAlertConfig(undefined, 'settings.json')).toEqual({ config: DEFAULT_ALERT_CONFIG, problems: [] });
    expect(parseAlertConfig({}, 'settings.json')).toEqual({ config: DEFAULT_ALERT_CONFIG, problems: [] });
  });

  it('the defaults that need no config: EL < 0 and a lost connection in market hours are critical, 110% is a warning', () => {
    const r = DEFAULT_ALERT_CONFIG.rules;
    expect(r['excess.negative'].severity).toBe('critical');
    expect(r['connection.lost'].severity).toBe('marketHours');
    expect(r['margin.warning']).toMatchObject({ ratio: 1.1, severity: 'warning' });
    expect(DEFAULT_ALERT_CONFIG.session).toEqual({
      timeZone: 'America/New_York',
      open: '09:30',
      close: '16:00',
      days: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri'],
      holidays: [],
    });
    expect(Object.keys(r).sort()).toEqual([...RULE_NAMES].sort());
  });

  it('merges valid values over the defaults, level by level; null turns a level off', () => {
    const { config, problems } = parseAlertConfig(
      {
        coolDownMs: 30_000,
        rules: {
          'cushion.band': { below: { warning: 0.2 } },
          'cushion.stressed': { below: { warning: null, critical: 0 } },
          'foreign.client': { expectedClientIds: [7, 8] },
          'tws.code': { codes: { '2110': null, '1101': 'info' } },
          'liquidation.distance': { within: { fx: { warning: 0.08 } } },
          'stream.stale': { limitsMs: { marketData: 90_000 } },
        },
      },
      'settings.json',
    );
    expect(problems).toEqual([]);
    expect(config.coolDownMs).toBe(30_000);
    expect(config.rules['cushion.band'].below).toEqual({ warning: 0.2, critical: 0.05 });
    expect(config.rules['cushion.stressed'].below).toEqual({ warning: null, critical: 0 });
    expect(config.rules['foreign.client'].expectedClientIds).toEqual([7, 8]);
    expect(config.rules['tws.code'].codes).toEqual({ '1100': 'marketHours', '321': 'warning', '326': 'marketHours', '10197': 'warning', '1101': 'info' });
    expect(config.rules['liquidation.distance'].within.fx).toEqual({ warning: 0.08, critical: 0.02 });
    expect(config.rules['liquidation.distance'].within.px).toEqual(DEFAULT_ALERT_CONFIG.rules['liquidation.distance'].within.px);
    expect(config.rules['stream.stale'].limitsMs.marketData).toBe(90_000);
    expect(config.rules['stream.stale'].limitsMs.accountValues).toBe(400_000);
  });

  it('names every bad key with the file and its path, and keeps the default for each', () => {
    const { config, problems } = parseAlertConfig(
      {
        debounce: { evaluations: 0 },
        colour: 'red',
        session: { timeZone: 'Mars/Olympus', open: '9:30', days: ['Mon', 'Funday'] },
        rules: {
          'cushion.band': { below: { warning: 'ten' }, enabeld: true },
          'margin.jump': { above: { severe: 0.2 }, settleMs: -1 },
          'connection.lost': { severity: 'loud' },
          'foreign.client': { expectedClientIds: [1, 'two'] },
          'exposure.ccy': { perCurrency: { chf: { warning: 0.2 } } },
          'no.such.rule': {},
        },
      },
      'settings.json',
    );
    expect(problems).toEqual([
      'settings.json: error at colour: unknown key (expected one of debounce, coolDownMs, session, rules)',
      'settings.json: error at debounce.evaluations: 0 is outside 1 to 1000',
      'settings.json: error at session.timeZone: expected an IANA time zone such as "America/New_York", got "Mars/Olympus"',
      'settings.json: error at session.open: expected a time "HH:MM" from 00:00 to 24:00, got "9:30"',
      'settings.json: error at session.days[1]: expected one of "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", got "Funday"; the whole list keeps its default',
      `settings.json: error at rules.no.such.rule: unknown key (expected one of ${RULE_NAMES.join(', ')})`,
      'settings.json: error at rules.cushion.band.enabeld: unknown key (expected one of enabled, debounce, coolDownMs, below)',
      'settings.json: error at rules.cushion.band.below.warning: expected a number from -1 to 1, got "ten"',
      'settings.json: error at rules.margin.jump.above.severe: unknown key (expected one of info, warning, critical)',
      'settings.json: error at rules.margin.jump.settleMs: -1 is outside 0 to 604800000',
      'settings.json: error at rules.foreign.client.expectedClientIds[1]: expected a client id (a whole number from 0 to 2147483647), got "two"; the whole list keeps its default',
      'settings.json: error at rules.connection.lost.severity: expected one of "info", "warning", "critical", "marketHours", got "loud"',
      'settings.json: error at rules.exposure.ccy.perCurrency.chf: expected a three-letter currency code such as "CHF"',
    ]);
    expect(config.debounce).toEqual(DEFAULT_ALERT_CONFIG.debounce);
    expect(config.session).toEqual(DEFAULT_ALERT_CONFIG.session);
    expect(config.rules['cushion.band'].below).toEqual(DEFAULT_ALERT_CONFIG.rules['cushion.band'].below);
    expect(config.rules['margin.jump'].settleMs).toBe(60_000);
    expect(config.rules['connection.lost'].severity).toBe('marketHours');
    expect(config.rules['foreign.client'].expectedClientIds).toEqual([]);
  });

  it('one bad item refuses its whole list, which keeps its default as the message says (never the list less the bad item)', () => {
    // The operations trial: "Tues" dropped silently made a Tuesday's connection loss a WARNING instead of CRITICAL.
    const { config, problems } = parseAlertConfig(
      {
        session: { days: ['Mon', 'Tues', 'Wed', 'Thu', 'Fri'] },
        rules: {
          'foreign.client': { expectedClientIds: [7, '8'] },
          'stream.stale': { marketHoursOnly: ['nope'] },
          'cushion.stressed': { families: ['base', 'fxx'] },
        },
      },
      'settings.json',
    );
    expect(config.session.days).toEqual(DEFAULT_ALERT_CONFIG.session.days);
    expect(config.rules['foreign.client'].expectedClientIds).toEqual(DEFAULT_ALERT_CONFIG.rules['foreign.client'].expectedClientIds);
    expect(config.rules['stream.stale'].marketHoursOnly).toEqual(DEFAULT_ALERT_CONFIG.rules['stream.stale'].marketHoursOnly);
    expect(config.rules['cushion.stressed'].families).toEqual(DEFAULT_ALERT_CONFIG.rules['cushion.stressed'].families);
    expect(problems).toEqual([
      'settings.json: error at session.days[1]: expected one of "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", got "Tues"; the whole list keeps its default',
      'settings.json: error at rules.cushion.stressed.families[1]: expected one of "base", "asset", "fx", "crash", "grid", "user", got "fxx"; the whole list keeps its default',
      'settings.json: error at rules.foreign.client.expectedClientIds[1]: expected a client id (a whole number from 0 to 2147483647), got "8"; the whole list keeps its default',
      'settings.json: error at rules.stream.stale.marketHoursOnly[0]: expected one of "connection", "accountValues", "accountSummary", "portfolio", "positions", "marketData", "optionComputations", "pnl", "orders", "executions", "messages", "operator", got "nope"; the whole list keeps its default',
    ]);
    // A valid list is still taken as written, an empty one included.
    const ok = parseAlertConfig({ session: { days: ['Tue'] }, rules: { 'stream.stale': { marketHoursOnly: [] } } }, 'settings.json');
    expect(ok.problems).toEqual([]);
    expect(ok.config.session.days).toEqual(['Tue']);
    expect(ok.config.rules['stream.stale'].marketHoursOnly).toEqual([]);
  });

  it('refuses a holiday that is not a real date, naming it, and keeps the default holidays', () => {
    const { config, problems } = parseAlertConfig({ session: { holidays: ['2026-12-25', '2026-13-40', '2026-02-30', '2026-2-3'] } }, 'settings.json');
    expect(problems).toEqual([
      'settings.json: error at session.holidays[1]: expected a date "YYYY-MM-DD" that exists, got "2026-13-40"; the whole list keeps its default',
      'settings.json: error at session.holidays[2]: expected a date "YYYY-MM-DD" that exists, got "2026-02-30"; the whole list keeps its default',
      'settings.json: error at session.holidays[3]: expected a date "YYYY-MM-DD" that exists, got "2026-2-3"; the whole list keeps its default',
    ]);
    expect(config.session.holidays).toEqual([]);
    const leap = parseAlertConfig({ session: { holidays: ['2028-02-29', '2026-12-25'] } }, 'settings.json');
    expect(leap.problems).toEqual([]);
    expect(leap.config.session.holidays).toEqual(['2028-02-29', '2026-12-25']);
  });

  it("refuses inverted levels, naming both values, by the rule's direction; the levels keep their default", () => {
    const { config, problems } = parseAlertConfig(
      {
        rules: {
          // below: critical 0.2 above warning 0.1 would be critical at once, the warning never given.
          'cushion.band': { below: { critical: 0.2, warning: 0.1 } },
          // Merged over the default critical 0.05: a warning at 0.04 is inverted too.
          'cushion.stressed': { below: { warning: 0.04, critical: 0.05 } },
          'liquidation.distance': { within: { px: { warning: 0.05, critical: 0.1 }, fx: { warning: 0.08 } } },
          'margin.jump': { above: { warning: 0.3, critical: 0.2 } },
          'exposure.ccy': { above: { info: 0.5 }, perCurrency: { CHF: { warning: 0.2, critical: 0.1 } } },
        },
      },
      'settings.json',
    );
    const d = DEFAULT_ALERT_CONFIG.rules;
    expect(problems).toEqual([
      'settings.json: error at rules.cushion.band.below: critical 0.2 is above warning 0.1: in a "below" rule critical must be the lower level, else it fires first and warning never does; these levels keep their default',
      'settings.json: error at rules.cushion.stressed.below: critical 0.05 is above warning 0.04: in a "below" rule critical must be the lower level, else it fires first and warning never does; these levels keep their default',
      'settings.json: error at rules.liquidation.distance.within.px: critical 0.1 is above warning 0.05: in a "within" rule critical must be the lower level, else it fires first and warning never does; these levels keep their default',
      'settings.json: error at rules.margin.jump.above: critical 0.2 is below warning 0.3: in an "above" rule critical must be the higher level, else it fires first and warning never does; these levels keep their default',
      'settings.json: error at rules.exposure.ccy.above: warning 0.4 is below info 0.5: in an "above" rule warning must be the higher level, else it fires first and info never does; these levels keep their default',
      'settings.json: error at rules.exposure.ccy.perCurrency.CHF: critical 0.1 is below warning 0.2: in an "above" rule critical must be the higher level, else it fires first and warning never does; these levels keep their default',
    ]);
    expect(config.rules['cushion.band'].below).toEqual(d['cushion.band'].below);
    expect(config.rules['cushion.stressed'].below).toEqual(d['cushion.stressed'].below);
    expect(config.rules['liquidation.distance'].within).toEqual({ ...d['liquidation.distance'].within, fx: { warning: 0.08, critical: 0.02 } });
    expect(config.rules['margin.jump'].above).toEqual(d['margin.jump'].above);
    expect(config.rules['exposure.ccy'].above).toEqual(d['exposure.ccy'].above);
    expect(config.rules['exposure.ccy'].perCurrency).toEqual({ CHF: d['exposure.ccy'].above });
    // Equal levels and a level turned off are not inverted; the documented example is valid.
    const ok = parseAlertConfig(
      { rules: { 'margin.jump': { factorAbove: { critical: 2 } }, 'cushion.band': { below: { warning: null, critical: 0.2 } } } },
      'settings.json',
    );
    expect(ok.problems).toEqual([]);
  });

  it('refuses a config that is not an object, and a session that closes before it opens', () => {
    expect(parseAlertConfig([1], 'a.json').problems).toEqual(['a.json: error at (top level): expected an object, got [1]']);
    const r = parseAlertConfig({ session: { open: '16:00', close: '09:30' } }, 'a.json');
    expect(r.problems).toEqual(['a.json: error at session.open: the session opens (16:00) at or after it closes (09:30); the default session is used']);
    expect(r.config.session).toEqual(DEFAULT_ALERT_CONFIG.session);
  });
});

describe('levelOf', () => {
  it('the most severe level that applies, below or above', () => {
    const below = { warning: 0.1, critical: 0.05 };
    expect(levelOf(0.2, below, 'below')).toBeUndefined();
    expect(levelOf(0.1, below, 'below')).toBeUndefined();
    expect(levelOf(0.0999, below, 'below')).toEqual({ severity: 'warning', threshold: 0.1 });
    expect(levelOf(0.01, below, 'below')).toEqual({ severity: 'critical', threshold: 0.05 });
    expect(levelOf(0.5, { info: 0.3, warning: 0.4, critical: null }, 'above')).toEqual({ severity: 'warning', threshold: 0.4 });
    expect(levelOf(0.35, { info: 0.3, warning: 0.4 }, 'above')).toEqual({ severity: 'info', threshold: 0.3 });
  });
});

describe('market hours (America/New_York by default, Intl, daylight saving included)', () => {
  const s = DEFAULT_ALERT_CONFIG.session;
  it('opens at 09:30 and closes at 16:00 local, in winter (UTC−5) and in summer (UTC−4)', () => {
    expect(isMarketOpen(Date.UTC(2026, 2, 2, 14, 29), s)).toBe(false); // Mon 09:29 EST
    expect(isMarketOpen(Date.UTC(2026, 2, 2, 14, 30), s)).toBe(true); // Mon 09:30 EST
    expect(isMarketOpen(Date.UTC(2026, 2, 2, 20, 59), s)).toBe(true); // 15:59
    expect(isMarketOpen(Date.UTC(2026, 2, 2, 21, 0), s)).toBe(false); // 16:00
    expect(isMarketOpen(Date.UTC(2026, 6, 6, 13, 30), s)).toBe(true); // Mon 6 July 09:30 EDT
    expect(isMarketOpen(Date.UTC(2026, 6, 6, 20, 0), s)).toBe(false); // 16:00 EDT
  });

  it('is closed at weekends and on configured holidays; other time zones and sessions work alike', () => {
    expect(isMarketOpen(Date.UTC(2026, 2, 7, 15, 0), s)).toBe(false); // Saturday
    expect(isMarketOpen(Date.UTC(2026, 11, 25, 15, 0), { ...s, holidays: ['2026-12-25'] })).toBe(false);
    const xetra = { timeZone: 'Europe/Berlin', open: '09:00', close: '17:30', days: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri'] as const, holidays: [] };
    expect(isMarketOpen(Date.UTC(2026, 2, 2, 8, 0), { ...xetra, days: [...xetra.days] })).toBe(true); // 09:00 CET
    expect(localTime(Date.UTC(2026, 2, 2, 23, 30), 'Asia/Tokyo')).toEqual({ weekday: 'Tue', date: '2026-03-03', time: '08:30' });
    const always = { ...s, open: '00:00', close: '24:00', days: ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const };
    expect(isMarketOpen(Date.UTC(2026, 2, 7, 4, 59), { ...always, days: [...always.days] })).toBe(true);
  });
});
