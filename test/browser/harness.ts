/**
 * Shared by the browser tests that bundle a page: builds it with each bundler
 * of {@link BUNDLERS} (contextvars/bundler's plugin for it in each); serving
 * it on 127.0.0.1 and driving headless Chromium live in tools/chromium.ts,
 * re-exported here.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { decode } from '@jridgewell/sourcemap-codec';
import { repo } from '../../tools/chromium.ts';

export {
  CHROMIUM,
  type Chromium,
  launchChromium,
  type Page,
  type PageOptions,
  port,
  repo,
  serve,
  skipReason,
  tempDir,
  withChromium,
} from '../../tools/chromium.ts';

/**
 * The bundlers the pages are built with, each through contextvars/bundler's
 * plugin for it: the browser tests run the same page once per entry.
 */
export const BUNDLERS = ['vite', 'esbuild', 'rollup', 'webpack'] as const;
export type Bundler = (typeof BUNDLERS)[number];

interface BundleOptions {
  /** Whether contextvars/bundler transforms the page (default true). */
  transform?: boolean;
}

/**
 * Bundles `entry` (an ES module) into `outDir/page.js`, with its source map
 * in `outDir/page.js.map`, with `bundler`, configured as docs/browser.md
 * shows (Rollup: node-resolve with `browser: true`; webpack: the plugin's
 * post loader) plus an output file and source maps.
 */
export async function bundle(
  bundler: Bundler,
  entry: string,
  outDir: string,
  options: BundleOptions = {},
): Promise<void> {
  const plugins = (await import(join(repo, 'dist/bundler.js'))) as typeof import('../../src/bundler/index.ts');
  const transform = options.transform !== false;
  switch (bundler) {
    case 'vite': {
      const { build } = await import('vite');
      await build({
        root: dirname(entry),
        configFile: false,
        logLevel: 'warn',
        plugins: transform ? [plugins.vite()] : [],
        build: {
          outDir,
          emptyOutDir: false,
          minify: false,
          sourcemap: true,
          target: 'esnext',
          modulePreload: false,
          rollupOptions: { input: entry, output: { entryFileNames: 'page.js' } },
        },
      });
      return;
    }
    case 'esbuild': {
      const { build } = await import('esbuild');
      await build({
        entryPoints: [entry],
        bundle: true,
        format: 'esm',
        platform: 'browser',
        target: 'esnext',
        outfile: join(outDir, 'page.js'),
        sourcemap: true,
        logLevel: 'warning',
        plugins: transform ? [plugins.esbuild()] : [],
      });
      return;
    }
    case 'rollup': {
      const { rollup } = await import('rollup');
      const { nodeResolve } = await import('@rollup/plugin-node-resolve');
      const warnings: string[] = [];
      const build = await rollup({
        input: entry,
        plugins: [nodeResolve({ browser: true }), ...(transform ? [plugins.rollup()] : [])],
        onwarn: (warning) => {
          warnings.push(warning.message);
        },
      });
      try {
        await build.write({ file: join(outDir, 'page.js'), format: 'es', sourcemap: true });
      } finally {
        await build.close();
      }
      if (warnings.length > 0) throw new Error(`Rollup warned: ${warnings.join('; ')}`);
      return;
    }
    case 'webpack': {
      const { default: webpack } = await import('webpack');
      const stats = await new Promise<import('webpack').Stats | undefined>((resolve, reject) => {
        webpack(
          {
            mode: 'production',
            entry,
            output: { path: outDir, filename: 'page.js' },
            devtool: 'source-map',
            optimization: { minimize: false },
            performance: { hints: false },
            plugins: transform ? [plugins.webpack()] : [],
          },
          (error, result) => (error ? reject(error) : resolve(result)),
        );
      });
      if (stats === undefined || stats.hasErrors() || stats.hasWarnings())
        throw new Error(`webpack: ${stats?.toString({ all: false, errors: true, warnings: true }) ?? 'no stats'}`);
      return;
    }
  }
}

/** A place in a file: `line` and `column` from 0, as source maps count them. */
export interface Position {
  source: string;
  line: number;
  column: number;
}

/**
 * Where the generated `line`/`column` (from 0) of `outDir/page.js` comes
 * from, by `outDir/page.js.map`: the segment of that line that starts at or
 * before the column, or undefined when the line has none.
 */
export function originalPosition(outDir: string, line: number, column: number): Position | undefined {
  const map = JSON.parse(readFileSync(join(outDir, 'page.js.map'), 'utf8')) as { sources: string[]; mappings: string };
  const segments = decode(map.mappings)[line] ?? [];
  let found: readonly number[] | undefined;
  for (const segment of segments) if ((segment[0] ?? Infinity) <= column && segment.length >= 4) found = segment;
  if (found === undefined) return undefined;
  const [, source = 0, sourceLine = 0, sourceColumn = 0] = found;
  return { source: map.sources[source] ?? '', line: sourceLine, column: sourceColumn };
}

export interface CaseResult {
  name: string;
  ok: boolean;
  error?: string;
}
