// The status bar: one line of cells (source, endpoint, account, base, health and data age, trading state, clock).
import type { Cell } from '../rows/common.js';
import { Line } from './Line.js';

export function StatusBar({ cells }: { readonly cells: readonly Cell[] }) {
  return <Line cells={cells.flatMap((c, i) => (i === 0 ? [c] : [{ text: ' ' }, c]))} />;
}
