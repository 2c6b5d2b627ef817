import { defineConfig } from 'tsup';
import { tsupEntries } from './scripts/entries.mjs';

export default defineConfig({
  entry: {
    // The public entry points (package.json `exports`), listed once in scripts/entries.mjs;
    // integrations import the core from ../index.ts.
    ...tsupEntries(),
    // Not exported: the script contextvars/worker starts in each Worker (found beside it in dist/).
    'worker-thread': 'src/integrations/worker-thread.ts',
  },
  // One copy of the core per format: the entries share it through chunks, in CommonJS too,
  // so a ContextVar from require('contextvars') is the class require('contextvars/worker') knows.
  splitting: true,
  format: ['esm', 'cjs'],
  dts: {
    // Our declarations name Symbol.dispose and Symbol.asyncDispose (Token and
    // TaskGroup support `using`). TypeScript declares them only with lib
    // esnext.disposable (or @types/node), so every .d.ts declares them too,
    // as @types/node does: a consumer's tsc passes with any `lib`, such as
    // ["es2022", "dom"], and skipLibCheck off. Identical declarations merge.
    footer: [
      'declare global {',
      '  interface SymbolConstructor {',
      '    readonly dispose: unique symbol;',
      '    readonly asyncDispose: unique symbol;',
      '  }',
      '}',
      // worker-thread.d.ts exports nothing: this keeps every file a module, where `declare global` is allowed.
      'export {};',
    ].join('\n'),
  },
  sourcemap: true,
  clean: true,
  target: 'es2022',
  platform: 'neutral',
  treeshake: true,
});
