// The CONTRACT_DATA / BOND_CONTRACT_DATA view of a simulated instrument.
import type { Instrument } from './instruments.js';
import type { ContractDetailsView } from './messages.js';

export function detailsOf(inst: Instrument): ContractDetailsView {
  const derivative = inst.secType === 'OPT' || inst.secType === 'FOP' || inst.secType === 'FUT';
  return {
    ...inst,
    marketName: inst.tradingClass,
    orderTypes: 'ACTIVETIM,AD,ADJUST,ALERT,ALLOC,DAY,GTC,LMT,MKT,NONALGO,OCA,STP,TRAIL,WHATIF',
    contractMonth: derivative ? inst.lastTradeDateOrContractMonth.slice(0, 6) : '',
    subcategory: '',
    // Only the bond's CUSIP is given: the simulator does not invent ISINs for real companies.
    secIdList: inst.bond ? [['CUSIP', inst.bond.cusip]] : [],
    marketRuleIds: '26',
    realExpirationDate: derivative ? inst.lastTradeDateOrContractMonth.padEnd(8, '0').slice(0, 8) : '',
    lastTradeDate: derivative && inst.expiryMs ? new Date(inst.expiryMs).toISOString().slice(0, 10).replaceAll('-', '') : '',
    stockType: inst.secType === 'STK' ? 'COMMON' : '',
    minSize: inst.secType === 'CASH' ? '1' : '0.0001',
    sizeIncrement: inst.secType === 'CASH' ? '1' : '0.0001',
    suggestedSizeIncrement: inst.secType === 'STK' ? '100' : '1',
  };
}
