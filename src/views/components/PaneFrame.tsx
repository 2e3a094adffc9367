// A pane: a title line (number, name, facts; inverse and marked ▶ when focused) over its content, in a fixed box.
import { Box } from 'ink';
import { Text } from './Text.js';
import { memo, type ReactNode } from 'react';
import { useTheme } from '../context/theme.js';
import { renderPane } from '../panes/registry.js';
import type { PaneVM } from '../view-model.js';
import { ErrorBoundary } from './ErrorBoundary.js';
import { textWidth } from '../format.js';
import { fitInfo } from '../rows/common.js';

export function PaneFrame(props: {
  readonly title: string;
  readonly info: string;
  readonly focused: boolean;
  readonly width: number;
  readonly height: number;
  readonly children: ReactNode;
  /** Told when the pane's content throws (the pane itself shows the message in place). */
  readonly onError?: (pane: string, error: Error) => void;
}) {
  const theme = useTheme();
  return (
    <Box flexDirection="column" width={props.width} height={props.height} overflow="hidden">
      <Text wrap="truncate-end">
        <Text {...(props.focused ? theme['title.focused'] : theme.title)}>{`${props.title} `}</Text>
        {/* The facts fitted whole, never cut by the edge mid-number; a long title is still cut (it has no number). */}
        <Text {...theme.muted}>{` ${fitInfo(props.info, props.width - textWidth(props.title) - 2)}`}</Text>
      </Text>
      <ErrorBoundary name={props.title.replace(/^\W*\d+ /, '')} {...(props.onError ? { onError: props.onError } : {})}>
        <Box flexDirection="column" height={Math.max(0, props.height - 1)} overflow="hidden">
          {props.children}
        </Box>
      </ErrorBoundary>
    </Box>
  );
}

/**
 * A pane on screen, memoised: its view model is the same object while the pane's inputs are unchanged
 * (view-model.ts `memoPaneVM`), so a price tick re-renders Positions but not Orders or Executions.
 */
export const PaneSlot = memo(function PaneSlot(props: {
  readonly vm: PaneVM | undefined;
  readonly title: string;
  readonly focused: boolean;
  readonly width: number;
  readonly height: number;
  readonly onError?: (pane: string, error: Error) => void;
}) {
  const { vm, ...frame } = props;
  return (
    <PaneFrame {...frame} info={vm?.info ?? ''}>
      {vm ? renderPane(vm, props.focused, props.height - 1) : null}
    </PaneFrame>
  );
});
