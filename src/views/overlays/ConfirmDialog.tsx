// The one dialog host: a boxed question whose safe answer is the default; keys it does not handle are swallowed.
import { Box } from 'ink';
import { Text } from '../components/Text.js';
import { Line } from '../components/Line.js';
import { useTheme } from '../context/theme.js';
import type { ViewModel } from '../view-model.js';

/**
 * `note`: a line that arrives after the dialog opened (IBKR's what-if margin for a flatten plan). It takes the place
 * of the blank line above the answer keys, so the dialog keeps its height and the keys stay on screen.
 */
export function ConfirmDialog({
  dialog,
  height,
  note,
}: {
  readonly dialog: NonNullable<ViewModel['dialog']>;
  readonly height: number;
  readonly note?: string | undefined;
}) {
  const theme = useTheme();
  let lines = dialog.lines;
  if (note) {
    const blank = lines.map((c) => c.text).lastIndexOf('');
    lines = blank >= 0 ? [...lines.slice(0, blank), { text: note }, ...lines.slice(blank + 1)] : [...lines, { text: note }];
  }
  return (
    <Box height={height} flexDirection="column" justifyContent="center" alignItems="center">
      <Box borderStyle="double" flexDirection="column" paddingX={2} {...(theme['dialog.danger'].color ? { borderColor: theme['dialog.danger'].color } : {})}>
        <Text {...theme['dialog.danger']}>{dialog.title}</Text>
        {lines.map((c, i) => (
          // An empty Text has no height in Ink: a blank separator line needs a space to take its row.
          <Line key={i} cells={[c.text === '' ? { ...c, text: ' ' } : c]} />
        ))}
      </Box>
    </Box>
  );
}
