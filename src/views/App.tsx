// The console's root component: reads the store, keeps the UI state, dispatches keys, lays the panes out.
import { Box, useApp, useWindowSize } from 'ink';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { COMMANDS, commandEnabled, keyTable, type Bindings, type CommandId, type PaneId } from '../keymap/bindings.js';
import { Line } from './components/Line.js';
import { PaneSlot } from './components/PaneFrame.js';
import { StatusBar } from './components/StatusBar.js';
import { TabBar } from './components/TabBar.js';
import { ThemeProvider } from './context/theme.js';
import { routeKey } from './dispatch.js';
import { useConsoleSnapshot } from './hooks/use-console-snapshot.js';
import { useKeyQueue } from './hooks/use-key-queue.js';
import { ConfirmDialog } from './overlays/ConfirmDialog.js';
import { HelpOverlay } from './overlays/HelpOverlay.js';
import { Palette } from './overlays/Palette.js';
import { armedUntil, type ConsoleMode, type TradingMode } from './rows/status.js';
import type { ConsoleStore } from './store.js';
import { themeFor, type ColorDepth, type ThemeName } from './theme.js';
import { initialUi, reduceUi, type ListContext, type UiAction, type UiState } from './ui-state.js';
import { buildViewModel, completePalette, paletteItems, resolvePalette, type ViewModel } from './view-model.js';
import type { PreviewPlan, TradeTarget, TradingActions } from './trading-actions.js';
import { parseSpeed, type ReplayControls } from '../streams/replay/player.js';
import { parseAt } from '../streams/replay/state-at.js';
import { setScreenMasked } from './format.js';

export type { TradeTarget } from './trading-actions.js';

export interface AppProps {
  readonly store: Pick<ConsoleStore, 'subscribe' | 'getSnapshot' | 'toggleFreeze' | 'acknowledgeAlerts'>;
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
  readonly initialFocus?: PaneId;
  /** Called once when the operator quits, before Ink unmounts. */
  readonly onQuit?: () => void;
  /** Trading commands, when a trading mode is on and no `trade` actions are given (a hook for tests). */
  readonly onTrade?: (command: CommandId, target: TradeTarget) => void;
  /** The trading wiring (--trade): plans, arms, confirms and sends; the dialogs call it, never src/trading. */
  readonly trade?: TradingActions;
  /** The replay player (`tws-risk replay FILE`): the transport keys drive it. */
  readonly replay?: ReplayControls;
}

type TradeDialog = Extract<NonNullable<UiState['dialog']>, { kind: 'trade' }>;

function planDialog(p: PreviewPlan, error?: string): TradeDialog {
  return {
    kind: 'trade', phase: p.word ? 'word' : 'confirm', title: p.title, lines: p.lines, planId: p.id,
    ...(p.word ? { word: p.word, input: '' } : {}), ...(error ? { error } : {}),
  };
}

const NO_PROBLEMS: readonly string[] = [];



function listContext(vm: ViewModel, pane: PaneId): ListContext | undefined {
  const p = vm.panes[pane];
  if (!p) return undefined;
  if (p.kind === 'list') return p.list.context;
  if (p.kind === 'stress') return p.stress.list.context;
  if (p.kind === 'alerts') return p.alerts.list.context;
  return undefined;
}

function selectedId(vm: ViewModel, pane: PaneId): string | undefined {
  const p = vm.panes[pane];
  return p?.kind === 'list' ? p.list.selectedId : undefined;
}

