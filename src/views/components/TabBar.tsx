// The tab bar, shown while some panes are hidden: every pane with its digit, the focused one marked [like this].
import { Text } from './Text.js';
import type { PaneId } from '../../keymap/bindings.js';
import { useTheme } from '../context/theme.js';

export function TabBar({ tabs }: { readonly tabs: readonly { readonly pane: PaneId; readonly label: string; readonly focused: boolean }[] }) {
  const theme = useTheme();
  return (
    <Text wrap="truncate-end">
      {tabs.map((t) => (
        <Text key={t.pane} {...(t.focused ? theme['title.focused'] : theme.muted)}>
          {t.focused ? `[${t.label}]` : ` ${t.label} `}
        </Text>
      ))}
    </Text>
  );
}
