// Stress pane: the scenario heat map with BREACH/WARN words, liquidation distances, and the P&L-vs-shock chart.
import { Box } from 'ink';
import { memo } from 'react';
import { Text } from '../components/Text.js';
import { Line } from '../components/Line.js';
import { Table } from '../components/Table.js';
import { useTheme } from '../context/theme.js';
import type { StressVM } from '../rows/stress.js';

/**
 * Memoised: its view model is kept while only the pane's "as of" age moves (registry.tsx `memoStressVM`), so a frozen
 * second re-renders the title line alone, not the table and chart under it.
 */
export const StressPane = memo(function StressPane({
  stress,
  focused,
  height,
}: {
  readonly stress: StressVM;
  readonly focused: boolean;
  readonly height: number;
}) {
  const theme = useTheme();
  const chartHeight = stress.chart ? stress.chart.lines.length + 1 : 0;
  const tableHeight = Math.max(1, height - 1 - chartHeight);
  return (
    <Box flexDirection="column" height={height} overflow="hidden">
      <Table list={stress.list} focused={focused} height={tableHeight} />
      {stress.distances.length > 0 ? (
        <Line cells={stress.distances.flatMap((c, i) => (i === 0 ? [c] : [{ text: i === 1 ? ' ' : ' · ', slot: 'muted' as const }, c]))} />
      ) : null}
      {stress.chart ? (
        <Box flexDirection="column">
          <Text wrap="truncate-end" {...theme.heading}>
            {stress.chart.title}
          </Text>
          {stress.chart.lines.map((cells, i) => (
            <Line key={i} cells={cells} />
          ))}
        </Box>
      ) : null}
    </Box>
  );
});
