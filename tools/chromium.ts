/**
 * Headless Chromium (Debian's `chromium`, driven through playwright-core) and
 * a small HTTP server on 127.0.0.1 for the pages it loads: shared by the
 * browser tests (test/browser/harness.ts) and the browser benchmark
 * (bench/browser/), which may not import each other.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const CHROMIUM = '/usr/bin/chromium';
/** The repository's root. */
export const repo = join(import.meta.dirname, '..');
/** Why Chromium cannot run here, or undefined when it can. */
export const chromiumMissing: string | undefined = existsSync(CHROMIUM)
  ? undefined
  : `${CHROMIUM} is missing: install it with \`apt-get update && apt-get install -y chromium\``;
/** Why the browser tests and benchmark are skipped, or undefined when they can run. */
export const skipReason: string | undefined =
  chromiumMissing ??
  (existsSync(join(repo, 'dist/bundler.js'))
    ? undefined
    : 'dist/ is not built: run `npm run build` (npm test does) first');

/** The part of playwright-core the browser tests and benchmark drive (its own types need the DOM library). */
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
