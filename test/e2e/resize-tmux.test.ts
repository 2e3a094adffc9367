// A resize never leaves a row showing another row's numbers: after any sequence of resizes the console's screen is
// exactly what a fresh console draws at the final size (a paused replay in tmux, where the data cannot move).
import { readFileSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { hasTmux, tmuxSuite, type TmuxServer } from '../support/tmux.js';

const server = tmuxSuite('resize-e2e', 'test/e2e/resize-tmux.test.ts');

const FILE = 'recordings/flatten-disconnect.jsonl.gz';

/** Positions as the recording holds them at 14:30:05 on its first day, read from its events, not from the console. */
function recordedPositions(): Map<string, string> {
  const lines = gunzipSync(readFileSync(FILE))
    .toString('utf8')
    .split('\n')
    .filter((l) => l !== '');
  const header = JSON.parse(lines[0]!) as { startedAt: string };
  const at = Date.parse(`${header.startedAt.slice(0, 10)}T14:30:05Z`);
  type Contract = { conId: number; symbol: string; secType: string; localSymbol?: string; expiry?: string; strike?: string; right?: string };
  const byConId = new Map<number, { label: string; qty: string }>();
  for (const l of lines.slice(1)) {
    const e = (JSON.parse(l) as { event?: { type: string; receivedAt: number; contract: Contract; position: string } }).event;
    if (!e || (e.type !== 'portfolioUpdated' && e.type !== 'positionUpdated') || e.receivedAt > at) continue;
    const c = e.contract;
    // How an operator names each kind of contract: options by expiry, strike and right; futures and FX by their local symbol.
    const label =
      c.secType === 'OPT' || c.secType === 'FOP'
        ? `${c.symbol} ${c.expiry} ${c.strike} ${c.right}`
        : c.secType === 'FUT' || c.secType === 'CASH'
          ? c.localSymbol!
          : c.symbol;
    byConId.set(c.conId, { label, qty: e.position });
  }
  return new Map([...byConId.values()].filter((p) => Number(p.qty) !== 0).map((p) => [p.label, Number(p.qty).toLocaleString('en-US')]));
}

/** Every column the Positions pane has, the widest layout showing them all. */
const POSITION_COLUMNS = ['Position', 'Class', 'Ccy', 'Qty', 'Mark', 'Local value', 'Value USD', 'Unrl P&L', 'Delta', 'IV', 'Worst%', 'Flag'];

/**
 * What is wrong with the Positions pane on this screen: a row whose label is not a recorded position or whose quantity
 * is another's, hidden rows or columns not announced (or announced wrong). Empty when the pane is right.
 */
function positionsProblems(screen: string, expected: ReadonlyMap<string, string>): string[] {
  const lines = screen.split('\n');
  const top = lines.findIndex((l) => /[ ▶]2 Positions /.test(l));
  if (top < 0) return ['no Positions pane'];
  const title = lines[top]!;
  const col = title.search(/[ ▶]2 Positions /);
  const head = lines[top + 1] ?? '';
  if (head.slice(col, col + 9) !== ' Position') return [`no column header under the title: ${JSON.stringify(head)}`];
  const problems: string[] = [];
  const qtyEnd = head.indexOf('Qty', col) + 3;
  const classStart = head.indexOf(' Class ', col);
  const shown = POSITION_COLUMNS.filter((c) => new RegExp(`(^| )${c}( |$)`).test(head.slice(col)));
  const moreColumns = /\+(\d+) columns?/.exec(title);
  if (shown.length + Number(moreColumns?.[1] ?? 0) !== POSITION_COLUMNS.length) {
    problems.push(`${shown.length} columns shown (${shown.join(', ')}) and ${moreColumns ? moreColumns[0] : 'none announced'} of ${POSITION_COLUMNS.length}`);
  }
  let rows = 0;
  let groups = 0;
  for (const line of lines.slice(top + 2)) {
    const seg = line.slice(col, qtyEnd);
    if (/^\s*$/.test(seg) || !/^[ ›]\S/.test(seg) || /^[ ▶]\d /.test(seg)) break;
    if (/ · \d+ · /.test(seg)) {
      groups++;
      continue;
    }
    const m = /^(.*?)\s+(-?[\d,]+)$/.exec(seg.slice(1).trimEnd());
    const label = classStart > 0 ? line.slice(col + 1, classStart).trim() : m?.[1]?.trim();
    const want = label === undefined ? undefined : expected.get(label);
    if (!m || label === undefined || want === undefined) problems.push(`a row that is no recorded position: ${JSON.stringify(seg)}`);
    else if (m[2] !== want) problems.push(`${label} shows quantity ${m[2]}, the recording holds ${want}`);
    rows++;
  }
  const groupCount = 6; // by class: BOND, CASH, FOP, FUT, OPT, STK
  const more = /↓ (\d+) more/.exec(title);
  const hidden = expected.size + groupCount - rows - groups;
  if (Number(more?.[1] ?? 0) !== hidden) problems.push(`${hidden} lines hidden, the title says ${more ? more[0] : 'nothing'}`);
  return problems;
}

/** The screen as a person sees it: blank cells at the end of a line look the same whether written or cleared. */
const visible = (screen: string) =>
  screen
    .split('\n')
    .map((l) => l.trimEnd())
    .join('\n');

/** Opens the replay at a size, closes its info overlay and seeks to a recorded moment with positions on screen. */
async function openPaused(s: TmuxServer, session: string, columns: number, rows: number): Promise<void> {
  s.newSession(session, { columns, rows }, `node bin/tws-risk replay ${FILE}`);
  await s.waitForScreen(session, (x) => /Sealed and verified/.test(x), 'the recording info');
  await s.press(session, '?');
  await s.waitForScreen(session, (x) => !/Sealed and verified/.test(x), 'the info closed');
  await s.press(session, ':', 'goto 14:30:05');
  await s.waitForScreen(session, (x) => /goto 14:30:05/.test(x), 'the palette line');
  await s.press(session, 'Enter');
  await s.waitForScreen(session, (x) => /14:30:05 UTC #\d/.test(x) && /AAPL/.test(x) && !/goto 14/.test(x), 'the seek');
}

describe('resizing the console in tmux', () => {
  it.skipIf(!hasTmux)(
    'heals completely across every layout boundary (80, 120, 180 columns; 24, 28, 40 rows)',
    async () => {
      await openPaused(server, 'resized', 120, 30);
      const expected = recordedPositions();
      expect(expected.size).toBe(14);
      // Each layout boundary crossed both ways: 120 and 80 columns down then up, 24 rows down then up, 28 up, 40 up,
      // 180 down, 40 down, 180 up, 28 down (110x30 → 120x27) and up again at the end.
      const sizes: ReadonlyArray<readonly [number, number]> = [
        [119, 30],
        [120, 30],
        [79, 24],
        [80, 23],
        [80, 24],
        [120, 27],
        [120, 28],
        [180, 39],
        [180, 40],
        [179, 40],
        [179, 39],
        [200, 50],
        [181, 40],
        [110, 30],
        [120, 27],
        [120, 29],
      ];
      for (const [x, y] of sizes) {
        server.tmux('resize-window', '-t', 'resized', '-x', String(x), '-y', String(y));
        // Each size is drawn before the next resize: the status bar is back on the first line and the rows are right.
        const drawn = (s: string) => s.split('\n')[0]!.startsWith(' REPLAY') && s.split('\n').length >= y && positionsProblems(s, expected).length === 0;
        const screen = await server.waitForScreen('resized', drawn, `the frame at ${x}x${y}`).catch(() => server.capture('resized'));
        expect(positionsProblems(screen, expected), `Positions at ${x}x${y}:\n${screen}`).toEqual([]);
      }
      const [fx, fy] = sizes[sizes.length - 1]!;
      await openPaused(server, 'fresh', fx, fy);
      const fresh = server.capture('fresh');
      const healed = await server
        .waitForScreen('resized', (s) => visible(s) === visible(fresh), 'the resized screen to equal a fresh one', 15_000)
        .catch(() => server.capture('resized'));
      expect(visible(healed)).toBe(visible(fresh));

      // Something else writes over the screen (a stray process on the same terminal): Ctrl-L redraws it whole.
      const tty = server.tmux('display-message', '-p', '-t', 'resized', '#{pane_tty}').trim();
      writeFileSync(tty, '\u001b[5;5HGARBAGE OVER THE CONSOLE');
      await server.waitForScreen('resized', (x) => x.includes('GARBAGE OVER THE CONSOLE'), 'the stray text on screen');
      await server.press('resized', 'C-l');
      const redrawn = await server
        .waitForScreen('resized', (x) => visible(x) === visible(fresh), 'the redraw after Ctrl-L', 15_000)
        .catch(() => server.capture('resized'));
      expect(visible(redrawn)).toBe(visible(fresh));
    },
    180_000,
  );
});
