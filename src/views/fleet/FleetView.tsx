// The interactive fleet view: the fleet table redrawn as summaries arrive, a row selected, Enter opens that account.
import { Box, render, useApp, useWindowSize, type Instance } from 'ink';
import { ellipsis, fitColumns, layoutLine, setAsciiText, textWidth, wordCut, type ColumnSpec } from '../format.js';
import { Text } from '../components/Text.js';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { DEFAULT_BINDINGS, keyTable, resolveKey, type Bindings } from '../../keymap/bindings.js';
import { keyLabel } from '../../keymap/keys.js';
import { neutralise } from '../../model/text.js';
import { useKeyQueue } from '../hooks/use-key-queue.js';
import { useReadingTime } from '../hooks/use-reading-time.js';
import { maskingStream } from '../render-console.js';

/*
 * It draws lines the command built (src/commands/fleet.ts fleetText): the views own no NATS and no fleet types. Every
 * string came from a publisher's summary, so it is neutralised before it reaches the terminal.
 */

export interface FleetTable {
  /** The header line, then one line per row, riskiest first. */
  readonly lines: readonly string[];
  /**
   * The same table as columns, drawn fitted to the terminal in place of `lines` (fitColumns: the highest priority
   * numbers go first, never a cell cut; the flexible column, a name, takes what is left, cut between words).
   */
  readonly columns?: { readonly specs: readonly ColumnSpec[]; readonly rows: readonly (readonly string[])[] };
  /** One key per row (what Enter hands back), in the same order. */
  readonly keys: readonly string[];
  /** Per row, in the same order: a guard that listens for remote commands, and the rules it would run. */
  readonly targets?: readonly (RemoteTarget | undefined)[];
  /** Per row without a target: why it cannot be asked (a console's row, a silent guard...). */
  readonly notOffered?: readonly (string | undefined)[];
  /** Something to say under the table (a read failure), if any. */
  readonly problem?: string;
  /** Said above the table, in red: the rows are not current (NATS disconnected, the stream unreadable). */
  readonly banner?: string;
  /** When the read behind it finished (the view's clock): a request is only sent from a recent one. */
  readonly readAt?: number;
}

/** An account's guard that answers remote commands, as its last summary describes it. */
export interface RemoteTarget {
  readonly account: string;
  readonly host: string;
  readonly session: string;
  /** The guard's own mode: a read-only guard answers with the plan it would send (a dry run). */
  readonly guardMode: 'trade' | 'readOnly';
  readonly rules: readonly { readonly name: string; readonly action: string }[];
}

export interface RemoteOutcome {
  /** The guard's outcome (done, failed, refused, nothingToDo, dryRun), or refused/unknown when it did not answer. */
  readonly outcome: string;
  readonly lines: readonly string[];
}

/** The remote kill switch (src/commands/fleet-remote.ts): present only with `fleet --trade`. */
export interface RemoteControl {
  readonly armMinutes: number;
  /** How long the confirmation is on screen before its key asks (the settings' `trading.confirmReadMs`). */
  readonly readMs: number;
  /**
   * The frame showing confirmation `id` whole was written: its reading time runs (src/trading/reading-time.ts, the
   * console's rule, on a monotonic clock) and `ready` is called once it passed; the returned function takes it off screen.
   */
  onScreen(id: string, ready: () => void): () => void;
  /** Milliseconds until confirmation `id` may ask: 0 once read, Infinity while it is not on screen whole. */
  readyIn(id: string): number;
  /**
   * A confirm key before the reading time: nothing is asked; the operator's audit log says so. Returns how long `id`
   * had been on screen whole (null: it was not).
   */
  tooSoon(target: RemoteTarget, rule: string, id: string): number | null;
  readonly timeoutS: number;
  now(): number;
  armed(): { readonly account: string; readonly until: number } | undefined;
  arm(account: string, typed: string): { readonly ok: true; readonly until: number } | { readonly ok: false; readonly message: string };
  disarm(): void;
  /**
   * Asks the target's guard (that host and session only) to run its rule at `index`, as listed in `target.rules`, as
   * confirmed in confirmation `id`: nothing is asked before that confirmation's reading time passed (the rule is the port's).
   */
  send(target: RemoteTarget, index: number, id: string): Promise<RemoteOutcome>;
  /** Requests sent and not yet answered. */
  inFlight(): number;
}

