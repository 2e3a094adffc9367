// Marks the bundle's functions for V8's eager compilation, so that Node's compile cache holds their bytecode too.
import { createRequire } from 'node:module';

/*
 * Why: Node's compile cache (bin/tws-risk turns it on) stores the code V8 made when it compiled a file, and V8 compiles
 * a function's body only when the function is first called, unless it looks like it will be called at once: a function
 * in parentheses. So with a warm cache the console still compiled, on every start, each function its start-up calls
 * (React's reconciler, Ink, RxJS, the TWS client, the panes): the largest part of start-up's CPU after the modules'
 * own evaluation (docs/performance.md "Start-up"). Wrapping each function expression and arrow in parentheses (and
 * esbuild's per-module wrappers, `"path"(exports, module) {...}` inside `__commonJS({...})` and `__esm({...})`, as
 * `"path": (function (exports, module) {...})`) changes no behaviour (a parenthesised function keeps its inferred
 * name) and makes V8 compile them with the file, hence cache them. Function declarations cannot be marked so; they
 * stay lazy. The first run compiles more (and writes a larger cache); later runs read it instead of compiling.
 *
 * The source map is kept true: each generated column after an inserted parenthesis moves right by the count inserted
 * before it on its line.
 */

/** An acorn node (the bundle's parser), as far as these scripts read it. */
export interface Node {
  readonly type: string;
  readonly start: number;
  readonly end: number;
  readonly [key: string]: unknown;
}

export type Parse = (code: string, options: { ecmaVersion: 'latest'; sourceType: 'module' }) => Node;

/** acorn (a devDependency, also the linters' parser) parses the chunks; without it the bundle is left as esbuild wrote it. */
export function loadParser(): Parse | undefined {
  try {
    return (createRequire(import.meta.url)('acorn') as { parse: Parse }).parse;
  } catch {
    return undefined;
  }
}

export const isNode = (v: unknown): v is Node => typeof v === 'object' && v !== null && typeof (v as Node).type === 'string';

/** The offsets where '(' or ')' (or the method rewrite) go, sorted, with the text to insert at each. */
function insertions(ast: Node, eager: (offset: number) => boolean, eagerModule: (path: string) => boolean): [number, string][] {
  const out: [number, string][] = [];
  const walk = (node: Node, parent: Node | undefined, grand: Node | undefined): void => {
    if (node.type === 'FunctionExpression' || node.type === 'ArrowFunctionExpression') {
      // A method's or accessor's function is part of its definition's syntax, not an expression that can be wrapped.
      const inDefinition =
        parent !== undefined && (parent.type === 'MethodDefinition' || (parent.type === 'Property' && (parent.method || parent.kind !== 'init')));
      // Also inside a call's own parentheses (`f(x => ...)`): V8 marks only a parenthesised expression eager.
      if (!inDefinition && eager(node.start)) out.push([node.start, '('], [node.end, ')']);
    } else if (
      node.type === 'Property' &&
      node.method === true &&
      !node.computed &&
      grand?.type === 'CallExpression' &&
      isWrapperCall(grand) &&
      // The wrapper's key is its module's path (`"src/commands/guard.ts"() {...}`).
      (typeof (node.key as Node).value === 'string' ? eagerModule((node.key as Node).value as string) : eager((node.value as Node).start))
    ) {
      const fn = node.value as Node;
      const key = node.key as Node;
      if (!fn.async && !fn.generator) out.push([key.end, ':(function'], [fn.end, ')']);
    }
    for (const key of Object.keys(node)) {
      const v = node[key];
      if (Array.isArray(v)) for (const c of v) isNode(c) && walk(c, node, parent);
      else if (isNode(v) && key !== 'type') walk(v, node, parent);
    }
  };
  walk(ast, undefined, undefined);
  return out.sort((a, b) => a[0] - b[0]);
}

