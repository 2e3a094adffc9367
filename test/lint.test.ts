// The lint encodes the folder table: each boundary refuses what it should and lets through what it may.
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint();

async function problems(file: string, code: string): Promise<string[]> {
  const [r] = await eslint.lintText(code, { filePath: file });
  return (r?.messages ?? []).map((m) => `${m.ruleId ?? 'parse'}: ${m.message}`);
}

describe('lint: the folder table as import rules', () => {
  it.each([
    ['src/model/x.ts', "import { render } from 'ink';"],
    ['src/model/x.ts', "import { Subject } from 'rxjs';"],
    ['src/model/x.ts', "import { Feed } from '../streams/feed.js';"],
    ['src/risk/x.ts', "import type { Feed } from '../streams/feed.js';"],
    ['src/risk/alerts/rules/x.ts', "import { Box } from 'ink';"],
    ['src/trading/x.ts', "import { TwsSource } from '../streams/tws/source.js';"],
    ['src/trading/x.ts', "import { IBApi } from '@stoqey/ib';"],
    ['src/streams/feed2.ts', "import { IBApi } from '@stoqey/ib';"],
    ['src/views/x.tsx', "import { placeOrder } from '../trading/execute.js';"],
    ['src/session/x.ts', "import { App } from '../views/App.js';"],
    ['src/sim/x.ts', "import { reduce } from '../risk/grid.js';"],
  ])('%s refuses %s', async (file, code) => {
    expect((await problems(file, code)).some((p) => p.startsWith('no-restricted-imports'))).toBe(true);
  });

  it.each([
    ['src/model/x.ts', "import { Decimal } from 'decimal.js';"],
    ['src/risk/x.ts', "import type { PortfolioState } from '../model/state.js';"],
    ['src/trading/x.ts', "import { sealLine } from '../streams/recording/format.js';"],
    ['src/streams/tws/x.ts', "import { IBApi } from '@stoqey/ib';"],
    ['src/session/x.ts', "import { Feed } from '../streams/feed.js';\nimport { planFlatten } from '../trading/plan.js';"],
    ['src/views/x.tsx', "import type { AccountSession } from '../session/session.js';\nimport { Box } from 'ink';"],
  ])('%s allows %s', async (file, code) => {
    expect(await problems(file, code)).toEqual([]);
  });

  it("enforces React's rules of hooks in the views", async () => {
    const code = "import { useState } from 'react';\nexport function A(p: { on: boolean }) {\n  if (p.on) useState(0);\n  return null;\n}\n";
    expect((await problems('src/views/x.tsx', code)).some((p) => p.startsWith('react-hooks/rules-of-hooks'))).toBe(true);
  });
});
