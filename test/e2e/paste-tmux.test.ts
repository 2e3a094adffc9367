// Text pasted in a real terminal (tmux paste-buffer, bracketed or not): it never confirms a flatten dialog, runs no command after a pasted line's Enter, and its control bytes act as no key.
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { T0 } from '../sim/helpers.js';
import { controlChannel, simSnapshot, type ControlChannel } from '../support/control.js';
import { hasTmux, tmuxSuite } from '../support/tmux.js';

const server = tmuxSuite('paste', 'test/e2e/paste-tmux.test.ts', () => control?.close());
const { dir, tmux, freshUser, newSession, waitForScreen, press, arm } = server;
let control: ControlChannel | undefined;

/** Pastes `text` into the pane as one write, as a terminal's paste or `tmux paste-buffer` sends it. */
function paste(session: string, text: string): void {
  tmux('set-buffer', '-b', 'clip', text);
  tmux('paste-buffer', '-b', 'clip', '-t', session);
}

/** The demo at 80x24 with its filter line open, for a paste into it. */
async function openFilterLine(session: string): Promise<void> {
  newSession(session, { columns: 80, rows: 24 }, `node bin/tws-risk demo --start ${T0} --seed 7 --no-record --config ${join(dir, 'none.json')}`);
  await waitForScreen(session, (s) => /READY/.test(s) && /AAPL/.test(s), 'the ready console');
  await press(session, '/');
  await waitForScreen(session, (s) => /Filter Positions:/.test(s), 'the filter line');
}

