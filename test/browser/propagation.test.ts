/**
 * Values follow await, timers, fetch, XHR and events in
 * a real browser: pages/propagation.page.js bundled by each bundler of
 * BUNDLERS (Vite, esbuild, Rollup, webpack) with contextvars/bundler, run in
 * headless Chromium against a local 127.0.0.1 server; each case in the page
 * is a subtest here. The harness clicks a button for the trusted-event case.
 * Each bundle's source map leads a line the transform rewrote back to the
 * page's own source.
 */
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  BUNDLERS,
  bundle,
  type CaseResult,
  type Chromium,
  launchChromium,
  originalPosition,
  port,
  serve,
  skipReason,
  tempDir,
} from './harness.ts';

const entry = join(import.meta.dirname, 'pages/propagation.page.js');
/** Code of the page on a line the transform rewrites (two awaits): the source maps must lead it back here. */
// biome-ignore lint/suspicious/noTemplateCurlyInString: the page's template literal, as text to find
const MAPPED = '`/delay?ms=${ms}&echo=${i}`';

/** The line and column (from 0) where `text` first starts in `code`. */
function find(code: string, text: string): { line: number; column: number } {
  const lines = code.split('\n');
  const line = lines.findIndex((l) => l.includes(text));
  assert.ok(line >= 0, `${text} is in the code`);
  return { line, column: (lines[line] as string).indexOf(text) };
}

let chromium: Chromium | undefined;
before(async () => {
  if (skipReason === undefined) chromium = await launchChromium();
});
after(() => chromium?.close());

for (const bundler of BUNDLERS) {
  const name = `propagation in Chromium, page bundled by ${bundler} with contextvars/bundler${skipReason === undefined ? '' : ` (skipped: ${skipReason})`}`;
  test(name, { skip: skipReason ?? false }, async (t) => {
    const dir = tempDir(`contextvars-${bundler}-`);
    const server = await serve(dir, '<button id="target">target</button>');
    try {
      await bundle(bundler, entry, dir);
      const results = await (chromium as Chromium).withPage(async (page, problems) => {
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
      await t.test(`source map: ${MAPPED} in the bundle maps back to its line and column in the page`, () => {
        const output = readFileSync(join(dir, 'page.js'), 'utf8');
        const generated = find(output, MAPPED);
        assert.match(
          output.split('\n')[generated.line] ?? '',
          /\$__cvR\d* = await \$__cvR\d*/,
          'the transform rewrote the line',
        );
        const original = find(readFileSync(entry, 'utf8'), MAPPED);
        const mapped = originalPosition(dir, generated.line, generated.column);
        assert.ok(mapped !== undefined, 'the bundle maps the line');
        assert.match(mapped.source, /(^|\/)test\/browser\/pages\/propagation\.page\.js$/);
        assert.deepEqual({ line: mapped.line, column: mapped.column }, original);
      });
    } finally {
      server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
