// Bundles the CLI with esbuild into dist/bundle/, split so that each command loads only the chunks it needs.
import { createRequire, isBuiltin } from 'node:module';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, type BuildOptions, type Metafile, type OutputFile, type Plugin, type PluginBuild } from 'esbuild';
import { cacheInkSquash, cacheInkTextNodes } from '../src/views/ink-text-cache.js';
import { guardInkPasteApp, guardInkPasteParser, replaceOnce } from '../src/views/ink-paste-guard.js';
import { asConsoleScript, CONSOLE_SCRIPT } from './console-script.js';
import { loadParser, markEager } from './eager-compile.js';
import { widthTable, withWidthTable } from './string-width-table.js';
import { SEGMENTER_LINES, withGraphemeFastPath } from './grapheme-fast-path.js';

/*
 * Why a bundle: Node resolves, reads and compiles every module file on its own, and the console needs hundreds of
 * them (Ink, React, yoga, RxJS, @stoqey/ib, the simulator). Loading a few dozen larger chunks instead took `demo`
 * from about 14× `node -e 0` to first frame down to the figures in docs/performance.md "Start-up". cli.ts imports each
 * command when it runs; `splitting` keeps those dynamic imports as chunk boundaries, so `--help` and `verify` still
 * load none of the console's chunks (test/startup-modules.test.ts and test/e2e/bundle-tmux.test.ts read packages.json,
 * written below, to check it).
 */

/** From dist/scripts/ (compiled) or scripts/ (sources): the project root, where package.json is. */
const here = dirname(fileURLToPath(import.meta.url));
const root = basename(dirname(here)) === 'dist' ? resolve(here, '..', '..') : resolve(here, '..');
export const BUNDLE_DIR = join(root, 'dist', 'bundle');

/**
 * Edits the package files `filter` matches as they are bundled: `edit` gives the new text (of the file at `path`), or undefined when the file
 * is not the one it knows (a release changed those lines); the bundle then keeps the file as published and the build
 * warns `warning`, so that a package update makes the build slower or plainer, never broken.
 */
function editOnLoad(
  b: PluginBuild,
  filter: RegExp,
  edit: (text: string, path: string) => string | undefined | Promise<string | undefined>,
  warning: string | ((path: string) => string),
): void {
  b.onLoad({ filter }, async (args) => {
    const text = readFileSync(args.path, 'utf8');
    const edited = await edit(text, args.path);
    if (edited === undefined) return { contents: text, loader: 'js', warnings: [{ text: typeof warning === 'string' ? warning : warning(args.path) }] };
    return { contents: edited, loader: 'js' };
  });
}

/*
 * Ink does not export its Output class, so src/views/ink-output.ts reaches it by file path at run time. Inside the
 * bundle that would load a second Ink from node_modules, whose Output the renderer never uses; the bundle instead
 * imports the very file Ink's renderer imports, so both name the one bundled module.
 */
const inkOutput: Plugin = {
  name: 'ink-output',
  setup(b) {
    const inkEntry = createRequire(join(root, 'package.json')).resolve('ink');
    const outputFile = join(dirname(inkEntry), 'output.js');
    b.onLoad({ filter: /[\\/]src[\\/]views[\\/]ink-output\.ts$/ }, () => ({
      // From Ink's own folder, '@alcalzone/ansi-tokenize' resolves to the copy Ink's Output imports.
      contents:
        `export const importInkOutput = () => import(${JSON.stringify(outputFile)});\n` +
        `export const importAnsiTokenize = () => import('@alcalzone/ansi-tokenize').catch(() => ({}));\n`,
      loader: 'js',
      resolveDir: dirname(outputFile),
    }));
  },
};

/*
 * yoga-layout (Ink's layout engine) ships its wasm as a base64 data: URL and, where a global fetch exists, loads it
 * through fetch(), which makes Node load its whole HTTP client (undici) to decode 90 kB: a tenth of the console's
 * start-up in a CPU profile. Emscripten's own fallback decodes the same bytes without fetch; the bundle takes it.
 * Should a yoga release change that code, the build warns and the bundle keeps fetch: slower, never wrong.
 */
