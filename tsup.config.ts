import { defineConfig, type Options } from 'tsup';

const shared: Options = {
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  target: 'es2022',
  platform: 'neutral',
  treeshake: true,
};

export default defineConfig([
  {
    ...shared,
    entry: {
      index: 'src/index.ts',
      // Integrations: each its own entry point, importing the core from ../index.ts.
      opentelemetry: 'src/integrations/opentelemetry.ts',
      logging: 'src/integrations/logging.ts',
      worker: 'src/integrations/worker.ts',
      // Not exported: the script contextvars/worker starts in each Worker (found beside it in dist/).
      'worker-thread': 'src/integrations/worker-thread.ts',
    },
    // One copy of the core per format: the entries share it through chunks, in CommonJS too,
    // so a ContextVar from require('contextvars') is the class require('contextvars/worker') knows.
    splitting: true,
    // The browser and bundler builds below write into dist/ too.
    clean: ['!browser/**', '!bundler*'],
    define: { __CONTEXTVARS_BROWSER__: 'false' },
  },
  {
    // The `browser` export condition: the same entries on the browser storage
    // (src/runtime/browser.ts), ESM only; types are the ones above.
    entry: {
      index: 'src/index.ts',
      opentelemetry: 'src/integrations/opentelemetry.ts',
      logging: 'src/integrations/logging.ts',
    },
    outDir: 'dist/browser',
    format: ['esm'],
    splitting: true,
    sourcemap: true,
    clean: true,
    target: 'es2022',
    platform: 'browser',
    treeshake: true,
    define: { __CONTEXTVARS_BROWSER__: 'true' },
  },
  {
    // The bundler plugin runs in Node inside Vite, Rollup, esbuild or webpack;
    // acorn and magic-string are bundled, so the package keeps no runtime dependency.
    entry: { bundler: 'src/bundler/index.ts', 'bundler-loader': 'src/bundler/loader.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: false,
    target: 'node20',
    platform: 'node',
    shims: true,
    splitting: false,
    noExternal: ['acorn', 'magic-string', '@jridgewell/sourcemap-codec'],
  },
]);
