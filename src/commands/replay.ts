// `tws-risk replay FILE`: the console's panes on a recording, with player controls; read-only, never a socket.
import { loadSettings } from '../config/load.js';
import { RecordingError } from '../streams/recording/reader.js';
import { parseSpeed, ReplayPlayer } from '../streams/replay/player.js';
import { parseAt } from '../streams/replay/state-at.js';
import { colorFlag, runConsole } from './console.js';
import { drawableTerminal, EXIT, terminalNeeded, type CommandIo } from './io.js';

export interface ReplayFlags {
  readonly speed?: string;
  readonly at?: string;
  readonly color?: string;
  readonly config?: string;
}

/**
 * Opens the player paused at the start (or at --at) with the recording's header and verification on screen.
 * A file that cannot be opened at all (missing, not a recording, an unsupported schema) exits 1 with the reason;
 * a damaged or unsealed one opens, with the warning and where the damage is.
 */
export async function replayCommand(file: string, f: ReplayFlags, io: CommandIo): Promise<number> {
  const usage = (m: string) => {
    io.err(`tws-risk replay: ${m}`);
    return EXIT.usage;
  };
  const color = colorFlag(f.color);
  if (color === null) return usage(`--color expects 16, 256, truecolor or auto, got ${JSON.stringify(f.color)}`);
  const parsed = f.speed === undefined ? { speed: 1 } : parseSpeed(f.speed);
  if ('error' in parsed) return usage(`--${parsed.error}`);
  const speed = parsed.speed;
  let player: ReplayPlayer;
  try {
    // Verified once the console has drawn its first frame (runConsole starts the scan), which says "verifying" until then.
    player = await ReplayPlayer.open(file, { speed, scan: 'later' });
  } catch (e) {
    if (e instanceof RecordingError) {
      io.err(`tws-risk replay: ${e.message}`);
      return EXIT.invalid;
    }
    throw e;
  }
  // The file is checked first, so a script learns that a recording is unreadable even without a terminal.
  if (!drawableTerminal(process.stdout) || !drawableTerminal(process.stdin)) {
    await player.close();
    io.err(
      `tws-risk replay: the player needs ${terminalNeeded()}; for scripts use \`tws-risk replay FILE --events\` or \`tws-risk report --replay FILE --at TIME\``,
    );
    return EXIT.invalid;
  }
  if (f.at !== undefined) {
    const t = parseAt(f.at, player.header.startedAtMs);
    if (typeof t === 'string') {
      await player.close();
      return usage(t);
    }
    await player.seekTo({ atMs: t });
  }
  const loaded = loadSettings(f.config);
  for (const p of loaded.problems) io.err(`warning: ${p} (using defaults)`);
  for (const w of loaded.warnings ?? []) io.err(w);
  return runConsole({
    replay: player,
    mode: 'replay',
    trading: 'replay',
    settings: loaded.settings,
    io,
    ...(color ? { color } : {}),
    problems: loaded.problems.map((p) => `Settings: ${p} (using defaults)`),
  });
}
