// The package's entry points, in one list: tsup builds each one, and
// `node scripts/entries.mjs` writes package.json's `exports` and
// `typesVersions` from it (the package test fails when they differ).
// To add an entry, add a line here, run `node scripts/entries.mjs`, and
// commit both files.
//
// - `subpath`: what users import (`contextvars/<subpath>`); '.' is the package itself.
// - `source`:  the module tsup builds it from.
// - `name`:    optional; dist/<name>.js, .cjs, .d.ts, .d.cts. Default: the subpath, or `index` for '.'.
// - `browser`: also built on the browser storage into dist/browser/<name>.js, the `browser` condition.
// - `bundler`: the bundler plugin, built for Node with its parser bundled (tsup's third config).
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** @type {ReadonlyArray<{ subpath: string, source: string, name?: string, browser?: boolean, bundler?: boolean }>} */
export const entries = [
  { subpath: '.', source: 'src/index.ts', browser: true },
  { subpath: './asyncio', source: 'src/asyncio/index.ts', browser: true },
  { subpath: './opentelemetry', source: 'src/integrations/opentelemetry/index.ts', browser: true },
  { subpath: './logging', source: 'src/integrations/logging.ts', browser: true },
  { subpath: './worker', source: 'src/integrations/worker/index.ts' },
  { subpath: './fastify', source: 'src/integrations/fastify.ts' },
  { subpath: './propagation', source: 'src/integrations/propagation/index.ts', browser: true },
  { subpath: './async-context', source: 'src/async-context/index.ts', browser: true },
  // Defines globalThis.AsyncContext when imported: package.json lists it under `sideEffects`.
  {
    subpath: './async-context/global',
    source: 'src/async-context/global.ts',
    name: 'async-context-global',
    browser: true,
  },
  { subpath: './bundler', source: 'src/bundler/index.ts', bundler: true },
];

/** The file name under dist/ (without extension) of an entry. */
export function distName(subpath) {
  const named = entries.find((entry) => entry.subpath === subpath)?.name;
  return named ?? (subpath === '.' ? 'index' : subpath.slice(2));
}

/** tsup's `entry` option (dist name -> source) for the entries `select` picks: by default the library's own. */
export function tsupEntries(select = (entry) => entry.bundler !== true) {
  return Object.fromEntries(entries.filter(select).map(({ subpath, source }) => [distName(subpath), source]));
}

/** package.json `exports`: ESM and CommonJS, each with its own declarations. */
export function exportsField() {
  const field = {};
  for (const { subpath, browser } of entries) {
    const name = distName(subpath);
    field[subpath] = {
      ...(browser ? { browser: { types: `./dist/${name}.d.ts`, default: `./dist/browser/${name}.js` } } : {}),
      import: { types: `./dist/${name}.d.ts`, default: `./dist/${name}.js` },
      require: { types: `./dist/${name}.d.cts`, default: `./dist/${name}.cjs` },
    };
  }
  field['./package.json'] = './package.json';
  return field;
}

/**
 * package.json `typesVersions`: TypeScript's `moduleResolution: "node"`
 * (node10) ignores `exports`; this maps `contextvars/<subpath>` to its
 * declarations for it (the CommonJS ones, as node10 resolves like require).
 * Resolutions that read `exports` (node16, nodenext, bundler) ignore it.
 */
export function typesVersionsField() {
  const paths = {};
  for (const { subpath } of entries) {
    if (subpath === '.') continue;
    paths[subpath.slice(2)] = [`./dist/${distName(subpath)}.d.cts`];
  }
  return { '*': paths };
}

/** package.json with `exports` and `typesVersions` as the list says (other fields untouched). */
export function withEntries(manifest) {
  const result = {};
  for (const [key, value] of Object.entries(manifest)) {
    if (key === 'typesVersions') continue;
    if (key !== 'exports') {
      result[key] = value;
      continue;
    }
    result.exports = exportsField();
    result.typesVersions = typesVersionsField();
  }
  return result;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const path = fileURLToPath(new URL('../package.json', import.meta.url));
  const manifest = JSON.parse(readFileSync(path, 'utf8'));
  writeFileSync(path, `${JSON.stringify(withEntries(manifest), null, 2)}\n`);
  console.log(`package.json: exports and typesVersions for ${entries.length} entries`);
}
