/**
 * The webpack/Rspack loader: the transform through webpack's loader
 * interface, a file without `await` passed through as it came, and a file
 * the parser refuses left untransformed with a warning (a build never fails
 * because of the transform).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import contextvarsLoader from '../../src/bundler/loader.ts';

interface Outcome {
  readonly error: Error | null;
  readonly code: string | undefined;
  readonly map: object | undefined;
  readonly warnings: string[];
}

function load(source: string, map?: object): Outcome {
  let outcome: Omit<Outcome, 'warnings'> | undefined;
  const warnings: string[] = [];
  contextvarsLoader.call(
    {
      resourcePath: '/app/module.js',
      callback: (error, code, resultMap) => {
        outcome = { error, code, map: resultMap };
      },
      emitWarning: (error) => warnings.push(error.message),
    },
    source,
    map,
  );
  assert.ok(outcome, 'the loader called back synchronously');
  return { ...outcome, warnings };
}

test('a module with await comes back transformed, with a source map', () => {
  const { error, code, map, warnings } = load('export async function f(p) { return await p; }\n');
  assert.equal(error, null);
  assert.notEqual(code, 'export async function f(p) { return await p; }\n');
  assert.match(code ?? '', /await/);
  assert.equal(typeof map, 'object');
  assert.deepEqual(warnings, []);
});

test('a module without await passes through unchanged, with its incoming map', () => {
  const incoming = { version: 3, sources: ['module.js'], mappings: '' };
  const { error, code, map } = load('export const x = 1;\n', incoming);
  assert.equal(error, null);
  assert.equal(code, 'export const x = 1;\n');
  assert.equal(map, incoming);
});

test('a module the parser refuses is left as it was, with a warning naming it', () => {
  const source = 'async function f() { await ; }\n';
  const { error, code, warnings } = load(source);
  assert.equal(error, null);
  assert.equal(code, source);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /contextvars: left \/app\/module\.js untransformed/);
});
