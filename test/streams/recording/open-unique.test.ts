// mkdirPrivate: every directory the tool creates for its files is 0700, made one level at a time, and fails clearly.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirPrivate } from '../../../src/streams/recording/open-unique.js';
import { ensureBuilt, ROOT } from '../../support/tmux.js';

const dir = mkdtempSync(join(tmpdir(), 'tws-risk-mkdir-'));
beforeAll(() => ensureBuilt(), 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('mkdirPrivate', () => {
  it('creates every missing level private to the user', () => {
    const deep = join(dir, 'a', 'b', 'c');
    mkdirPrivate(deep);
    for (const d of [join(dir, 'a'), join(dir, 'a', 'b'), deep]) expect(statSync(d).mode & 0o777).toBe(0o700);
  });

  it('leaves an existing directory and its mode alone', () => {
    const d = join(dir, 'shared');
    mkdirSync(d);
    chmodSync(d, 0o750);
    mkdirPrivate(d);
    expect(statSync(d).mode & 0o777).toBe(0o750);
  });

  it('names a file in the way as ENOTDIR', () => {
    const f = join(dir, 'plain-file');
    writeFileSync(f, 'x');
    expect(() => mkdirPrivate(f)).toThrow(expect.objectContaining({ code: 'ENOTDIR', message: expect.stringContaining(f) }));
    expect(() => mkdirPrivate(join(f, 'below'))).toThrow(expect.objectContaining({ code: 'ENOTDIR' }));
  });

  // In a child with a deadline: the bug this guards against is a synchronous loop that no test timeout can interrupt.
  it('fails with ENOENT under /proc instead of looping (Node 24 recursive mkdir never returns there)', () => {
    const mod = pathToFileURL(join(ROOT, 'dist', 'src', 'streams', 'recording', 'open-unique.js')).href;
    const script = `import(${JSON.stringify(mod)}).then((m) => { try { m.mkdirPrivate('/proc/tws-risk-nope/a/b'); console.log('created'); } catch (e) { console.log(e.code, e.path); } })`;
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 30_000 });
    expect(r.signal).toBeNull();
    expect(r.stdout.trim()).toBe('ENOENT /proc/tws-risk-nope');
  });
});
