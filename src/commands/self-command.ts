// How a user runs this tool again from their shell: `tws-risk` when that name on PATH is this program, else `npx tws-risk`.
import { realpathSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/*
 * The lines printed at exit name a next command ("check it with: tws-risk verify FILE"). From a checkout (`npm run
 * demo`, `node bin/tws-risk`) no `tws-risk` is on the PATH, and a newcomer who types the line as printed gets "command
 * not found": there it is `npx tws-risk`. The name on PATH counts only when it resolves to the very script running.
 */
export function selfCommand(env: NodeJS.ProcessEnv = process.env, script: string | undefined = process.argv[1]): string {
  const npx = 'npx tws-risk';
  if (!script) return npx;
  let me: string;
  try {
    me = realpathSync(script);
  } catch {
    return npx;
  }
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    try {
      if (realpathSync(join(dir, 'tws-risk')) === me) return 'tws-risk';
    } catch {
      // not there: the next directory
    }
  }
  return npx;
}
