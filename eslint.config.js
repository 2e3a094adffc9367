// ESLint (flat config): the folder boundaries of docs/architecture.md as import rules, and React's hooks rules.
import babelParser from '@babel/eslint-parser';
import reactHooks from 'eslint-plugin-react-hooks';

/*
 * typescript-eslint does not support TypeScript 7 yet (its peer range ends below 6.1), so TypeScript and JSX are
 * parsed by Babel's parser: enough for import boundaries and the hooks rules, which read syntax, not types. The type
 * check itself is `npm run typecheck`.
 */
const languageOptions = {
  parser: babelParser,
  ecmaVersion: 'latest',
  sourceType: 'module',
  parserOptions: {
    requireConfigFile: false,
    babelOptions: { babelrc: false, configFile: false, parserOpts: { plugins: ['typescript', 'jsx'] } },
  },
};

const FOLDERS = ['model', 'streams', 'risk', 'trading', 'keymap', 'session', 'views', 'sim', 'config', 'commands'];
const UI = ['ink', 'ink/*', 'react', 'react/*', 'ink-testing-library'];
const IB = ['@stoqey/ib', '@stoqey/ib/*'];

/**
 * The folder table (docs/architecture.md): the src folders and packages each folder may import. A relative import
 * that climbs out of the folder (`../x/...`) into any other src folder is refused.
 */
const MAY_IMPORT = {
  model: { folders: [], packages: ['decimal.js'] },
  streams: { folders: ['model', 'sim'] },
  risk: { folders: ['model'] },
  // The audit log is a hash-chained file like a recording: it shares the line format and the exclusive create.
  trading: { folders: ['model'], also: 'streams/recording/(format|open-unique)\\.js$' },
  keymap: { folders: ['model'] },
  session: { folders: ['model', 'streams', 'risk', 'trading', 'config'] },
  views: { folders: ['model', 'session', 'risk', 'keymap', 'streams'] },
  sim: { folders: ['model'] },
  config: { folders: ['model', 'risk', 'keymap'] },
};

function restrictions(name, { ib = false } = {}) {
  const rule = MAY_IMPORT[name];
  const refused = FOLDERS.filter((f) => f !== name && !rule.folders.includes(f));
  const allowed = rule.also ? `(?!${rule.also})` : '';
  const packages = name === 'model' ? ['rxjs', ...UI, ...IB] : name === 'views' ? IB : ib ? UI : [...UI, ...IB];
  return {
    patterns: [
      {
        regex: `^(\\.\\./)+${allowed}(${refused.join('|')})(/|$)`,
        message: `src/${name} may import only ${rule.folders.join(', ') || 'decimal.js'} (docs/architecture.md, the folder table)`,
      },
      ...(packages.length ? [{ group: packages, message: `src/${name} may not import this package (docs/architecture.md)` }] : []),
    ],
  };
}

export default [
  { ignores: ['dist/**', 'node_modules/**', 'recordings/**', 'coverage/**'] },
  {
    files: ['**/*.ts', '**/*.tsx', '**/*.js'],
    languageOptions,
    linterOptions: { reportUnusedDisableDirectives: 'error' },
  },
  ...Object.keys(MAY_IMPORT).map((name) => ({
    files: [`src/${name}/**/*.ts`, `src/${name}/**/*.tsx`],
    rules: { 'no-restricted-imports': ['error', restrictions(name)] },
  })),
  // Only the TWS source speaks @stoqey/ib: its types and events end at the edge (STYLE.md "Map wire shapes ... once").
  { files: ['src/streams/tws/**/*.ts'], rules: { 'no-restricted-imports': ['error', restrictions('streams', { ib: true })] } },
  {
    files: ['src/views/**/*.tsx', 'src/views/**/*.ts'],
    plugins: { 'react-hooks': reactHooks },
    // A stale closure in a key handler answers a dialog with yesterday's state: both hook rules are errors.
    rules: { 'react-hooks/rules-of-hooks': 'error', 'react-hooks/exhaustive-deps': 'error' },
  },
];