/** esbuild's module wrappers: `__commonJS({...})`, `__esm({...})` (their object's methods are the modules' bodies). */
function isWrapperCall(call: Node): boolean {
  const callee = call.callee as Node;
  return callee.type === 'Identifier' && /^__(commonJS|esm)\d*$/.test(callee.name as string);
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_VALUE = new Map([...B64].map((c, i) => [c, i]));

/** The first base64 VLQ of a source-map segment, and where it ends. */
function readVlq(s: string): [value: number, end: number] {
  let result = 0;
  let shift = 0;
  let i = 0;
  for (;;) {
    const digit = B64_VALUE.get(s[i++]!);
    if (digit === undefined) throw new Error(`bad source map segment ${JSON.stringify(s)}`);
    result += (digit & 31) * 2 ** shift;
    shift += 5;
    if ((digit & 32) === 0) break;
  }
  return [result & 1 ? -(result - 1) / 2 : result / 2, i];
}

function writeVlq(n: number): string {
  let v = n < 0 ? -n * 2 + 1 : n * 2;
  let out = '';
  do {
    let digit = v & 31;
    v = Math.floor(v / 32);
    if (v > 0) digit |= 32;
    out += B64[digit];
  } while (v > 0);
  return out;
}

/** The mappings with each generated column moved right by the characters inserted before it on its line. */
function shiftMappings(mappings: string, lineStarts: readonly number[], inserted: readonly [number, string][]): string {
  // Per generated line, the insertions on it as [column, cumulative length after it].
  const perLine = new Map<number, [number, number][]>();
  let line = 0;
  for (const [at, text] of inserted) {
    while (line + 1 < lineStarts.length && lineStarts[line + 1]! <= at) line++;
    const list = perLine.get(line) ?? [];
    list.push([at - lineStarts[line]!, (list.at(-1)?.[1] ?? 0) + text.length]);
    perLine.set(line, list);
  }
  return mappings
    .split(';')
    .map((segments, l) => {
      const ins = perLine.get(l);
      if (!ins || segments === '') return segments;
      let col = 0;
      let prevOut = 0;
      let k = 0;
      let shift = 0;
      return segments
        .split(',')
        .map((seg) => {
          const [delta, end] = readVlq(seg);
          col += delta;
          while (k < ins.length && ins[k]![0] <= col) shift = ins[k++]![1];
          const out = col + shift;
          const text = writeVlq(out - prevOut) + seg.slice(end);
          prevOut = out;
          return text;
        })
        .join(',');
    })
    .join(';');
}

/** Per generated line, its segments' columns and source indexes (-1: a segment that names no source). */
function decodeSources(mappings: string): { cols: number[]; sources: number[] }[] {
  let source = 0;
  return mappings.split(';').map((segments) => {
    const cols: number[] = [];
    const sources: number[] = [];
    let col = 0;
    if (segments !== '')
      for (const seg of segments.split(',')) {
        const [dc, end] = readVlq(seg);
        col += dc;
        cols.push(col);
        if (end < seg.length) {
          source += readVlq(seg.slice(end))[0];
          sources.push(source);
        } else sources.push(-1);
      }
    return { cols, sources };
  });
}

/**
 * Which code to mark: `only(source)` is asked, for each function, of the source file (as the map names it) of the
 * last mapped position at or before the function's start; a function the map does not place is marked.
 */
function eagerWhere(map: string | undefined, lineStarts: readonly number[], only: ((source: string) => boolean) | undefined): (offset: number) => boolean {
  if (!only || map === undefined) return () => true;
  const json = JSON.parse(map) as { mappings: string; sources: string[] };
  const keep = json.sources.map((s) => only(s));
  const lines = decodeSources(json.mappings);
  return (offset) => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    const line = lines[lo];
    if (!line) return true;
    const col = offset - lineStarts[lo]!;
    let a = 0;
    let b = line.cols.length - 1;
    let found = -1;
    while (a <= b) {
      const mid = (a + b) >> 1;
      if (line.cols[mid]! <= col) {
        found = mid;
        a = mid + 1;
      } else b = mid - 1;
    }
    const src = found === -1 ? -1 : line.sources[found]!;
    return src === -1 || keep[src] !== false;
  };
}

/**
 * The chunk with its functions marked eager, and its source map (JSON text) shifted to match; unchanged if unparsable.
 * `only`, given the source map, limits the marking to the functions of the sources it accepts.
 */
export function markEager(
  parse: Parse,
  code: string,
  map: string | undefined,
  only?: (source: string) => boolean,
): { code: string; map: string | undefined; marked: number } {
  let ast: Node;
  try {
    ast = parse(code, { ecmaVersion: 'latest', sourceType: 'module' });
  } catch {
    return { code, map, marked: 0 };
  }
  const lineStarts = [0];
  for (let i = code.indexOf('\n'); i !== -1; i = code.indexOf('\n', i + 1)) lineStarts.push(i + 1);
  const ins = insertions(ast, eagerWhere(map, lineStarts, only), only ?? (() => true));
  if (ins.length === 0) return { code, map, marked: 0 };
  let out = '';
  let at = 0;
  for (const [p, t] of ins) {
    out += code.slice(at, p) + t;
    at = p;
  }
  out += code.slice(at);
  let newMap = map;
  if (map !== undefined) {
    const json = JSON.parse(map) as { mappings: string };
    json.mappings = shiftMappings(json.mappings, lineStarts, ins);
    newMap = JSON.stringify(json);
  }
  return { code: out, map: newMap, marked: ins.filter(([, t]) => t !== ')').length };
}
