// Rewrites the one-file console bundle (an ES module) as a script whose code cache bin/tws-risk makes after it ran.
/*
 * Why: Node's compile cache stores the code V8 made when it compiled a module, before it ran, so it holds only the
 * functions compiled eagerly (scripts/eager-compile.ts marks what it can; function declarations, class and object
 * methods stay lazy): the console's first frame still compiled some 1,100 functions on every start. V8 can also cache a
 * script's code after it ran (vm.Script#createCachedData), with every function compiled by then; Node offers that for
 * scripts, not for ES modules. The one-file console needs no module syntax: its only imports are the banner's three
 * built-ins (every other built-in comes through process.getBuiltinModule, scripts/bundle.ts), it has no dynamic import
 * and no top-level await, and it exports `main`. So the same code, wrapped in a function that takes `import.meta` and
 * returns the exports, runs as a script (docs/performance.md "Start-up, fifth pass").
 *
 * Every edit keeps each line's length and line count (`import.meta` and `__tws_meta_` are both 11 characters, the
 * banner is replaced line for line, the export by a return padded to its length), so the ES module's source map serves
 * the script as it is. Anything else module-only found in the bundle leaves the script unwritten: the bin then imports
 * the ES module, slower, never different.
 */
import { isNode, type Node, type Parse } from './eager-compile.js';

/** The script's name, beside the ES module it is made from (dist/bundle/console/). */
export const CONSOLE_SCRIPT = 'cli.script.js';

/** The parameter standing for `import.meta` (`{ url, resolve }`, from the bin), as long as what it replaces. */
const META = '__tws_meta_';

/** The banner's six lines as the script's: the wrapper opens on the first, `require` and the paths come from the meta. */
const HEADER = [
  `(function (${META}) {'use strict';`,
  `const require = process.getBuiltinModule('node:module').createRequire(${META}.url);`,
  `const __filename = process.getBuiltinModule('node:url').fileURLToPath(${META}.url);`,
  "const __dirname = process.getBuiltinModule('node:path').dirname(__filename);",
  '',
  '',
];

/**
 * The script, whose evaluation is a function of `import.meta` returning the module's exports, or why the module cannot
 * be one (a construct only a module may have). `banner` is the bundle's (scripts/bundle.ts BANNER), which it opens with.
 */
export function asConsoleScript(parse: Parse, code: string, banner: string): { readonly code: string } | { readonly problem: string } {
  if (!code.startsWith(banner + '\n')) return { problem: 'the bundle does not open with the banner' };
  if (banner.split('\n').length !== HEADER.length) return { problem: 'the banner changed' };
  let ast: Node;
  try {
    ast = parse(code, { ecmaVersion: 'latest', sourceType: 'module' });
  } catch (e) {
    return { problem: `unparsable: ${(e as Error).message}` };
  }
  const edits: [start: number, end: number, text: string][] = [];
  let exported: Node | undefined;
  let problem: string | undefined;
  const body = ast.body as Node[];
  for (const node of body) {
    if (node.type === 'ImportDeclaration' && node.end <= banner.length) continue;
    if (node.type === 'ExportNamedDeclaration' && exported === undefined && node.declaration === null && node.source === null) exported = node;
    else if (/^(Import|Export)/.test(node.type)) problem ??= `a module declaration at ${node.start}`;
  }
  const walk = (node: Node, inFunction: boolean): void => {
    // The banner's own (its `require` and paths) go with it: HEADER replaces its lines.
    if (node.type === 'MetaProperty') node.start >= banner.length && edits.push([node.start, node.end, META]);
    else if (node.type === 'ImportExpression') problem ??= `a dynamic import at ${node.start}`;
    else if (!inFunction && (node.type === 'AwaitExpression' || (node.type === 'ForOfStatement' && node.await === true)))
      problem ??= `a top-level await at ${node.start}`;
    const fn = inFunction || /Function/.test(node.type);
    for (const key of Object.keys(node)) {
      const v = node[key];
      if (Array.isArray(v)) for (const c of v) isNode(c) && walk(c, fn);
      else if (isNode(v) && key !== 'type') walk(v, fn);
    }
  };
  walk(ast, false);
  if (problem) return { problem };
  if (!exported) return { problem: 'no export list' };
  const names = (exported.specifiers as Node[]).map((s) => {
    const local = (s.local as Node).name as string;
    const as = ((s.exported as Node).name ?? (s.exported as Node).value) as string;
    return local === as ? local : `${JSON.stringify(as)}:${local}`;
  });
  const ret = `return{${names.join(',')}}`;
  const length = exported.end - exported.start;
  if (ret.length + 1 > length) return { problem: 'the export list is shorter than its return' };
  edits.push([exported.start, exported.end, ret + ';'.padEnd(length - ret.length)]);
  let out = HEADER.join('\n');
  let at = banner.length;
  for (const [start, end, text] of edits.sort((a, b) => a[0] - b[0])) {
    out += code.slice(at, start) + text;
    at = end;
  }
  // After the last line (the source map's comment): the wrapper closes where no mapped column moves.
  return { code: `${out}${code.slice(at)}\n})\n` };
}
