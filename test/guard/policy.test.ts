// The guard's policy file: the example parses as written; every bad key or value is named; nothing falls back.
import { describe, expect, it } from 'vitest';
import { parsePolicy, policyLines } from '../../src/session/guard-policy.js';

const EXAMPLE = JSON.stringify({
  rules: [
    { when: { alert: 'excess.negative', severity: 'critical' }, do: 'globalCancel' },
    { when: { alert: 'cushion.band', severity: 'critical', forMs: 30000 }, do: 'reduce', maxReductionPct: 25 },
    { when: { alert: 'foreign.client', severity: 'warning' }, do: 'cancelClient', clientIds: 'foreign' },
    { when: { alert: 'connection.lost', forMs: 120000 }, do: 'notify' },
  ],
  limits: { maxActionsPerHour: 3, coolDownMs: 300000, window: 'market' },
});

describe('parsePolicy', () => {
  it('accepts the documented example and keeps its shape', () => {
    const r = parsePolicy(EXAMPLE, 'policy.json');
    expect(r.problems).toEqual([]);
    const p = r.policy!;
    expect(p.rules.map((x) => [x.name, x.when.alert, x.when.severity, x.when.forMs, x.do])).toEqual([
      ['rules[0]', 'excess.negative', 'critical', 0, 'globalCancel'],
      ['rules[1]', 'cushion.band', 'critical', 30000, 'reduce'],
      ['rules[2]', 'foreign.client', 'warning', 0, 'cancelClient'],
      ['rules[3]', 'connection.lost', 'info', 120000, 'notify'],
    ]);
    expect(p.rules[1]!.maxReductionPct).toBe(25);
    expect(p.rules[2]!.clientIds).toBe('foreign');
    expect(p.limits).toEqual({ maxActionsPerHour: 3, coolDownMs: 300000, window: 'market', maxDataAgeMs: 200000 });
    // The hash is of the bytes: a reformatted file is another policy in the audit log.
    expect(p.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(parsePolicy(JSON.stringify(JSON.parse(EXAMPLE), null, 2), 'p').policy!.hash).not.toBe(p.hash);
    expect(policyLines(p)[1]).toBe('rules[1]: when cushion.band is critical or worse for 30000 ms do reduce maxReductionPct=25');
  });

  it('takes alert ids, names, a flatten scope and client lists', () => {
    const r = parsePolicy(
      JSON.stringify({
        rules: [
          { name: 'cut CHF', when: { alert: 'liquidation.fx:CHF' }, do: 'flatten', scope: 'currency:CHF' },
          { when: { alert: 'foreign.client:42' }, do: 'cancelClient', clientIds: [42, 43] },
          { when: { alert: '*', severity: 'critical' }, do: 'notify' },
        ],
      }),
      'p.json',
    );
    expect(r.problems).toEqual([]);
    expect(r.policy!.rules[0]).toMatchObject({ name: 'cut CHF', scope: { kind: 'currency', currency: 'CHF' } });
    expect(r.policy!.rules[1]!.clientIds).toEqual([42, 43]);
    expect(r.policy!.limits).toEqual({ maxActionsPerHour: 3, coolDownMs: 300000, window: 'market', maxDataAgeMs: 200000 });
  });

  it('names every problem, with its key path, and gives no policy', () => {
    const r = parsePolicy(
      JSON.stringify({
        rules: [
          { when: { alert: 'excess.negativ', severity: 'fatal' }, do: 'globalCancel' },
          { when: { alert: 'cushion.band', forMs: -5 }, do: 'reduce', maxReductionPct: 250, scope: 'all' },
          { when: { alert: 'foreign.client' }, do: 'cancelClient', clientIds: [0] },
          { when: { alert: 'excess.negative' }, do: 'flatten', scope: 'sector:tech' },
          { when: { alert: 'excess.negative' }, do: 'sell everything', extra: 1 },
        ],
        limits: { maxActionsPerHour: 0, coolDownMs: 'soon', window: 'weekdays', burst: 2 },
        comment: 'x',
      }),
      'bad.json',
    );
    expect(r.policy).toBeUndefined();
    const text = r.problems.join('\n');
    for (const want of [
      'bad.json: error at comment: unknown key',
      'error at rules[0].when.alert: no alert rule is called "excess.negativ"',
      'error at rules[0].when.severity: expected one of "info", "warning", "critical", got "fatal"',
      'error at rules[1].when.forMs: -5 is outside 0 to 86400000',
      'error at rules[1].scope: only a "flatten" rule takes scope',
      'error at rules[2].clientIds: expected "foreign" or a list of API client ids',
      'error at rules[3].scope: unknown scope "sector:tech"',
      'error at rules[4].extra: unknown key',
      'error at rules[4].do: expected one of "notify", "cancelOwn", "cancelClient", "cancelAll", "globalCancel", "reduce", "flatten", got "sell everything"',
      'error at limits.maxActionsPerHour: 0 is outside 1 to 60',
      'error at limits.coolDownMs: expected a whole number from 0 to 86400000, got "soon"',
      'error at limits.window: expected one of "market", "always", got "weekdays"',
      'error at limits.burst: unknown key (expected one of maxActionsPerHour, coolDownMs, window, maxDataAgeMs)',
    ])
      expect(text).toContain(want);
  });

  it('takes exactly the alert ids the engine raises, and names the nearest valid one for any other', () => {
    const check = (alert: string) => parsePolicy(JSON.stringify({ rules: [{ when: { alert }, do: 'notify' }] }), 'p.json').problems;
    // Every form rules/*.ts gives its ids, and every rule by name.
    for (const ok of [
      'excess.negative',
      'liquidation.distance',
      'liquidation.crash',
      'liquidation.px:STK',
      'liquidation.fx:CHF',
      'foreign.client:42',
      'manual.order:perm:123456',
      'stream.stale:marketData',
      'tws.code:1100',
      'exposure.ccy:EUR',
      'concentration.und:AAPL',
      // An IB symbol with an inner space, as exposure.ts names it (it was refused, and a guard on it could not start).
      'concentration.und:BRK B',
      'position.unexplained:265598',
      'connection.unstable',
      '*',
    ])
      expect(check(ok), ok).toEqual([]);
    // The guard's recorder failures are logged, never raised: a rule on recording.stopped would never fire.
    expect(check('recording.stopped')).toEqual([
      'p.json: error at rules[0].when.alert: the guard raises no recording.stopped: its recording failures are logged at err (recorder.error, recorder.unavailable) and never act',
    ]);
    // The operations trial's four, each once valid (exit 0) and never matched by any alert.
    expect(check('liquidation.px')).toEqual([
      'p.json: error at rules[0].when.alert: liquidation.px needs its subject: an asset class (liquidation.px:STK; STK, FUT, BOND, CFD, IND, FUND, CMDTY, CRYPTO)',
    ]);
    expect(check('liquidation.cras')[0]).toContain('no alert rule is called "liquidation.cras" (did you mean liquidation.crash?)');
    expect(check('excess.negative:DU1234567')).toEqual([
      'p.json: error at rules[0].when.alert: excess.negative takes no subject: its one alert id is excess.negative',
    ]);
    expect(check('cushion.band:USD')).toEqual(['p.json: error at rules[0].when.alert: cushion.band takes no subject: its one alert id is cushion.band']);
    expect(check('liquidation.px:OPT')[0]).toContain('liquidation.px takes an asset class the book is shocked by');
    expect(check('stream.stale:marketdata')[0]).toContain('stream.stale: the subject after the colon must be a stream (');
    expect(check('foreign.client:abc')[0]).toContain('foreign.client: the subject after the colon must be an API client id');
    expect(check('foreign.clinet:42')[0]).toContain('no alert rule is called "foreign.clinet" (did you mean foreign.client:42?)');
  });

  it('refuses two rules of one name, a name past 100 characters and more than 50 rules: a command names its rule', () => {
    const rule = (name: string, action: string) => ({ name, when: { alert: 'excess.negative' }, do: action });
    const dup = parsePolicy(JSON.stringify({ rules: [rule('kill', 'globalCancel'), rule('kill', 'notify')] }), 'p.json');
    expect(dup.policy).toBeUndefined();
    expect(dup.problems).toEqual(['p.json: error at rules[1].name: "kill" is also the name of rules[0]; names must be unique']);
    const long = parsePolicy(JSON.stringify({ rules: [rule('k'.repeat(101), 'notify')] }), 'p.json');
    expect(long.problems).toEqual(['p.json: error at rules[0].name: at most 100 characters, got 101']);
    const many = parsePolicy(JSON.stringify({ rules: Array.from({ length: 51 }, (_, i) => rule(`r${i}`, 'notify')) }), 'p.json');
    expect(many.problems).toEqual(['p.json: error at rules: at most 50 rules, got 51']);
    // Unnamed rules are named by their place, so they never collide.
    expect(
      parsePolicy(
        JSON.stringify({
          rules: [
            { when: { alert: '*' }, do: 'notify' },
            { when: { alert: '*' }, do: 'notify' },
          ],
        }),
        'p.json',
      ).policy,
    ).toBeDefined();
  });

  it('refuses what is not a policy at all', () => {
    expect(parsePolicy('{ rules: [', 'x.json').problems[0]).toMatch(/^x\.json: not valid JSON: /);
    expect(parsePolicy('[]', 'x.json').problems).toEqual(['x.json: error at (top level): expected an object, got []']);
    expect(parsePolicy('{"rules": []}', 'x.json').problems).toEqual(['x.json: error at rules: a policy needs at least one rule']);
    expect(parsePolicy('{"rules": [{"do": "notify"}]}', 'x.json').problems).toEqual(['x.json: error at rules[0].when: expected an object, got nothing']);
  });
});
