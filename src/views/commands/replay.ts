// The replay player's transport commands (tws-risk replay FILE): play, step, speed, markers, goto.
import type { CommandId } from '../../keymap/bindings.js';
import { parseSpeed } from '../../streams/replay/player.js';
import { parseAt } from '../../streams/replay/state-at.js';
import { MARKET_CLOCK_LABEL_MS } from '../rows/status.js';
import { utcClock } from '../rows/replay.js';
import type { CommandContext, CommandHandler } from './context.js';

/**
 * The recording info's marker list: the list keys move through it, Enter jumps to the picked marker (and closes the
 * info so the panes show it). Before the other domains, so Enter does not open a row's detail underneath.
 */
export const replayInfoCommands: CommandHandler = (ctx, command) => {
  const player = ctx.props().replay;
  const u = ctx.ui();
  if (!player || u.overlay?.kind !== 'replayInfo' || u.dialog) return false;
  if (command.startsWith('nav.')) {
    const list = ctx.vm().replayMarkers;
    ctx.dispatch({ type: 'command', command, ...(list ? { list } : {}) });
    return true;
  }
  if (command !== 'row.detail') return false;
  const id = ctx.vm().replayMarkers?.selected;
  const m = player.status().markers.find((x) => String(x.seq) === id);
  if (!m) {
    ctx.flash('No marker to jump to');
    return true;
  }
  ctx.dispatch({ type: 'closeOverlay' });
  void player.toMarker(m).then(
    () => ctx.flash(`Marker ${m.kind}: ${m.label}`),
    (e: unknown) => ctx.flash(`Replay: ${(e as Error).message}`),
  );
  return true;
};

/** Any transport command closes the recording info that opens with the replay. */
export const replayCommands: CommandHandler = (ctx, command, arg) => {
  const player = ctx.props().replay;
  if (!command.startsWith('replay.') || !player) return false;
  if (command === 'replay.info') {
    ctx.dispatch({ type: 'command', command });
    return true;
  }
  if (ctx.ui().overlay?.kind === 'replayInfo') ctx.dispatch({ type: 'closeOverlay' });
  // The last command's message goes with the next command: a refused goto's error left on screen after a goto that
  // worked read as if that one had failed too. This command's own message, if any, replaces it.
  ctx.dispatch({ type: 'clearFlash' });
  const failed = (e: unknown) => ctx.flash(`Replay: ${(e as Error).message}`);
  switch (command) {
    case 'replay.pause':
      player.togglePause();
      break;
    case 'replay.step':
      void player.step().catch(failed);
      break;
    case 'replay.faster':
      player.faster();
      break;
    case 'replay.slower':
      player.slower();
      break;
    case 'replay.start':
      void player.toStart().catch(failed);
      break;
    case 'replay.end':
      void player.toEnd().catch(failed);
      break;
    case 'replay.nextMarker':
    case 'replay.prevMarker':
      void (command === 'replay.nextMarker' ? player.nextMarker() : player.prevMarker()).then(
        (m) => ctx.flash(m ? `Marker ${m.kind}: ${m.label}` : (player.status().message ?? 'no marker')),
        failed,
      );
      break;
    case 'replay.speed':
      speed(ctx, command, arg);
      break;
    case 'replay.goto':
      goto(ctx, arg, failed);
      break;
    default:
      break;
  }
  return true;
};

function speed(ctx: CommandContext, command: CommandId, arg: string | undefined): void {
  if (arg === undefined) {
    ctx.dispatch({ type: 'command', command: 'palette.open', arg: `${command} ` });
    return;
  }
  const s = parseSpeed(arg);
  if ('error' in s) ctx.flash(s.error);
  else ctx.props().replay?.setSpeed(s.speed);
}

function goto(ctx: CommandContext, arg: string | undefined, failed: (e: unknown) => void): void {
  const player = ctx.props().replay!;
  if (arg === undefined) {
    ctx.dispatch({ type: 'command', command: 'palette.open', arg: 'goto ' });
    return;
  }
  const status = player.status();
  const t = parseAt(arg.trim(), status.header.startedAtMs);
  if (typeof t === 'string') {
    ctx.flash(t.replace('--at', 'goto'));
    return;
  }
  if (t < status.firstAt || (status.lastAt !== undefined && t > status.lastAt)) {
    // The span in the clock goto takes, and TWS's when it reads another calendar (a demo pinned by --start): in a
    // trial the Executions pane's 14:32 (TWS's clock) was asked of a recording made at 18:31-18:36 by the console's.
    const last = status.lastAt ?? status.at;
    const offset = ctx.snapshot().state.brokerTimeOffsetMs ?? 0;
    const tws =
      Math.abs(offset) >= MARKET_CLOCK_LABEL_MS ? `; TWS's clock in it reads ${utcClock(status.firstAt + offset)}-${utcClock(last + offset)} UTC` : '';
    ctx.flash(
      `goto ${arg.trim()}: outside the recording (${utcClock(status.firstAt)}-${utcClock(last)} UTC, the recording console's clock, which goto takes${tws}); going to the nearest end`,
    );
  }
  void player.seekTo({ atMs: t }).catch(failed);
}
