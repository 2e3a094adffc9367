// Raw key bytes through Ink's real parser: arrows as escape sequences, split sequences, a lone Esc, chunks, quitting.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { PANE_IDS } from '../../src/keymap/bindings.js';
import { ESCAPE_TAIL_KEYS } from '../../src/keymap/keys.js';
import { createStressRunner } from '../../src/session/stress-model.js';
import { ACCOUNT, bookState } from '../support/book.js';
import { TestStore, renderApp, type Tui } from '../support/render-tui.js';
import { Subject } from 'rxjs';
import { ManualClock } from '../../src/model/clock.js';
import type { FeedEvent, FeedEventBody } from '../../src/model/events.js';
import { reduce } from '../../src/model/reducer.js';
import { createAlertRunner } from '../../src/session/alert-runner.js';
import { AccountSession } from '../../src/session/session.js';
import { ConsoleStore } from '../../src/views/store.js';

const DOWN = '\u001b[B';
const UP = '\u001b[A';
const ESC = '\u001b';

const state = bookState();
const risk = createStressRunner()(state, state.lastEventAt);
const open: Tui[] = [];
afterEach(() => {
  while (open.length) open.pop()!.unmount();
});

function start(props: Parameters<typeof renderApp>[2] = {}, size = { columns: 80, rows: 24 }) {
  const store = new TestStore(state, risk);
  const onQuit = vi.fn();
  const onTrade = vi.fn();
  const tui = renderApp(store, size, { onQuit, onTrade, ...props });
  open.push(tui);
  return { tui, store, onQuit, onTrade };
}

/** The row marked selected (›) in the frame. */
function selectedRow(frame: string): string {
  return frame.split('\n').find((l) => l.startsWith('›')) ?? '';
}

describe('arrow keys as escape sequences', () => {
  it('moves the selection down and up with ESC [ B and ESC [ A', async () => {
    const { tui } = start();
    const first = await tui.waitForFrame((f) => selectedRow(f).includes('AAPL 20270219 240 C'), 'the first row selected');
    expect(first).toContain('▶2 Positions');
    await tui.write(DOWN);
    await tui.waitForFrame((f) => /^›AAPL\s+500/.test(selectedRow(f)), 'AAPL stock selected');
    await tui.write(DOWN);
    await tui.waitForFrame((f) => /^›SAP/.test(selectedRow(f)), 'SAP selected');
    await tui.write(UP);
    await tui.waitForFrame((f) => /^›AAPL\s+500/.test(selectedRow(f)), 'back to AAPL');
  });

  it('reads an arrow split after its ESC as Esc then "[B" text: no move, no quit, nothing dangerous', async () => {
    const { tui, onQuit, onTrade } = start({ trading: 'trade' });
    await tui.waitForFrame((f) => selectedRow(f).includes('AAPL 20270219'));
    await tui.writeSplit([ESC, '[B']); // Ink flushes the lone ESC after 20 ms
    await tui.writeSplit(['\u001b[', 'B']); // or flushes "ESC [" and then B arrives alone
    await tui.writeSplit(['\u001bO', 'A']); // SS3 (application cursor keys) split the same way
    expect(onQuit).not.toHaveBeenCalled();
    expect(onTrade).not.toHaveBeenCalled();
    expect(tui.lastFrame()).toContain('▶2 Positions');
  });

  it('never quits or runs a dangerous command on any escape-sequence tail, in any pane, with trading on', async () => {
    // What reaches the app after Ink flushes a split sequence is the tail as its own input, so type each tail alone.
    const { tui, onQuit, onTrade } = start({ trading: 'trade' });
    for (const pane of PANE_IDS) {
      await tui.write(String(PANE_IDS.indexOf(pane) + 1));
      for (const tail of ESCAPE_TAIL_KEYS) {
        if (/\d/.test(tail)) continue; // digits focus panes: harmless, and they would leave this pane
        await tui.write(tail);
        await tui.write(`[${tail}`);
      }
    }
    expect(onQuit).not.toHaveBeenCalled();
    expect(onTrade).not.toHaveBeenCalled();
    expect(tui.lastFrame().split('\n')).toHaveLength(24);
  });
});

