import { defineConfig } from 'tsup';
import { tsupEntries } from './scripts/entries.mjs';

/**
 * Our declarations name Symbol.dispose and Symbol.asyncDispose (Token and
 * TaskGroup support `using`). TypeScript declares them only with lib
 * esnext.disposable (or @types/node), so every .d.ts declares them too, as
 * @types/node does: a consumer's tsc passes with any `lib`, such as
 * ["es2022", "dom"], and skipLibCheck off. Identical declarations merge.
 */
const disposeDeclarations = [
  'declare global {',
  '  interface SymbolConstructor {',
  '    readonly dispose: unique symbol;',
  '    readonly asyncDispose: unique symbol;',
  '  }',
  '}',
  // worker-thread.d.ts exports nothing: this keeps every file a module, where `declare global` is allowed.
  'export {};',
].join('\n');

/**
 * Source maps only for the coverage run (`npm run coverage`), where c8 maps
 * what the tests ran in dist/ back to src/; the published build has none
 * (package.json `files` leaves them out in any case).
 */
const withSourceMaps = process.env['CONTEXTVARS_SOURCEMAPS'] === '1';

export default defineConfig([
  {
    entry: {
      // The public entry points (package.json `exports`), listed once in scripts/entries.mjs;
      // integrations import the core from ../index.ts.
      ...tsupEntries(),
      // Not exported: the script contextvars/worker starts in each Worker (found beside it in dist/).
      'worker-thread': 'src/integrations/worker/worker-thread.ts',
    },
    // One copy of the core per format: the entries share it through chunks, in CommonJS too,
    // so a ContextVar from require('contextvars') is the class require('contextvars/worker') knows.
    splitting: true,
    format: ['esm', 'cjs'],
    dts: { footer: disposeDeclarations },
    sourcemap: withSourceMaps,
    // All three builds write into dist/: `npm run build` empties it once, before them.
    clean: false,
    target: 'es2022',
    platform: 'neutral',
    treeshake: true,
    define: { __CONTEXTVARS_BROWSER__: 'false' },
  },
  {
    // The `browser` export condition: the same entries on the browser storage
    // (src/runtime/browser.ts), ESM only; their types are the ones above.
    entry: tsupEntries((entry) => entry.browser === true),
    outDir: 'dist/browser',
    format: ['esm'],
    splitting: true,
    sourcemap: withSourceMaps,
    clean: false,
    target: 'es2022',
    platform: 'browser',
    treeshake: true,
    define: { __CONTEXTVARS_BROWSER__: 'true' },
  },
  {
    // The bundler plugin runs in Node inside Vite, Rollup, esbuild or webpack;
    // acorn and magic-string are bundled, so the package keeps no runtime dependency.
    entry: { ...tsupEntries((entry) => entry.bundler === true), 'bundler-loader': 'src/bundler/loader.ts' },
    format: ['esm', 'cjs'],
    dts: { footer: disposeDeclarations },
    sourcemap: withSourceMaps,
    clean: false,
    target: 'node20',
    platform: 'node',
    shims: true,
    splitting: false,
    noExternal: ['acorn', 'magic-string', '@jridgewell/sourcemap-codec'],
  },
]);
