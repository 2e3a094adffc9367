// The exit lines' next command: `tws-risk` when that name on PATH is the running script, npx under npm, else what ran.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { selfCommand } from '../../src/commands/self-command.js';

const root = mkdtempSync(join(tmpdir(), 'tws-risk-self-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('selfCommand', () => {
  it('says tws-risk when the PATH leads to this script (an install), npx tws-risk under npm, else the node and script that ran', () => {
    const checkout = join(root, 'checkout', 'bin');
    mkdirSync(checkout, { recursive: true });
    const script = join(checkout, 'tws-risk');
    writeFileSync(script, '');
    const installed = join(root, 'usr-bin');
    mkdirSync(installed);
    symlinkSync(script, join(installed, 'tws-risk'));
    const other = join(root, 'other-bin');
    mkdirSync(other);
    writeFileSync(join(other, 'tws-risk'), '');

    // A node on the PATH that is the one running: plain `node`; the script from the working directory when under it.
    const nodeDir = join(root, 'node-bin');
    mkdirSync(nodeDir);
    const execPath = join(root, 'node-real');
    writeFileSync(execPath, '');
    symlinkSync(execPath, join(nodeDir, 'node'));
    const at = (env: NodeJS.ProcessEnv, o: { script?: string | undefined; cwd?: string } = {}) =>
      selfCommand({ env, script, cwd: join(root, 'checkout'), execPath, ...o });

    expect(at({ PATH: `/nonexistent:${installed}` })).toBe('tws-risk');
    // Run through the bin from a checkout: what ran, so the line works where it is printed (no npx needed).
    expect(at({ PATH: `/nonexistent:${nodeDir}` })).toBe('node bin/tws-risk');
    expect(at({ PATH: nodeDir }, { cwd: join(root, 'elsewhere') })).toBe(`node ${script}`);
    // A tws-risk on the PATH that is another program (another version installed) is not this one.
    expect(at({ PATH: `${other}:${nodeDir}` })).toBe('node bin/tws-risk');
    // The node on the PATH is another one (or none): the one that ran, by its path.
    expect(at({})).toBe(`${execPath} bin/tws-risk`);
    // Under npm (`npm run demo`) the checkout's npx finds this package.
    expect(at({ PATH: nodeDir, npm_lifecycle_event: 'demo' })).toBe('npx tws-risk');
    expect(at({ PATH: installed }, { script: undefined })).toBe('npx tws-risk');
    // A path a shell would split is quoted.
    const spaced = join(root, 'my checkout', 'bin');
    mkdirSync(spaced, { recursive: true });
    writeFileSync(join(spaced, 'tws-risk'), '');
    expect(at({ PATH: nodeDir }, { script: join(spaced, 'tws-risk'), cwd: join(root, 'my checkout') })).toBe('node bin/tws-risk');
    expect(at({ PATH: nodeDir }, { script: join(spaced, 'tws-risk'), cwd: join(root, 'elsewhere') })).toBe(`node '${join(spaced, 'tws-risk')}'`);
  });
});
