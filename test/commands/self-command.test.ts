// The exit lines' next command: `tws-risk` only when that name on PATH is the running script, else `npx tws-risk`.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { selfCommand } from '../../src/commands/self-command.js';

const root = mkdtempSync(join(tmpdir(), 'tws-risk-self-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('selfCommand', () => {
  it('says tws-risk when the PATH leads to this script (an install), npx tws-risk from a checkout or another tws-risk', () => {
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

    expect(selfCommand({ PATH: `/nonexistent:${installed}` }, script)).toBe('tws-risk');
    expect(selfCommand({ PATH: '/nonexistent' }, script)).toBe('npx tws-risk');
    // A tws-risk on the PATH that is another program (another version installed) is not this one.
    expect(selfCommand({ PATH: other }, script)).toBe('npx tws-risk');
    expect(selfCommand({}, script)).toBe('npx tws-risk');
    expect(selfCommand({ PATH: installed }, undefined)).toBe('npx tws-risk');
  });
});
