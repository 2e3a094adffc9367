// --mask on every command that prints an account id: no output path shows the real id; recordings keep it (issue 14 item 13).
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { maskAccount, maskAccounts } from '../../src/views/format.js';
import { T0 } from '../sim/helpers.js';
import { runCli } from '../support/cli.js';
import { simulatorsPerTest } from '../support/sim-rig.js';

const dir = mkdtempSync(join(tmpdir(), 'tws-risk-mask-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const sim = simulatorsPerTest();

const run = runCli;

describe('--mask', () => {
  it('masks IB account ids of every shape, keeping the width, and leaves other words alone', () => {
    expect(maskAccounts('flatten all on DU1234567: 2 orders; U7654321, F1234567, DF22223333; AAPL 20261218 U2 IND')).toBe(
      'flatten all on •••••4567: 2 orders; ••••4321, ••••4567, ••••••3333; AAPL 20261218 U2 IND',
    );
    expect(maskAccounts('on XYZ123', ['XYZ123'])).toBe('on ••Z123');
  });

  it('report, text and JSON: the account appears only masked', async () => {
    const s = await sim();
    const account = s.snapshot().account;
    const plain = await run('report', '--port', String(s.port), '--client-id', '91');
    expect(plain.text).toContain(account); // the check below would catch it
    for (const extra of [[], ['--json']]) {
      const r = await run('report', '--port', String(s.port), '--client-id', '92', '--mask', ...extra);
      expect(r.text).not.toContain(account);
      expect(r.text).toContain(maskAccount(account));
      if (extra.length) expect(() => JSON.parse(r.text)).not.toThrow();
    }
  });

  it('flatten and cancel plans, and the account-mismatch refusal, show the account masked', async () => {
    const s = await sim();
    const account = s.snapshot().account;
    await s.trigger({ incident: 'manual-order', symbol: 'AAPL', secType: 'STK', action: 'SELL', quantity: '5', orderType: 'LMT', lmtPrice: 100000 });
    const plain = await run('flatten', '--port', String(s.port), '--client-id', '93', '--scope', 'class:OPT');
    expect(plain.text).toContain(account);
    const outputs = [
      await run('flatten', '--port', String(s.port), '--client-id', '94', '--scope', 'class:OPT', '--mask'),
      await run('flatten', '--port', String(s.port), '--client-id', '95', '--scope', 'class:OPT', '--mask', '--json'),
      await run('flatten', '--port', String(s.port), '--client-id', '96', '--scope', 'class:OPT', '--mask', '--trade', '--confirm-account', 'DU9999999'),
      await run('cancel', '--port', String(s.port), '--client-id', '97', '--global', '--mask', '--json'),
    ];
    for (const r of outputs) expect(r.text).not.toContain(account);
    expect(outputs[0]!.text).toContain(`on ${maskAccount(account)}`);
    expect(outputs[2]!.code).toBe(2);
    expect(outputs[2]!.text).toContain(`is not the connected account ${maskAccount(account)}`);
  });

  it('demo, verify and replay --events print the account masked; the recording keeps the real id and its name does not carry it', async () => {
    const file = join(dir, 'session.jsonl');
    const demo = await run('demo', '--once', '--seed', '9', '--start', T0, '--record', file, '--mask');
    expect(demo.code).toBe(0);
    const recorded = readFileSync(file, 'utf8');
    // The demo's account as the simulator reports it (its default account, the same with the same seed).
    const probe = await sim();
    const account = probe.snapshot().account;
    expect(recorded).toContain(account);
    expect(demo.text).not.toContain(account);
    expect(demo.text).toContain(maskAccount(account));
    const verify = await run('verify', file, '--json', '--mask');
    expect(verify.code).toBe(0);
    expect(verify.text).not.toContain(account);
    const events = await run('replay', file, '--events', '--mask');
    expect(events.text.length).toBeGreaterThan(0);
    expect(events.text).not.toContain(account);
    expect((await run('replay', file, '--events')).text).toContain(account);
    expect(readdirSync(dir).filter((n) => n.includes(account))).toEqual([]);
  });
});