const YOGA_FETCH = '"function"!=typeof fetch?Promise.resolve().then(function(){return wa()})';
const yogaWithoutFetch: Plugin = {
  name: 'yoga-without-fetch',
  setup(b) {
    editOnLoad(
      b,
      /[\\/]yoga-layout[\\/]dist[\\/]binaries[\\/][^\\/]+\.js$/,
      (text) => replaceOnce(text, YOGA_FETCH, YOGA_FETCH.replace('"function"!=typeof fetch', 'true')),
      'yoga-layout: the wasm loader changed; the bundle loads it through fetch (slower start-up)',
    );
  },
};

/*
 * RxJS's package sends Node to its CommonJS build, in which each of its ~300 modules is a function called at load (the
 * whole library, since its index requires them all). Its ES build, the same code, lets esbuild hoist the modules into
 * the chunk and drop what nothing imports: `replay` then loads the operators it uses, not all of RxJS.
 * @stoqey/ib's require('rxjs') gets the same single copy.
 */
const rxjsEsm: Plugin = {
  name: 'rxjs-esm',
  setup(b) {
    const rxjsDir = dirname(createRequire(join(root, 'package.json')).resolve('rxjs/package.json'));
    b.onResolve({ filter: /^rxjs(\/operators)?$/ }, (args) => ({
      path: join(rxjsDir, 'dist', 'esm', args.path === 'rxjs' ? 'index.js' : 'operators/index.js'),
    }));
  },
};

/*
 * React, its reconciler and scheduler choose their production or development build by NODE_ENV when first loaded;
 * runConsole sets it to production unless the environment says otherwise. The bundle is the product: it holds the
 * production builds only (the development ones are a megabyte of code the code cache would carry on every start),
 * whatever NODE_ENV says. The unbundled build (dist/src, the tests) still follows NODE_ENV.
 */
const reactProduction: Plugin = {
  name: 'react-production',
  setup(b) {
    b.onLoad({ filter: /[\\/]node_modules[\\/](react|react-reconciler|scheduler)[\\/][^\\/]+\.js$/ }, (args) => ({
      contents: readFileSync(args.path, 'utf8').replaceAll('process.env.NODE_ENV', '"production"'),
      loader: 'js',
    }));
  },
};

/*
 * Ink holds a bracketed paste until its end marker, with no timeout and no size limit: a stray start marker made the
 * console deaf to every key, Ctrl-C included. src/views/ink-paste-guard.ts edits its parser and App so that a paste
 * quiet for a while is closed (its text a paste, the input after it keys) and a huge one is handed over in parts.
 * Should an Ink release change those lines, the build warns and the bundle keeps Ink's own files.
 */
const inkPasteGuard: Plugin = {
  name: 'ink-paste-guard',
  setup(b) {
    const unguarded = (name: string) => `ink: ${name} changed; a paste with no end marker holds every key until it ends`;
    editOnLoad(b, /[\\/]ink[\\/]build[\\/]input-parser\.js$/, guardInkPasteParser, unguarded('input-parser.js'));
    editOnLoad(b, /[\\/]ink[\\/]build[\\/]components[\\/]App\.js$/, guardInkPasteApp, unguarded('components/App.js'));
  },
};

/*
 * Ink re-squashes every <Text> on every frame; src/views/ink-text-cache.ts edits its render-node-to-output.js so that a
 * text node Yoga was not told of a change keeps its text. Should an Ink release change those lines, the build warns and
 * the bundle keeps Ink's own file (slower, the same frames).
 */
const inkTextCache: Plugin = {
  name: 'ink-text-cache',
  setup(b) {
    editOnLoad(
      b,
      /[\\/]ink[\\/]build[\\/]render-node-to-output\.js$/,
      cacheInkTextNodes,
      'ink: render-node-to-output.js changed; the bundle draws every text node each frame (slower)',
    );
    // The squashed text, shared by Yoga's measuring and the drawing (measured, then drawn, a changed line was squashed twice).
    editOnLoad(
      b,
      /[\\/]ink[\\/]build[\\/]squash-text-nodes\.js$/,
      cacheInkSquash,
      'ink: squash-text-nodes.js changed; the bundle squashes text nodes again to measure them (slower)',
    );
  },
};

