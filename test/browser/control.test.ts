/**
 * The control for propagation.test.ts: the same page bundled by esbuild
 * WITHOUT contextvars/bundler. Native `await` then resumes in whatever scope
 * is current (the empty one here), so exactly the cases that read a value
 * after an `await` in page code fail, and everything carried by a wrapped
 * callback (timers, then, XHR, events) still passes.
 * This pins what the transform is for and the limit documented in docs/browser.md.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { bundle, type CaseResult, port, serve, skipReason, tempDir, withChromium } from './harness.ts';

const entry = join(import.meta.dirname, 'pages/propagation.page.js');

test(`without the transform, only the cases that read a value after a native await fail${skipReason === undefined ? '' : ` (skipped: ${skipReason})`}`, {
  skip: skipReason ?? false,
}, async () => {
  const dir = tempDir('contextvars-control-');
  const server = await serve(dir, '<button id="target">target</button>');
  try {
    await bundle('esbuild', entry, dir, { transform: false });
    const results = await withChromium(async (page) => {
      await page.goto(`http://127.0.0.1:${port(server)}/`);
      await page.waitForFunction('globalThis.contextvarsReady === true', undefined, { timeout: 120_000 });
      await page.click('#target');
      await page.waitForFunction('globalThis.contextvarsResults !== undefined', undefined, { timeout: 30_000 });
      return page.evaluate<CaseResult[]>('globalThis.contextvarsResults');
    });
    const passed = results.filter((r) => r.ok).map((r) => r.name);
    const failed = results.filter((r) => !r.ok).map((r) => r.name);
    // Carried by wrapped callbacks or synchronous: no await in page code between set and get.
    const withoutAwait = [
      'the library runs on the browser storage',
      'patching:',
      'scenario 7:',
      'fetch: .then callbacks',
      'XMLHttpRequest:',
      'queueMicrotask, requestAnimationFrame',
      'events: a synchronous dispatchEvent',
      'events: removeEventListener',
    ];
    const expectedPass = (name: string): boolean => withoutAwait.some((prefix) => name.startsWith(prefix));
    assert.deepEqual(passed, results.map((r) => r.name).filter(expectedPass), 'cases that pass without the transform');
    assert.ok(
      failed.some((name) => name.startsWith('1,000 concurrent flows')),
      'the 1,000-flow case fails without the transform',
    );
    // Untransformed continuations also leave their values behind, so untransformed code reads other flows' values.
    assert.ok(
      failed.some((name) => name.startsWith('untransformed code')),
      'leftover values reach untransformed code',
    );
    assert.equal(failed.length, results.length - withoutAwait.length);
  } finally {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
