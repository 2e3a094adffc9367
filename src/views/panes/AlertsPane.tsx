// Alerts and log pane: current conditions first (each a word and a sentence), then the message log.
import { Box } from 'ink';
import { Line } from '../components/Line.js';
import { Table } from '../components/Table.js';
import type { AlertsVM } from '../rows/alerts.js';

export function AlertsPane({ alerts, focused, height }: { readonly alerts: AlertsVM; readonly focused: boolean; readonly height: number }) {
  return (
    <Box flexDirection="column" height={height} overflow="hidden">
      {alerts.alerts.map((c, i) => (
        <Line key={i} cells={[{ text: ' ' }, c]} />
      ))}
      <Table list={alerts.list} focused={focused} height={Math.max(1, height - alerts.alerts.length)} />
    </Box>
  );
}
