// Scenario files (shipped ones load and play; bad ones are reported with file and key) and the control channel.
import { describe, it, expect } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import { loadScenario, parseScenario, ScenarioError, snapshotValue } from '../../src/sim/index.js';
import { FA_BOOKS, connectApi, startTestSim, waitFor } from './helpers.js';

const START = Date.parse('2026-03-02T14:30:00Z');

describe('scenario files', () => {
  it('ships quiet-day, chf-gap, margin-spike, crash and expiry-day, loadable by name', () => {
    for (const name of ['quiet-day', 'chf-gap', 'margin-spike', 'crash', 'expiry-day']) {
      const s = loadScenario(name);
      expect(s.name).toBe(name);
      expect(s.description.length).toBeGreaterThan(20);
      expect(s.file).toMatch(new RegExp(`scenarios[\\\\/]${name}\\.json$`));
    }
    expect(loadScenario('chf-gap').events.map((e) => [e.atMs, e.incident.incident])).toEqual([
      [60_000, 'fx-gap'],
      [60_000, 'move'],
      [90_000, 'connectivity-lost'],
      [110_000, 'connectivity-restored'],
    ]);
  });

  it('ships advisor-login: an FA login whose sub-accounts are the books the multi-account tests use; bad books are named', () => {
    const s = loadScenario('advisor-login');
    expect(s.subAccounts).toEqual(FA_BOOKS);
    expect(() => parseScenario({ subAccounts: { 'D!': {}, DU5: { cash: { USD: 'x' }, positions: [{ conId: 1 }], margin: 1, baseCurrency: 'eur' } } })).toThrow(
      ScenarioError,
    );
    let err: ScenarioError | undefined;
    try {
      parseScenario({ subAccounts: { 'D!': {}, DU555: { cash: { USD: 'x' }, positions: [{ conId: 1 }], margin: 1, baseCurrency: 'eur' } } });
    } catch (e) {
      err = e as ScenarioError;
    }
    const text = err!.problems.join('\n');
    expect(text).toContain('subAccounts.D!: expected an account id');
    expect(text).toContain('subAccounts.DU555.cash.USD: expected a number');
    expect(text).toContain('subAccounts.DU555.positions[0].quantity');
    expect(text).toContain('subAccounts.DU555.margin: unknown key');
    expect(text).toContain('subAccounts.DU555.baseCurrency');
  });

  it('liveMarketData: false is an account without a live subscription (delayed data only); a non-boolean is refused', async () => {
    expect(parseScenario({ name: 'delayed', liveMarketData: false }).liveMarketData).toBe(false);
    expect(() => parseScenario({ name: 'bad', liveMarketData: 'no' })).toThrow(/liveMarketData: expected true or false, got "no"/);
    const { sim } = await startTestSim({ scenario: parseScenario({ name: 'delayed', liveMarketData: false }) });
    const { api, rec } = await connectApi(sim.port, 41);
    try {
      api.reqMktData(1, { conId: 265598, exchange: 'SMART' }, '', false, false);
      await waitFor(() => rec.errors.some((e) => e.reqId === 1), 20_000, 'the answer to a live request');
      expect(rec.errors.find((e) => e.reqId === 1)!.code).toBe(10089);
    } finally {
      api.disconnect();
      await sim.close();
    }
  });

  it('reports every problem with the file and the key path, and rejects unknown keys', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sim-scenario-'));
    const file = join(dir, 'bad.json');
    writeFileSync(
      file,
      JSON.stringify({
        name: 'bad',
        speed: -1,
        colour: 'red',
        market: { tickMs: 1, jumps: { perDay: 'lots' } },
        events: [
          { at: '00:01:00', incident: 'fx-gap', currency: 'CHF' },
          { at: 'soon', incident: 'drop' },
          { at: 5, incident: 'meteor' },
          { at: 6, incident: 'crash', pct: -10, volJmp: 0.5 },
        ],
      }),
    );
    let err: ScenarioError | undefined;
    try {
      loadScenario(file);
    } catch (e) {
      err = e as ScenarioError;
    }
    expect(err).toBeInstanceOf(ScenarioError);
    const p = err!.problems;
    expect(p.every((x) => x.startsWith(`${file}: `))).toBe(true);
    const text = p.join('\n');
    expect(text).toContain('speed: expected a number in [0, 100000], got -1');
    expect(text).toContain('colour: unknown key');
    expect(text).toContain('market.tickMs');
    expect(text).toContain('market.jumps.perDay');
    expect(text).toContain('events[0].pct: required number is missing');
    expect(text).toContain('events[1].at');
    expect(text).toContain('events[2].incident: expected one of');
    expect(text).toContain('events[3].volJmp: unknown key for incident "crash"');
    expect(() => loadScenario('no-such-scenario')).toThrow(ScenarioError);
    writeFileSync(file, '{ not json');
    expect(() => loadScenario(file)).toThrow(/not valid JSON/);
  });

  it('plays chf-gap on the virtual clock: CHF +20% at 1:00, 1100 at 1:30, restored at 1:50', async () => {
    const { sim } = await startTestSim({ scenario: 'chf-gap', speed: 0, market: { volScale: 0 } });
    try {
      expect(sim.seed).toBe(11); // explicit options win over the scenario's seed
      sim.advance(59_999);
      expect(snapshotValue(sim.snapshot(), 'ExchangeRate', 'CHF')).toBe('1.13000000');
      sim.advance(1);
      expect(snapshotValue(sim.snapshot(), 'ExchangeRate', 'CHF')).toBe('1.35600000');
      sim.advance(35_000);
      expect(sim.snapshot().state.connectivityLost).toBe(true);
      sim.advance(20_000);
      expect(sim.snapshot().state.connectivityLost).toBe(false);
    } finally {
      await sim.close();
    }
  });

  it('plays crash: another client sells AAPL, ES is sold by hand in TWS, then the gateway goes silent for 20 s', async () => {
    const { sim } = await startTestSim({ scenario: 'crash', speed: 0, startTime: START });
    try {
      sim.advance(120_500);
      const execs = sim.snapshot().executions;
      expect(execs.filter((e) => e.clientId === 42 && e.conId === 265598 && e.side === 'SLD').reduce((a, e) => a + Number(e.shares), 0)).toBe(300);
      expect(execs.some((e) => e.clientId === 0 && e.conId === 637533641 && e.side === 'SLD')).toBe(true);
      expect(sim.snapshot().state.zombie).toBe(true);
      sim.advance(20_000);
      expect(sim.snapshot().state.zombie).toBe(false);
    } finally {
      await sim.close();
    }
  });
});

