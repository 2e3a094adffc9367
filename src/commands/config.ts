// `tws-risk config path|show|validate`: where the settings live, what is in force, and what is wrong with them.
import { loadSettings } from '../config/load.js';
import { EXIT, type CommandIo } from './io.js';

export function configCommand(action: string, file: string | undefined, io: CommandIo): number {
  const loaded = loadSettings(file);
  switch (action) {
    case 'path':
      io.out(loaded.path);
      return EXIT.ok;
    case 'show':
      for (const p of loaded.problems) io.err(`warning: ${p}`);
      if (loaded.problems.length > 0) io.err('warning: showing the defaults, which are in force until the file is fixed');
      io.out(JSON.stringify(loaded.settings, null, 2));
      return EXIT.ok;
    case 'validate':
      if (!loaded.exists) {
        io.out(`no config file at ${loaded.path}; the defaults are in force`);
        return EXIT.ok;
      }
      if (loaded.problems.length === 0) {
        io.out(`ok ${loaded.path}`);
        return EXIT.ok;
      }
      for (const p of loaded.problems) io.err(p);
      return EXIT.invalid;
    default:
      io.err(`tws-risk config: unknown action '${action}' (use path, show or validate)`);
      return EXIT.usage;
  }
}