export function App(props: AppProps) {
  const { store, bindings } = props;
  const snapshot = useConsoleSnapshot(store);
  const { columns, rows } = useWindowSize();
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
    theme: props.theme.name, maskAccount: props.maskAccount ?? false, ...(props.initialFocus ? { focus: props.initialFocus } : {}), replayInfo: props.replay !== undefined,
  });
  const [ui, setUi] = useState(uiRef.current);
  // Set while rendering, before Ink writes this frame: the terminal stream masks what every view draws.
  setScreenMasked(ui.maskAccount);
  /** Bumped whenever a dialog opens: keys typed before it was on screen must not answer it. */
  const dialogEpoch = useRef(0);
  const dispatch = useCallback((action: UiAction) => {
    if (action.type === 'openDialog') dialogEpoch.current++;
    uiRef.current = reduceUi(uiRef.current!, action);
    setUi(uiRef.current);
  }, []);
  const table = useMemo(() => keyTable(bindings), [bindings]);
  const problems = props.problems ?? NO_PROBLEMS;
  const vm = useMemo(
    () =>
      buildViewModel({
        snapshot, ui, size: { columns, rows }, mode: props.mode, trading: props.trading,
        ...(props.endpoint ? { endpoint: props.endpoint } : {}), bindings, problems,
      }),
    [snapshot, ui, columns, rows, props.mode, props.trading, props.endpoint, bindings, problems],
  );
  const theme = useMemo(
    () => themeFor(props.theme.noColor ? 'mono' : ui.theme, props.theme.depth),
    [props.theme.noColor, props.theme.depth, ui.theme],
  );

  // The dispatcher reads the newest view model and snapshot without re-subscribing to input on every frame.
  const latest = useRef({ vm, snapshot });
  latest.current = { vm, snapshot };
  const quitting = useRef(false);

  const quit = useCallback(() => {
    if (quitting.current) return;
    quitting.current = true;
    props.onQuit?.();
    exit();
  }, [exit, props]);

  const flash = useCallback((text: string) => dispatch({ type: 'flash', text, at: latest.current.snapshot.now }), [dispatch]);
  const paneFailed = useCallback((pane: string, e: Error) => flash(`${pane} failed: ${e.message}`), [flash]);

  const run = useCallback(
    (command: CommandId, arg?: string) => {
      const { vm: v, snapshot: s } = latest.current;
      const u = uiRef.current!;
      if (!commandEnabled(command, props.trading === 'trade', props.replay !== undefined)) {
        if (COMMANDS[command].needsReplay) flash(`Only in a replay (tws-risk replay FILE): ${COMMANDS[command].description}`);
        else if (props.mode === 'replay') flash(`A replay never trades: ${COMMANDS[command].description} does nothing here (the recording is read-only)`);
        else flash(`Needs --trade (this session is read-only): ${COMMANDS[command].description}`);
        return;
      }
      if (command.startsWith('replay.') && props.replay) {
        runReplay(props.replay, command, arg);
        return;
      }
      switch (command) {
        case 'app.quit':
          if (props.trading === 'trade' && armedUntil(s.live, s.now) !== undefined) dispatch({ type: 'openDialog', dialog: { kind: 'confirmQuit' } });
          else quit();
          return;
        case 'dialog.confirm':
          if (u.dialog?.kind === 'confirmQuit') quit();
          else if (u.dialog?.kind === 'trade' && u.dialog.phase === 'confirm') {
            // Nobody confirms orders they cannot see: a plan cut to fit the terminal must be read in full first.
            if (v.dialog?.hidden) flash(`${v.dialog.hidden} line(s) of this plan are not on screen; enlarge the terminal to read every order before confirming`);
            else confirmTrade(u.dialog);
          }
          return;
        case 'dialog.cancel':
          closeTradeDialog();
          return;
        case 'view.freeze':
          store.toggleFreeze();
          return;
        case 'view.redraw':
          // The same whole-screen repaint a resize gets (render-console.tsx), on demand.
          props.onResized?.();
          return;
        case 'alerts.ack': {
          const listed = s.alerts?.length ?? 0;
          const acked = store.acknowledgeAlerts().length;
          if (acked > 0) flash(`Acknowledged ${acked} alert${acked === 1 ? '' : 's'} (listed, marked ack, until the condition clears)`);
          else flash(listed === 0 ? 'Nothing to acknowledge: no alert is listed' : 'Nothing to acknowledge: every listed alert is already acknowledged');
          return;
        }
        case 'trade.arm':
        case 'trade.disarm':
        case 'trade.flatten':
        case 'trade.flattenScope':
        case 'trade.reduce':
        case 'trade.cancel':
        case 'trade.cancelAll':
        case 'trade.globalCancel': {
          const id = selectedId(v, u.focus);
          const target: TradeTarget = {
            ...(command === 'trade.flatten' && id !== undefined && u.focus === 'positions' ? { conId: Number(id) } : {}),
            ...(command === 'trade.cancel' && id !== undefined && u.focus === 'orders' ? { orderKey: id } : {}),
            ...(command === 'trade.reduce' ? { alerts: s.alerts ?? [] } : {}),
            ...(arg !== undefined ? { arg } : {}),
          };
          if (props.trade) {
            startTrade(props.trade, command, target);
            return;
          }
          if (!props.onTrade) {
            flash(`${COMMANDS[command].description}: trading is not wired into the console yet`);
            return;
          }
          props.onTrade(command, target);
          return;
        }
        case 'input.cancel':
          if (u.dialog?.kind === 'trade') {
            closeTradeDialog();
            return;
          }
          dispatch({ type: 'command', command });
          return;
        case 'input.complete': {
          if (u.overlay?.kind !== 'palette') return;
          const done = completePalette(u.overlay.text);
          if (done !== undefined && done !== u.overlay.text) dispatch({ type: 'paletteLine', text: done });
          else dispatch({ type: 'command', command: 'input.next' });
          return;
        }
        case 'input.next':
        case 'input.prev':
          if (u.dialog) return;
          dispatch({ type: 'command', command });
          return;
        case 'input.submit': {
          if (u.dialog?.kind === 'trade') {
            submitTradeText(u.dialog);
            return;
          }
          if (u.overlay?.kind === 'palette') {
            // Enter runs what the line names, or the suggestion the operator moved to; never the top match by itself.
            const items = paletteItems(bindings, props.trading === 'trade', u.overlay.text, props.replay !== undefined);
            const picked = u.overlay.picked ? items[Math.min(u.overlay.index, items.length - 1)] : undefined;
            const rest = u.overlay.text.trim().split(/\s+/).slice(1).join(' ');
            const r = resolvePalette(picked ? `${picked.command} ${rest}` : u.overlay.text);
            if (r.kind === 'run') {
              dispatch({ type: 'closeOverlay' });
              run(r.command, r.arg);
            } else if (r.kind === 'complete') dispatch({ type: 'paletteLine', text: r.text });
            else dispatch({ type: 'paletteLine', text: u.overlay.text, error: r.message });
            return;
          }
          dispatch({ type: 'command', command });
          return;
        }
        default: {
          // Rows as last rendered; not when focus moved since (a key typed ahead of the render), to never mix panes.
          const list = v.focus === u.focus ? listContext(v, u.focus) : undefined;
          const help = u.overlay?.kind === 'help' ? { rows: [], height: v.layout.bodyHeight, top: 0 } : undefined;
          dispatch({ type: 'command', command, ...(help ?? list ? { list: help ?? list } : {}), ...(arg !== undefined ? { arg } : {}) });
        }
      }
    },
    [flash, props, quit, store],
  );

  /** The player's transport commands; any of them closes the recording info that opens with the replay. */
  function runReplay(player: ReplayControls, command: CommandId, arg?: string): void {
    if (command === 'replay.info') {
      dispatch({ type: 'command', command });
      return;
    }
    if (uiRef.current!.overlay?.kind === 'replayInfo') dispatch({ type: 'closeOverlay' });
    const failed = (e: unknown) => flash(`Replay: ${(e as Error).message}`);
    switch (command) {
      case 'replay.pause': player.togglePause(); return;
      case 'replay.step': void player.step().catch(failed); return;
      case 'replay.faster': player.faster(); return;
      case 'replay.slower': player.slower(); return;
      case 'replay.start': void player.toStart().catch(failed); return;
      case 'replay.end': void player.toEnd().catch(failed); return;
      case 'replay.nextMarker':
      case 'replay.prevMarker':
        void (command === 'replay.nextMarker' ? player.nextMarker() : player.prevMarker()).then((m) => flash(m ? `Marker ${m.kind}: ${m.label}` : (player.status().message ?? 'no marker')), failed);
        return;
      case 'replay.speed': {
        if (arg === undefined) {
          dispatch({ type: 'command', command: 'palette.open', arg: 'replay.speed ' });
          return;
        }
        const s = parseSpeed(arg);
        if ('error' in s) flash(s.error);
        else player.setSpeed(s.speed);
        return;
      }
      case 'replay.goto': {
        if (arg === undefined) {
          dispatch({ type: 'command', command: 'palette.open', arg: 'goto ' });
          return;
        }
        const status = player.status();
        const t = parseAt(arg.trim(), status.header.startedAtMs);
        if (typeof t === 'string') {
          flash(t.replace('--at', 'goto'));
          return;
        }
        if (t < status.firstAt || (status.lastAt !== undefined && t > status.lastAt)) flash(`goto ${arg.trim()}: outside the recording; going to the nearest end`);
        void player.seekTo({ atMs: t }).catch(failed);
        return;
      }
      default:
        return;
    }
  }

  /** Opens the dialog a trading command asks for: arming, or the locked plan of a flatten or cancel. */
  function startTrade(actions: TradingActions, command: CommandId, target: TradeTarget): void {
    if (command === 'trade.arm') {
      if (target.arg !== undefined) {
        flash(actions.arm(target.arg).message);
        return;
      }
      const account = actions.account();
      const minutes = actions.armMinutes();
      dispatch({
        type: 'openDialog',
        dialog: { kind: 'trade', phase: 'arm', title: 'Arm trading', input: '', lines: [`Account ${account ?? '(not known yet)'}`, `Arming allows sending orders from this console for ${minutes} minute${minutes === 1 ? '' : 's'}.`] },
      });
      return;
    }
    if (command === 'trade.disarm') {
      actions.disarm();
      flash('Trading disarmed');
      return;
    }
    const plan = actions.preview(command, target);
    if (typeof plan === 'string') flash(plan);
    else dispatch({ type: 'openDialog', dialog: planDialog(plan) });
  }

  function submitTradeText(d: TradeDialog): void {
    const actions = props.trade;
    if (!actions) return;
    const typed = d.input ?? '';
    if (d.phase === 'arm') {
      const r = actions.arm(typed);
      if (r.ok) {
        dispatch({ type: 'closeDialog' });
        flash(r.message);
      } else dispatch({ type: 'openDialog', dialog: { ...d, input: '', error: typed === '' ? `Nothing typed; ${r.message}` : `You typed "${typed}"; ${r.message}` } });
      return;
    }
    if (d.phase === 'word') {
      const word = d.word ?? '';
      if (typed.trim() === word) {
        const { input: _typed, error: _error, ...rest } = d;
        dispatch({ type: 'openDialog', dialog: { ...rest, phase: 'confirm' } });
        return;
      }
      // Say what was wrong: a lower-case word is the usual slip, and it is refused on purpose.
      const why = typed.trim() === ''
        ? 'Nothing typed'
        : typed.trim().toUpperCase() === word
          ? `"${typed.trim()}" is not in capitals`
          : `"${typed.trim()}" is not ${word}`;
      dispatch({ type: 'openDialog', dialog: { ...d, input: '', error: `${why}; type ${word} exactly, in capitals, to continue` } });
    }
  }

  function closeTradeDialog(): void {
    const d = uiRef.current!.dialog;
    // Orders on the way cannot be called back by closing the dialog: it stays until the outcome is known.
    if (d?.kind === 'trade' && d.phase === 'sending') return;
    if (d?.kind === 'trade' && d.planId !== undefined && (d.phase === 'confirm' || d.phase === 'word')) props.trade?.decline(d.planId);
    dispatch({ type: 'closeDialog' });
  }

  /** One dialog, one send: the phase leaves 'confirm' before anything else happens, so a repeated key finds nothing. */
  function confirmTrade(d: TradeDialog): void {
    const actions = props.trade;
    if (!actions || d.planId === undefined) return;
    const planId = d.planId;
    const sending: TradeDialog = { ...d, phase: 'sending' };
    dispatch({ type: 'openDialog', dialog: sending });
    const current = () => {
      const now = uiRef.current!.dialog;
      return now?.kind === 'trade' && now.planId === planId ? now : undefined;
    };
    void actions
      .confirm(planId, (p) => {
        const now = current();
        if (now && now.phase === 'sending') dispatch({ type: 'updateDialog', dialog: { ...now, lines: [...d.lines, '', ...p.rows.map((r) => `${r.label}: ${r.status}`)] } });
      })
      .then(
        (o) => {
          if (o.kind === 'refused') {
            dispatch({ type: 'openDialog', dialog: o.replan ? planDialog(o.replan, o.message) : { ...d, phase: 'done', error: o.message } });
            return;
          }
          dispatch({ type: 'openDialog', dialog: { kind: 'trade', phase: 'done', title: `${d.title.replace(/\?$/, '')}: sent`, lines: o.lines } });
        },
        (e: unknown) => dispatch({ type: 'openDialog', dialog: { ...d, phase: 'done', error: `Sending failed: ${(e as Error).message}` } }),
      );
  }

  const handle = useCallback(
    (key: string | undefined, text: string | undefined) => {
      const route = routeKey(uiRef.current!, table, key, text, props.replay !== undefined);
      if (route.kind === 'command') run(route.command);
      else if (route.kind === 'text') dispatch({ type: 'text', text: route.text });
    },
    [run, table, props.replay],
  );

  const keyQueue = useMemo(
    () => ({
      dialogOpen: () => uiRef.current!.dialog !== undefined,
      dialogTakesText: () => { const d = uiRef.current!.dialog; return d?.kind === 'trade' && d.input !== undefined; },
      dialogEpoch: () => dialogEpoch.current, stopped: () => quitting.current }),
    [],
  );
  useKeyQueue(handle, keyQueue);

  const { layout } = vm;
  return (
    <ThemeProvider theme={theme}>
      <Box flexDirection="column" width={columns} height={rows} overflow="hidden">
        <StatusBar cells={vm.status} />
        <StatusBar cells={vm.figures} />
        {vm.replayBar ? <StatusBar cells={vm.replayBar} /> : null}
        {layout.showTabs ? <TabBar tabs={vm.tabs} /> : null}
        <Box height={layout.bodyHeight} overflow="hidden" flexDirection="row">
          {vm.dialog ? (
            <ConfirmDialog dialog={vm.dialog} height={layout.bodyHeight} note={ui.dialog?.kind === 'trade' && ui.dialog.planId !== undefined && (ui.dialog.phase === 'confirm' || ui.dialog.phase === 'word') ? props.trade?.whatIf?.(ui.dialog.planId) : undefined} />
          ) : vm.help ? (
            <HelpOverlay help={vm.help} height={layout.bodyHeight} />
          ) : (
            layout.body.map((col, i) => (
              <Box key={i} flexDirection="column" width={col.width} marginLeft={i > 0 ? 1 : 0}>
                {col.panes.map((box) => (
                  <PaneSlot
                    key={box.pane} vm={vm.panes[box.pane]} title={vm.titles[box.pane]} focused={box.pane === vm.focus}
                    width={box.width} height={box.height} onError={paneFailed}
                  />
                ))}
              </Box>
            ))
          )}
        </Box>
        {vm.palette ? <Palette palette={vm.palette} /> : null}
        <Line cells={vm.hint} />
      </Box>
    </ThemeProvider>
  );
}