/*
 * The remote command dialog follows the console's trading dialogs (DESIGN.md "Safety"): its target is locked when it
 * opens; arming is typed (the account's last four characters) and holds for that account only; the rule is chosen,
 * then confirmed in a dialog of its own by a key that is neither Enter nor the one that opened it (keys typed before
 * it opened are dropped by the key queue, a pasted y answers nothing); a guard whose session or rules changed since
 * the dialog opened is not asked.
 */
type Dialog =
  | { readonly phase: 'arm'; readonly target: RemoteTarget; readonly typed: string; readonly problem?: string }
  | { readonly phase: 'pick'; readonly target: RemoteTarget; readonly index: number }
  | {
      readonly phase: 'confirm';
      readonly target: RemoteTarget;
      readonly index: number;
      readonly rule: string;
      readonly action: string;
      /** This confirmation (its reading time's key), whether that time has passed, and a too-early key's note. */
      readonly id: string;
      readonly ready?: boolean;
      readonly early?: string;
    }
  | { readonly phase: 'sending'; readonly target: RemoteTarget; readonly rule: string }
  | { readonly phase: 'result'; readonly target: RemoteTarget; readonly rule: string; readonly outcome: RemoteOutcome };

const sameTarget = (a: RemoteTarget, b: RemoteTarget | undefined) =>
  b !== undefined &&
  a.account === b.account &&
  a.host === b.host &&
  a.session === b.session &&
  a.guardMode === b.guardMode &&
  a.rules.length === b.rules.length &&
  a.rules.every((r, i) => r.name === b.rules[i]!.name && r.action === b.rules[i]!.action);

const clockText = (ms: number) => new Date(ms).toISOString().slice(11, 19);

export interface FleetViewProps {
  readonly title: string;
  readonly load: () => Promise<FleetTable>;
  readonly everyMs: number;
  /** Enter on a row: the view closes and the caller opens that account. */
  readonly onOpen: (key: string) => void;
  readonly onQuit: () => void;
  /** The keymap (the console's, user overrides included); the defaults when absent. */
  readonly bindings?: Bindings;
  /** `fleet --trade`: the remote kill switch; without it the view is read-only and says so. */
  readonly remote?: RemoteControl;
  /** An ASCII-only terminal (theme.ts asciiOnly): key labels in words; the stream swaps the other glyphs. */
  readonly ascii?: boolean;
  /** Resolves once the frame just committed is written (runFleetView: Ink's render flush); the reading time starts then. */
  readonly written?: () => Promise<void>;
}