describe('a lone Esc', () => {
  it('closes help, cancels the palette, and cancels a filter back to what it was', async () => {
    const { tui } = start();
    await tui.write('?');
    await tui.waitForFrame((f) => f.includes('Keys for Positions'));
    await tui.writeSplit([ESC]);
    await tui.waitForFrame((f) => !f.includes('Keys for Positions'), 'help closed');
    await tui.write(':');
    await tui.waitForFrame((f) => /^:.*commands/m.test(f), 'the palette');
    await tui.writeSplit([ESC]);
    await tui.waitForFrame((f) => !/^:.*commands/m.test(f), 'palette closed');
    await tui.write('/');
    await tui.write('sap');
    await tui.waitForFrame((f) => f.includes('filter sap') && !f.includes('MSFT'));
    await tui.writeSplit([ESC]);
    await tui.waitForFrame((f) => !f.includes('filter sap') && f.includes('MSFT'), 'the filter cancelled');
  });
});

describe('keys typed faster than one read', () => {
  it('takes a chunk one key at a time, and text after "/" goes into the filter', async () => {
    const { tui } = start();
    await tui.waitForFrame((f) => f.includes('▶2 Positions'));
    await tui.write('/msft\r');
    await tui.waitForFrame((f) => f.includes('filter msft') && !f.includes('SAP') && !f.includes('Filter Positions:'));
    await tui.write('3j');
    await tui.waitForFrame((f) => f.includes('▶3 Stress') && /^›Equities −30%/m.test(f), 'Stress focused, second row selected');
  });

  it('takes lines pasted into the filter or the palette up to their Enter: the rest of the paste runs no command', async () => {
    const { tui, onQuit } = start();
    await tui.waitForFrame((f) => f.includes('▶2 Positions'));
    await tui.write('/');
    await tui.waitForFrame((f) => f.includes('Filter Positions:'), 'the filter line');
    await tui.write('msft\rq3');
    await tui.waitForFrame((f) => f.includes('filter msft') && !f.includes('Filter Positions:'), 'the pasted filter applied');
    await tui.write(':');
    await tui.waitForFrame((f) => /^:/m.test(f), 'the palette line');
    await tui.write('view.freeze\rq4');
    await tui.waitForFrame((f) => f.includes('FROZEN'), 'the pasted command run');
    // A key typed on its own still acts: once 5 has focused Executions, the pasted q, 3 and 4 before it were dropped.
    await tui.write('5');
    await tui.waitForFrame((f) => f.includes('▶5 Executions'), 'Executions focused by a key of its own');
    expect(onQuit).not.toHaveBeenCalled();
  });
});