/*
 * string-width measures any text that is not printable ASCII with Intl.Segmenter and a `\p{RGI_Emoji}` regex whose first
 * use compiles it (30-40 ms of CPU before the console's first frame); scripts/string-width-table.ts adds a fast path
 * from a table of the installed string-width's own widths, made here. Should a release change that code, the build
 * warns and the bundle keeps the file as published: slower, the same widths.
 */
const stringWidthTable: Plugin = {
  name: 'string-width-table',
  setup(b) {
    editOnLoad(
      b,
      /[\\/]string-width[\\/]index\.js$/,
      async (text, path) => {
        try {
          const published = ((await import(pathToFileURL(path).href)) as { default: (s: string) => number }).default;
          return withWidthTable(text, widthTable(published));
        } catch {
          return undefined;
        }
      },
      'string-width: its code changed; the bundle measures every non-ASCII text through ICU (slower start-up)',
    );
  },
};

/*
 * Ink's text packages make an Intl.Segmenter as they load, and the first one loads ICU's break rules (some 20 ms of
 * CPU before the first frame); scripts/grapheme-fast-path.ts puts a stand-in in its place that segments text of
 * characters that are each their own cluster without ICU, and makes the segmenter at its first use for anything else.
 * Should a release change those lines, the build warns and the bundle keeps the file as published.
 */
const graphemeFastPath: Plugin = {
  name: 'grapheme-fast-path',
  setup(b) {
    let table: Promise<string> | undefined;
    const stringWidth = createRequire(join(root, 'package.json')).resolve('string-width');
    for (const { file, eager, lazy } of SEGMENTER_LINES)
      editOnLoad(
        b,
        file,
        async (text) => {
          try {
            table ??= import(pathToFileURL(stringWidth).href).then((m: { default: (s: string) => number }) => widthTable(m.default));
            return withGraphemeFastPath(text, eager, lazy, await table);
          } catch {
            return undefined;
          }
        },
        (path) => `${relative(root, path)}: its segmenter changed; the bundle keeps it (ICU at start-up)`,
      );
  },
};

/*
 * Some bundled packages are CommonJS and call require() or read __dirname (@stoqey/ib looks for an optional config
 * file beside itself). An ES module has neither, so each chunk defines them for its own location.
 */
export const BANNER = [
  "import { createRequire as __twsCreateRequire } from 'node:module';",
  "import { fileURLToPath as __twsFileURLToPath } from 'node:url';",
  "import { dirname as __twsDirname } from 'node:path';",
  'const require = __twsCreateRequire(import.meta.url);',
  'const __filename = __twsFileURLToPath(import.meta.url);',
  'const __dirname = __twsDirname(__filename);',
].join('\n');

/*
 * Ink imports its devtools module (which imports react-devtools-core, not installed) only when DEV=true and that
 * package resolves. Split, that import stays a chunk never loaded; in the one-file console bundle below it would become
 * a static import of a missing package, so there it is an empty module: what Ink does when the package is missing.
 */
const noInkDevtools: Plugin = {
  name: 'no-ink-devtools',
  setup(b) {
    b.onResolve({ filter: /^\.\/devtools\.js$/ }, (args) =>
      /[\\/]ink[\\/]build$/.test(args.resolveDir) ? { path: 'ink-devtools', namespace: 'no-ink-devtools' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'no-ink-devtools' }, () => ({ contents: 'export {};\n', loader: 'js' }));
  },
};

/*
 * An ES import of a Node built-in module (`import { readFileSync } from 'node:fs'`) loads it as the chunk links, before
 * any code runs, and builds its ES facade, which reads every export: for `fs` that runs its lazy getters, loading
 * fs/promises and the stream classes. The bundle hoists every import to the top of its file, so the one-file console
 * loaded crypto, zlib, readline, child_process and worker_threads (and the facades of 19 built-ins) before its first
 * line ran. Here each built-in is a small CommonJS module of the bundle holding `process.getBuiltinModule(name)`: it is
 * loaded where the module importing it is first evaluated (esbuild evaluates a module reached by a dynamic import only
 * then), and no facade is built (docs/performance.md "Start-up, fifth pass"). Same objects, same behaviour.
 */
