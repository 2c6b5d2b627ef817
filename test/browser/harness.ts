/**
 * Shared by the browser tests that bundle a page: builds it with Vite and
 * with esbuild (contextvars/bundler in both), serves the bundle and a small
 * HTTP API on 127.0.0.1, and drives headless Chromium (Debian's `chromium`)
 * through playwright-core.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

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

export type Bundler = 'vite' | 'esbuild';

interface BundleOptions {
  /** Whether contextvars/bundler transforms the page (default true). */
  transform?: boolean;
}

/** Bundles `entry` (an ES module) into `outDir/page.js` with `bundler`. */
export async function bundle(
  bundler: Bundler,
  entry: string,
  outDir: string,
  options: BundleOptions = {},
): Promise<void> {
  const plugins = (await import(join(repo, 'dist/bundler.js'))) as typeof import('../../src/bundler/index.ts');
  const transform = options.transform !== false;
  if (bundler === 'vite') {
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
  } else {
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
      plugins: transform ? [plugins.esbuild() as never] : [],
    });
  }
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

/** Launches Chromium, calls `use` with a page, and closes everything after. */
export async function withChromium<T>(use: (page: Page, problems: string[]) => Promise<T>): Promise<T> {
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
  try {
    const page = browser.pages()[0] ?? (await browser.newPage());
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(`page error: ${error.stack ?? error.message}`));
    page.on('console', (message) => {
      // A 404 is reported by the response listener with its URL; the console line does not name it.
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource'))
        problems.push(`console error: ${message.text()}`);
    });
    page.on('requestfailed', (request) => problems.push(`request failed: ${request.url()}`));
    page.on('response', (response) => {
      if (response.status() >= 400 && !response.url().endsWith('/favicon.ico'))
        problems.push(`${response.status()} for ${response.url()}`);
    });
    return await use(page, problems);
  } finally {
    await browser.close();
    rmSync(userDataDir, { recursive: true, force: true });
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
