// The detail view: a row in full over the panes' body, wrapped by the view model, scrolled by the list keys.
import { Box } from 'ink';
import { Text } from '../components/Text.js';
import { Line } from '../components/Line.js';
import { useTheme } from '../context/theme.js';
import type { ViewModel } from '../view-model.js';

export function DetailView({ dialog, height }: { readonly dialog: NonNullable<ViewModel['dialog']>; readonly height: number }) {
  const theme = useTheme();
  return (
    <Box height={height} flexDirection="column" flexGrow={1} borderStyle="single" paddingX={1} overflow="hidden">
      <Text wrap="truncate-end" {...theme['title.focused']}>
        {dialog.title}
      </Text>
      {dialog.lines.map((c, i) => (
        // An empty Text has no height in Ink: a blank separator line needs a space to take its row.
        <Line key={i} cells={[c.text === '' ? { ...c, text: ' ' } : c]} />
      ))}
    </Box>
  );
}
