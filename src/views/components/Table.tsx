// A list pane's table: header, the visible rows only (each memoised by its id), or a sentence when empty.
import { Box } from 'ink';
import { Text } from './Text.js';
import { Fragment, memo } from 'react';
import { useTheme } from '../context/theme.js';
import { COLUMN_GAP, layoutCells, layoutLine, type ColumnSpec } from '../format.js';
import { cellText, type ListVM, type RowVM } from '../rows/common.js';
import type { Theme } from '../theme.js';

/** Left margin of every row: the selection marker, so selection reads without colour. */
const MARKER = { selected: '›', none: ' ' } as const;

interface RowProps {
  readonly row: RowVM;
  readonly columns: readonly ColumnSpec[];
  readonly selected: boolean;
  readonly focused: boolean;
  readonly theme: Theme;
}

/**
 * One row. Props are the row view model (the same object while its inputs are unchanged, see RowCache), the
 * fitted columns (the same array for the same width) and two booleans, so React skips unchanged rows.
 */
export const Row = memo(function Row({ row, columns, selected, focused, theme }: RowProps) {
  if (row.kind === 'group') {
    return (
      <Text wrap="truncate-end" {...theme.heading}>
        {' '}
        {row.label}
      </Text>
    );
  }
  const highlight = selected && focused ? theme.selection : {};
  return (
    <Text wrap="truncate-end" {...(row.slot ? theme[row.slot] : {})} {...highlight}>
      {selected ? MARKER.selected : MARKER.none}
      {layoutCells(columns, (c) => cellText(row.cells[c.id], c.width)).map(({ col, text, gap }) => {
        const slot = row.cells[col.id]?.slot;
        return (
          <Fragment key={col.id}>
            <Text {...(slot ? theme[slot] : {})} {...highlight}>
              {text}
            </Text>
            {gap}
          </Fragment>
        );
      })}
    </Text>
  );
});

export function Header({ columns }: { readonly columns: readonly ColumnSpec[] }) {
  const theme = useTheme();
  return (
    <Text wrap="truncate-end" {...theme.muted} bold>
      {MARKER.none}
      {layoutLine(columns, (c) => c.header)}
    </Text>
  );
}

export function Table({ list, focused, height }: { readonly list: ListVM; readonly focused: boolean; readonly height: number }) {
  const theme = useTheme();
  return (
    <Box flexDirection="column" height={height} overflow="hidden">
      <Header columns={list.columns} />
      {list.rows.length === 0 && list.empty ? (
        <Text wrap="truncate-end" {...theme.muted}>
          {' '.repeat(COLUMN_GAP)}
          {list.empty}
        </Text>
      ) : (
        list.rows.map((r) => <Row key={r.id} row={r} columns={list.columns} selected={r.id === list.selectedId} focused={focused} theme={theme} />)
      )}
    </Box>
  );
}
