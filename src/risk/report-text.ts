// The stress report as plain text for a terminal of a given width (tws-risk report): no colour, words carry the meaning.
import type { Decimal } from '../model/money.js';
import type { StressReport } from './report.js';

/*
 * Plain text, readable at 80 columns: every flag is a word (BREACH, warn, ESTIMATE, UNPRICED), never
 * only a colour (DESIGN.md "Terminal"). Wider terminals get the maintenance column.
 */

/** Amount with thousands separators and two places: "-6,400.00". */
export function formatMoney(d: Decimal): string {
  const [int = '0', frac = '00'] = d.abs().toFixed(2).split('.');
  const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${d.isNegative() && !d.isZero() ? '-' : ''}${grouped}.${frac}`;
}

/** A fraction as a signed percentage with one place: "-11.1%". */
export function formatShock(x: number): string {
  const v = Math.round(x * 1000) / 10 || 0;
  return `${v > 0 ? '+' : ''}${v.toFixed(1)}%`;
}

function pct(d: Decimal | undefined): string {
  return d === undefined ? 'n/a' : `${d.mul(100).toFixed(1)}%`;
}

function fit(text: string, width: number): string {
  if (!Number.isFinite(width)) return text;
  if (text.length <= width) return text.padEnd(width);
  return width <= 1 ? text.slice(0, width) : `${text.slice(0, width - 1)}…`;
}

/** The report as lines of at most `width` characters (minimum 60); `Infinity` (a pipe) cuts and wraps nothing. */
export function formatStressReportText(report: StressReport, width = 80): string {
  const w = Math.max(60, Math.floor(width));
  const lines: string[] = [];
  const wrap = (text: string, indent = '') => {
    let line = '';
    for (const word of text.split(' ')) {
      if (line !== '' && line.length + 1 + word.length > w) {
        lines.push(line);
        line = indent + word;
      } else line = line === '' ? word : `${line} ${word}`;
    }
    if (line !== '') lines.push(line);
  };
  const base = report.baseCurrency;
  const at = new Date(report.asOf).toISOString().replace('T', ' ').slice(0, 16);
  wrap(`Stress report${report.account ? ` for ${report.account}` : ''}, base ${base}, as of ${at} UTC, ${report.positions} positions`);
  const v = report.accountValues;
  const show = (name: string, d: Decimal | undefined) => `${name} ${d === undefined ? 'n/a' : formatMoney(d)}`;
  wrap(
    `Reported: ${show('NetLiquidation', v.netLiquidation)}, ${show('EquityWithLoanValue', v.equityWithLoanValue)}, ${show('MaintMarginReq', v.maintMarginReq)}, ${show('ExcessLiquidity', v.excessLiquidity)}, Cushion ${pct(v.cushion)}`,
  );
  const rec = report.reconciliation;
  wrap(
    `Model NetLiquidation ${formatMoney(rec.model)}` +
      (rec.residual !== undefined
        ? `, residual ${formatMoney(rec.residual)} (${pct(rec.residualRatio)})${rec.withinTolerance ? '' : ' OVER TOLERANCE'}`
        : ', no reported value to reconcile with'),
  );
  const factors = (parts: typeof report.margin.calibration.maint) =>
    parts.map((p) => `${p.scope === 'total' ? '' : `${p.scope} `}${p.factor ? `x${p.factor.toFixed(4)}` : p.mode}`).join(', ');
  const source = { setting: 'as set', accountType: 'from the account type', requirement: 'matching the reported requirement', default: 'by default' }[
    report.margin.methodSource
  ];
  wrap(
    `Margin is an ESTIMATE (${report.margin.method === 'portfolio' ? 'portfolio margin, TIMS-like scan' : 'Reg T rules'}, ${source}), calibrated to the reported requirement: maintenance ${factors(report.margin.calibration.maint)}, initial ${factors(report.margin.calibration.init)}.`,
  );
  lines.push('');

  const wide = w >= 100;
  const cells = report.scenarios.map((s) => [
    formatMoney(s.pnl.total),
    formatMoney(s.netLiquidation),
    ...(wide ? [formatMoney(s.maintMargin)] : []),
    formatMoney(s.excessLiquidity),
    pct(s.cushion),
    s.breach ? 'BREACH' : s.warn ? 'warn' : '',
  ]);
  const names = ['P&L', 'NetLiq', ...(wide ? ['Maint (est.)'] : []), 'Excess liq.', 'Cushion', ''];
  // Each number column is as wide as its longest entry; the label takes what is left.
  const widths = names.map((name, i) => Math.max(name.length, ...cells.map((c) => c[i]!.length)));
  const labelWidth = Number.isFinite(w)
    ? Math.max(12, w - widths.reduce((a, x) => a + x + 1, 0))
    : Math.max(12, `Scenario (${base})`.length, ...report.scenarios.map((s) => s.label.length));
  const row = (label: string, values: readonly string[]) =>
    `${fit(label, labelWidth)}${values.map((c, i) => ` ${i === values.length - 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)}`).join('')}`.trimEnd();
  lines.push(row(`Scenario (${base})`, names));
  report.scenarios.forEach((s, i) => lines.push(row(s.label, cells[i]!)));
  const breaches = report.scenarios.filter((s) => s.breach).length;
  const warns = report.scenarios.filter((s) => !s.breach && s.warn).length;
  lines.push('');
  wrap(
    `${breaches} of ${report.scenarios.length} scenarios breach (ExcessLiquidity below 0: IBKR liquidates at once); ${warns} more reach the margin warning (EquityWithLoanValue at most 110% of maintenance).`,
  );

  if (report.liquidationDistance.length > 0) {
    lines.push('');
    lines.push('Liquidation distance: the uniform shock at which ExcessLiquidity reaches 0');
    for (const d of [...report.liquidationDistance, ...report.nameDistance]) {
      const name = d.key.startsWith('sym:')
        ? `${d.key.slice(4)} alone`
        : d.kind === 'px'
          ? `prices ${d.key.slice(3)}`
          : d.kind === 'fx'
            ? `${d.key.slice(3)} vs ${base}`
            : 'combined crash (price move)';
      const cure = d.cure === undefined ? '' : d.cure === null ? '; no move within range cures it' : `; ${formatShock(d.cure)} cures it`;
      const value =
        d.nearest === null
          ? `none within ${d.kind === 'crash' ? '-' : '±'}${Math.round(d.range * 100)}%`
          : d.nearest === 0
            ? `already below 0${cure}`
            : formatShock(d.nearest);
      const other =
        d.nearest !== null && d.nearest !== 0 && d.down !== null && d.up !== null ? ` (other side ${formatShock(d.nearest === d.down ? d.up : d.down)})` : '';
      lines.push(`  ${name.padEnd(30)} ${value}${other}`.trimEnd());
    }
  }
  if (report.unpriced.length > 0) {
    lines.push('');
    const one = report.unpriced.length === 1;
    wrap(
      `UNPRICED: ${report.unpriced.length} position${one ? '' : 's'} could not be revalued and ${one ? 'stays at its' : 'stay at their'} mark in every scenario:`,
    );
    for (const u of report.unpriced) lines.push(fit(`  ${u.label} (${u.assetClass}, ${u.currency}): ${u.reason}`, w).trimEnd());
  }
  if (report.notes.length > 0) {
    lines.push('');
    lines.push('Notes:');
    for (const n of report.notes) wrap(`- ${n}`, '  ');
  }
  return `${lines.join('\n')}\n`;
}