const builtinsOnUse: Plugin = {
  name: 'builtins-on-use',
  setup(b) {
    b.onResolve({ filter: /^[a-z_/:]+$/ }, (args) =>
      args.path !== 'node:test' && isBuiltin(args.path) ? { path: args.path.replace(/^node:/, ''), namespace: 'builtin-on-use' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'builtin-on-use' }, (args) => ({
      contents: `module.exports = process.getBuiltinModule(${JSON.stringify(`node:${args.path}`)});\n`,
      loader: 'js',
    }));
  },
};

/** What both builds share: ES modules for Node 22, the same edits to the packages, readable names, linked maps. */
const COMMON: BuildOptions = {
  absWorkingDir: root,
  outdir: BUNDLE_DIR,
  entryNames: '[name]',
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node22',
  // Readable stack traces: run with --enable-source-maps (or NODE_OPTIONS) to have them point at src/.
  sourcemap: 'linked',
  sourcesContent: false,
  // Whitespace and syntax only: names stay as written, so a stack trace reads even without the source map.
  minifyWhitespace: true,
  minifySyntax: true,
  banner: { js: BANNER },
  // Ink imports React's devtools only when DEV=true and the package is installed (it is not): an import never run.
  external: ['react-devtools-core'],
  metafile: true,
  logLevel: 'warning',
  // Written below, once each chunk's functions are marked for eager compilation (scripts/eager-compile.ts).
  write: false,
};

/*
 * Why a second, one-file bundle of the same CLI for the console: Node's ES module loader costs about a millisecond of
 * CPU per file it resolves, reads and links, whatever its size, and the split build's console commands load some 60
 * chunks (the chunks a command shares with each other set of commands are files of their own).
 * dist/bundle/console/cli.js is the whole CLI in one file, its dynamic imports kept lazy (esbuild evaluates an imported
 * module at its import); bin/tws-risk loads it for the console (demo, replay, live on a terminal) and cli.js for
 * everything else, where loading the whole program would cost more than the files it saves (docs/performance.md
 * "Start-up, fourth pass"). It sits one folder down so that what a chunk finds at ../ (Ink's package.json under
 * DEV=true, the pricing worker) it finds there too.
 */
export const CONSOLE_DIR = 'console';

/** Builds dist/bundle/cli.js and its chunks, and dist/bundle/console/cli.js; returns the number of output files. */
export async function bundle(): Promise<number> {
  rmSync(BUNDLE_DIR, { recursive: true, force: true });
  mkdirSync(BUNDLE_DIR, { recursive: true });
  const plugins = [inkOutput, yogaWithoutFetch, rxjsEsm, reactProduction, inkTextCache, inkPasteGuard, stringWidthTable, graphemeFastPath];
  const [split, whole] = await Promise.all([
    build({
      ...COMMON,
      // The grid's pricing worker is a script of its own (src/risk/price-pool.ts starts it from ./price-worker.js).
      entryPoints: [join(root, 'src', 'cli.ts'), join(root, 'src', 'risk', 'price-worker.ts')],
      chunkNames: 'chunks/[name]-[hash]',
      splitting: true,
      plugins,
    }),
    build({
      ...COMMON,
      outdir: join(BUNDLE_DIR, CONSOLE_DIR),
      entryPoints: [join(root, 'src', 'cli.ts')],
      splitting: false,
      plugins: [builtinsOnUse, ...plugins, noInkDevtools],
    }),
  ]);
  const forConsole = consoleModules(whole.metafile!);
  writeOutputs([...split.outputFiles!, ...whole.outputFiles!], (file) =>
    file.startsWith(join(BUNDLE_DIR, CONSOLE_DIR) + sep) ? (source) => forConsole.has(source.replace(/^(\.\.\/)+/, '')) : undefined,
  );
  // Which packages each output file holds, so a test can tell which chunks a command loaded.
  const packages: Record<string, string[]> = {};
  const outputs: Metafile['outputs'] = { ...split.metafile!.outputs, ...whole.metafile!.outputs };
  for (const [file, out] of Object.entries(outputs)) {
    if (!file.endsWith('.js')) continue;
    const pkgs = new Set<string>();
    for (const input of Object.keys(out.inputs)) {
      const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
      if (m) pkgs.add(m[1]!);
    }
    packages[relative(BUNDLE_DIR, resolve(root, file))] = [...pkgs].sort();
  }
  // The console's script (scripts/console-script.ts) is its ES module's code, so it holds the same packages.
  const consoleModule = `${CONSOLE_DIR}/cli.js`;
  if (packages[consoleModule] && existsSync(join(BUNDLE_DIR, CONSOLE_DIR, CONSOLE_SCRIPT)))
    packages[`${CONSOLE_DIR}/${CONSOLE_SCRIPT}`] = packages[consoleModule];
  writeFileSync(join(BUNDLE_DIR, 'packages.json'), JSON.stringify(packages, null, 1) + '\n');
  // Under DEV=true (a common name for other things) Ink reads its package.json at ../package.json from its own file,
  // which from a chunk is this one: without it Ink prints a warning and a stack into the console. It names no
  // package, so Ink keeps its defaults, and the version and scenarios lookups walk on past it to the project's.
  writeFileSync(join(BUNDLE_DIR, 'package.json'), JSON.stringify({ type: 'module' }) + '\n');
  return Object.keys(outputs).length;
}