describe('a paste carrying escape sequences', () => {
  it('drops each whole sequence (colour CSI, OSC title) from the text pasted into the filter, not just its ESC', async () => {
    const { tui } = start();
    await tui.waitForFrame((f) => f.includes('▶2 Positions'));
    await tui.write('/');
    await tui.waitForFrame((f) => f.includes('Filter Positions:'), 'the filter line');
    await tui.write(`${ESC}[200~ms${ESC}[31mf${ESC}]0;title${ESC}\\t${ESC}[0m\r${ESC}[201~`);
    await tui.waitForFrame((f) => f.includes('filter msft') && !f.includes('Filter Positions:'), 'the pasted filter applied, its escapes gone');
    expect(tui.lastFrame()).not.toMatch(/\[31m|\[0m|title/);
  });
});

describe('a paste that holds its own end marker', () => {
  // Some terminals (tmux paste-buffer -p among them) pass pasted text through as it is: an ESC [201~ copied with it
  // ends the paste early at Ink, and what follows in the same read would arrive as typed keys.
  it('runs nothing that follows the marker: not q in the panes, not a Ctrl-g closing the filter line', async () => {
    const { tui, onQuit } = start();
    await tui.waitForFrame((f) => f.includes('▶2 Positions'));
    await tui.write(`${ESC}[200~x${ESC}[201~q3${ESC}[201~`);
    await tui.write('/');
    // Positions still has the focus: the pasted 3 did not move it to Stress.
    await tui.waitForFrame((f) => f.includes('Filter Positions:'), 'the filter line');
    await tui.write(`${ESC}[200~ms${ESC}[201~\u0007q4${ESC}[201~`);
    await tui.waitForFrame((f) => f.includes('Filter Positions:') && f.includes('msq4'), 'the rest of the paste typed into the filter, as text');
    await tui.writeSplit([ESC]);
    // A key typed on its own still acts: once 5 has focused Executions, every key of the pastes before it was handled.
    await tui.write('5');
    await tui.waitForFrame((f) => f.includes('▶5 Executions'), 'Executions focused by a key of its own');
    expect(onQuit).not.toHaveBeenCalled();
  });
});

describe('a paste whose start marker a read boundary cut', () => {
  // Over a slow link the marker can arrive in two reads more than Ink's 20 ms apart: Ink then hands over its first part
  // as a key and parses the rest of the marker, and the pasted text after it, as typed keys.
  it('runs nothing of the pasted text, wherever the marker was cut', async () => {
    for (const split of [
      [ESC, '[200~q3'],
      [`${ESC}[`, '200~q3'],
      [`${ESC}[2`, '00~q3'],
      [`${ESC}[20`, '0~q3'],
    ]) {
      const { tui, onQuit } = start();
      await tui.waitForFrame((f) => f.includes('▶2 Positions'));
      await tui.writeSplit([split[0]!, `${split[1]}${ESC}[201~`], 60);
      // A key typed on its own still acts: once 5 has focused Executions, the pasted q and 3 before it were dropped.
      await tui.write('5');
      await tui.waitForFrame((f) => f.includes('▶5 Executions') || onQuit.mock.calls.length > 0, `Executions focused (${JSON.stringify(split)})`);
      expect(onQuit, JSON.stringify(split)).not.toHaveBeenCalled();
      open.pop()!.unmount();
    }
  });

  it('takes the pasted text into the filter line, up to its Enter', async () => {
    const { tui, onQuit } = start();
    await tui.waitForFrame((f) => f.includes('▶2 Positions'));
    await tui.write('/');
    await tui.waitForFrame((f) => f.includes('Filter Positions:'), 'the filter line');
    await tui.writeSplit([`${ESC}[20`, `0~msft\rq3${ESC}[201~`], 60);
    // The part of the marker Ink handed over alone was typed before the rest came ("[20"); the paste follows it.
    await tui.waitForFrame((f) => f.includes('filter [20msft') && !f.includes('Filter Positions:'), 'the pasted filter applied');
    await tui.write('5');
    await tui.waitForFrame((f) => f.includes('▶5 Executions'), 'Executions focused by a key of its own');
    expect(onQuit).not.toHaveBeenCalled();
  });
});

describe('quitting', () => {
  it('quits on q and on Ctrl-C', async () => {
    const a = start();
    await a.tui.write('q');
    await vi.waitFor(() => expect(a.onQuit).toHaveBeenCalledTimes(1), { timeout: 20_000 });
    const b = start();
    await b.tui.write('\u0003');
    await vi.waitFor(() => expect(b.onQuit).toHaveBeenCalledTimes(1), { timeout: 20_000 });
  });

  it('asks first while armed: Enter, Esc and n keep running, a chunk "qy" does not answer, y quits', async () => {
    const armed = bookState({
      extra: [{ type: 'operatorActed', action: 'armed', detail: { until: Date.UTC(2026, 10, 23, 15, 0), by: 'palette', account: ACCOUNT } }],
    });
    const store = new TestStore(armed, risk);
    const onQuit = vi.fn();
    const tui = renderApp(store, { columns: 80, rows: 24 }, { onQuit, trading: 'trade' });
    open.push(tui);
    await tui.waitForFrame((f) => / ARMED \d+m /.test(f), 'ARMED in the status bar');
    await tui.write('qy');
    await tui.waitForFrame((f) => f.includes('Quit while trading is ARMED?'));
    await tui.write('\r');
    await tui.writeSplit([ESC]);
    await tui.waitForFrame((f) => !f.includes('Quit while trading is ARMED?'), 'dialog cancelled');
    await tui.write('q');
    await tui.waitForFrame((f) => f.includes('Quit while trading is ARMED?'));
    await tui.write('x'); // swallowed by the dialog, not passed to the panes
    await tui.write('n');
    await tui.waitForFrame((f) => !f.includes('Quit while trading is ARMED?'));
    expect(onQuit).not.toHaveBeenCalled();
    await tui.write('q');
    await tui.waitForFrame((f) => f.includes('Quit while trading is ARMED?'));
    await tui.write('y');
    await vi.waitFor(() => expect(onQuit).toHaveBeenCalledTimes(1), { timeout: 20_000 });
  });

  it('does not take a y pasted with an escape sequence or in a bracketed paste as the answer', async () => {
    const armed = bookState({
      extra: [{ type: 'operatorActed', action: 'armed', detail: { until: Date.UTC(2026, 10, 23, 15, 0), by: 'palette', account: ACCOUNT } }],
    });
    const store = new TestStore(armed, risk);
    const onQuit = vi.fn();
    const tui = renderApp(store, { columns: 80, rows: 24 }, { onQuit, trading: 'trade' });
    open.push(tui);
    await tui.waitForFrame((f) => / ARMED \d+m /.test(f), 'ARMED in the status bar');
    await tui.write('q');
    await tui.waitForFrame((f) => f.includes('Quit while trading is ARMED?'));
    // Ink splits each of these reads into several inputs, the last a lone y: text copied with its colours
    // (capture-pane -e), a y after a colour code, and a paste marked by the terminal.
    for (const paste of [`${ESC}[0my`, `${ESC}[31mno${ESC}[0my`, `${ESC}[200~y${ESC}[201~`, `y${ESC}[0m`]) await tui.write(paste);
    // Keys are handled in order: once n has closed the dialog, every pasted y before it has been answered.
    await tui.write('n');
    await tui.waitForFrame((f) => !f.includes('Quit while trading is ARMED?'), 'the dialog closed by n');
    expect(onQuit).not.toHaveBeenCalled();
  });
});

describe('trading commands', () => {
  it('are dimmed "needs --trade" without a trading mode: the key only says so', async () => {
    const { tui, onTrade } = start();
    await tui.waitForFrame((f) => f.includes('▶2 Positions'));
    await tui.write('X');
    await tui.waitForFrame((f) => /^Needs --trade \(this session is read-only\): Flatten the selected position/m.test(f), 'the flash message');
    expect(onTrade).not.toHaveBeenCalled();
  });

  it('hand the selected position, captured at the key press, to the trading layer when a mode is on', async () => {
    const { tui, onTrade } = start({ trading: 'trade' });
    await tui.waitForFrame((f) => selectedRow(f).includes('AAPL 20270219'));
    await tui.write('j');
    await tui.waitForFrame((f) => /^›AAPL\s+500/.test(selectedRow(f)));
    await tui.write('X');
    await vi.waitFor(() => expect(onTrade).toHaveBeenCalledWith('trade.flatten', { conId: 265598 }), { timeout: 20_000 });
  });
});

describe('alerts', () => {
  it("acknowledges them with the Alerts pane's key, and only there", async () => {
    const { tui, store } = start();
    await tui.write('a'); // Positions: no such key
    expect(store.acks).toBe(0);
    await tui.write('6');
    // The footer follows the focus: the Alerts pane's own key is on it.
    await tui.waitForFrame((f) => f.includes('▶6 Alerts and log') && /a ack/.test(f.split('\n').at(-1)!));
    await tui.write('a');
    expect(store.acks).toBe(1);
    await tui.write('?');
    // (the flash of the a just pressed still holds the rest of the line)
    await tui.waitForFrame((f) => /^ HELP  Nothing to acknowledge/.test(f.split('\n').at(-1)!), 'the footer says help is open');
  });
});

describe('acknowledging alerts', () => {
  it('marks the alert, changes the count and says so; with nothing left to acknowledge it says that (issue 16)', async () => {
    // The real store, session and alert engine over the book (AAPL is over 40% of gross: a concentration warning).
    const published: FeedEventBody[] = [];
    let s = state;
    const feed = {
      get state() {
        return s;
      },
      events$: new Subject<FeedEvent>(),
      publish(body: FeedEventBody) {
        published.push(body);
        s = reduce(s, { ...body, seq: s.lastSeq + 1, receivedAt: state.lastEventAt + 5000 } as FeedEvent);
      },
    };
    const clock = new ManualClock(state.lastEventAt);
    const store = new ConsoleStore(feed, { throttleMs: 250, clockMs: 60_000, clock, session: new AccountSession(feed, { alerts: createAlertRunner() }) });
    store.publish();
    clock.advance(1000);
    store.publish();
    const tui = renderApp(store, { columns: 200, rows: 50 }, { initialFocus: 'alerts' });
    open.push(tui);
    try {
      await tui.waitForFrame((f) => /WARNING AAPL is/.test(f) && f.includes('1 alert, 1 new'), 'the warning, new');
      await tui.write('a');
      await tui.waitForFrame(
        (f) => /WARNING \[ack\] AAPL is/.test(f) && f.includes('1 alert, all acked') && f.includes('Acknowledged 1 alert'),
        'marked, counted, said',
      );
      expect(published.filter((b) => b.type === 'operatorActed')).toHaveLength(1);
      await tui.write('a');
      await tui.waitForFrame((f) => f.includes('Nothing to acknowledge: every listed alert is already acknowledged'), 'nothing left to acknowledge');
      expect(published.filter((b) => b.type === 'operatorActed')).toHaveLength(1);
    } finally {
      store.dispose();
    }
  });
});

describe('the command palette', () => {
  it('runs the highlighted command with its argument, and keeps disabled ones from running', async () => {
    const { tui, onTrade } = start();
    await tui.waitForFrame((f) => f.includes('▶2 Positions'));
    await tui.write(':');
    await tui.write('filter.open sap');
    await tui.waitForFrame((f) => /›filter\.open TEXT/.test(f), 'filter.open highlighted');
    await tui.write('\r');
    await tui.waitForFrame((f) => f.includes('filter sap') && !f.includes('MSFT'), 'the filter applied from the palette');
    await tui.write(':');
    await tui.write('globalcancel');
    await tui.waitForFrame((f) => /needs --trade/.test(f));
    await tui.write('\r');
    await tui.waitForFrame((f) => /^ FILTER sap  Needs --trade .*: Cancel every open order/m.test(f) && !/^:/m.test(f), 'refused with a flash');
    expect(onTrade).not.toHaveBeenCalled();
  });

  it('counts one match as "1 command", not "1 commands" (user trial)', async () => {
    const { tui } = start();
    await tui.waitForFrame((f) => f.includes('▶2 Positions'));
    await tui.write(':');
    await tui.write('view.theme');
    const one = await tui.waitForFrame((f) => /›view\.theme/.test(f) && /\b1 command\b/.test(f), 'one match counted');
    expect(one).not.toMatch(/\b1 commands\b/);
  });

  it('runs only what was meant: a unique prefix runs, several complete, nothing else runs (issue 16)', async () => {
    const { tui, onQuit } = start();
    await tui.waitForFrame((f) => f.includes('▶2 Positions'));
    // `:tr` once ran the top match of a description search (quit); now it completes to what all its matches share.
    await tui.write(':tr');
    await tui.write('\r');
    await tui.waitForFrame((f) => /^:trade\.▏/m.test(f), 'completed to trade.');
    expect(onQuit).not.toHaveBeenCalled();
    await tui.write('zz\r');
    await tui.waitForFrame((f) => /^:trade\.zz▏\s+No such command: trade\.zz/m.test(f), 'no such command, the line kept');
    // Ctrl-U clears the line as a key of its own: in one read with text it would be pasted with it, and dropped.
    await tui.write('\u0015');
    await tui.write('view.theme purple\r');
    await tui.waitForFrame((f) => f.includes('view.theme: no theme "purple"; choose dark, light, mono'), 'a bad argument refused');
    await tui.write('\u0015');
    await tui.write('app.quit now\r');
    await tui.waitForFrame((f) => f.includes('app.quit takes no argument (got "now")'), 'an argument to a command without one refused');
    expect(onQuit).not.toHaveBeenCalled();
    // A picked suggestion runs: "pane." lists pane.next then pane.prev; one down picks pane.prev.
    await tui.write('\u0015');
    await tui.write('pane.');
    await tui.write('\u001b[B');
    await tui.waitForFrame((f) => /^›pane\.prev/m.test(f), 'pane.prev picked');
    await tui.write('\r');
    await tui.waitForFrame((f) => f.includes('▶1 Account') && !/^:/m.test(f), 'pane.prev ran');
    // `:q` lists quit first and runs it (a unique prefix of a command's name).
    await tui.write(':q');
    await tui.waitForFrame((f) => /^›app\.quit/m.test(f), 'quit listed first');
    await tui.write('\r');
    await vi.waitFor(() => expect(onQuit).toHaveBeenCalledTimes(1), { timeout: 20_000 });
  });

  it('takes one leading ":" as the prompt typed twice or pasted with the command, not as part of its name', async () => {
    const { tui } = start();
    await tui.waitForFrame((f) => f.includes(ACCOUNT));
    // `::` (the prompt typed again), then the command: it is listed and runs.
    await tui.write(':');
    await tui.write(':view.maskAccount');
    await tui.waitForFrame((f) => /^›view\.maskAccount/m.test(f), 'listed despite the colon');
    await tui.write('\r');
    await tui.waitForFrame((f) => f.includes('•••••4567') && !f.includes(ACCOUNT) && !/^:/m.test(f), 'masked');
    // Pasted with its colon (`:view.mask` from a note) and completed with Tab, it runs again (showing the account).
    await tui.write(':');
    await tui.write(':view.mask');
    await tui.write('\t');
    await tui.waitForFrame((f) => /^:view\.maskAccount▏/m.test(f), 'completed without the colon');
    await tui.write('\r');
    await tui.waitForFrame((f) => f.includes(ACCOUNT), 'shown again');
  });

  it('completes with Tab, as k9s does', async () => {
    const { tui } = start();
    await tui.waitForFrame((f) => f.includes(ACCOUNT));
    await tui.write(':mas');
    await tui.write('\t');
    await tui.waitForFrame((f) => /^:view\.maskAccount▏/m.test(f), 'completed');
    await tui.write('\r');
    await tui.waitForFrame((f) => f.includes('•••••4567') && !f.includes(ACCOUNT));
  });

  it('masks the account id on request', async () => {
    const { tui } = start();
    await tui.waitForFrame((f) => f.includes(ACCOUNT));
    await tui.write(':');
    await tui.write('mask');
    await tui.write('\r');
    await tui.waitForFrame((f) => f.includes('•••••4567') && !f.includes(ACCOUNT));
  });
});
