// The console's root component: reads the store, keeps the UI state, routes keys to the command handlers, lays out panes.
import { Box, useApp, useWindowSize } from 'ink';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { keyTable, type Bindings, type CommandId, type PaneId } from '../keymap/bindings.js';
import type { ReplayControls } from '../streams/replay/player.js';
import { runCommand, type CommandContext } from './commands/index.js';
import { planReady } from './commands/trading.js';
import { ConsoleFailed } from './components/ConsoleFailed.js';
import { DialogHost } from './components/DialogHost.js';
import { ErrorBoundary } from './components/ErrorBoundary.js';
import { Line } from './components/Line.js';
import { PaneSlot } from './components/PaneFrame.js';
import { ReplayStrip } from './components/ReplayStrip.js';
import { StatusBar } from './components/StatusBar.js';
import { TabBar } from './components/TabBar.js';
import { ThemeProvider } from './context/theme.js';
import { routeKey } from './dispatch.js';
import { setScreenMasked } from './format.js';
import { useConsoleSnapshot } from './hooks/use-console-snapshot.js';
import { useKeyQueue } from './hooks/use-key-queue.js';
import { useReadingTime } from './hooks/use-reading-time.js';
import { Palette } from './overlays/Palette.js';
import type { ConsoleMode, TradingMode } from './rows/status.js';
import type { ConsoleSnapshot, ConsoleStore } from './store.js';
import { themeFor, type ColorDepth, type ThemeName } from './theme.js';
import type { TradeTarget, TradingActions } from './trading-actions.js';
import { initialUi, reduceUi, type UiAction, type UiState } from './ui-state.js';
import { buildViewModel, sameView, type ViewModel } from './view-model.js';
import { sameRefs } from '../model/same-refs.js';

export type { TradeTarget } from './trading-actions.js';

export interface AppProps {
  readonly store: Pick<ConsoleStore, 'subscribe' | 'getSnapshot' | 'toggleFreeze' | 'acknowledgeAlerts'> & Partial<Pick<ConsoleStore, 'publishUrgent'>>;
  readonly mode: ConsoleMode;
  readonly trading: TradingMode;
  readonly endpoint?: { readonly host: string; readonly port: number };
  readonly bindings: Bindings;
  /** Settings and keymap problems, shown as alerts (the console runs on the defaults meanwhile). */
  readonly problems?: readonly string[];
  readonly theme: { readonly name: ThemeName; readonly depth: ColorDepth; readonly noColor: boolean };
  readonly maskAccount?: boolean;
  /**
   * Called once the console has rendered at a new terminal size (not on the first render): the terminal side
   * (render-console.tsx) then repaints the whole screen, because Ink's incremental renderer cannot erase a frame the
   * terminal has re-wrapped.
   */
  readonly onResized?: () => void;
  /**
   * Called after each key's effect is dispatched: the terminal side writes that frame now, not at the end of Ink's
   * frame throttle (render-console.tsx); resolves once it is written. Data frames keep their pacing.
   */
  readonly onKeyHandled?: () => Promise<void>;
  readonly initialFocus?: PaneId;
  /** Called once when the operator quits, before Ink unmounts. */
  readonly onQuit?: () => void;
  /** Trading commands, when a trading mode is on and no `trade` actions are given (a hook for tests). */
  readonly onTrade?: (command: CommandId, target: TradeTarget) => void;
  /** The trading wiring (--trade): plans, arms, confirms and sends; the dialogs call it, never src/trading. */
  readonly trade?: TradingActions;
  /** The replay player (`tws-risk replay FILE`): the transport keys drive it. */
  readonly replay?: ReplayControls;
  /** Several accounts followed (issue 20): the Accounts pane's Enter selects the account the other panes show. */
  readonly accounts?: { select(id: string): boolean };
}

const NO_PROBLEMS: readonly string[] = [];

/** IBKR's what-if margins of the plan on show, once TWS answered (issue 17 item 8). */
function whatIfFor(ui: UiState, props: AppProps): string | undefined {
  const d = ui.dialog;
  return d?.kind === 'trade' && d.planId !== undefined && (d.phase === 'confirm' || d.phase === 'word') ? props.trade?.whatIf?.(d.planId) : undefined;
}

