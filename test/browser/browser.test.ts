/**
 * The ESM build in a real browser: headless Chromium (Debian's `chromium`
 * package) driven by playwright-core loads dist/index.js from a local
 * node:http server and runs conformance.page.mjs, the synchronous cases and
 * the explicit-binding API; each case comes back as its own subtest here.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { dirname, join, normalize, relative } from 'node:path';
import { test } from 'node:test';
import { hasFile, needs } from '../support/programs.ts';
import { CHROMIUM, type CaseResult, port, withChromium } from './harness.ts';

const repo = join(import.meta.dirname, '../..');
const dist = join(repo, 'dist');

/** The static imports of an ES module (`import … from '…'`, `export … from '…'`, `import '…'`). */
function staticImports(source: string): string[] {
  const specifiers = [...source.matchAll(/^\s*(?:import|export)\b[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/gm)].map(
    (m) => m[1],
  );
  const bare = [...source.matchAll(/^\s*import\s*['"]([^'"]+)['"]/gm)].map((m) => m[1]);
  return [...specifiers, ...bare].filter((s): s is string => s !== undefined);
}

test('dist/index.js, dist/asyncio.js and the chunks they import have no top-level import of a Node built-in', () => {
  assert.ok(existsSync(join(dist, 'index.js')), 'dist/ is not built: run `npm run build` (npm test does) first');
  const seen = new Set<string>();
  const pending = [join(dist, 'index.js'), join(dist, 'asyncio.js')];
  const builtins: string[] = [];
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    if (seen.has(file)) continue;
    seen.add(file);
    for (const specifier of staticImports(readFileSync(file, 'utf8'))) {
      if (specifier.startsWith('.')) pending.push(join(dirname(file), specifier));
      else builtins.push(`${relative(repo, file)} imports '${specifier}'`);
    }
  }
  // Any bare specifier would fail in a browser without a bundler: the core has none.
  assert.deepEqual(builtins, []);
  assert.ok(seen.size >= 1);
});

function serve(): Promise<Server> {
  const page = readFileSync(join(import.meta.dirname, 'conformance.page.mjs'));
  const html =
    '<!doctype html><meta charset="utf-8"><title>contextvars</title><script type="module" src="/conformance.page.mjs"></script>';
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    if (path === '/') {
      res.writeHead(200, { 'content-type': 'text/html' }).end(html);
    } else if (path === '/favicon.ico') {
      res.writeHead(204).end();
    } else if (path === '/conformance.page.mjs') {
      res.writeHead(200, { 'content-type': 'text/javascript' }).end(page);
    } else if (path.startsWith('/dist/') && /\.(js|js\.map)$/.test(path)) {
      const file = normalize(join(repo, path));
      if (!file.startsWith(dist) || !existsSync(file)) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': path.endsWith('.js') ? 'text/javascript' : 'application/json' });
      res.end(readFileSync(file));
    } else {
      res.writeHead(404).end();
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

const chromiumHere = needs(CHROMIUM, hasFile(CHROMIUM));

test(
  chromiumHere.name('the ESM build runs the synchronous conformance cases in headless Chromium'),
  chromiumHere.options,
  async (t) => {
    assert.ok(
      existsSync(CHROMIUM),
      `${CHROMIUM} is missing: install it with \`apt-get update && apt-get install -y chromium\` (CI's .ci/run does)`,
    );
    const server = await serve();
    try {
      const { results, problems } = await withChromium(
        async (page, problems) => {
          await page.goto(`http://127.0.0.1:${port(server)}/`);
          await page.waitForFunction('globalThis.contextvarsResults !== undefined', undefined, { timeout: 30_000 });
          // Evaluated in the page, where globalThis is the window.
          const results = await page.evaluate<CaseResult[]>('globalThis.contextvarsResults');
          return { results, problems: [...problems] };
        },
        { warnings: true },
      );
      // The browser is the expected home of the synchronous mode: no warning there.
      assert.deepEqual(problems, []);
      assert.ok(results.length >= 10, `only ${results.length} cases ran`);
      for (const result of results) {
        await t.test(result.name, () => {
          assert.ok(result.ok, result.error);
        });
      }
    } finally {
      server.close();
    }
  },
);
