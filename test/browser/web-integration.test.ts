/**
 * The TC39 AsyncContext web-integration rules (the notes as of 2026-06-12,
 * docs/browser.md has the table) in a real browser: pages/web-integration.page.js
 * bundled by esbuild with contextvars/bundler, run in headless Chromium
 * against a local 127.0.0.1 server; each rule is a case in the page and a
 * subtest here. The page throws and rejects on purpose for the error rules:
 * those page errors, and only those, are expected.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { bundle, type CaseResult, port, serve, skipReason, tempDir, withChromium } from './harness.ts';

const name = `web-integration rules in Chromium, page bundled by esbuild with contextvars/bundler${skipReason === undefined ? '' : ` (skipped: ${skipReason})`}`;
test(name, { skip: skipReason ?? false }, async (t) => {
  const dir = tempDir('contextvars-web-integration-');
  const server = await serve(dir);
  try {
    await bundle('esbuild', join(import.meta.dirname, 'pages/web-integration.page.js'), dir);
    const { results, expected, problems } = await withChromium(async (page, problems) => {
      await page.goto(`http://127.0.0.1:${port(server)}/`);
      await page.waitForFunction('globalThis.contextvarsResults !== undefined', undefined, { timeout: 60_000 });
      return {
        results: await page.evaluate<CaseResult[]>('globalThis.contextvarsResults'),
        expected: await page.evaluate<string[]>('globalThis.contextvarsExpectedErrors'),
        problems,
      };
    });
    assert.deepEqual(
      problems.filter((problem) => !expected.some((mark) => problem.includes(mark))),
      [],
    );
    assert.ok(results.length >= 11, `only ${results.length} cases ran`);
    for (const result of results) {
      await t.test(result.name, () => assert.ok(result.ok, result.error));
    }
  } finally {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