/*
 * The commands the bin starts the one-file console for (bin/tws-risk CONSOLE_COMMANDS). Its other commands are in the
 * file too but never run there: marked eager, V8 compiled all of them on every start and the console kept about 5 MB
 * more resident after 5 minutes (docs/performance.md "The one-file console costs 15 MB resident").
 */
const CONSOLE_COMMAND_MODULES = ['src/commands/demo.ts', 'src/commands/live-console.ts', 'src/commands/replay.ts'];

/** The modules the console can run: all that src/cli.ts reaches, save through its other commands' dynamic imports. */
export function consoleModules(meta: Metafile): Set<string> {
  const seen = new Set<string>();
  const stack = ['src/cli.ts'];
  while (stack.length > 0) {
    const path = stack.pop()!;
    if (seen.has(path)) continue;
    seen.add(path);
    for (const imp of meta.inputs[path]?.imports ?? []) {
      if (imp.external) continue;
      const otherCommand = /^src\/(commands|sim)\//.test(imp.path) && !CONSOLE_COMMAND_MODULES.includes(imp.path);
      if (path === 'src/cli.ts' && imp.kind === 'dynamic-import' && otherCommand) continue;
      stack.push(imp.path);
    }
  }
  return seen;
}

/**
 * Writes esbuild's output files, each chunk's functions marked eager (only those of the sources `only` accepts, where
 * it gives a test for the file) and its source map shifted to match.
 */
function writeOutputs(files: readonly OutputFile[], only: (file: string) => ((source: string) => boolean) | undefined): void {
  const parse = loadParser();
  if (!parse) process.stderr.write('bundle: acorn not found; the chunks are not marked for eager compilation (a slower start-up, nothing else)\n');
  const byPath = new Map(files.map((f) => [f.path, f]));
  for (const f of files) {
    if (f.path.endsWith('.map') && byPath.has(f.path.slice(0, -'.map'.length))) continue;
    mkdirSync(dirname(f.path), { recursive: true });
    if (!f.path.endsWith('.js') || !parse) {
      writeFileSync(f.path, f.contents);
      continue;
    }
    const map = byPath.get(`${f.path}.map`);
    const marked = markEager(parse, f.text, map?.text, only(f.path));
    writeFileSync(f.path, marked.code);
    if (map) writeFileSync(map.path, marked.map ?? map.text);
    if (f.path === join(BUNDLE_DIR, CONSOLE_DIR, 'cli.js')) {
      const script = asConsoleScript(parse, marked.code, BANNER);
      if ('code' in script) writeFileSync(join(dirname(f.path), CONSOLE_SCRIPT), script.code);
      else process.stderr.write(`bundle: the console is not written as a script (${script.problem}); it starts as an ES module, without its code cache\n`);
    }
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const n = await bundle();
  process.stdout.write(`bundle: ${n} files in ${relative(root, BUNDLE_DIR)}/\n`);
}
