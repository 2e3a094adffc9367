// A replayed trading dialog as a strip under the panes: what the operator was asked, without hiding what they saw.
import { Box } from 'ink';
import { Text } from './Text.js';
import { useTheme } from '../context/theme.js';
import type { ViewModel } from '../view-model.js';
import { Line } from './Line.js';

export function ReplayStrip({ strip }: { readonly strip: NonNullable<ViewModel['replayStrip']> }) {
  const theme = useTheme();
  return (
    <Box
      height={strip.height}
      borderStyle="single"
      flexDirection="column"
      paddingX={1}
      overflow="hidden"
      {...(theme['dialog.danger'].color ? { borderColor: theme['dialog.danger'].color } : {})}
    >
      <Text wrap="truncate-end" {...theme['dialog.danger']}>
        {strip.title}
      </Text>
      {strip.lines.map((c, i) => (
        <Line key={i} cells={[c.text === '' ? { ...c, text: ' ' } : c]} />
      ))}
    </Box>
  );
}
