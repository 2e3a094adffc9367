// The help overlay for the focused pane, generated from the binding table; unavailable commands are dimmed with why.
import { Box } from 'ink';
import { Text } from '../components/Text.js';
import { useTheme } from '../context/theme.js';
import { pad, textWidth } from '../format.js';
import { HELP_KEYS_WIDTH, type ViewModel } from '../view-model.js';

export function HelpOverlay({ help, height }: { readonly help: NonNullable<ViewModel['help']>; readonly height: number }) {
  const theme = useTheme();
  const visible = help.lines.slice(help.top, help.top + Math.max(1, height - 1));
  return (
    <Box flexDirection="column" height={height} overflow="hidden">
      <Text wrap="truncate-end" {...theme['title.focused']}>
        {` ${help.title}${help.more ? ` · ${help.more}` : ''} `}
      </Text>
      {visible.map((l, i) =>
        l.heading ? (
          <Text key={i} wrap="truncate-end" {...theme.heading}>
            {l.text}
          </Text>
        ) : (
          <Text key={i} wrap="truncate-end" {...(l.disabled ? theme.disabled : {})}>
            <Text {...(l.disabled ? {} : theme.key)}>{pad(`  ${l.keys}`, HELP_KEYS_WIDTH)}</Text>
            {l.disabled ? (l.continued ? ' '.repeat(textWidth(`(${l.disabled}) `)) : `(${l.disabled}) `) : ''}
            {l.text}
          </Text>
        ),
      )}
    </Box>
  );
}
