/**
 * Size budget of the core entry as a browser or edge bundle sees it:
 * dist/index.js with the chunks it imports, minified by esbuild, gzipped.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const BUDGET_BYTES = 5 * 1024;
const entry = join(import.meta.dirname, '../../dist/index.js');

test(`the core entry stays under ${BUDGET_BYTES} bytes minified and gzipped`, async (t) => {
  assert.ok(existsSync(entry), 'dist/ is not built: run `npm run build` (npm test does) first');
  const bundled = await build({
    entryPoints: [entry],
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'neutral',
    write: false,
    logLevel: 'silent',
  });
  const minified = bundled.outputFiles[0]?.contents ?? new Uint8Array();
  const gzipped = gzipSync(minified, { level: 9 }).length;
  t.diagnostic(`core entry: ${minified.length} bytes minified, ${gzipped} bytes gzipped (budget ${BUDGET_BYTES})`);
  assert.ok(minified.length > 1000, 'the bundle holds the library');
  assert.ok(gzipped < BUDGET_BYTES, `${gzipped} bytes gzipped is over the ${BUDGET_BYTES}-byte budget`);
});
