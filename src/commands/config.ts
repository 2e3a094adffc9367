// `tws-risk config path|show|validate`: where the settings live, what is in force, and what is wrong with them.
import { alertConfigOf, alertEffectsOf, loadSettings, type LoadedSettings } from '../config/load.js';
import type { Settings } from '../config/settings.js';
import { applyOverrides } from '../keymap/overrides.js';
import { EXIT, type CommandIo } from './io.js';

/**
 * Every problem the console would report for this file: the settings' own, and the key overrides checked as the
 * console checks them (unknown commands, bad key names, conflicts), in the same `file: error at key: message` form.
 */
function allProblems(loaded: LoadedSettings): string[] {
  const keys = applyOverrides(loaded.settings.keymap).errors.map((e) => `${loaded.path}: error at ${e}`);
  return [...loaded.problems, ...keys];
}

/**
 * The settings as the console will run with them. `settings` already holds the default for a bad plain key, but it
 * keeps `keymap` and `alerts` as written (they are checked later, by their own parsers), so a refused key entry or
 * alert value would otherwise be shown as if it were in force.
 */
function inForce(settings: Settings): Settings {
  const keys = applyOverrides(settings.keymap);
  const keymap = Array.isArray(settings.keymap) ? keys.applied.map((i) => settings.keymap[i]!) : [];
  return { ...settings, keymap, alerts: { ...alertConfigOf(settings), ...alertEffectsOf(settings) } };
}

export function configCommand(action: string, file: string | undefined, io: CommandIo): number {
  const loaded = loadSettings(file);
  const problems = allProblems(loaded);
  const warnings = loaded.warnings ?? [];
  switch (action) {
    case 'path':
      io.out(loaded.path);
      return EXIT.ok;
    case 'show':
      // Refused values are listed apart, with why, and never printed as if in force.
      for (const p of problems) io.err(`refused: ${p}`);
      for (const w of warnings) io.err(w);
      if (problems.length > 0)
        io.err(
          `warning: ${problems.length} refused above, none of them in force: a refused key keeps its default (shown), a refused keymap entry is left out; every other key is as the file says`,
        );
      io.out(JSON.stringify(inForce(loaded.settings), null, 2));
      return EXIT.ok;
    case 'validate':
      if (!loaded.exists && problems.length === 0) {
        // A file $TWS_RISK_CONFIG names and that is not there is most likely a typo: the check fails (exit 1), the
        // commands run on the defaults and warn.
        if (warnings.length > 0) {
          for (const w of warnings) io.err(w);
          return EXIT.invalid;
        }
        io.out(`no config file at ${loaded.path}; the defaults are in force`);
        return EXIT.ok;
      }
      // Warnings (a hook program not on this host) are said, but do not fail the check: the file may be validated on a
      // build host and run where the program is installed; a refused value does (exit 1).
      for (const w of warnings) io.err(w);
      if (problems.length === 0) {
        io.out(`ok ${loaded.path}${warnings.length > 0 ? ` (${warnings.length} warning${warnings.length > 1 ? 's' : ''} above)` : ''}`);
        return EXIT.ok;
      }
      for (const p of problems) io.err(p);
      return EXIT.invalid;
    default:
      io.err(`tws-risk config: unknown action '${action}' (use path, show or validate)`);
      return EXIT.usage;
  }
}
