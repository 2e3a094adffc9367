// TWS error and info codes: one table that classes each code and says what it means for connection health.
import type { MessageClass } from '../../model/events.js';

/** What a code does to health, beyond being logged. */
export type HealthEffect =
  /** TWS lost its link to IB's servers (1100): data is not updating. */
  | 'connectivityLost'
  /** Link restored; data maintained (1102) or lost and re-requested by TWS (1101). */
  | 'connectivityRestored'
  | 'connectivityRestoredDataLost'
  /** Our client id is already connected (326): reconnecting with it would flap forever. */
  | 'clientIdInUse'
  /** A market-data farm went down (2103, 2105, 2157) or came back (2104, 2106, 2158). */
  | 'farmDown'
  | 'farmUp'
  /** A farm is connected but idle until needed (2107, 2108): not a problem. */
  | 'farmInactive'
  /** Another session took the market-data line (10197); or the socket link to TWS is broken (2110). */
  | 'competingSession'
  | 'twsToServerBroken'
  /** The API is read-only in TWS settings (321 on an order). */
  | 'readOnlyApi'
  | 'none';

interface CodeInfo {
  readonly class: MessageClass;
  readonly effect: HealthEffect;
}

/** Codes that matter; anything else is classed by range (see classify). Sources: TWS API message codes. */
const TABLE: ReadonlyMap<number, CodeInfo> = new Map<number, CodeInfo>([
  [1100, { class: 'connection', effect: 'connectivityLost' }],
  [1101, { class: 'connection', effect: 'connectivityRestoredDataLost' }],
  [1102, { class: 'connection', effect: 'connectivityRestored' }],
  [1300, { class: 'connection', effect: 'none' }],
  [2110, { class: 'connection', effect: 'twsToServerBroken' }],
  [326, { class: 'connection', effect: 'clientIdInUse' }],
  [502, { class: 'connection', effect: 'none' }],
  [504, { class: 'connection', effect: 'none' }],
  [10197, { class: 'data', effect: 'competingSession' }],
  [2103, { class: 'data', effect: 'farmDown' }],
  [2105, { class: 'data', effect: 'farmDown' }],
  [2157, { class: 'data', effect: 'farmDown' }],
  [2104, { class: 'info', effect: 'farmUp' }],
  [2106, { class: 'info', effect: 'farmUp' }],
  [2158, { class: 'info', effect: 'farmUp' }],
  [2107, { class: 'info', effect: 'farmInactive' }],
  [2108, { class: 'info', effect: 'farmInactive' }],
  [2119, { class: 'info', effect: 'none' }],
  [321, { class: 'order', effect: 'readOnlyApi' }],
  [103, { class: 'order', effect: 'none' }],
  [201, { class: 'order', effect: 'none' }],
  [202, { class: 'order', effect: 'none' }],
  [399, { class: 'warning', effect: 'none' }],
  [10147, { class: 'order', effect: 'none' }],
  [10148, { class: 'order', effect: 'none' }],
  [354, { class: 'data', effect: 'none' }],
  [10167, { class: 'warning', effect: 'none' }],
  [10090, { class: 'warning', effect: 'none' }],
  [200, { class: 'data', effect: 'none' }],
  [505, { class: 'error', effect: 'none' }],
]);

/** Class and health effect of a TWS code. Unknown codes: 2100-2999 are warnings/info, the rest errors. */
export function classify(code: number): CodeInfo {
  const known = TABLE.get(code);
  if (known) return known;
  if (code >= 2100 && code < 3000) return { class: 'warning', effect: 'none' };
  return { class: 'error', effect: 'none' };
}