/** The console under the root error boundary: a failure outside any pane shows what failed, and quit still works. */
export function App(props: AppProps) {
  const { bindings, onQuit } = props;
  const failed = useCallback((e: Error) => <ConsoleFailed error={e} bindings={bindings} {...(onQuit ? { onQuit } : {})} />, [bindings, onQuit]);
  return (
    <ErrorBoundary name="console" fallback={failed}>
      <Console {...props} />
    </ErrorBoundary>
  );
}

function Console(props: AppProps) {
  const { store, bindings } = props;
  const { columns, rows } = useWindowSize();
  // A publish that would draw the same screen is not rendered: the view model of the new snapshot, under the UI
  // state and size on screen, is compared with the one drawn. The one built here is kept for the render that follows.
  const built = useRef<{ key: readonly unknown[]; vm: ViewModel } | undefined>(undefined);
  const viewInput = (snap: ConsoleSnapshot, u: UiState, p: AppProps, size: { columns: number; rows: number }) => {
    // The what-if answer arrives after the dialog opened; the view model lays it out (wrapped, room kept for it).
    const whatIf = whatIfFor(u, p);
    return {
      key: [snap, u, size.columns, size.rows, p.mode, p.trading, p.endpoint, p.bindings, p.problems, whatIf] as const,
      build: () =>
        buildViewModel({
          snapshot: snap,
          ui: u,
          size,
          mode: p.mode,
          trading: p.trading,
          ...(p.endpoint ? { endpoint: p.endpoint } : {}),
          bindings: p.bindings,
          problems: p.problems ?? NO_PROBLEMS,
          ...(whatIf ? { whatIf } : {}),
        }),
    };
  };
  const sizeRef = useRef({ columns, rows });
  sizeRef.current = { columns, rows };
  const snapshot = useConsoleSnapshot(store, (next) => {
    const drawn = latest.current;
    const input = viewInput(next, uiRef.current!, drawn.props, sizeRef.current);
    let vm: ViewModel;
    try {
      vm = input.build();
    } catch {
      // Rendered, so the failure is met inside the error boundaries, where the operator sees it.
      return true;
    }
    built.current = { key: input.key, vm };
    // The what-if margins are in the view model: an answer that arrived is a change like any other.
    if (sameView(vm, drawn.vm)) {
      // Commands read the newest data even when nothing on screen changed.
      latest.current = { ...drawn, snapshot: next };
      return false;
    }
    return true;
  });
  const drawnSize = useRef<string | undefined>(undefined);
  const { onResized } = props;
  useEffect(() => {
    const size = `${columns}x${rows}`;
    if (drawnSize.current !== undefined && drawnSize.current !== size) onResized?.();
    drawnSize.current = size;
  }, [columns, rows, onResized]);
  const { exit } = useApp();
  // The UI state lives in a ref updated synchronously by the pure reducer, so the dispatcher routes each key on the
  // newest state even when React has not rendered the previous key yet; React state only triggers the render.
  const uiRef = useRef<UiState | undefined>(undefined);
  uiRef.current ??= initialUi({
    theme: props.theme.name,
    maskAccount: props.maskAccount ?? false,
    ...(props.initialFocus ? { focus: props.initialFocus } : {}),
    replayInfo: props.replay !== undefined,
    accountsPane: props.accounts !== undefined,
  });
  const [ui, setUi] = useState(uiRef.current);
  // Set while rendering, before Ink writes this frame: the terminal stream masks what every view draws.
  setScreenMasked(ui.maskAccount);
  /** Bumped whenever a dialog opens: keys typed before it was on screen must not answer it. */
  const dialogEpoch = useRef(0);
  const table = useMemo(() => keyTable(bindings), [bindings]);
  const vm = useMemo(() => {
    const input = viewInput(snapshot, ui, props, { columns, rows });
    const hit = built.current;
    return hit && sameRefs(hit.key, input.key) ? hit.vm : input.build();
    // eslint-disable-next-line react-hooks/exhaustive-deps -- viewInput reads exactly these
  }, [snapshot, ui, columns, rows, props.mode, props.trading, props.endpoint, bindings, props.problems]);
  const theme = useMemo(() => themeFor(props.theme.noColor ? 'mono' : ui.theme, props.theme.depth), [props.theme.noColor, props.theme.depth, ui.theme]);

  // The handlers read the newest view model, snapshot and props through this, without re-subscribing to input on
  // every frame (commands/context.ts).
  // `ui` is the UI state the drawn view model was built under (commands compare it with the newest, uiRef).
  const latest = useRef<{ vm: ViewModel; ui: UiState; snapshot: ConsoleSnapshot; props: AppProps }>({
    vm,
    ui,
    snapshot,
    props,
  });
  latest.current = { vm, ui, snapshot, props };
  const quitting = useRef(false);
  /** Work a key started that waits until the key's frame is written (CommandContext.afterFrame). */
  const afterFrame = useRef<(() => void)[]>([]);

  // One command context for the App's lifetime: everything it reads goes through a ref, so nothing in it goes stale.
  const ctx = useMemo((): CommandContext => {
    const dispatch = (action: UiAction) => {
      if (action.type === 'openDialog') dialogEpoch.current++;
      uiRef.current = reduceUi(uiRef.current!, action);
      setUi(uiRef.current);
    };
    const c: CommandContext = {
      ui: () => uiRef.current!,
      // Keys can come faster than frames (a burst, a loaded machine): a key after one that moved the selection or the
      // focus must act on the screen as it now is, not as last drawn, so the view model follows the newest UI state.
      vm: () => {
        const l = latest.current;
        if (l.ui === uiRef.current) return l.vm;
        const input = viewInput(l.snapshot, uiRef.current!, l.props, sizeRef.current);
        const vm = input.build();
        built.current = { key: input.key, vm };
        latest.current = { ...l, vm, ui: uiRef.current! };
        return vm;
      },
      snapshot: () => latest.current.snapshot,
      props: () => latest.current.props,
      dispatch,
      afterFrame: (fn) => afterFrame.current.push(fn),
      flash: (text) => dispatch({ type: 'flash', text, at: latest.current.snapshot.wall ?? latest.current.snapshot.now }),
      run: (command, arg) => runCommand(c, command, arg),
      quit: () => {
        if (quitting.current) return;
        quitting.current = true;
        latest.current.props.onQuit?.();
        exit();
      },
    };
    return c;
  }, [exit]);

  const paneFailed = useCallback((pane: string, e: Error) => ctx.flash(`${pane} failed: ${e.message}`), [ctx]);

  /*
   * A key's frame carries everything the key changed: an operator action it recorded (arming, disarming) reaches the
   * store as an immediate event, published here rather than at the store's next turn, so the status bar changes in
   * the same frame as the dialog closing (one frame, not two a throttle apart). Then the frame is written at once,
   * and only then does slow work the key started run (building a plan), so the key is seen to land first.
   */
  const settle = useCallback((more = false): void => {
    // A key with others queued behind it (a burst) draws no frame of its own: the burst's last key does, so a pasted
    // or typed-ahead line costs one frame, not one per character (on a loaded machine, seconds of frames).
    if (more && afterFrame.current.length === 0) return;
    const p = latest.current.props;
    p.store.publishUrgent?.();
    const written = p.onKeyHandled?.() ?? Promise.resolve();
    if (afterFrame.current.length === 0) return;
    const work = afterFrame.current.splice(0);
    void written.then(() =>
      setImmediate(() => {
        if (quitting.current) return;
        for (const fn of work) fn();
        settle();
      }),
    );
  }, []);

  const handle = useCallback(
    (key: string | undefined, text: string | undefined, more: boolean) => {
      const route = routeKey(uiRef.current!, table, key, text, latest.current.props.replay !== undefined);
      if (route.kind === 'command') ctx.run(route.command);
      else if (route.kind === 'text') ctx.dispatch({ type: 'text', text: route.text });
      settle(more);
    },
    [ctx, table, settle],
  );

  const keyQueue = useMemo(
    () => ({
      dialogOpen: () => uiRef.current!.dialog !== undefined,
      dialogTakesText: () => {
        const d = uiRef.current!.dialog;
        return d?.kind === 'trade' && d.input !== undefined;
      },
      dialogEpoch: () => dialogEpoch.current,
      lineOpen: () => {
        const k = uiRef.current!.overlay?.kind;
        return k === 'palette' || k === 'filter';
      },
      stopped: () => quitting.current,
    }),
    [],
  );
  useKeyQueue(handle, keyQueue);

  /*
   * A plan's reading time (docs/trading.md) runs from the first frame that shows it (every order on it, to confirm). A
   * resize that cuts an order, a new plan (TARGET_CHANGED, a stale mark), a send or a close takes it off screen: its
   * reading time starts again (useReadingTime).
   */
  // The bulk word is typed over a plan cut to fit (it sends nothing); the confirm key needs every order on screen.
  // Whole or cut is part of what is on screen: a word typed over a cut plan, then enlarged or unlocked into a confirm
  // step that shows every order, starts the reading time again rather than carrying the cut frame's time to the y.
  const open = ui.dialog;
  const planWhole = !vm.dialog?.hidden;
  const planOnScreen =
    open?.kind === 'trade' && open.planId !== undefined && (open.phase === 'word' || (open.phase === 'confirm' && planWhole)) ? open.planId : undefined;
  useReadingTime(planOnScreen, planWhole, {
    port: () => latest.current.props.trade,
    written: () => latest.current.props.onKeyHandled?.() ?? Promise.resolve(),
    ready: (planId, ready) => planReady(ctx, planId, ready),
  });

  const { layout } = vm;
  if (vm.compact) {
    // Status, figures, why, then the hint (from four rows; a flash's further lines under it, taking the rows of the why):
    // never more lines than the terminal has (vm.compact).
    const more = vm.hintMore ?? [];
    const hint = rows >= 4 || more.length > 0;
    const middle = vm.compact.slice(0, Math.max(0, rows - 2 - (hint ? 1 + more.length : 0)));
    return (
      <ThemeProvider theme={theme}>
        <Box flexDirection="column" width={columns} height={rows} overflow="hidden">
          <StatusBar cells={vm.status} />
          {rows >= 2 ? <StatusBar cells={vm.figures} /> : null}
          {middle.map((cells, i) => (
            <Line key={i} cells={cells} />
          ))}
          {hint ? (
            <Box flexGrow={1} flexDirection="column" justifyContent="flex-end">
              <Line cells={vm.hint} />
              {more.map((cells, i) => (
                <Line key={i} cells={cells} />
              ))}
            </Box>
          ) : null}
        </Box>
      </ThemeProvider>
    );
  }
  return (
    <ThemeProvider theme={theme}>
      <Box flexDirection="column" width={columns} height={rows} overflow="hidden">
        <StatusBar cells={vm.status} />
        <StatusBar cells={vm.figures} />
        {vm.replayBar ? <StatusBar cells={vm.replayBar} /> : null}
        {layout.showTabs ? <TabBar tabs={vm.tabs} /> : null}
        <Box height={layout.bodyHeight} overflow="hidden" flexDirection="row">
          <DialogHost vm={vm} height={layout.bodyHeight}>
            {layout.body.map((col, i) => (
              <Box key={i} flexDirection="column" width={col.width} marginLeft={i > 0 ? 1 : 0}>
                {col.panes.map((box) => (
                  <PaneSlot
                    key={box.pane}
                    vm={vm.panes[box.pane]}
                    title={vm.titles[box.pane]}
                    focused={box.pane === vm.focus}
                    width={box.width}
                    height={box.height}
                    onError={paneFailed}
                  />
                ))}
              </Box>
            ))}
          </DialogHost>
        </Box>
        {vm.replayStrip ? <ReplayStrip strip={vm.replayStrip} /> : null}
        {vm.palette ? <Palette palette={vm.palette} /> : null}
        <Line cells={vm.hint} />
        {vm.hintMore?.map((cells, i) => (
          <Line key={i} cells={cells} />
        ))}
      </Box>
    </ThemeProvider>
  );
}
