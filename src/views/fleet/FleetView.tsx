// The interactive fleet view: the fleet table redrawn as summaries arrive, a row selected, Enter opens that account.
import { Box, render, useApp, type Instance } from 'ink';
import { Text } from '../components/Text.js';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { DEFAULT_BINDINGS, keyTable, resolveKey, type Bindings } from '../../keymap/bindings.js';
import { keyLabel } from '../../keymap/keys.js';
import { neutralise } from '../../model/text.js';
import { useKeyQueue } from '../hooks/use-key-queue.js';

/*
 * It draws lines the command built (src/commands/fleet.ts fleetText): the views own no NATS and no fleet types. Every
 * string came from a publisher's summary, so it is neutralised before it reaches the terminal.
 */

export interface FleetTable {
  /** The header line, then one line per row, riskiest first. */
  readonly lines: readonly string[];
  /** One key per row (what Enter hands back), in the same order. */
  readonly keys: readonly string[];
  /** Something to say under the table (a read failure), if any. */
  readonly problem?: string;
}

export interface FleetViewProps {
  readonly title: string;
  readonly load: () => Promise<FleetTable>;
  readonly everyMs: number;
  /** Enter on a row: the view closes and the caller opens that account. */
  readonly onOpen: (key: string) => void;
  readonly onQuit: () => void;
  /** The keymap (the console's, user overrides included); the defaults when absent. */
  readonly bindings?: Bindings;
}

export function FleetView(p: FleetViewProps) {
  const { exit } = useApp();
  const [table, setTable] = useState<FleetTable>({ lines: ['reading the stream...'], keys: [] });
  const [sel, setSel] = useState<string | undefined>(undefined);
  useEffect(() => {
    let alive = true;
    const tick = () =>
      void p.load().then(
        (t) => alive && setTable(t),
        (e: unknown) => alive && setTable((old) => ({ ...old, problem: (e as Error).message })),
      );
    tick();
    const timer = setInterval(tick, p.everyMs);
    return () => {
      alive = false;
      clearInterval(timer);
    };
  }, [p]);
  const index = Math.max(0, sel === undefined ? 0 : table.keys.indexOf(sel));
  const bindings = p.bindings ?? DEFAULT_BINDINGS;
  const keys = useMemo(() => keyTable(bindings), [bindings]);
  // The console's keymap, as commands: the views compare no keys (STYLE.md "Match commands, not keys").
  const latest = useRef({ table, index });
  latest.current = { table, index };
  const handle = useCallback(
    (key: string | undefined) => {
      if (key === undefined) return;
      const { table: t, index: i } = latest.current;
      // As in a list pane: the navigation and Enter (row.detail) keys, and quit; the close keys of a view close it too.
      const command = resolveKey(keys, key, ['pane', 'global']) ?? (bindings['dialog.cancel'].includes(key) ? 'dialog.cancel' : undefined);
      const move = (d: number) => setSel(t.keys[Math.min(t.keys.length - 1, Math.max(0, i + d))]);
      if (command === 'nav.up') move(-1);
      else if (command === 'nav.down') move(1);
      else if (command === 'row.detail' && t.keys[i] !== undefined) {
        p.onOpen(t.keys[i]!);
        exit();
      } else if (command === 'app.quit' || command === 'dialog.cancel') {
        p.onQuit();
        exit();
      }
    },
    [keys, bindings, p, exit],
  );
  const stopped = useRef(false);
  useKeyQueue(
    handle,
    useMemo(() => ({ dialogOpen: () => false, dialogTakesText: () => false, dialogEpoch: () => 0, stopped: () => stopped.current }), []),
  );
  const label = (id: keyof Bindings) => (bindings[id][0] ? keyLabel(bindings[id][0]) : '?');
  const [head, ...rows] = table.lines;
  return (
    <Box flexDirection="column">
      <Text bold>{neutralise(p.title)}</Text>
      <Text
        dimColor
      >{`${label('nav.up')}/${label('nav.down')} select · ${label('row.detail')} follow the account live (read-only, from the stream) · ${label('app.quit')} quit`}</Text>
      <Text> </Text>
      <Text bold>{neutralise(head ?? '')}</Text>
      {rows.map((l, i) => (
        <Text key={table.keys[i] ?? i} inverse={i === index} wrap="truncate-end">
          {neutralise(l)}
        </Text>
      ))}
      {table.problem ? <Text color="red">{neutralise(table.problem)}</Text> : null}
    </Box>
  );
}

/** Runs the view until q (undefined) or Enter (the row's key). */
export async function runFleetView(
  props: Omit<FleetViewProps, 'onOpen' | 'onQuit'>,
  streams: { stdout?: NodeJS.WriteStream; stdin?: NodeJS.ReadStream } = {},
): Promise<string | undefined> {
  let chosen: string | undefined;
  const input = streams.stdin ?? process.stdin;
  const instance: Instance = render(<FleetView {...props} onOpen={(k) => (chosen = k)} onQuit={() => (chosen = undefined)} />, {
    stdout: streams.stdout ?? process.stdout,
    stdin: input,
    // As the console: interactive follows the terminal, not CI detection (under CI=true Ink would draw only at exit).
    interactive: Boolean((streams.stdout ?? process.stdout).isTTY),
    exitOnCtrlC: true,
    patchConsole: false,
  });
  // A signal (the terminal closed under it: SIGHUP; a kill: SIGTERM) ends the view as q does: nothing keeps running
  // on a terminal that is gone.
  const onSignal = () => {
    chosen = undefined;
    instance.unmount();
  };
  const signals = ['SIGHUP', 'SIGTERM', 'SIGINT'] as const;
  for (const sig of signals) process.on(sig, onSignal);
  try {
    await instance.waitUntilExit();
  } finally {
    for (const sig of signals) process.off(sig, onSignal);
    instance.cleanup();
  }
  return chosen;
}
