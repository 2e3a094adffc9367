// What the root error boundary shows when the console itself fails to render: the error, and the quit key still works.
import { Box, useApp } from 'ink';
import { Text } from './Text.js';
import { useCallback, useMemo, useRef } from 'react';
import { keyTable, resolveKey, type Bindings } from '../../keymap/bindings.js';
import { keyLabel } from '../../keymap/keys.js';
import { terminalSafe } from '../../model/text.js';
import { useKeyQueue } from '../hooks/use-key-queue.js';

/*
 * STYLE.md "A failing pane": a pane that throws is caught by its own boundary. This is the last one, for a failure
 * outside any pane (the view model, the status bar): the operator reads what failed instead of a blank or frozen
 * terminal, and the quit key (the keymap's, in the global scope) leaves as a normal quit does, onQuit first.
 */
export function ConsoleFailed({ error, bindings, onQuit }: { readonly error: Error; readonly bindings: Bindings; readonly onQuit?: () => void }) {
  const { exit } = useApp();
  const table = useMemo(() => keyTable(bindings), [bindings]);
  const quitting = useRef(false);
  const handle = useCallback(
    (key: string | undefined) => {
      if (quitting.current || key === undefined || resolveKey(table, key, ['global']) !== 'app.quit') return;
      quitting.current = true;
      onQuit?.();
      exit();
    },
    [table, onQuit, exit],
  );
  const keyQueue = useMemo(() => ({ dialogOpen: () => false, dialogTakesText: () => false, dialogEpoch: () => 0, stopped: () => quitting.current }), []);
  useKeyQueue(handle, keyQueue);
  const quitKey = bindings['app.quit'][0];
  return (
    <Box flexDirection="column">
      <Text bold>{`The console failed: ${terminalSafe(error.message)}`}</Text>
      <Text>{`The session (data, alerts, recording) keeps running until you quit. ${quitKey ? `Press ${keyLabel(quitKey)}` : 'Use the quit command'} to quit.`}</Text>
    </Box>
  );
}
