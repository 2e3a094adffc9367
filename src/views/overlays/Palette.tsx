// The command palette: a ":" line and the matching commands (dangerous and rare ones live here), disabled ones dimmed.
import { Box } from 'ink';
import { Text } from '../components/Text.js';
import { useTheme } from '../context/theme.js';
import { count, pad } from '../format.js';
import type { ViewModel } from '../view-model.js';

export function Palette({ palette }: { readonly palette: NonNullable<ViewModel['palette']> }) {
  const theme = useTheme();
  const shown = palette.rows - 1;
  const index = Math.min(palette.index, Math.max(0, palette.items.length - 1));
  const first = Math.max(0, Math.min(index - shown + 1, palette.items.length - shown));
  const items = palette.items.slice(first, first + shown);
  return (
    <Box flexDirection="column" height={palette.rows} overflow="hidden">
      <Text wrap="truncate-end">
        <Text {...theme.key}>:</Text>
        {palette.text}
        <Text {...theme.muted}>▏</Text>
        {palette.error ? (
          <Text {...theme.flash}>{`  ${palette.error}`}</Text>
        ) : (
          <Text {...theme.muted}>{palette.items.length === 0 ? '  no command matches' : `  ${count(palette.items.length, 'command')} · ${palette.hint}`}</Text>
        )}
      </Text>
      {items.map((it, i) => {
        const selected = first + i === index;
        return (
          <Text key={it.command} wrap="truncate-end" {...(it.disabled ? theme.disabled : {})} {...(selected ? theme.selection : {})}>
            {selected ? '›' : ' '}
            {pad(`${it.command}${it.args ? ` ${it.args}` : ''}`, 28)}
            {pad(it.keys, 12)}
            {it.disabled ? `(${it.disabled}) ` : ''}
            {it.description}
          </Text>
        );
      })}
    </Box>
  );
}
