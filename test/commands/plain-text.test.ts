// Issue 16 item 15: text for pipes and files is never cut to a terminal's width; `demo --once` lists every position;
// positions are valued in the base currency with their own currency's value beside; every number is grouped.
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import { Decimal } from '../../src/model/money.js';
import { T0 } from '../sim/helpers.js';
import { runCli } from '../support/cli.js';
import { ACCOUNT, AAPL, AAPL_CALL, bookState } from '../support/book.js';
import { portfolio } from '../support/events.js';
import { stateJson } from '../../src/commands/state-json.js';
import { stateText } from '../../src/commands/state-text.js';

const FILE = 'recordings/margin-spike.jsonl.gz';

interface JsonPosition {
  label: string;
  currency: string;
  position: string;
  marketValue: string | null;
}
interface JsonReport {
  baseCurrency: string;
  fxRates: Record<string, string>;
  positions: JsonPosition[];
  scenarios: { label: string }[];
}

const grouped = (d: Decimal) => Number(d.toFixed(0)).toLocaleString('en-US');

describe('report piped', () => {
  it('prints whole lines: every scenario label whole, the maintenance column, lines past 80 columns', async () => {
    const json = JSON.parse((await runCli('report', '--replay', FILE, '--json')).out) as JsonReport;
    const text = await runCli('report', '--replay', FILE);
    const lines = text.out.split('\n');
    expect(lines.some((l) => l.length > 80)).toBe(true);
    expect(text.out).not.toContain('…');
    expect(text.out).toContain('Maint (est.)');
    for (const s of json.scenarios) expect(lines.some((l) => l.startsWith(`${s.label} `))).toBe(true);
  }, 60_000);

  it('still fits a terminal it is shown on (80 columns)', async () => {
    const out: string[] = [];
    await main(['report', '--replay', FILE], { out: (l) => out.push(...l.split('\n')), err: () => {}, columns: 80 });
    expect(out.length).toBeGreaterThan(20);
    // The stress table and its prose fit; the account summary above it is fixed-width and narrower still.
    for (const l of out.filter((x) => !x.startsWith('  ') && !x.startsWith('alert') && !x.startsWith('account'))) expect(l.length).toBeLessThanOrEqual(80);
  }, 60_000);

  it('values each position in the base currency, its own currency beside, with thousands separators', async () => {
    const json = JSON.parse((await runCli('report', '--replay', FILE, '--json')).out) as JsonReport;
    const text = (await runCli('report', '--replay', FILE)).out;
    const base = json.baseCurrency;
    const foreign = json.positions.filter((p) => p.currency !== base && p.marketValue !== null && json.fxRates[p.currency]);
    expect(foreign.length).toBeGreaterThan(0);
    for (const p of foreign) {
      const local = new Decimal(p.marketValue!);
      const inBase = local.mul(json.fxRates[p.currency]!);
      const line = text.split('\n').find((l) => l.startsWith(`  ${p.label} `));
      expect(line, p.label).toBeDefined();
      expect(line).toContain(`${grouped(inBase)} ${base}  (${grouped(local)} ${p.currency})`);
      expect(line).toContain(` ${Number(p.position).toLocaleString('en-US', { maximumFractionDigits: 8 })} @ `);
    }
    // A quantity of at least 1,000 shows its separator (the recording holds such positions).
    expect(json.positions.some((p) => Math.abs(Number(p.position)) >= 1000)).toBe(true);
    expect(text).toMatch(/ \d{1,3}(,\d{3})+ @ /);
  }, 60_000);
});

describe('marks in the text', () => {
  it("show the precision the panes show (the contract's tick), while JSON keeps the exact mark", () => {
    const st = bookState({ extra: [portfolio(ACCOUNT, AAPL_CALL, '10', '5.8495', '6'), portfolio(ACCOUNT, AAPL, '500', '228.5', '190')] });
    const line = (label: string) => stateText(st).find((l) => l.startsWith(`  ${label} `)) ?? '';
    expect(line('AAPL')).toContain(' @      228.50 USD');
    expect(line('AAPL 20270219 240 C')).toContain(' @        5.85 USD');
    const positions = stateJson(st).positions as { conId: number; marketPrice: string }[];
    expect(positions.find((p) => p.conId === AAPL_CALL.conId)?.marketPrice).toBe('5.8495');
  });
});

describe('demo --once', () => {
  it('lists every position, whatever the terminal height', async () => {
    const r = await runCli('demo', '--once', '--start', T0, '--no-record');
    expect(r.code).toBe(0);
    const lines = r.out.split('\n');
    const at = lines.findIndex((l) => /^positions \(\d+\)/.test(l));
    const n = Number(/^positions \((\d+)\)/.exec(lines[at]!)![1]);
    // More than the six a 24-row terminal had room for.
    expect(n).toBeGreaterThan(6);
    const rows = lines.slice(at + 1).filter((l) => l.startsWith('  ') && !l.includes('more'));
    expect(rows).toHaveLength(n);
    expect(r.out).not.toMatch(/\.\.\. \d+ more/);
  }, 60_000);
});
