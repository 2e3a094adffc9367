// DESIGN.md's import boundaries, checked on the source text: the core runs headless, without Ink or React.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : /\.tsx?$/.test(f) ? [p] : [];
  });
}

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+'([^']+)'/gm)].map((m) => m[1]!);
}

describe('import boundaries (DESIGN.md "Folders")', () => {
  it('the model, the risk engine and the trading planner never import Ink or React', () => {
    for (const dir of ['src/model', 'src/risk', 'src/trading']) {
      for (const f of files(dir)) {
        const bad = imports(f).filter((m) => m === 'ink' || m === 'react' || m.startsWith('ink/') || m.startsWith('react/') || m.includes('/views/'));
        expect(bad, f).toEqual([]);
      }
    }
  });

  it('the model imports only decimal.js and itself', () => {
    for (const f of files('src/model')) {
      const outside = imports(f).filter((m) => !m.startsWith('.') && m !== 'decimal.js');
      const upward = imports(f).filter((m) => m.startsWith('../../') || (m.startsWith('../') && !f.includes('/reduce/')));
      expect([...outside, ...upward], f).toEqual([]);
    }
  });

  it('only src/streams/tws sees @stoqey/ib (STYLE.md "Map wire shapes to domain types once, at the edge")', () => {
    for (const f of files('src')) {
      if (f.startsWith(join('src', 'streams', 'tws'))) continue;
      const ib = imports(f).filter((m) => m.startsWith('@stoqey/ib'));
      expect(ib, f).toEqual([]);
    }
  });
});
