/**
 * Values follow await, timers, fetch, XHR, messages, observers and events in
 * a real browser: pages/propagation.page.js bundled by Vite and by esbuild
 * with contextvars/bundler, run in headless Chromium against a local
 * 127.0.0.1 server; each case in the page is a subtest here. The harness
 * clicks a button for the trusted-event case.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { bundle, type Bundler, type CaseResult, port, serve, skipReason, tempDir, withChromium } from './harness.ts';

const entry = join(import.meta.dirname, 'pages/propagation.page.js');

for (const bundler of ['vite', 'esbuild'] as Bundler[]) {
  const name = `propagation in Chromium, page bundled by ${bundler} with contextvars/bundler${skipReason === undefined ? '' : ` (skipped: ${skipReason})`}`;
  test(name, { skip: skipReason ?? false }, async (t) => {
    const dir = tempDir(`contextvars-${bundler}-`);
    const server = await serve(dir, '<button id="target">target</button>');
    try {
      await bundle(bundler, entry, dir);
      const results = await withChromium(async (page, problems) => {
        await page.goto(`http://127.0.0.1:${port(server)}/`);
        await page.waitForFunction('globalThis.contextvarsReady === true', undefined, { timeout: 120_000 });
        await page.click('#target');
        await page.waitForFunction('globalThis.contextvarsResults !== undefined', undefined, { timeout: 30_000 });
        assert.deepEqual(problems, []);
        return page.evaluate<CaseResult[]>('globalThis.contextvarsResults');
      });
      assert.ok(results.length >= 20, `only ${results.length} cases ran`);
      for (const result of results) {
        await t.test(result.name, () => assert.ok(result.ok, result.error));
      }
    } finally {
      server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