/** A control-channel client: one JSON request per line, one JSON answer per line. */
async function control(port: number, lines: string[]): Promise<Array<Record<string, unknown>>> {
  const socket = connect({ host: '127.0.0.1', port });
  const replies: Array<Record<string, unknown>> = [];
  let buf = '';
  socket.setEncoding('utf8');
  socket.on('data', (d: string) => {
    buf += d;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      replies.push(JSON.parse(buf.slice(0, nl)) as Record<string, unknown>);
      buf = buf.slice(nl + 1);
    }
  });
  socket.write(lines.map((l) => l + '\n').join(''));
  await waitFor(() => replies.length === lines.length, 5_000, 'control replies');
  socket.destroy();
  return replies;
}

describe('control channel', () => {
  it('triggers incidents and answers status and snapshot requests as JSON lines on 127.0.0.1', async () => {
    const { sim } = await startTestSim({ controlPort: 0 });
    try {
      expect(sim.controlPort).toBeGreaterThan(0);
      const replies = await control(sim.controlPort!, [
        '{"incident":"zombie"}',
        '{"cmd":"status"}',
        '{"incident":"recover"}',
        '{"incident":"fx-gap","currency":"CHF"}',
        '{"incident":"meteor"}',
        'not json',
        '{"cmd":"snapshot"}',
        '{"cmd":"speed","value":2}',
      ]);
      expect(replies[0]).toEqual({ ok: true });
      expect(replies[1]).toMatchObject({ ok: true, status: { zombie: true, seed: 11, speed: 1 } });
      expect(replies[2]).toEqual({ ok: true });
      expect(replies[3]).toEqual({ ok: false, error: 'request.pct: required number is missing' });
      expect(String(replies[4]!.error)).toMatch(/^request\.incident: expected one of drop, restart/);
      expect(String(replies[5]!.error)).toMatch(/^invalid JSON/);
      expect((replies[6]!.snapshot as { account: string }).account).toBe('DU1234567');
      expect(replies[7]).toEqual({ ok: true });
      expect(sim.snapshot().state.zombie).toBe(false);
    } finally {
      await sim.close();
    }
  });
});
