/**
 * Vite's dev server with contextvars/bundler: the app's modules and a
 * dependency in node_modules, which Vite's dependency optimizer pre-bundles
 * and then serves through the plugins' transform like any module, both keep
 * each flow's value across their awaits in headless Chromium.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { AddressInfo } from 'node:net';
import { repo, skipReason, tempDir, withChromium } from './harness.ts';

const suffix = skipReason === undefined ? '' : ` (skipped: ${skipReason})`;

test(`Vite dev server: the app's and a pre-bundled dependency's awaits keep each flow's value${suffix}`, {
  skip: skipReason ?? false,
}, async () => {
  const root = tempDir('contextvars-vite-dev-');
  const fixtures = join(import.meta.dirname, 'fixtures');
  mkdirSync(join(root, 'node_modules'));
  cpSync(join(fixtures, 'awaiting-dep'), join(root, 'node_modules/awaiting-dep'), { recursive: true });
  symlinkSync(repo, join(root, 'node_modules/contextvars'), 'dir');
  cpSync(join(fixtures, 'vite-dev.page.js'), join(root, 'main.js'));
  writeFileSync(
    join(root, 'index.html'),
    '<!doctype html><meta charset="utf-8"><script type="module" src="/main.js"></script>',
  );
  const { createServer } = await import('vite');
  const { vite: contextvars } = (await import(
    join(repo, 'dist/bundler.js')
  )) as typeof import('../../src/bundler/index.ts');
  const server = await createServer({
    root,
    configFile: false,
    logLevel: 'warn',
    server: { host: '127.0.0.1', port: 0, strictPort: false },
    optimizeDeps: { include: ['awaiting-dep'] },
    plugins: [
      contextvars(),
      {
        name: 'delay',
        configureServer(dev) {
          dev.middlewares.use('/delay', (req, res) => {
            const ms = Number(new URL(req.url ?? '/', 'http://127.0.0.1').searchParams.get('ms') ?? '0');
            setTimeout(() => res.end('ok'), ms);
          });
        },
      },
    ],
  });
  try {
    await server.listen();
    const { port } = server.httpServer!.address() as AddressInfo;
    const result = await withChromium(async (page, problems) => {
      await page.goto(`http://127.0.0.1:${port}/`);
      await page
        .waitForFunction('globalThis.devResult !== undefined', undefined, { timeout: 20_000 })
        .catch((error: unknown) => {
          throw new Error(`no result from the page (${String(error)}); page problems: ${JSON.stringify(problems)}`);
        });
      assert.deepEqual(problems, []);
      return page.evaluate<unknown>('globalThis.devResult');
    });
    assert.deepEqual(result, [
      [1, 1],
      [2, 2],
      [3, 3],
    ]);
  } finally {
    await server.close();
    rmSync(root, { recursive: true, force: true });
  }
});
