// `--account` naming an account the login does not manage is the operator's input, not the connection: exit 1 (README
// "Exit codes"), naming the accounts the login manages, for one account, a list, and a headless flatten.
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import { EXIT } from '../../src/commands/io.js';
import type { Simulator } from '../../src/sim/index.js';
import { FA_BOOKS, startAdvisorSim } from '../sim/helpers.js';

const open: Simulator[] = [];
afterEach(async () => {
  while (open.length) await open.pop()!.close();
});

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { out: (x) => out.push(x), err: (x) => err.push(x) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('--account naming an account the login does not manage', () => {
  it('exits 1 (input error) and names the managed accounts: report, report of a list, flatten', async () => {
    const sim = await startAdvisorSim();
    open.push(sim);
    const managed = [sim.account, ...Object.keys(FA_BOOKS)];
    const port = String(sim.port);
    const cases = [
      ['report', '--timeout', '30', '--port', port, '--client-id', '81', '--account', 'DU999'],
      ['report', '--timeout', '30', '--port', port, '--client-id', '82', '--account', `${managed[1]},DU999`],
      ['flatten', '--scope', 'all', '--timeout', '30', '--port', port, '--client-id', '83', '--account', 'DU999'],
    ];
    for (const args of cases) {
      const r = await run(args);
      expect(r.code, args.join(' ')).toBe(EXIT.invalid);
      expect(r.out).toBe('');
      expect(r.err).toContain('DU999 is not managed by this login');
      for (const a of managed) expect(r.err).toContain(a);
      expect(r.err).not.toContain('cannot connect');
    }
  }, 120_000);
});
