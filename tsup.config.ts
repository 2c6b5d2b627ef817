import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    // Integrations: each its own entry point, importing the core from ../index.ts.
    opentelemetry: 'src/integrations/opentelemetry.ts',
    logging: 'src/integrations/logging.ts',
    worker: 'src/integrations/worker.ts',
    // TC39 AsyncContext on the same store; the global entry installs it as globalThis.AsyncContext.
    'async-context': 'src/async-context.ts',
    'async-context-global': 'src/async-context-global.ts',
    // Not exported: the script contextvars/worker starts in each Worker (found beside it in dist/).
    'worker-thread': 'src/integrations/worker-thread.ts',
  },
  // One copy of the core per format: the entries share it through chunks, in CommonJS too,
  // so a ContextVar from require('contextvars') is the class require('contextvars/worker') knows.
  splitting: true,
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  platform: 'neutral',
  treeshake: true,
});
