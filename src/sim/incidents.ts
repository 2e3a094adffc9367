// Incidents the simulator can stage (scenario files and the control channel share these shapes), their
// validation, and the TWS message texts they produce.

export type Incident =
  /** Close client sockets (all, or one client id); the server keeps listening. */
  | { readonly incident: 'drop'; readonly clientId?: number }
  /** TWS restart: drop everyone, refuse connections for `downSeconds` (virtual), come back with state intact. */
  | { readonly incident: 'restart'; readonly downSeconds: number }
  /** Sockets stay open but nothing is answered or sent (also for new connections); `seconds` omitted = until `recover`. */
  | { readonly incident: 'zombie'; readonly seconds?: number }
  /** Ends a zombie period. */
  | { readonly incident: 'recover' }
  /** 1100 to every client; market data, account pushes and fills stop. */
  | { readonly incident: 'connectivity-lost' }
  /** 1101 (data lost: market and account data subscriptions are dropped) or 1102 (data maintained). */
  | { readonly incident: 'connectivity-restored'; readonly dataLost?: boolean }
  /** A data-farm status message (2103 broken, 2104 OK, 2105/2106 HMDS, 2107/2108 inactive, 2157/2158 sec-def). */
  | { readonly incident: 'farm'; readonly code: number; readonly farm?: string }
  /** Margin requirements × factor, no position change; `secTypes` limits it (STK, OPT, FUT, FOP, BOND, FX). */
  | { readonly incident: 'margin-spike'; readonly factor: number; readonly secTypes?: readonly string[]; readonly seconds?: number }
  /** A currency jumps `pct` against the base at once (CHF +20%). */
  | { readonly incident: 'fx-gap'; readonly currency: string; readonly pct: number }
  /** Every equity and index factor moves `pct` at once; implied and realised vol × (1 + volJump). */
  | { readonly incident: 'crash'; readonly pct: number; readonly volJump?: number }
  /** One market factor (AAPL, SPX, CL, UST10, …) moves `pct` at once. */
  | { readonly incident: 'move'; readonly factor: string; readonly pct: number }
  /** An order placed by another API client (default client id 99) or typed into TWS by hand (client 0). */
  | OrderIncident;

export interface OrderIncident {
  readonly incident: 'foreign-order' | 'manual-order';
  readonly clientId?: number;
  readonly conId?: number;
  readonly symbol?: string;
  readonly secType?: string;
  readonly action: 'BUY' | 'SELL';
  readonly quantity: string;
  readonly orderType: 'MKT' | 'LMT';
  readonly lmtPrice?: number;
}

export const INCIDENT_NAMES = [
  'drop',
  'restart',
  'zombie',
  'recover',
  'connectivity-lost',
  'connectivity-restored',
  'farm',
  'margin-spike',
  'fx-gap',
  'crash',
  'move',
  'foreign-order',
  'manual-order',
] as const;

/** Farm message texts as TWS writes them (the farm name is appended). */
export const FARM_MESSAGES: Readonly<Record<number, string>> = {
  2103: 'Market data farm connection is broken:',
  2104: 'Market data farm connection is OK:',
  2105: 'HMDS data farm connection is broken:',
  2106: 'HMDS data farm connection is OK:',
  2107: 'HMDS data farm connection is inactive but should be available upon demand.',
  2108: 'Market data farm connection is inactive but should be available upon demand.',
  2157: 'Sec-def data farm connection is broken:',
  2158: 'Sec-def data farm connection is OK:',
};

export const CONNECTIVITY_MESSAGES = {
  1100: 'Connectivity between IB and Trader Workstation has been lost.',
  1101: 'Connectivity between IB and Trader Workstation has been restored - data lost.',
  1102: 'Connectivity between IB and Trader Workstation has been restored - data maintained.',
} as const;

/** Default farm for a code: market data farms are usfarm, HMDS ushmds, sec-def secdefnj. */
export function defaultFarm(code: number): string {
  if (code === 2105 || code === 2106 || code === 2107) return 'ushmds';
  if (code === 2157 || code === 2158) return 'secdefnj';
  return 'usfarm';
}

type Obj = Record<string, unknown>;

/**
 * Validates an incident object. Every problem is reported as `path.key: message`; unknown keys are
 * errors too (a typo must not silently do nothing). `extraKeys` are allowed (e.g. `at` in scenarios).
 */
