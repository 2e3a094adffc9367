// IBKR Pro fixed-rate commissions, in the instrument's currency: what the simulator charges and what a leverage reduction budgets for.
import { Decimal, ZERO, dec } from './money.js';

/**
 * The commission of one fill of `quantity` at `price` (each unit `multiplier` of the price), rounded to cents.
 * IBKR Pro's fixed schedule, simplified (docs/simulator.md): US stocks $0.005 a share, at least $1, at most 1% of the
 * value; other stocks 0.05% of the value, at least 3 (80 in JPY); options $0.65 a contract, at least $1; futures and
 * their options $0.85 a contract; FX 0.2 bp of the value, at least 2; bonds 0.02%, at least 5. Exchange, regulatory
 * and clearing fees are not in it.
 */
export function commissionFor(secType: string, currency: string, quantity: Decimal, price: Decimal, multiplier: Decimal | number = 1): Decimal {
  const n = quantity.abs();
  const value = n.mul(price.abs()).mul(multiplier);
  let c: Decimal;
  switch (secType) {
    case 'STK':
      if (currency === 'USD') c = Decimal.min(Decimal.max(n.mul('0.005'), dec(1)), value.mul('0.01'));
      else c = Decimal.max(value.mul('0.0005'), dec(currency === 'JPY' ? 80 : 3));
      break;
    case 'OPT':
      c = Decimal.max(n.mul('0.65'), dec(1));
      break;
    case 'FUT':
    case 'FOP':
      c = n.mul('0.85');
      break;
    case 'CASH':
      c = Decimal.max(value.mul('0.00002'), dec(2));
      break;
    case 'BOND':
      c = Decimal.max(value.mul('0.0002'), dec(5));
      break;
    default:
      c = ZERO;
  }
  return c.toDecimalPlaces(2, Decimal.ROUND_HALF_UP);
}
