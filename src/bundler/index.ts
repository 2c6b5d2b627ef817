/**
 * `contextvars/bundler`: the `await` transform as a plugin for Vite, Rollup,
 * Rolldown, esbuild, webpack and Rspack, so that ContextVar values follow
 * `await` in browsers (see docs/browser.md). Every `await`, `for await`,
 * async-generator `yield` and `await using` in the bundle resumes in the
 * scope it suspended in; files without them pass through untouched.
 *
 * The entry follows unplugin's shape (one plugin object with a member per
 * bundler) without depending on unplugin: acorn and magic-string are bundled
 * into it, so the package keeps no runtime dependency.
 *
 * @example
 * ```ts
 * // vite.config.ts
 * import { vite as contextvars } from 'contextvars/bundler';
 * export default { plugins: [contextvars()] };
 * ```
 *
 * @module
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { transformAsync, type TransformResult } from './transform.ts';

export { transformAsync, type SourceMap, type TransformResult } from './transform.ts';

/** Options of every plugin in this entry. */
export interface ContextvarsPluginOptions {
  /**
   * Files to transform (matched against the module id without its query).
   * Default: JavaScript and TypeScript files, node_modules included, since a
   * dependency's `await` loses values as much as yours.
   */
  include?: RegExp | ((id: string) => boolean);
  /** Files to leave alone, checked after `include`. Default: none. */
  exclude?: RegExp | ((id: string) => boolean);
  /** Whether Vite's server-side (SSR) modules are transformed too; Node has AsyncLocalStorage. Default: false. */
  ssr?: boolean;
}

const DEFAULT_INCLUDE = /\.(?:[cm]?[jt]sx?|vue|svelte|astro)$/;

function withoutQuery(id: string): string {
  return id.replace(/[?#].*$/, '');
}

/** Whether the plugin transforms the module `id` under `options`. */
export function shouldTransform(id: string, options: ContextvarsPluginOptions = {}): boolean {
  if (id.startsWith('\0')) return false;
  const path = withoutQuery(id);
  const test = (filter: RegExp | ((id: string) => boolean)): boolean =>
    typeof filter === 'function' ? filter(path) : filter.test(path);
  return test(options.include ?? DEFAULT_INCLUDE) && !(options.exclude !== undefined && test(options.exclude));
}

/** The shape of a Rollup, Rolldown and Vite plugin this entry returns. */
export interface RollupLikePlugin {
  name: string;
  transform(
    this: { warn(message: string): void },
    code: string,
    id: string,
    options?: { ssr?: boolean | undefined },
  ): TransformResult | null;
}

/** The shape of an esbuild plugin this entry returns. */
export interface EsbuildLikePlugin {
  name: string;
  setup(build: EsbuildLikeBuild): void;
}

/** The esbuild loaders the plugin hands its output to. */
export type EsbuildLoader = 'js' | 'jsx' | 'ts' | 'tsx';

/** The part of esbuild's `PluginBuild` the plugin uses. */
export interface EsbuildLikeBuild {
  onLoad(
    options: { filter: RegExp; namespace?: string },
    callback: (args: {
      path: string;
    }) => Promise<{ contents: string; loader: EsbuildLoader; warnings?: { text: string }[] } | undefined>,
  ): void;
  esbuild?: { transform(code: string, options: object): Promise<{ code: string }> };
}

/** The shape of a webpack and Rspack plugin this entry returns. */
export interface WebpackLikePlugin {
  apply(compiler: { options: { module: { rules: unknown[] } } }): void;
}

function rollupLike(options: ContextvarsPluginOptions = {}): RollupLikePlugin {
  return {
    name: 'contextvars-await',
    transform(code, id, transformOptions) {
      if (transformOptions?.ssr === true && options.ssr !== true) return null;
      if (!shouldTransform(id, options)) return null;
      try {
        return transformAsync(code, withoutQuery(id));
      } catch (error) {
        this.warn(`contextvars: left ${id} untransformed, its awaits will not carry values: ${String(error)}`);
        return null;
      }
    },
  };
}

const LOADERS: Record<string, EsbuildLoader> = {
  js: 'js',
  mjs: 'js',
  cjs: 'js',
  jsx: 'jsx',
  ts: 'ts',
  mts: 'ts',
  cts: 'ts',
  tsx: 'tsx',
};

function esbuildPlugin(options: ContextvarsPluginOptions = {}): EsbuildLikePlugin {
  return {
    name: 'contextvars-await',
    setup(build) {
      build.onLoad({ filter: /\.[cm]?[jt]sx?$/, namespace: 'file' }, async (args) => {
        if (!shouldTransform(args.path, options)) return undefined;
        const source = await readFile(args.path, 'utf8');
        if (!source.includes('await') && !source.includes('yield')) return undefined;
        const extension = args.path.slice(args.path.lastIndexOf('.') + 1);
        const loader = LOADERS[extension] ?? 'js';
        let code = source;
        // esbuild gives plugins the source: TypeScript and JSX are compiled to JavaScript first.
        if (loader !== 'js' && build.esbuild !== undefined) {
          code = (
            await build.esbuild.transform(source, {
              loader,
              format: 'esm',
              target: 'esnext',
              sourcefile: args.path,
              jsx: 'automatic',
            })
          ).code;
        }
        try {
          const result = transformAsync(code, args.path);
          if (result === null) return undefined;
          const map = Buffer.from(JSON.stringify({ ...result.map, sources: [args.path] })).toString('base64');
          return {
            contents: `${result.code}\n//# sourceMappingURL=data:application/json;base64,${map}\n`,
            loader: 'js',
          };
        } catch (error) {
          return {
            contents: code,
            loader,
            warnings: [{ text: `contextvars: left ${args.path} untransformed: ${String(error)}` }],
          };
        }
      });
    },
  };
}

function webpackPlugin(options: ContextvarsPluginOptions = {}): WebpackLikePlugin {
  return {
    apply(compiler) {
      const loader = createRequire(import.meta.url).resolve('./bundler-loader.cjs');
      compiler.options.module.rules.push({
        test: (id: string) => shouldTransform(id, options),
        enforce: 'post',
        use: [{ loader, options: {} }],
      });
    },
  };
}

/**
 * The plugin, one member per bundler (unplugin's convention).
 *
 * @example
 * ```ts
 * import { esbuild as contextvars } from 'contextvars/bundler';
 * await build({ entryPoints: ['app.js'], bundle: true, plugins: [contextvars()] });
 * ```
 */
export const contextvarsPlugin = {
  vite: rollupLike,
  rollup: rollupLike,
  rolldown: rollupLike,
  esbuild: esbuildPlugin,
  webpack: webpackPlugin,
  rspack: webpackPlugin,
} as const;

/** The plugin for Vite: `plugins: [vite()]`. */
export const vite = rollupLike;
/** The plugin for Rollup: `plugins: [rollup()]`. */
export const rollup = rollupLike;
/** The plugin for Rolldown: `plugins: [rolldown()]`. */
export const rolldown = rollupLike;
/** The plugin for esbuild: `plugins: [esbuild()]`. */
export const esbuild = esbuildPlugin;
/** The plugin for webpack: `plugins: [webpack()]` (a post loader). */
export const webpack = webpackPlugin;
/** The plugin for Rspack: `plugins: [rspack()]`. */
export const rspack = webpackPlugin;