export function parseIncident(value: unknown, path: string, extraKeys: readonly string[] = []): { incident?: Incident; errors: string[] } {
  const errors: string[] = [];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { errors: [`${path}: expected an object like {"incident":"drop"}`] };
  }
  const o = value as Obj;
  const name = o.incident;
  if (typeof name !== 'string' || !(INCIDENT_NAMES as readonly string[]).includes(name)) {
    return { errors: [`${path}.incident: expected one of ${INCIDENT_NAMES.join(', ')}, got ${JSON.stringify(name)}`] };
  }
  const allowed = new Set<string>(['incident', ...extraKeys]);
  const num = (key: string, opts: { required?: boolean; min?: number; max?: number; int?: boolean } = {}): number | undefined => {
    allowed.add(key);
    const v = o[key];
    if (v === undefined) {
      if (opts.required) errors.push(`${path}.${key}: required number is missing`);
      return undefined;
    }
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      errors.push(`${path}.${key}: expected a number, got ${JSON.stringify(v)}`);
      return undefined;
    }
    if (opts.int && !Number.isInteger(v)) errors.push(`${path}.${key}: expected an integer, got ${v}`);
    if (opts.min !== undefined && v < opts.min) errors.push(`${path}.${key}: must be ≥ ${opts.min}, got ${v}`);
    if (opts.max !== undefined && v > opts.max) errors.push(`${path}.${key}: must be ≤ ${opts.max}, got ${v}`);
    return v;
  };
  const str = (key: string, required = false, choices?: readonly string[]): string | undefined => {
    allowed.add(key);
    const v = o[key];
    if (v === undefined) {
      if (required) errors.push(`${path}.${key}: required string is missing`);
      return undefined;
    }
    if (typeof v !== 'string' || v === '') {
      errors.push(`${path}.${key}: expected a non-empty string, got ${JSON.stringify(v)}`);
      return undefined;
    }
    if (choices && !choices.includes(v)) errors.push(`${path}.${key}: expected one of ${choices.join(', ')}, got ${JSON.stringify(v)}`);
    return v;
  };
  const bool = (key: string): boolean | undefined => {
    allowed.add(key);
    const v = o[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'boolean') errors.push(`${path}.${key}: expected true or false, got ${JSON.stringify(v)}`);
    return v === true;
  };

  let incident: Incident | undefined;
  switch (name) {
    case 'drop': {
      const clientId = num('clientId', { int: true });
      incident = { incident: name, clientId };
      break;
    }
    case 'restart':
      incident = { incident: name, downSeconds: num('downSeconds', { required: true, min: 0, max: 86_400 }) ?? 0 };
      break;
    case 'zombie':
      incident = { incident: name, seconds: num('seconds', { min: 0 }) };
      break;
    case 'recover':
    case 'connectivity-lost':
      incident = { incident: name };
      break;
    case 'connectivity-restored':
      incident = { incident: name, dataLost: bool('dataLost') };
      break;
    case 'farm': {
      const code = num('code', { required: true, int: true }) ?? 0;
      if (code && !(code in FARM_MESSAGES)) errors.push(`${path}.code: expected one of ${Object.keys(FARM_MESSAGES).join(', ')}, got ${code}`);
      incident = { incident: name, code, farm: str('farm') };
      break;
    }
    case 'margin-spike': {
      allowed.add('secTypes');
      const st = o.secTypes;
      let secTypes: string[] | undefined;
      if (st !== undefined) {
        const valid = ['STK', 'OPT', 'FUT', 'FOP', 'BOND', 'FX', 'ALL'];
        if (!Array.isArray(st) || st.some((s) => typeof s !== 'string' || !valid.includes(s))) {
          errors.push(`${path}.secTypes: expected a list of ${valid.join(', ')}, got ${JSON.stringify(st)}`);
        } else secTypes = st as string[];
      }
      incident = { incident: name, factor: num('factor', { required: true, min: 0.01, max: 100 }) ?? 1, secTypes, seconds: num('seconds', { min: 0 }) };
      break;
    }
    case 'fx-gap':
      incident = { incident: name, currency: (str('currency', true) ?? '').toUpperCase(), pct: num('pct', { required: true, min: -95, max: 1000 }) ?? 0 };
      break;
    case 'crash':
      incident = { incident: name, pct: num('pct', { required: true, min: -95, max: 1000 }) ?? 0, volJump: num('volJump', { min: -0.9, max: 20 }) };
      break;
    case 'move':
      incident = { incident: name, factor: str('factor', true) ?? '', pct: num('pct', { required: true, min: -95, max: 1000 }) ?? 0 };
      break;
    case 'foreign-order':
    case 'manual-order': {
      const clientId = name === 'foreign-order' ? num('clientId', { int: true, min: 1 }) : undefined;
      if (name === 'manual-order' && o.clientId !== undefined) errors.push(`${path}.clientId: manual orders always come from client 0`);
      const conId = num('conId', { int: true, min: 1 });
      const symbol = str('symbol');
      const secType = str('secType');
      if (conId === undefined && symbol === undefined) errors.push(`${path}: give conId or symbol`);
      const action = str('action', true, ['BUY', 'SELL']) as 'BUY' | 'SELL' | undefined;
      allowed.add('quantity');
      const q = o.quantity;
      let quantity = '';
      if (typeof q === 'number' && q > 0) quantity = String(q);
      else if (typeof q === 'string' && /^\d+(\.\d+)?$/.test(q) && Number(q) > 0) quantity = q;
      else errors.push(`${path}.quantity: expected a positive number, got ${JSON.stringify(q)}`);
      const orderType = (str('orderType', false, ['MKT', 'LMT']) ?? 'MKT') as 'MKT' | 'LMT';
      const lmtPrice = num('lmtPrice', { min: 0 });
      if (orderType === 'LMT' && lmtPrice === undefined) errors.push(`${path}.lmtPrice: required for a LMT order`);
      incident = { incident: name, clientId, conId, symbol, secType, action: action ?? 'BUY', quantity, orderType, lmtPrice };
      break;
    }
  }
  for (const k of Object.keys(o)) if (!allowed.has(k)) errors.push(`${path}.${k}: unknown key for incident "${name}"`);
  return errors.length ? { errors } : { incident, errors };
}
