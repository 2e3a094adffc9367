// The stress report as JSON (docs/report-json.md): amounts as decimal strings in base currency, shocks as fractions.
import type { Decimal } from '../model/money.js';
import type { ReportedValues } from './boundary.js';
import type { CalibrationPart } from './margin.js';
import type { StressReport } from './report.js';

/** Version of the JSON shape; bumped on any incompatible change (docs/report-json.md). */
export const REPORT_JSON_VERSION = 1;

type Json = null | boolean | number | string | readonly Json[] | { readonly [k: string]: Json };

/** An amount: a decimal string with two places ("-6400.00"). */
const money = (d: Decimal): string => d.toFixed(2);
const optMoney = (d: Decimal | undefined): Json => (d === undefined ? null : money(d));
/** A shock or distance as a number, rounded to 0.0001 (0.01%). */
const fraction = (x: number | null): number | null => (x === null ? null : Math.round(x * 10_000) / 10_000 || 0);

/** The JSON document of docs/report-json.md; JSON.stringify it as it is. */
export function toReportJson(report: StressReport): Json {
  const liquidationDistance: Record<string, number | null> = {};
  for (const d of [...report.liquidationDistance, ...report.nameDistance]) liquidationDistance[d.key] = fraction(d.nearest);
  return {
    format: 'tws-risk/stress-report',
    version: REPORT_JSON_VERSION,
    asOf: new Date(report.asOf).toISOString(),
    account: report.account ?? null,
    baseCurrency: report.baseCurrency,
    accountValues: accountValuesJson(report.accountValues),
    anchors: {
      netLiquidation: { value: money(report.anchors.netLiquidation.value), source: report.anchors.netLiquidation.source },
      equityWithLoanValue: { value: money(report.anchors.equityWithLoanValue.value), source: report.anchors.equityWithLoanValue.source },
    },
    reconciliation: {
      model: money(report.reconciliation.model),
      reported: optMoney(report.reconciliation.reported),
      residual: optMoney(report.reconciliation.residual),
      residualRatio: report.reconciliation.residualRatio?.toFixed(6) ?? null,
      withinTolerance: report.reconciliation.withinTolerance ?? null,
      byCurrency: Object.fromEntries(
        report.reconciliation.byCurrency.map((r) => [r.currency, { model: money(r.model), reported: optMoney(r.reported), residual: optMoney(r.residual) }]),
      ),
    },
    margin: {
      method: report.margin.method,
      methodSource: report.margin.methodSource,
      methodEvidence: report.margin.methodEvidence,
      estimate: true,
      description: report.margin.description,
      calibration: { maint: report.margin.calibration.maint.map(partJson), init: report.margin.calibration.init.map(partJson) },
    },
    scenarios: report.scenarios.map((s) => ({
      id: s.id,
      label: s.label,
      family: s.family,
      shocks: {
        px: { ...s.shocks.px } as Record<string, number>,
        sym: { ...s.shocks.sym },
        fx: { ...s.shocks.fx },
        rates: s.shocks.rates ?? 0,
        vol: s.shocks.vol,
        days: s.shocks.days,
      },
      pnl: {
        total: money(s.pnl.total),
        byCurrency: mapValues(s.pnl.byCurrency, money),
        byAssetClass: mapValues(s.pnl.byAssetClass as Record<string, Decimal>, money),
      },
      netLiquidation: money(s.netLiquidation),
      equityWithLoanValue: money(s.equityWithLoanValue),
      maintMargin: money(s.maintMargin),
      initMargin: money(s.initMargin),
      excessLiquidity: money(s.excessLiquidity),
      availableFunds: money(s.availableFunds),
      cushion: s.cushion?.toFixed(6) ?? null,
      breach: s.breach,
      warn: s.warn,
    })),
    liquidationDistance,
    liquidationSearch: [...report.liquidationDistance, ...report.nameDistance].map((d) => ({
      key: d.key,
      range: d.range,
      down: fraction(d.down),
      up: fraction(d.up),
      ...(d.cure !== undefined ? { cure: fraction(d.cure) } : {}),
    })),
    unpriced: report.unpriced.map((u) => ({ conId: u.conId, label: u.label, assetClass: u.assetClass, currency: u.currency, reason: u.reason })),
    cashPairs: report.cashPairs.map((c) => ({ conId: c.conId, label: c.label })),
    positions: report.positions,
    notes: [...report.notes],
  };
}

function partJson(p: CalibrationPart): Json {
  return {
    scope: p.scope,
    mode: p.mode,
    reported: optMoney(p.reported),
    estimated: money(p.estimated),
    factor: p.factor?.toFixed(6) ?? null,
  };
}

function accountValuesJson(v: ReportedValues): Json {
  const out: Record<string, Json> = {};
  const put = (tag: string, d: Decimal | undefined) => {
    if (d !== undefined) out[tag] = money(d);
  };
  put('NetLiquidation', v.netLiquidation);
  put('EquityWithLoanValue', v.equityWithLoanValue);
  put('MaintMarginReq', v.maintMarginReq);
  put('InitMarginReq', v.initMarginReq);
  put('ExcessLiquidity', v.excessLiquidity);
  put('AvailableFunds', v.availableFunds);
  if (v.cushion !== undefined) out.Cushion = v.cushion.toString();
  put('MaintMarginReq-S', v.maintMarginReqS);
  put('MaintMarginReq-C', v.maintMarginReqC);
  put('InitMarginReq-S', v.initMarginReqS);
  put('InitMarginReq-C', v.initMarginReqC);
  out.CashBalance = mapValues(v.cashBalance, money);
  out.FuturesPNL = mapValues(v.futuresPnl, money);
  out.NetLiquidationByCurrency = mapValues(v.netLiquidationByCurrency, money);
  out.ExchangeRate = mapValues(v.exchangeRate, (d) => d.toString());
  return out;
}

function mapValues<T>(o: Readonly<Record<string, T>>, f: (v: T) => string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = f(v);
  return out;
}