export function FleetView(p: FleetViewProps) {
  const { exit } = useApp();
  const [table, setTable] = useState<FleetTable>({ lines: ['reading the stream...'], keys: [] });
  const [sel, setSel] = useState<string | undefined>(undefined);
  useEffect(() => {
    let alive = true;
    // Reads overlap on a slow server: an older read finishing last never replaces a newer table.
    let started = 0;
    let applied = 0;
    const tick = () => {
      const n = ++started;
      void p.load().then(
        (t) => {
          if (!alive || n < applied) return;
          applied = n;
          setTable({ ...t, ...(p.remote ? { readAt: p.remote.now() } : {}) });
        },
        (e: unknown) => {
          if (!alive || n < applied) return;
          applied = n;
          // The rows stay for reading, but nothing can be asked from a table that could not be read again.
          setTable((old) => ({ lines: old.lines, keys: old.keys, problem: (e as Error).message }));
        },
      );
    };
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
  const [dialog, setDialogState] = useState<Dialog | undefined>(undefined);
  const [flash, setFlash] = useState<string | undefined>(undefined);
  const [, setTick] = useState(0);
  // Every dialog opened (each phase is one) takes a new epoch: keys queued under the last one answer nothing here.
  const epoch = useRef(0);
  // Each confirmation opened takes a new id: its reading time is its own.
  const confirms = useRef(0);
  const dialogRef = useRef<Dialog | undefined>(undefined);
  const setDialog = useCallback((d: Dialog | undefined) => {
    if (d === undefined || dialogRef.current?.phase !== d.phase) epoch.current++;
    dialogRef.current = d;
    setDialogState(d);
  }, []);
  const armed = p.remote?.armed();
  // The arming's expiry shows as it comes: a second's redraw while armed.
  useEffect(() => {
    if (!armed) return;
    const t = setInterval(() => setTick((n) => n + 1), 1_000);
    return () => clearInterval(t);
  }, [armed]);
  // The console's keymap, as commands: the views compare no keys (STYLE.md "Match commands, not keys").
  const latest = useRef({ table, index });
  latest.current = { table, index };
  const label = useCallback((id: keyof Bindings) => (bindings[id][0] ? keyLabel(bindings[id][0], p.ascii) : '?'), [bindings, p.ascii]);
  const send = useCallback(
    (d: Extract<Dialog, { phase: 'confirm' }>) => {
      const remote = p.remote;
      if (!remote) return;
      // The guard asked is the one the dialog was opened on: another session or other rules now, and nothing is asked.
      const { table: t } = latest.current;
      const now = t.targets?.find((x) => x?.account === d.target.account && x.host === d.target.host);
      if (t.readAt === undefined || remote.now() - t.readAt > 3 * p.everyMs) {
        setDialog(undefined);
        setFlash(
          `Not sent: the fleet table has not been read again for ${t.readAt === undefined ? 'a while' : `${Math.round((remote.now() - t.readAt) / 1000)} s`}; the guard's state is not known`,
        );
        return;
      }
      if (!sameTarget(d.target, now)) {
        setDialog(undefined);
        setFlash(`Not sent: the guard of ${d.target.account} on ${d.target.host} changed since the dialog opened (a restart or a new policy); open it again`);
        return;
      }
      setDialog({ phase: 'sending', target: d.target, rule: d.rule });
      void remote.send(d.target, d.index, d.id).then(
        (outcome) => {
          if (dialogRef.current?.phase === 'sending' && dialogRef.current.target === d.target)
            setDialog({ phase: 'result', target: d.target, rule: d.rule, outcome });
          else setFlash(outcome.lines.join(' · '));
        },
        (e: unknown) => setFlash(`The request failed: ${(e as Error).message}`),
      );
    },
    [p.remote, p.everyMs, setDialog],
  );
  const openRemote = useCallback(() => {
    const { table: t, index: i } = latest.current;
    if (!p.remote) {
      setFlash(`Read-only: start tws-risk fleet --trade (with an operator credential) to ask a guard for one of its actions`);
      return;
    }
    if (t.keys[i] === undefined) return;
    const target = t.targets?.[i];
    if (!target || target.rules.length === 0) {
      setFlash(t.notOffered?.[i] ?? `That row is not a guard that listens for commands (a console, a report, or a guard without --publish): nothing to ask`);
      return;
    }
    setFlash(undefined);
    const a = p.remote.armed();
    if (a && a.account === target.account) setDialog({ phase: 'pick', target, index: 0 });
    else setDialog({ phase: 'arm', target, typed: '' });
  }, [p.remote, setDialog]);
  const handle = useCallback(
    (key: string | undefined, text: string | undefined) => {
      const d = dialogRef.current;
      if (d) {
        if (d.phase === 'arm') {
          const command = key === undefined ? undefined : resolveKey(keys, key, ['input']);
          if (command === 'input.cancel') setDialog(undefined);
          else if (command === 'input.backspace') setDialog({ ...d, typed: [...d.typed].slice(0, -1).join('') });
          else if (command === 'input.clear') setDialog({ ...d, typed: '' });
          else if (command === 'input.submit') {
            const r = p.remote!.arm(d.target.account, d.typed);
            if (r.ok) setDialog({ phase: 'pick', target: d.target, index: 0 });
            else setDialog({ phase: 'arm', target: d.target, typed: '', problem: r.message });
          } else if (text !== undefined && d.typed.length < 40) setDialog({ ...d, typed: d.typed + text });
          return;
        }
        if (key === undefined) return;
        if (d.phase === 'pick') {
          const command = resolveKey(keys, key, ['pane', 'global']);
          const move = (n: number) => setDialog({ ...d, index: Math.min(d.target.rules.length - 1, Math.max(0, d.index + n)) });
          if (command === 'nav.up') move(-1);
          else if (command === 'nav.down') move(1);
          else if (command === 'row.detail') {
            const rule = d.target.rules[d.index]!;
            setDialog({ phase: 'confirm', id: `confirm-${++confirms.current}`, target: d.target, index: d.index, rule: rule.name, action: rule.action });
          } else if (bindings['dialog.cancel'].includes(key)) setDialog(undefined);
          return;
        }
        if (d.phase === 'confirm') {
          const command = resolveKey(keys, key, ['dialog']);
          if (command === 'dialog.confirm') {
            const remote = p.remote!;
            if (remote.readyIn(d.id) <= 0) send(d);
            else {
              const shownMs = remote.tooSoon(d.target, d.rule, d.id);
              const key = label('dialog.confirm');
              setDialog({
                ...d,
                early:
                  shownMs === null
                    ? `Not yet: it is not on screen whole; read it, then press ${key}; nothing was asked`
                    : `Too soon (${shownMs} ms): read it, then press ${key}; nothing was asked`,
              });
            }
          } else if (command === 'dialog.cancel') {
            setDialog(undefined);
            setFlash('Cancelled: nothing was sent');
          }
          return;
        }
        if (d.phase === 'sending') {
          // The request is out and cannot be called back: closing only hides the wait; the answer shows when it comes.
          if (bindings['dialog.cancel'].includes(key)) {
            setDialog(undefined);
            setFlash(`The request to ${d.target.account}'s guard is out; its answer will show here`);
          }
          return;
        }
        if (bindings['dialog.cancel'].includes(key) || bindings['dialog.confirm'].includes(key)) setDialog(undefined);
        return;
      }
      if (key === undefined) return;
      const { table: t, index: i } = latest.current;
      // As in a list pane: the navigation and Enter (row.detail) keys, and quit; the close keys of a view close it too.
      // The kill switch is the flatten key (X), bound in the positions pane's scope: the fleet view is a list of accounts.
      const command =
        resolveKey(keys, key, ['pane', 'global']) ??
        (bindings['trade.flatten'].includes(key) ? 'trade.flatten' : bindings['dialog.cancel'].includes(key) ? 'dialog.cancel' : undefined);
      const move = (n: number) => setSel(t.keys[Math.min(t.keys.length - 1, Math.max(0, i + n))]);
      if (command === 'nav.up') move(-1);
      else if (command === 'nav.down') move(1);
      else if (command === 'trade.flatten') openRemote();
      else if (command === 'trade.disarm') {
        p.remote?.disarm();
        setFlash(p.remote ? 'Remote commands disarmed' : 'Read-only: nothing is armed');
      } else if (command === 'row.detail' && t.keys[i] !== undefined) {
        p.onOpen(t.keys[i]!);
        exit();
      } else if (command === 'app.quit' || command === 'dialog.cancel') {
        // A request still out would lose its answer (the connection closes with the view): said once, q again quits.
        const out = p.remote?.inFlight() ?? 0;
        const armedNow = p.remote?.armed();
        if ((out > 0 || armedNow) && !quitWarned.current) {
          quitWarned.current = true;
          setFlash(
            out > 0
              ? `${out} request(s) to a guard not answered yet: quitting loses the answer (the guard's log and audit log keep it); ${label('app.quit')} again quits`
              : `Remote commands are ARMED for ${armedNow!.account}: ${label('app.quit')} again quits (and disarms)`,
          );
          return;
        }
        p.onQuit();
        exit();
      }
    },
    [keys, bindings, p, exit, setDialog, send, openRemote, label],
  );
  const stopped = useRef(false);
  const quitWarned = useRef(false);
  useKeyQueue(
    handle,
    useMemo(
      () => ({
        dialogOpen: () => dialogRef.current !== undefined,
        dialogTakesText: () => dialogRef.current?.phase === 'arm',
        dialogEpoch: () => epoch.current,
        stopped: () => stopped.current,
      }),
      [],
    ),
  );
  // The window size as a hook: a resize renders again, so a cut (or uncut) confirmation is seen at once.
  const { columns: termCols, rows: termRows } = useWindowSize();
  // Two cells of each line are the selection's mark.
  const [head, ...rows] = useMemo(() => (table.columns ? fittedLines(table.columns, termCols - 2) : table.lines), [table, termCols]);
  const drawn = dialog ? drawDialog(dialog, p.remote!, label, Math.max(6, termRows - rows.length - (armed ? 6 : 5)), termCols, termRows) : undefined;
  /*
   * The confirmation's reading time, by the console's rule (useReadingTime, src/trading/reading-time.ts): from the
   * frame that shows it whole, what it asks not cut by the terminal; a resize that cuts it takes it off screen, and
   * whole again its time starts again. A new confirmation (a new id) starts it again too.
   */
  const confirmWhole = drawn?.whole ?? false;
  useReadingTime(dialog?.phase === 'confirm' && confirmWhole ? dialog.id : undefined, confirmWhole, {
    port: () => p.remote,
    ...(p.written ? { written: p.written } : {}),
    ready: (id, ready) => {
      const now = dialogRef.current;
      if (now?.phase === 'confirm' && now.id === id && (now.ready ?? false) !== ready) setDialog({ ...now, ready });
    },
  });
  const remoteHint = p.remote ? ` · ${label('trade.flatten')} ask its guard` : '';
  return (
    <Box flexDirection="column">
      <Text bold>{neutralise(p.title)}</Text>
      {armed ? (
        <Text color="red" bold inverse>
          {neutralise(` ARMED for remote commands to ${armed.account} until ${clockText(armed.until)} UTC · ${label('trade.disarm')} disarms `)}
        </Text>
      ) : null}
      <Text
        dimColor
        wrap="truncate-end"
      >{`${label('nav.up')}/${label('nav.down')} select · ${label('row.detail')} follow live (read-only)${remoteHint} · ${label('app.quit')} quit`}</Text>
      {table.banner ? (
        <Text color="red" bold inverse wrap="truncate-end">
          {neutralise(` ${table.banner} `)}
        </Text>
      ) : (
        <Text> </Text>
      )}
      <Text bold wrap="truncate-end">
        {`  ${neutralise(head ?? '')}`}
      </Text>
      {/* The selection is marked in text too: without colour (NO_COLOR, a dumb terminal) inverse alone shows nothing. */}
      {rows.map((l, i) => (
        <Text key={table.keys[i] ?? i} inverse={i === index} wrap="truncate-end">
          {`${i === index ? '▶' : ' '} ${neutralise(l)}`}
        </Text>
      ))}
      {table.problem ? <Text color="red">{neutralise(table.problem)}</Text> : null}
      {flash ? <Text color="yellow">{neutralise(flash)}</Text> : null}
      {drawn ? <RemoteDialog drawn={drawn} /> : null}
    </Box>
  );
}

/** The table's header and rows in `width` cells: the columns that fit, each cell whole but the name, cut between words. */
function fittedLines(t: NonNullable<FleetTable['columns']>, width: number): string[] {
  const cols = fitColumns(t.specs, width);
  const at = new Map(t.specs.map((c, i) => [c.id, i]));
  return [
    layoutLine(cols, (c) => c.header).trimEnd(),
    ...t.rows.map((r) => layoutLine(cols, (c) => (c.flex ? wordCut(r[at.get(c.id)!]!, c.width) : r[at.get(c.id)!]!)).trimEnd()),
  ];
}

/**
 * The lines that fit `rows` terminal rows at `width` columns (each wraps), the last one kept: the dialog's keys; and
 * how many of the first lines are shown whole before the first that is cut (all of them when none is).
 */
function fit(lines: readonly string[], rows: number, width: number): { shown: string[]; before: number } {
  const need = (l: string) => Math.max(1, Math.ceil(textWidth(l) / Math.max(10, width)));
  if (lines.reduce((n, l) => n + need(l), 0) <= rows) return { shown: [...lines], before: lines.length };
  const last = lines[lines.length - 1]!;
  const kept: string[] = [];
  let used = need(last) + 1;
  for (const l of lines.slice(0, -1)) {
    if (used + need(l) > rows) break;
    kept.push(l);
    used += need(l);
  }
  return {
    shown: [...kept, `${ellipsis()} ${lines.length - 1 - kept.length} more line(s): the guard's log and audit log have them all`, last],
    before: kept.length,
  };
}

/** A dialog as drawn: its title, the lines that fit, and whether what a confirmation asks is all on screen. */
interface DrawnDialog {
  readonly title: string;
  readonly lines: readonly string[];
  readonly color: 'red' | 'yellow' | 'green';
  /** The lines saying what is asked (the confirmation's "orders") all fit, and the dialog fits the terminal's height. */
  readonly whole: boolean;
}

/** The dialog's text for the terminal: `rows` it may take, `cols` wide, on a terminal `termRows` high. */
function drawDialog(d: Dialog, remote: RemoteControl, label: (id: keyof Bindings) => string, rows: number, cols: number, termRows: number): DrawnDialog {
  const who = `${neutralise(d.target.account)}'s guard on ${neutralise(d.target.host)}`;
  const dry = d.target.guardMode === 'readOnly' ? ['The guard runs read-only (no --trade): it answers with the plan it would send, and sends nothing.'] : [];
  let title: string;
  let lines: string[];
  let color: 'red' | 'yellow' | 'green' = 'yellow';
  // The lines a confirmation's key must not be pressed without (the console's order lines): first, so cut last.
  let asks = 0;
  if (d.phase === 'arm') {
    title = `Arm remote commands to ${neutralise(d.target.account)}`;
    lines = [
      `Type the last four characters of ${neutralise(d.target.account)}, then ${label('input.submit')}. The arming holds for this account only, for ${remote.armMinutes} min.`,
      `> ${neutralise(d.typed)}_`,
      ...(d.problem ? [neutralise(d.problem)] : []),
      `${label('input.cancel')} cancel`,
    ];
  } else if (d.phase === 'pick') {
    title = `Ask ${who}: which of its rules?`;
    lines = [
      ...d.target.rules.map((r, i) => `${i === d.index ? '>' : ' '} ${neutralise(r.name)} (${neutralise(r.action)})`),
      ...dry,
      `${label('nav.up')}/${label('nav.down')} choose · ${label('row.detail')} next · ${label('dialog.cancel')} cancel`,
    ];
  } else if (d.phase === 'confirm') {
    color = 'red';
    title = `Ask ${who} to run its rule ${neutralise(d.rule)} (${neutralise(d.action)}) now?`;
    lines = [
      `It runs the policy's own action through the guard's own checks (fresh data, one action at a time, the hourly cap, the market window) and its audit log; never an order of ours.`,
      ...dry,
      ...(d.early ? [d.early] : []),
      d.ready
        ? `${label('dialog.confirm')} ask · ${label('dialog.cancel')} cancel (the default)`
        : `Read it: ${label('dialog.confirm')} works after ${Number((remote.readMs / 1000).toFixed(1))} s on screen · ${label('dialog.cancel')} cancel (the default)`,
    ];
    asks = 1 + dry.length;
  } else if (d.phase === 'sending') {
    title = `Asked ${who} to run ${neutralise(d.rule)}`;
    lines = [
      `Waiting for its answer (up to ${remote.timeoutS} s)${ellipsis()}`,
      `${label('dialog.cancel')} hide (the request is out; the answer shows when it comes)`,
    ];
  } else {
    color = d.outcome.outcome === 'done' || d.outcome.outcome === 'dryRun' || d.outcome.outcome === 'nothingToDo' ? 'green' : 'red';
    title = `${who}: ${neutralise(d.rule)}`;
    lines = [...d.outcome.lines.map((l) => neutralise(l)), `${label('dialog.cancel')} close`];
  }
  // A guard's answer can list more plan lines than the terminal has rows: the head and the keys stay on screen.
  const width = cols - 4;
  const titleRows = Math.ceil(textWidth(title) / Math.max(10, width));
  const { shown, before } = fit(lines, rows - 2 - titleRows, width);
  const height = 2 + titleRows + shown.reduce((n, l) => n + Math.max(1, Math.ceil(textWidth(l) / Math.max(10, width))), 0);
  return { title, lines: shown, color, whole: before >= asks && height <= termRows };
}

function RemoteDialog({ drawn }: { drawn: DrawnDialog }) {
  return (
    <Box flexDirection="column" borderStyle="round" borderColor={drawn.color} paddingX={1}>
      <Text bold color={drawn.color} wrap="wrap">
        {drawn.title}
      </Text>
      {drawn.lines.map((l, i) => (
        <Text key={i} wrap="wrap">
          {l}
        </Text>
      ))}
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
  const stdout = streams.stdout ?? process.stdout;
  // The confirmation's reading time starts once its frame is written, not when React committed it (Ink throttles writes).
  let written: Instance | undefined;
  // Before the first frame, as the console's (renderConsole): on an ASCII terminal the view writes "..." for its own cuts
  // and waits (wordCut, ellipsis), so the stream below is left no "…" to lay over a name's last two letters ("index...").
  setAsciiText(props.ascii ?? false);
  const flushed = () => written?.waitUntilRenderFlush() ?? Promise.resolve();
  const instance: Instance = render(<FleetView {...props} written={flushed} onOpen={(k) => (chosen = k)} onQuit={() => (chosen = undefined)} />, {
    // As the console's: on an ASCII-only terminal every glyph (Ink's borders included) is swapped as it is written.
    stdout: props.ascii ? maskingStream(stdout, true) : stdout,
    stdin: input,
    // As the console: interactive follows the terminal, not CI detection (under CI=true Ink would draw only at exit).
    interactive: Boolean((streams.stdout ?? process.stdout).isTTY),
    exitOnCtrlC: true,
    patchConsole: false,
  });
  written = instance;
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
