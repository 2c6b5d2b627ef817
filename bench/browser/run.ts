/**
 * Cost of the await transform in Chromium: `npm run bench:browser` (needs
 * /usr/bin/chromium and `npm run build`). Bundles bench/browser/await-chain.page.js
 * with esbuild and contextvars/bundler; the page holds two copies of
 * bench/browser/chains.js, one excluded from the transform, and times them in
 * interleaved rounds (so both see the same load on a shared machine). Prints
 * the median ns per await and the transformed/untransformed ratio (target ≤ 1.3x).
 * Also prints the code-size cost of one transformed await, minified and
 * minified+gzipped, and the size of the browser runtime. A benchmark, not a
 * test: nothing here asserts a time.
 *
 * Options: --n <awaits per round> (default 200000), --loads <page loads per variant> (default 5).
 *
 * @module
 */
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { transform, build } from 'esbuild';
import { port, repo, serve, skipReason, tempDir, withChromium } from '../../tools/chromium.ts';
import { transformAsync } from '../../src/bundler/transform.ts';

const { values: flags } = parseArgs({
  options: { n: { type: 'string', default: '200000' }, loads: { type: 'string', default: '5' } },
});
const n = Number(flags.n);
const loads = Number(flags.loads);

async function minified(code: string): Promise<Buffer> {
  return Buffer.from((await transform(code, { minify: true, format: 'esm', target: 'esnext' })).code);
}

async function sizes(): Promise<void> {
  const runtime = await build({
    entryPoints: [join(repo, 'dist/browser/index.js')],
    bundle: true,
    minify: true,
    format: 'esm',
    write: false,
  });
  const runtimeCode = Buffer.from(runtime.outputFiles[0]?.contents ?? new Uint8Array());
  const node = await build({
    entryPoints: [join(repo, 'dist/index.js')],
    bundle: true,
    minify: true,
    format: 'esm',
    write: false,
  });
  const nodeCode = Buffer.from(node.outputFiles[0]?.contents ?? new Uint8Array());
  console.log(
    `browser build (all of contextvars), min: ${runtimeCode.length} B, min+gzip: ${gzipSync(runtimeCode, { level: 9 }).length} B`,
  );
  console.log(
    `Node build (same entry), min: ${nodeCode.length} B, min+gzip: ${gzipSync(nodeCode, { level: 9 }).length} B`,
  );
  const patches = await build({
    entryPoints: [join(repo, 'src/runtime/browser/storage.ts')],
    bundle: true,
    minify: true,
    format: 'esm',
    write: false,
  });
  const patchesCode = Buffer.from(patches.outputFiles[0]?.contents ?? new Uint8Array());
  console.log(
    `browser storage and API wrapping alone (src/runtime/browser/storage.ts), min: ${patchesCode.length} B, min+gzip: ${gzipSync(patchesCode, { level: 9 }).length} B`,
  );

  // Per-await code size: one file with many awaits in one function, and with one await per function.
  for (const [label, make] of [
    [
      '100 awaits in one function',
      (k: number) =>
        `export async function f(x) { let s = 0; ${Array.from({ length: k }, (_, i) => `s += await x(${i});`).join(' ')} return s; }`,
    ],
    [
      '100 async functions of one await each',
      (k: number) =>
        Array.from({ length: k }, (_, i) => `export async function f${i}(x) { return await x(${i}); }`).join('\n'),
    ],
  ] as const) {
    const source = make(100);
    const out = transformAsync(source, 'size.js')?.code ?? source;
    const [a, b] = [await minified(source), await minified(out)];
    const [ga, gb] = [gzipSync(a, { level: 9 }).length, gzipSync(b, { level: 9 }).length];
    console.log(
      `${label}: +${((b.length - a.length) / 100).toFixed(1)} B per await minified, +${((gb - ga) / 100).toFixed(1)} B min+gzip (plus a one-time prelude)`,
    );
  }
}

async function timings(): Promise<void> {
  // One page holds both copies of chains.js; the plugin's `exclude` leaves one untouched.
  const dir = tempDir('contextvars-bench-');
  for (const name of ['await-chain.page.js', 'chains.js'])
    copyFileSync(join(repo, 'bench/browser', name), join(dir, name));
  copyFileSync(join(dir, 'chains.js'), join(dir, 'chains-untransformed.js'));
  copyFileSync(join(dir, 'chains.js'), join(dir, 'chains-transformed.js'));
  const out = join(dir, 'out');
  mkdirSync(out);
  const plugins = await import('../../src/bundler/index.ts');
  await build({
    entryPoints: [join(dir, 'await-chain.page.js')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'esnext',
    outfile: join(out, 'page.js'),
    alias: { contextvars: join(repo, 'dist/browser/index.js') },
    plugins: [plugins.esbuild({ exclude: /chains-untransformed\.js$/ }) as never],
    logLevel: 'warning',
  });
  const server = await serve(out);
  const samples: { untransformed: Record<string, number[]>; transformed: Record<string, number[]> } = {
    transformed: {},
    untransformed: {},
  };
  let browser = '';
  try {
    await withChromium(async (page) => {
      for (let load = 0; load < loads; load++) {
        await page.goto(`http://127.0.0.1:${port(server)}/?n=${n}&load=${load}`);
        await page.waitForFunction('globalThis.benchResult !== undefined', undefined, { timeout: 600_000 });
        const result =
          await page.evaluate<Record<string, { untransformed: number[]; transformed: number[] }>>(
            'globalThis.benchResult',
          );
        browser = await page.evaluate<string>(
          'navigator.userAgent.match(/Chrome\\/[\\d.]+/)?.[0] ?? navigator.userAgent',
        );
        for (const [name, ns] of Object.entries(result)) {
          samples.untransformed[name] ??= [];
          samples.untransformed[name].push(...ns.untransformed);
          samples.transformed[name] ??= [];
          samples.transformed[name].push(...ns.transformed);
        }
      }
    });
  } finally {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
  const fastest = (xs: number[]): number => Math.min(...xs);
  console.log(`\n${browser}, ${n} awaits per round, 9 interleaved rounds per page load, ${loads} page loads`);
  console.log('ns per await: median (fastest round)   untransformed       transformed   ratio of medians (of fastest)');
  for (const name of Object.keys(samples.untransformed)) {
    const u = samples.untransformed[name] ?? [];
    const t = samples.transformed[name] ?? [];
    const cell = (xs: number[]): string => `${median(xs).toFixed(1)} (${fastest(xs).toFixed(1)})`;
    const ratios = `${(median(t) / median(u)).toFixed(2)}x (${(fastest(t) / fastest(u)).toFixed(2)}x)`;
    console.log(`${name.padEnd(28)}${cell(u).padStart(22)}${cell(t).padStart(18)}   ${ratios}`);
  }
}

if (skipReason !== undefined) {
  console.error(`bench:browser needs Chromium and a build: ${skipReason}`);
  process.exit(1);
}
await sizes();
await timings();
