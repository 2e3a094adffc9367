// DESIGN.md's import boundaries, checked on the source text: the core runs headless, without Ink or React.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
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

/**
 * The first import cycle among the files under `dir` (type-only imports count: they tie the modules' shapes together
 * just the same), as the path that closes it, or undefined when there is none.
 */
function findCycle(dir: string): string[] | undefined {
  const all = new Set(files(dir));
  const graph = new Map<string, string[]>();
  for (const f of all) {
    const text = readFileSync(f, 'utf8');
    const dynamics = [...text.matchAll(/import\s*\(\s*'([^']+)'\s*\)/g)].map((m) => m[1]!);
    const targets = [...imports(f), ...dynamics]
      .filter((m) => m.startsWith('.'))
      .map((m) => normalize(join(dirname(f), m)).replace(/\.js$/, ''))
      .flatMap((t) => [`${t}.ts`, `${t}.tsx`, join(t, 'index.ts')].filter((c) => all.has(c)));
    graph.set(f, targets);
  }
  const done = new Set<string>();
  const path: string[] = [];
  const visit = (f: string): string[] | undefined => {
    const at = path.indexOf(f);
    if (at >= 0) return [...path.slice(at), f];
    if (done.has(f) || !graph.has(f)) return undefined;
    path.push(f);
    for (const t of graph.get(f)!) {
      const cycle = visit(t);
      if (cycle) return cycle;
    }
    path.pop();
    done.add(f);
    return undefined;
  };
  for (const f of graph.keys()) {
    const cycle = visit(f);
    if (cycle) return cycle;
  }
  return undefined;
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

  it('src/session (the headless core) imports model, streams, risk, trading and config, never views, Ink or React', () => {
    const allowed = ['model', 'streams', 'risk', 'trading', 'config', 'session'];
    for (const f of files('src/session')) {
      for (const m of imports(f)) {
        if (m === 'ink' || m === 'react' || m.startsWith('ink/') || m.startsWith('react/')) expect.fail(`${f} imports ${m}`);
        if (!m.startsWith('.')) continue;
        const folder = normalize(join(dirname(f), m)).split(/[\\/]/)[1];
        expect(allowed, `${f} imports ${m}`).toContain(folder);
      }
    }
  });

  it('the views import the session for its types only: risk and alerts run in the core, never in a view', () => {
    for (const f of files('src/views')) {
      const text = readFileSync(f, 'utf8');
      const values = [...text.matchAll(/^\s*(import|export)\s+(type\s+)?[^'"]*?from\s+'([^']+)'/gm)]
        .filter((m) => !m[2] && m[3]!.includes('/session/'))
        .map((m) => m[3]);
      const dynamics = [...text.matchAll(/import\s*\(\s*'([^']*\/session\/[^']*)'\s*\)/g)].map((m) => m[1]);
      expect([...values, ...dynamics], f).toEqual([]);
      // No stress grid or alert engine in the views either.
      const engine = imports(f).filter((m) => /\/risk\/(grid|report|alerts\/engine)\.js$/.test(m));
      expect(engine, f).toEqual([]);
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

  it('a replay cannot open a socket: nothing `tws-risk replay` loads reaches the TWS source, the simulator or node:net', () => {
    // Static and dynamic imports alike, followed through the source tree from the command and the views it renders.
    const seen = new Set<string>();
    const reached: string[] = [];
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const text = readFileSync(file, 'utf8');
      // `import type` is erased at run time; everything else (values, re-exports, dynamic imports) loads the module.
      const statics = [...text.matchAll(/^\s*(import|export)\s+(type\s+)?[^'"]*?from\s+'([^']+)'/gm)].filter((m) => !m[2]).map((m) => m[3]!);
      const dynamics = [...text.matchAll(/import\s*\(\s*'([^']+)'\s*\)/g)].map((m) => m[1]!);
      const specs = [...statics, ...dynamics];
      for (const m of specs) {
        if (!m.startsWith('.')) {
          reached.push(m);
          continue;
        }
        const target = normalize(join(dirname(file), m)).replace(/\.js$/, '');
        const found = [`${target}.ts`, `${target}.tsx`].find(
          (c) =>
            seen.has(c) ||
            (() => {
              try {
                return statSync(c).isFile();
              } catch {
                return false;
              }
            })(),
        );
        if (found) {
          reached.push(found);
          visit(found);
        }
      }
    };
    visit(join('src', 'commands', 'replay.ts'));
    expect(seen.has(join('src', 'streams', 'replay', 'player.ts'))).toBe(true);
    expect(seen.has(join('src', 'views', 'App.tsx'))).toBe(true);
    const sockets = reached.filter(
      (m) =>
        m.startsWith(join('src', 'streams', 'tws')) ||
        m.startsWith(join('src', 'sim')) ||
        /^(node:)?(net|tls|dgram|http|https)$/.test(m) ||
        m.startsWith('@stoqey/ib'),
    );
    expect(sockets).toEqual([]);
  });

  it.each([join('src', 'sim'), join('src', 'streams', 'tws')])('%s has no import cycle, type-only imports included', (dir) => {
    expect(files(dir).length).toBeGreaterThan(3);
    expect(findCycle(dir)?.join(' -> ')).toBeUndefined();
  });
});
