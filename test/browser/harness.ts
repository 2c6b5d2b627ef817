/**
 * Shared by the browser tests that bundle a page: builds it with each bundler
 * of {@link BUNDLERS} (contextvars/bundler's plugin for it in each), serves
 * the bundle and a small HTTP API on 127.0.0.1, and drives headless Chromium
 * (Debian's `chromium`) through playwright-core.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { decode } from '@jridgewell/sourcemap-codec';

export const CHROMIUM = '/usr/bin/chromium';
export const repo = join(import.meta.dirname, '../..');
/** Why the browser tests are skipped, or undefined when they can run. */
export const skipReason: string | undefined = existsSync(CHROMIUM)
  ? existsSync(join(repo, 'dist/bundler.js'))
    ? undefined
    : 'dist/ is not built: run `npm run build` (npm test does) first'
  : `${CHROMIUM} is missing: install it with \`apt-get update && apt-get install -y chromium\``;

/** The part of playwright-core these tests drive (its own types need the DOM library). */
export interface Page {
  on(event: 'pageerror', listener: (error: Error) => void): void;
  on(event: 'console', listener: (message: { type(): string; text(): string }) => void): void;
  on(event: 'requestfailed', listener: (request: { url(): string }) => void): void;
  on(event: 'response', listener: (response: { status(): number; url(): string }) => void): void;
  goto(url: string): Promise<unknown>;
  waitForFunction(expression: string, arg: undefined, options: { timeout: number }): Promise<unknown>;
  evaluate<T>(expression: string): Promise<T>;
  click(selector: string): Promise<void>;
  close(): Promise<void>;
}
interface BrowserContext {
  pages(): Page[];
  newPage(): Promise<Page>;
  close(): Promise<void>;
}
interface Playwright {
  chromium: {
    launchPersistentContext(
      userDataDir: string,
      options: { executablePath: string; headless: boolean; args: string[] },
    ): Promise<BrowserContext>;
  };
}

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

/** Serves `/` (a page loading /page.js), files of `dir`, and `/delay?ms=N&echo=X` (X after N ms). */
export function serve(dir: string, body = ''): Promise<Server> {
  const html = `<!doctype html><meta charset="utf-8"><title>contextvars</title>${body}<script type="module" src="/page.js"></script>`;
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname === '/') {
      res.writeHead(200, { 'content-type': 'text/html' }).end(html);
    } else if (url.pathname === '/delay') {
      const ms = Number(url.searchParams.get('ms') ?? '0');
      setTimeout(
        () => res.writeHead(200, { 'content-type': 'text/plain' }).end(url.searchParams.get('echo') ?? ''),
        ms,
      );
    } else if (/^\/[\w.-]+\.(js|map)$/.test(url.pathname) && existsSync(join(dir, url.pathname))) {
      res.writeHead(200, { 'content-type': url.pathname.endsWith('.js') ? 'text/javascript' : 'application/json' });
      res.end(readFileSync(join(dir, url.pathname)));
    } else {
      res.writeHead(url.pathname === '/favicon.ico' ? 204 : 404).end();
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/** A headless Chromium that test files share between their cases: one launch per file. */
export interface Chromium {
  /**
   * Opens a page, calls `use` with it and the problems it reports (page
   * errors, console errors, failed requests; console warnings too with
   * `warnings`), and closes it.
   */
  withPage<T>(use: (page: Page, problems: string[]) => Promise<T>, options?: PageOptions): Promise<T>;
  close(): Promise<void>;
}

export interface PageOptions {
  /** Whether a console warning is a problem too (default false). */
  readonly warnings?: boolean;
}

/** Launches Chromium with a fresh profile; `close()` ends it and removes the profile. */
export async function launchChromium(): Promise<Chromium> {
  const playwrightCore: string = 'playwright-core';
  const { chromium } = (await import(playwrightCore)) as Playwright;
  const userDataDir = mkdtempSync(join(tmpdir(), 'contextvars-chromium-'));
  const browser = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  // The persistent context opens with one blank page: the first withPage uses it.
  let blank: Page | undefined = browser.pages()[0];
  return {
    async withPage(use, options = {}) {
      const page = blank ?? (await browser.newPage());
      blank = undefined;
      const problems: string[] = [];
      page.on('pageerror', (error) => problems.push(`page error: ${error.stack ?? error.message}`));
      page.on('console', (message) => {
        // A 404 is reported by the response listener with its URL; the console line does not name it.
        const type = message.type();
        if (type === 'error' && !message.text().startsWith('Failed to load resource'))
          problems.push(`console error: ${message.text()}`);
        else if (type === 'warning' && options.warnings === true) problems.push(`console warning: ${message.text()}`);
      });
      page.on('requestfailed', (request) => problems.push(`request failed: ${request.url()}`));
      page.on('response', (response) => {
        if (response.status() >= 400 && !response.url().endsWith('/favicon.ico'))
          problems.push(`${response.status()} for ${response.url()}`);
      });
      try {
        return await use(page, problems);
      } finally {
        await page.close();
      }
    },
    async close() {
      try {
        await browser.close();
      } finally {
        rmSync(userDataDir, { recursive: true, force: true });
      }
    },
  };
}

/** Launches Chromium, calls `use` with a page, and closes everything after. */
export async function withChromium<T>(
  use: (page: Page, problems: string[]) => Promise<T>,
  options?: PageOptions,
): Promise<T> {
  const chromium = await launchChromium();
  try {
    return await chromium.withPage(use, options);
  } finally {
    await chromium.close();
  }
}

export function port(server: Server): number {
  return (server.address() as AddressInfo).port;
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface CaseResult {
  name: string;
  ok: boolean;
  error?: string;
}
