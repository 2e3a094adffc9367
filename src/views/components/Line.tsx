// One terminal line of styled cells, truncated at the edge (one <Text> per line keeps Ink's layout cheap, ink#401).
import { Text } from './Text.js';
import { useTheme } from '../context/theme.js';
import type { Cell } from '../rows/common.js';
import type { Slot } from '../theme.js';

export function Line({ cells, slot }: { readonly cells: readonly Cell[]; readonly slot?: Slot }) {
  const theme = useTheme();
  return (
    <Text wrap="truncate-end" {...(slot ? theme[slot] : {})}>
      {cells.map((c, i) => (
        <Text key={i} {...(c.slot ? theme[c.slot] : {})}>
          {c.text}
        </Text>
      ))}
    </Text>
  );
}
