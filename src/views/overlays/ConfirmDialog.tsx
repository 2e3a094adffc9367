// The one dialog host: a boxed question (bare where the body is too short for its border) whose safe answer is the default; keys it does not handle are swallowed.
import { Box } from 'ink';
import { Text } from '../components/Text.js';
import { Line } from '../components/Line.js';
import { useTheme } from '../context/theme.js';
import type { ViewModel } from '../view-model.js';

export function ConfirmDialog({ dialog, height }: { readonly dialog: NonNullable<ViewModel['dialog']>; readonly height: number }) {
  const theme = useTheme();
  const lines = dialog.lines;
  return (
    <Box height={height} flexDirection="column" justifyContent="center" alignItems="center">
      {/* Never shrunk (shrunk lines are drawn over each other): the view model fits the lines to the body (dialogFrames). */}
      <Box
        flexDirection="column"
        flexShrink={0}
        {...(dialog.bare ? {} : { borderStyle: 'double', paddingX: 2, ...(theme['dialog.danger'].color ? { borderColor: theme['dialog.danger'].color } : {}) })}
      >
        <Text wrap="truncate-end" {...theme['dialog.danger']}>
          {dialog.title}
        </Text>
        {lines.map((c, i) => (
          // An empty Text has no height in Ink: a blank separator line needs a space to take its row.
          <Line key={i} cells={[c.text === '' ? { ...c, text: ' ' } : c]} />
        ))}
      </Box>
    </Box>
  );
}
