// The account's margin method: `auto` tells a portfolio-margin book from a Reg T book of the same positions, and says why.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import { toReportJson } from '../../src/risk/report-json.js';
import { formatStressReportText } from '../../src/risk/report-text.js';
import { stock } from '../support/events.js';
import { av, holding, report, result } from './stress-fixtures.js';

/*
 * The same positions, 1,000 XYZ at 100, in two accounts. Reg T maintenance is 25% of 100,000 = 25,000; the TIMS-like
 * scan's worst point is −15%: 15,000 (risk-model.md §0.4, §1.4). One account reports 25,000 (a Reg T account), the
 * other 15,600 (a portfolio-margin account, with a little house add-on).
 */
const book = (maint: string, extra: ReturnType<typeof av>[] = []) => [
  av('NetLiquidation', '100000'),
  av('EquityWithLoanValue', '100000'),
  av('CashBalance', '0', 'USD'),
  av('MaintMarginReq', maint),
  ...extra,
  holding(stock(1, 'XYZ', 'USD'), '1000', '100'),
];

describe('auto margin method', () => {
  it('tells a Reg T book from a portfolio-margin book of the same positions by the reported requirement', () => {
    const regT = report(book('25000'), ['px:STK=-10%'], { marginMethod: 'auto' });
    const pm = report(book('15600'), ['px:STK=-10%'], { marginMethod: 'auto' });
    expect([regT.margin.method, regT.margin.methodSource]).toEqual(['regT', 'requirement']);
    expect([pm.margin.method, pm.margin.methodSource]).toEqual(['portfolio', 'requirement']);
    expect(pm.margin.methodEvidence).toBe(
      'reported securities requirement 15,600; Reg T estimate 25,000, portfolio-margin estimate 15,000 at zero shock: portfolio margin is nearer',
    );
    // And each is then stressed in its own shape: at −10% the PM scan is 15% of 90,000 = 13,500, scaled by 15,600 / 15,000.
    expect(result(pm, 'px:STK=-10%').maintMargin.toFixed(2)).toBe(((13500 * 15600) / 15000).toFixed(2));
    expect(result(regT, 'px:STK=-10%').maintMargin.toFixed(2)).toBe('22500.00');
  });

  it('says which it chose in the JSON report and in the text', () => {
    const pm = report(book('15600'), ['base'], { marginMethod: 'auto' });
    expect(toReportJson(pm)).toMatchObject({
      margin: { method: 'portfolio', methodSource: 'requirement', methodEvidence: expect.stringMatching(/portfolio margin is nearer$/) },
    });
    expect(formatStressReportText(pm, 200)).toMatch(/portfolio margin, TIMS-like scan, matching the reported requirement/);
  });

  it('an account-type row naming the method wins over the comparison', () => {
    const r = report(book('25000', [av('AccountType', 'PORTFOLIO MARGIN', '')]), ['base'], { marginMethod: 'auto' });
    expect([r.margin.method, r.margin.methodSource, r.margin.methodEvidence]).toEqual(['portfolio', 'accountType', 'AccountType = "PORTFOLIO MARGIN"']);
  });

  it('Reg T by default when there is no requirement to compare; an explicit setting is kept', () => {
    const none = report(book('0'), ['base'], { marginMethod: 'auto' });
    expect([none.margin.method, none.margin.methodSource]).toEqual(['regT', 'default']);
    const set = report(book('15600'), ['base'], { marginMethod: 'regT' });
    expect([set.margin.method, set.margin.methodSource]).toEqual(['regT', 'setting']);
  });
});

describe('tws-risk report: risk.marginMethod and --margin-method', () => {
  const recording = join(process.cwd(), 'recordings', 'chf-gap.jsonl.gz');
  const dir = mkdtempSync(join(tmpdir(), 'tws-risk-margin-method-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function marginOf(args: string[]): Promise<{ method: string; methodSource: string }> {
    const out: string[] = [];
    const code = await main(['report', '--replay', recording, '--json', ...args], { out: (x) => out.push(x), err: () => undefined });
    expect(code === 0 || code === 5).toBe(true);
    return (JSON.parse(out.join('\n')) as { margin: { method: string; methodSource: string } }).margin;
  }

  it('the flag sets the method; the setting does when no flag is given; auto says where its choice came from', async () => {
    expect(await marginOf(['--margin-method', 'portfolio'])).toMatchObject({ method: 'portfolio', methodSource: 'setting' });
    const config = join(dir, 'settings.json');
    writeFileSync(config, JSON.stringify({ risk: { marginMethod: 'regT' } }));
    expect(await marginOf(['--config', config])).toMatchObject({ method: 'regT', methodSource: 'setting' });
    const empty = join(dir, 'empty.json');
    writeFileSync(empty, '{}');
    const auto = await marginOf(['--config', empty]);
    expect(['requirement', 'accountType', 'default']).toContain(auto.methodSource);
  });
});