describe('pasting into the console', () => {
  it.skipIf(!hasTmux)(
    'a y inside pasted text (after a colour code, in paste markers, before a reset) does not send the flatten; n then cancels it',
    async () => {
      const err = join(dir, 'stderr.txt');
      newSession('p', { columns: 200, rows: 50, env: freshUser() }, `node bin/tws-risk demo --trade --start ${T0} --seed 7 --speed 1 --no-record 2>${err}`);
      await waitForScreen('p', (s) => /READY/.test(s) && /TSLA/.test(s), 'the ready console');
      const hello = /control channel (\d+)\), account (\S+)/.exec(readFileSync(err, 'utf8'));
      expect(hello, 'the demo names its control channel and account').not.toBeNull();
      control = await controlChannel(Number(hello![1]));
      const before = await simSnapshot(control);
      const tsla = before.positions.find((p) => p.symbol === 'TSLA' && p.secType === 'STK');
      expect(tsla && Number(tsla.position)).not.toBe(0);

      await arm('p', before.account.slice(-4));

      await press('p', '2', '/', 'TSLA', 'Enter');
      // The filter line closed (its Enter read), not only applied: a key read with that Enter would be dropped.
      await waitForScreen('p', (s) => /^›TSLA\s/m.test(s) && / FILTER TSLA /.test(s), 'TSLA selected, the filter line closed');
      await press('p', 'X');
      // At 200x50 every line of the plan is on screen, so a lone y would send it.
      await waitForScreen('p', (s) => /Flatten TSLA\?/.test(s) && /y sends/.test(s), 'the flatten confirmation');
      for (const text of ['\u001b[0my', '\u001b[200~y\u001b[201~', 'y\u001b[0m', '\u001b[31mplease\u001b[0m y\n']) paste('p', text);
      // A lone y as a terminal pastes it: the console asks for bracketed paste, so tmux (-p) marks it as a paste.
      tmux('set-buffer', '-b', 'clip', 'y');
      tmux('paste-buffer', '-p', '-b', 'clip', '-t', 'p');
      // Keys are handled in order: once n has cancelled, every pasted y before it has been answered. Under load tmux can
      // deliver n in the same read as the last paste, which makes it pasted text (dropped); so n is pressed again until
      // the plan's end shows. n is bound in dialogs only (dialog.cancel): a stray n after the dialog closed does nothing.
      let after = '';
      for (let i = 0; i < 10 && after === ''; i++) {
        await press('p', 'n');
        after = await waitForScreen(
          'p',
          (s) => /declined plan flat-|Flatten TSLA: sent/.test(s),
          'the cancelled plan in the log (or the order sent)',
          3_000,
        ).catch(() => '');
      }
      expect(after).not.toMatch(/Flatten TSLA: sent|confirmed plan flat-|orders sent for plan/);
      expect(after).toMatch(/declined plan flat-/);
      const now = await simSnapshot(control);
      expect(now.positions.find((p) => p.conId === tsla!.conId)?.position).toBe(tsla!.position);
      expect(now.openOrders).toEqual([]);
    },
    150_000,
  );

  it.skipIf(!hasTmux)(
    'lines pasted into the filter line filter by the first and run nothing after it (a pasted q does not quit)',
    async () => {
      await openFilterLine('f');
      paste('f', 'AAPL\nq\n3\n');
      await waitForScreen('f', (s) => /filter AAPL/.test(s), 'the filter applied');
      // Keys are handled in order: once 5 has focused Executions, the pasted q and 3 before it have been dropped.
      await press('f', '5');
      const after = await waitForScreen('f', (s) => /▶5 Executions/.test(s) || /tws-risk demo: /.test(s), 'Executions focused (or the console gone)');
      expect(after).toMatch(/▶5 Executions/);
      expect(after).not.toMatch(/tws-risk demo: /);
    },
    150_000,
  );

  it.skipIf(!hasTmux)(
    'control bytes inside a terminal paste are not keys: a pasted BEL (Ctrl-g) or ETX (Ctrl-c) neither closes the filter line nor quits',
    async () => {
      await openFilterLine('c');
      // As a terminal pastes text copied with a title sequence (OSC ... BEL) or a stray ETX: -p brackets it.
      tmux('set-buffer', '-b', 'clip', 'AA\u0007q\u0003PL');
      tmux('paste-buffer', '-p', '-b', 'clip', '-t', 'c');
      const typed = await waitForScreen('c', (s) => /Filter Positions: AAqPL/.test(s) || /tws-risk demo: /.test(s), 'the pasted text in the filter line');
      expect(typed).toMatch(/Filter Positions: AAqPL/);
      await press('c', 'BSpace', 'BSpace', 'BSpace', 'BSpace');
      await waitForScreen('c', (s) => /Filter Positions: A(?![A-Za-z])/.test(s), 'the line back to its first A');
      await press('c', 'A', 'P', 'L', 'Enter');
      // The filter line closed (its Enter read), not only applied as typed: a key read with that Enter would be dropped.
      await waitForScreen('c', (s) => / FILTER AAPL /.test(s) && !/Filter Positions:/.test(s), 'the filter applied and its line closed');
      await press('c', '5');
      const after = await waitForScreen('c', (s) => /▶5 Executions/.test(s) || /tws-risk demo: /.test(s), 'Executions focused (or the console gone)');
      expect(after).toMatch(/▶5 Executions/);
    },
    150_000,
  );

  it.skipIf(!hasTmux)(
    'a paste holding its own end marker is text to its end: tmux passes ESC [201~ through, and a BEL and q after it neither close the filter line nor quit',
    async () => {
      await openFilterLine('m');
      // Bracketed by tmux (-p) around text that holds the end marker: Ink's paste ends there, and the BEL, q and 3 after
      // it come in the same read (as Ctrl-g they closed the line, and the q then quit the console).
      tmux('set-buffer', '-b', 'clip', 'ab\u001b[201~\u0007q3');
      tmux('paste-buffer', '-p', '-b', 'clip', '-t', 'm');
      const typed = await waitForScreen('m', (s) => /Filter Positions: abq3/.test(s) || /tws-risk demo: /.test(s), 'the pasted text in the filter line');
      expect(typed).toMatch(/Filter Positions: abq3/);
    },
    150_000,
  );

  it.skipIf(!hasTmux)(
    'an unbracketed paste into the palette is text: a BEL, a title sequence (BEL or ST ending), a DEL or a Ctrl-U in it acts as no key',
    async () => {
      newSession('b', { columns: 80, rows: 24 }, `node bin/tws-risk demo --start ${T0} --seed 7 --no-record --config ${join(dir, 'none.json')}`);
      await waitForScreen('b', (s) => /READY/.test(s) && /AAPL/.test(s), 'the ready console');
      const panes = (await waitForScreen('b', (s) => /▶2 Positions .*by class.*sort/.test(s), 'the Positions heading')).match(/▶2 Positions.*/)![0];
      await press('b', ':');
      await waitForScreen('b', (s) => /^:▏/m.test(s), 'the palette line');
      // tmux paste-buffer without -p writes the text as it is, unmarked, as many terminals and SSH clients paste it. A
      // BEL was Ctrl-g (the palette closed, and c and o regrouped and sorted Positions); the title's body was left in
      // the line; DEL and Ctrl-U were Backspace and clear-line.
      let line = '';
      for (const text of ['ab\u0007co', 'ab\u001b]0;title\u0007co', 'ab\u001b]0;title\u001b\\co', 'ab\u007fco', 'ab\u0015co']) {
        paste('b', text);
        line += 'abco';
        const typed = await waitForScreen('b', (s) => new RegExp(`^:${line}▏`, 'm').test(s) || !/^:/m.test(s), `:${line} in the palette line`);
        expect(typed).toMatch(new RegExp(`^:${line}▏`, 'm'));
      }
      await press('b', 'Escape');
      const after = await waitForScreen('b', (s) => !/^:/m.test(s), 'the palette closed');
      expect(after.match(/▶2 Positions.*/)![0]).toBe(panes);
    },
    150_000,
  );

  it.skipIf(!hasTmux)(
    'an unbracketed paste with a BEL neither closes the arming dialog nor, armed, the palette: its X opens no flatten',
    async () => {
      newSession('x', { columns: 200, rows: 50, env: freshUser() }, `node bin/tws-risk demo --trade --start ${T0} --seed 7 --speed 1 --no-record`);
      await waitForScreen('x', (s) => /READY/.test(s) && /TSLA/.test(s), 'the ready console');
      const account = /\b(DU\d+)\b/.exec(await waitForScreen('x', (s) => /\bDU\d+\b/.test(s), 'the account id'))![1]!;
      await press('x', ':');
      await waitForScreen('x', (s) => /^:/m.test(s), 'the palette line');
      await press('x', 'trade.arm', 'Enter');
      await waitForScreen('x', (s) => /Type the last four characters of the account id/.test(s), 'the arming dialog');
      // As Ctrl-g the BEL closed the dialog, and the X after it asked to flatten the selected position.
      paste('x', '45\u0007Xc');
      const dialog = await waitForScreen('x', (s) => /account id: 45Xc▏/.test(s) || !/Type the last four/.test(s), 'the pasted text in the dialog');
      expect(dialog).toMatch(/account id: 45Xc▏/);
      await press('x', 'Escape');
      await waitForScreen('x', (s) => !/Type the last four/.test(s), 'the arming dialog cancelled');
      await arm('x', account.slice(-4));
      await press('x', ':');
      await waitForScreen('x', (s) => /^:▏/m.test(s), 'the palette line, armed');
      paste('x', 'ab\u0007X');
      const typed = await waitForScreen('x', (s) => /^:abX▏/m.test(s) || !/^:/m.test(s), 'the pasted text in the palette');
      expect(typed).toMatch(/^:abX▏/m);
      // Keys are handled in order: once Esc has closed the palette, a pasted X would have asked already.
      await press('x', 'Escape');
      const after = await waitForScreen('x', (s) => !/^:/m.test(s), 'the palette closed');
      expect(after).not.toMatch(/Flatten .*\?/);
      expect(after).toMatch(/ ARMED \d/);
    },
    150_000,
  );

  // The bundle (bin/tws-risk) edits Ink as it bundles it; the unbundled dist/src edits it as Node loads it.
  it.skipIf(!hasTmux).each([
    ['the bundle', 'u', 'bin/tws-risk'],
    ['dist/src', 'v', 'dist-src'],
  ])(
    'a paste start marker never followed by its end marker (%s): once input is quiet the paste closes as text, and keys (Ctrl-C too) act again',
    async (_build, u, bin) => {
      const err = join(dir, `stderr-${u}.txt`);
      const runner = join(dir, 'dist-src.mjs');
      writeFileSync(
        runner,
        `const cli = await import(${JSON.stringify(pathToFileURL(resolve('dist/src/cli.js')).href)});\nprocess.exitCode = await cli.main(process.argv.slice(2));\n`,
      );
      const command = bin === 'dist-src' ? `node ${runner}` : `node ${bin}`;
      newSession(
        u,
        { columns: 80, rows: 24 },
        `${command} demo --start ${T0} --seed 7 --no-record --config ${join(dir, 'none.json')} 2>${err}; echo console-exited; sleep 600`,
      );
      await waitForScreen(u, (s) => /READY/.test(s) && /AAPL/.test(s), 'the ready console');
      // Over the panes: the held q is pasted text, so it does not quit. Ink held every key after the marker for good; a 5
      // pressed while the paste is still open joins it, so 5 is pressed again until it focuses Executions.
      tmux('send-keys', '-t', u, '-l', '\u001b[200~q');
      let screen = '';
      for (let i = 0; i < 20 && !/▶5 Executions/.test(screen); i++) {
        await press(u, '5');
        screen = await waitForScreen(u, (s) => /▶5 Executions|console-exited/.test(s), 'Executions focused', 1_500).catch(() => '');
      }
      expect(screen).toMatch(/▶5 Executions/);
      // Into the filter line: the held text reaches the line as a paste once input is quiet, with no key after it.
      await press(u, '/');
      await waitForScreen(u, (s) => /Filter Executions:/.test(s), 'the filter line');
      tmux('send-keys', '-t', u, '-l', '\u001b[200~q3');
      await waitForScreen(u, (s) => /Filter Executions: q3/.test(s), 'the held text in the filter line');
      await press(u, 'Escape');
      await waitForScreen(u, (s) => !/Filter Executions:/.test(s), 'the filter line closed');
      expect(readFileSync(err, 'utf8')).not.toMatch(/tws-risk demo: /);
      await press(u, 'C-c');
      await waitForScreen(u, (s) => /console-exited/.test(s), 'Ctrl-C quit the console');
    },
    150_000,
  );
});
