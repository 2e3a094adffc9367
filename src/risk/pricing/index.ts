// Public surface of the float64 option pricers used by the risk engine (risk-model.md §3, §5).
export type { Black76Inputs, BsmInputs, Exercise, Greeks, OptionRight } from './types.js';
export { normCdf, normPdf } from './normal.js';
export { black76Greeks, black76Price, bsmGreeks, bsmPrice, escrowedSpot, gbsGreeks, gbsPrice, intrinsic, pvDividends, type Dividend } from './black-scholes.js';
export { bawPrice, black76AmericanPrice, bsmAmericanPrice } from './american.js';
export { crrPrice, type TreeInputs } from './binomial.js';
export {
  DEFAULT_LATTICE_STEPS,
  cashDividendAmericanGreeks,
  cashDividendAmericanLadder,
  cashDividendAmericanPrice,
  dividendsBeforeExpiry,
  type CashDividendInputs,
} from './dividend-lattice.js';
export { MAX_IMPLIED_VOL, black76ImpliedVol, bsmImpliedVol, gbsImpliedVol } from './implied-vol.js';
export { americanPriceBatch, bareBsmLoop, europeanPriceBatch, type OptionBatch } from './batch.js';
