// The await transform of contextvars/bundler, in Node: which files pass
// through untouched, what it writes for each construct (input/output pairs),
// that the output runs with the scope restored after every suspension while
// other code overwrites the shared cell in between, exact source maps, and a
// fast-check property that transformed random async programs compute what the
// originals compute, in the same order, with each flow reading its own value.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parse } from 'acorn';
import fc from 'fast-check';

import { shouldTransform, transformAsync } from '../../src/bundler/index.ts';

interface Cell {
  c: unknown;
  d: number;
}
const cells = globalThis as Record<symbol, unknown>;
cells[Symbol.for('contextvars.browser.cell.v1')] ??= { c: undefined, d: 0 };
const cell = cells[Symbol.for('contextvars.browser.cell.v1')] as Cell;

/** The transformed code, asserting it parses as a module. */
function transformed(code: string): string {
  const result = transformAsync(code, 'input.js');
  assert.ok(result !== null, 'expected the file to be transformed');
  parse(result.code, { ecmaVersion: 'latest', sourceType: 'module' });
  return result.code;
}

/** The code after the prelude line, for input/output pairs. */
function body(code: string): string {
  return transformed(code).split('\n').slice(1).join('\n');
}

let moduleCount = 0;
/** Evaluates `code` as an ES module and returns its exports. */
async function load<T>(code: string): Promise<T> {
  return (await import(`data:text/javascript,${encodeURIComponent(`${code}\n// ${moduleCount++}`)}`)) as T;
}

/** A macrotask that overwrites the cell before it resolves, as another flow's callback would in a browser. */
const polluted = (value: unknown = 'other'): Promise<void> =>
  new Promise((resolve) =>
    setTimeout(() => {
      cell.c = value;
      resolve();
    }),
  );
(globalThis as Record<string, unknown>)['polluted'] = polluted;

test('files without await, for await or async-generator yield pass through (null)', () => {
  assert.equal(transformAsync('export const x = 1;', 'a.js'), null);
  assert.equal(transformAsync('function* g() { yield 1 }', 'a.js'), null);
  assert.equal(transformAsync('async function f() { return 1 }', 'a.js'), null);
  assert.equal(transformAsync('async function f() { try { g() } catch { h() } }', 'a.js'), null, 'catch alone');
  assert.equal(transformAsync('const awaitable = "await";', 'a.js'), null, 'the word in a string');
  const once = transformed('async function f() { await x }');
  assert.equal(transformAsync(once, 'a.js'), null, 'already transformed');
  // A bundler that concatenates transformed modules drops the marker comment: the functions still say so.
  const withoutMarker = once.replace('/* contextvars: await transform */', '');
  assert.equal(transformAsync(withoutMarker, 'a.js'), null, 'already transformed, marker stripped');
  const tla = transformed('await x;').replace('/* contextvars: await transform */', '');
  assert.equal(transformAsync(tla, 'a.js'), null, 'top-level await already transformed, marker stripped');
});

test('shouldTransform: JavaScript and TypeScript, node_modules included; include and exclude options', () => {
  assert.equal(shouldTransform('/app/src/main.ts'), true);
  assert.equal(shouldTransform('/app/node_modules/lib/index.mjs'), true);
  assert.equal(shouldTransform('/app/src/App.vue?vue&type=script&lang.ts'), true);
  assert.equal(shouldTransform('/app/src/style.css'), false);
  assert.equal(shouldTransform('\0virtual:thing.js'), false);
  assert.equal(shouldTransform('/app/node_modules/lib/index.js', { exclude: /node_modules/ }), false);
  assert.equal(shouldTransform('/app/src/a.js', { include: (id) => id.includes('/src/') }), true);
});

test('await in an expression: save after the operand, restore after resuming', () => {
  assert.equal(
    body('async function f() { return a + await g(x); }'),
    'async function f() { let $__cvS = 0, $__cvB = 0, $__cvR; try { return a + ($__cvR = ( g(x)), ' +
      '$__cvS = $__cv.c, $__cvB !== 0 && ($__cv.c = $__cvB), $__cvR = await $__cvR, $__cvB = $__cv.c, $__cv.c = $__cvS, $__cvS = 0, $__cvR);  } ' +
      'finally { $__cvS !== 0 ? $__cvS = 0 : $__cvB !== 0 && ($__cv.c = $__cvB); }}',
  );
  // An operand that runs no code (a name, a literal, this): saved before it, no temporary for it.
  assert.equal(
    body('async function f() { return await x; }'),
    'async function f() { let $__cvS = 0, $__cvB = 0, $__cvR; try { return ($__cvS = $__cv.c, $__cvB !== 0 && ($__cv.c = $__cvB), ' +
      '$__cvR = await x, $__cvB = $__cv.c, $__cv.c = $__cvS, $__cvS = 0, $__cvR);  } ' +
      'finally { $__cvS !== 0 ? $__cvS = 0 : $__cvB !== 0 && ($__cv.c = $__cvB); }}',
  );
  // Nested: the inner await completes inside the outer operand, before the outer save.
  assert.match(
    body('async function f() { return await g(await h()); }'),
    /\(\$__cvR = \( g\(\(\$__cvR = \( h\(\)\), \$__cvS = .*\$__cvR\)\)\), \$__cvS = \$__cv\.c, .*\$__cvR = await \$__cvR, /,
  );
  assert.match(body('async function f() { return await (p()); }'), /\(\$__cvR = \( \(p\(\)\)\), \$__cvS = /);
});

test('the prelude shares the cell under a global symbol and goes after directives and a hashbang', () => {
  const out = transformed('#!/usr/bin/env node\n"use strict";\nasync function f() { await x }');
  assert.ok(
    out.startsWith(
      '#!/usr/bin/env node\n"use strict";\n/* contextvars: await transform */ var $__cv = globalThis[Symbol.for("contextvars.browser.cell.v1")]',
    ),
  );
  const strict = body('async function f() { "use strict"; await x }');
  assert.ok(strict.startsWith('async function f() { "use strict"; let $__cvS'), strict);
});

test('async arrows with an expression body (parenthesized too) get a block body', () => {
  assert.match(
    body('const f = async () => await x;'),
    /^const f = async \(\) => \{ let \$__cvS = 0, \$__cvB = 0, \$__cvR; try \{ return \( \(\$__cvS = \$__cv\.c, .*\$__cvR = await x, /,
  );
  assert.match(
    body('const f = async()=>({ a: await g() });'),
    /^const f = async\(\)=> \{ let .*; try \{ return \(\(\{ a: \(\$__cvR = \( g\(\)\)/,
  );
});

test('yield in async generators is a suspension point; in sync generators it is left alone', () => {
  const out = body('async function* g() { yield 1; const y = yield; yield* other(); } function* s() { yield 2 }');
  assert.match(out, /\(\$__cvS = \$__cv\.c, .*\$__cvR = yield 1, /);
  assert.match(out, /const y = \(\$__cvS = \$__cv\.c, .*\$__cvR = yield, /);
  assert.match(out, /\(\$__cvR = \( other\(\)\), \$__cvS = .*\$__cvR = yield\* \$__cvR, /);
  assert.match(out, /function\* s\(\) \{ yield 2 \}$/);
});

test('catch and finally blocks of a suspending function restore a pending save first', () => {
  const out = body('async function f() { try { await a } catch (e) { b() } finally { c() } }');
  assert.match(
    out,
    /catch \(e\) \{ \$__cvS !== 0 && \(\$__cvB = \$__cv\.c, \$__cv\.c = \$__cvS, \$__cvS = 0\); b\(\) \}/,
  );
  assert.match(out, /finally \{ \$__cvS !== 0 && \(\$__cvB = \$__cv\.c, \$__cv\.c = \$__cvS, \$__cvS = 0\); c\(\) \}/);
});

test('for await: the iterable is wrapped, the body and every way out of the loop (labels too) restore', () => {
  const out = body('async function f() { outer: for await (const x of xs) { if (x) continue outer; } }');
  assert.match(
    out,
    /try \{ outer: for await \(const x of \$__cvI\(xs, function \(\) \{ \$__cvS = \$__cv\.c, .*\}\)\) \{ \$__cvS !== 0 && .*; if \(x\) continue outer; \} \} finally \{ \$__cvS !== 0 && /,
  );
  assert.match(
    transformed('async function f() { for await (const x of xs) g(x) }'),
    /\{ \$__cvS !== 0 && \(.*\); g\(x\) \}/,
  );
});

test('for await with a destructuring head: the pattern moves to the top of the body, after the restore', () => {
  const out = body('async function f() { for await (const { a = g() } of xs) { let a = 2; h(a) } }');
  assert.match(
    out,
    /for await \(const \$__cvX of \$__cvI\(xs, .*\)\) \{ \$__cvS !== 0 && \(.*\); const \{ a = g\(\) \} = \$__cvX; \{ let a = 2; h\(a\) \} \}/,
  );
  // An assignment target (a setter, an iterator) runs code too; a var stays a var; a plain name stays in the head.
  assert.match(
    body('async function f() { for await ([a, b] of xs) h(a) }'),
    /\(const \$__cvX of .*\); \(\[a, b\] = \$__cvX\); h\(a\) \}/,
  );
  assert.match(
    body('async function f() { for await (var { a } of xs); }'),
    /\(var \$__cvX of .*\); var \{ a \} = \$__cvX; ; \}/,
  );
  assert.match(body('async function f() { for await (const x of xs); }'), /for await \(const x of /);
});

test('await using: each resource is declared through $__cvD, to be disposed in the scope the block was left with, which a resource declared after them keeps; a finally restores it after disposal', () => {
  const run = String.raw`function \(f\) \{ var b = \$__cvU1 === 0 \? \(\$__cvU1 = \$__cv\.c, \$__cvB !== 0 \? \$__cvB : \$__cvU1\) : \$__cv\.c; \$__cv\.c = \$__cvU1; try \{ return f\(\); \} finally \{ \$__cv\.c = b; \} \}`;
  const capture = String.raw`using \$__cvK1 = \{ \[\$__cvY\]: \(\) => \{ \$__cvU1 = \$__cv\.c; \$__cvB !== 0 && \(\$__cv\.c = \$__cvB\); \} \};`;
  assert.match(
    body('async function f() { { await using r = open(); work() } }'),
    new RegExp(
      String.raw`\{ try \{ const r = open\(\);; await using \$__cvW1 = \$__cvD\(r, 1, "r", ${run}\); ${capture} work\(\) {2}\} finally \{ \$__cvU1 !== 0 && \(\$__cvB = \$__cv\.c, \$__cv\.c = \$__cvU1, \$__cvU1 = 0\); \} \}`,
    ),
  );
  assert.match(
    transformed('async function f() { { await using r = open() } }'),
    /var \$__cvY = Symbol\.dispose \|\| Symbol\.for\("Symbol\.dispose"\), \$__cvZ = .*; function \$__cvD\(v, a, n, run\) \{/,
  );
  // Each resource of a declaration is registered before the next initializer runs; the block's sync `using` too.
  const two = body('async function f() { { using s = S(); await using a = A(), /* , */ b = B(); work() } }');
  assert.match(
    two,
    /const s = S\(\);; using \$__cvW1 = \$__cvD\(s, 0, "s", .*\); const a = A\(\); await using \$__cvW2 = \$__cvD\(a, 1, "a", .*\); const \/\* , \*\/ b = B\(\);; await using \$__cvW3 = \$__cvD\(b, 1, "b", .*\); using \$__cvK1 = .*; work\(\)/,
  );
  assert.equal(two.match(/using \$__cvK/g)?.length, 1, 'one capture per block, after its last resource');
  const inBody = body('async function f() { await using r = open(); work() }');
  assert.match(
    inBody,
    /const r = open\(\);; await using \$__cvW1 = .*finally \{ \$__cvU1 !== 0 && \(.*\); \$__cvS !== 0 \? /,
  );
  assert.equal(transformAsync('function f() { using r = open(); }', 'a.js'), null, 'using alone needs nothing');
  assert.equal(
    transformAsync('await using r = open();', 'a.js'),
    null,
    "a module's own resources: nothing of it runs after them",
  );
});

test('for (await using x of …): x is a const and each iteration declares its disposal in the body', () => {
  const out = body('async function f() { for (await using x of xs) work(x) }');
  assert.match(
    out,
    /for \(const x of xs\) \{ try \{ await using \$__cvW1 = \$__cvD\(x, 1, "x", .*\); using \$__cvK1 = .*; work\(x\) \} finally \{ \$__cvU1 !== 0 && /,
  );
  assert.match(
    body('async function f() { for await (await using x of xs) { work(x) } }'),
    /for await \(const x of \$__cvI\(xs, .*\)\) \{ \$__cvS !== 0 && \(.*\); try \{ await using \$__cvW1 = .*; \{ work\(x\) \} \} finally \{ \$__cvU1 !== 0 && /,
  );
});

test('await using in a block of a switch case: break leaves through the finally that restores', () => {
  const out = body('async function f(x) { switch (x) { case 1: { await using r = open(); if (x) break; work() } } }');
  assert.match(
    out,
    /case 1: \{ try \{ const r = open\(\);; await using \$__cvW1 = .*; using \$__cvK1 = .*; if \(x\) break; work\(\) {2}\} finally \{ \$__cvU1 !== 0 && /,
  );
  // Directly in a case clause the declaration is a SyntaxError (ECMAScript forbids it): the plugin warns and leaves the file.
  assert.throws(
    () => transformAsync('async function f(x) { switch (x) { case 1: await using r = open(); } }', 'a.js'),
    SyntaxError,
  );
});

test('top-level await: module-level temporaries, no function wrapper', () => {
  const out = transformed('const v = await load();');
  assert.match(out.split('\n')[0] ?? '', /var \$__cvS = 0, \$__cvB = 0, \$__cvR;$/);
  assert.match(out.split('\n')[1] ?? '', /^const v = \(\$__cvR = \( load\(\)\), .*\$__cvR = await \$__cvR/);
});

test('default parameters, class fields and methods: each async function gets its own temporaries', () => {
  const out = body(
    'class A { field = async () => await a(); async method(p = async () => await b()) { return await c(p); } static async s() { for await (const x of y); } }',
  );
  assert.equal(out.match(/let \$__cvS = 0/g)?.length, 4);
  assert.doesNotMatch(body('async function f(a = g()) { await a }'), /\(a = \(\$__cvR/);
});

test('source map: every identifier of the input maps back to its own line and column', async () => {
  const input = [
    'async function load(url) {',
    '  const response = await fetch(url);',
    '  return await response.json();',
    '}',
  ].join('\n');
  const result = transformAsync(input, 'src/load.js');
  assert.ok(result !== null);
  assert.deepEqual(result.map.sources, ['src/load.js']);
  assert.deepEqual(result.map.sourcesContent, [input]);
  const { decode } = await import('@jridgewell/sourcemap-codec');
  const lines = decode(result.map.mappings);
  const outLines = result.code.split('\n');
  const inLines = input.split('\n');
  for (const name of ['load', 'response', 'fetch', 'url', 'json']) {
    const outLine = outLines.findIndex((l) => new RegExp(`\\b${name}\\b`).test(l));
    const outColumn = outLines[outLine]?.search(new RegExp(`\\b${name}\\b`)) ?? -1;
    const segment = lines[outLine]?.find((seg) => seg[0] === outColumn);
    assert.ok(segment !== undefined, `${name} has a mapping`);
    const [, , line, column] = segment as number[];
    assert.equal(inLines[line ?? -1]?.slice(column, (column ?? 0) + name.length), name, `${name} maps to itself`);
  }
});

test('running: after each await the cell is back, while other callbacks overwrite it in between', async () => {
  const mod = await load<{ run(): Promise<unknown[]> }>(
    transformed(`
      const cell = globalThis[Symbol.for('contextvars.browser.cell.v1')];
      export async function run() {
        const seen = [];
        cell.c = 'mine';
        seen.push(await polluted().then(() => cell.c === 'mine'));
        seen.push(cell.c);
        for (let i = 0; i < 2; i++) { await polluted(); seen.push(cell.c); }
        try { await polluted().then(() => { throw new Error('x') }); } catch { seen.push('catch:' + cell.c); } finally { seen.push('finally:' + cell.c); }
        const inner = async () => { cell.c = 'inner'; await polluted(); return cell.c; };
        seen.push(await inner(), cell.c);
        for await (const x of (async function* () { cell.c = 'gen'; await polluted(); yield cell.c; yield cell.c; })()) seen.push(x + '/' + cell.c);
        seen.push(cell.c);
        return seen;
      }`),
  );
  const seen = await mod.run();
  // Outside a wrapped callback the cell keeps a `then` callback's write (false): that is the browser runtime's job.
  assert.deepEqual(seen, [
    false,
    'mine',
    'mine',
    'mine',
    'catch:mine',
    'finally:mine',
    'inner',
    'inner',
    'gen/inner',
    'gen/inner',
    'inner',
  ]);
});

test('running: a resumed function puts back the scope its job started with when it suspends or returns', async () => {
  const mod = await load<{ run(): Promise<unknown[]> }>(
    transformed(`
      const cell = globalThis[Symbol.for('contextvars.browser.cell.v1')];
      export async function run() {
        const seen = [];
        const flow = async () => { cell.c = 'flow'; await null; cell.c = 'flow2'; await null; return cell.c; };
        cell.c = 'caller';
        const p = flow();
        seen.push(cell.c); // the prefix's write stays with the caller (docs/semantics.md, D1)
        cell.c = 'caller';
        await null;
        seen.push(cell.c);
        seen.push(await p, cell.c);
        return seen;
      }`),
  );
  cell.c = undefined;
  const seen = await mod.run();
  assert.deepEqual(seen, ['flow', 'caller', 'flow2', 'caller']);
  await new Promise((resolve) => setTimeout(resolve));
  assert.equal(cell.c, 'caller', 'the synchronous prefix of run() left its own write, as on Node');
  cell.c = undefined;
});

test('running: defaults in a for await head read the loop scope, not what the iterator left', async () => {
  const mod = await load<{ run(): Promise<unknown[]> }>(
    transformed(`
      const cell = globalThis[Symbol.for('contextvars.browser.cell.v1')];
      export async function run() {
        const seen = [];
        async function* items() { cell.c = 'gen'; for (let i = 0; i < 2; i++) { await polluted(); yield { i }; } }
        cell.c = 'loop';
        for await (const { i, at = cell.c } of items()) seen.push(i + ':' + at + '/' + cell.c);
        const target = {};
        for await ([target.first = cell.c] of (async function* () { await polluted(); yield []; })()) seen.push('assigned:' + target.first);
        seen.push(cell.c);
        return seen;
      }`),
  );
  assert.deepEqual(await mod.run(), ['0:loop/loop', '1:loop/loop', 'assigned:loop', 'loop']);
  cell.c = undefined;
});

/** Whether this runtime parses `await using` (Node 24+, V8 13.6). */
const nativeAwaitUsing = ((): boolean => {
  try {
    new Function('return async () => { await using x = null; }');
    return true;
  } catch {
    return false;
  }
})();

/** `code`, with `await using` lowered by esbuild (as for an older browser target) where this runtime cannot run it. */
async function runnable(code: string): Promise<string> {
  if (nativeAwaitUsing) return code;
  const { transform } = await import('esbuild');
  return (await transform(code, { format: 'esm', target: 'es2022' })).code;
}

test(`running: after an await using block's disposal awaits, the scope is the one the block was left with: at its end, by break in a switch case, by return, by an exception${nativeAwaitUsing ? '' : ' (lowered by esbuild: no await using here)'}`, async () => {
  const mod = await load<{ run(): Promise<unknown[]> }>(
    await runnable(
      transformed(`
      const cell = globalThis[Symbol.for('contextvars.browser.cell.v1')];
      const resource = (seen, name) => ({ async [Symbol.asyncDispose]() { await polluted(); seen.push(name + ' disposed in ' + cell.c); } });
      export async function run() {
        const seen = [];
        cell.c = 'start';
        { await using r = resource(seen, 'block'); await polluted(); cell.c = 'at the end'; }
        seen.push(cell.c);
        for (const k of [1, 2]) {
          cell.c = 'case ' + k;
          switch (k) {
            case 1: { await using r = resource(seen, 'case 1'); await polluted(); cell.c = 'break 1'; if (k === 1) break; cell.c = 'not here'; }
            default: { await using r = resource(seen, 'default'); cell.c = 'fell out ' + k; }
          }
          seen.push(cell.c);
        }
        const returns = async () => { try { { await using r = resource(seen, 'return'); await polluted(); cell.c = 'returned'; return 1; } } finally { seen.push('finally: ' + cell.c); } };
        cell.c = 'caller';
        await returns();
        seen.push(cell.c);
        try { await using r = resource(seen, 'throw'); await polluted(); cell.c = 'thrown'; throw new Error('x'); } catch { seen.push('catch: ' + cell.c); }
        // Left between two declarations: the scope it had then, too.
        cell.c = 'first';
        try { await using a = resource(seen, 'a'); cell.c = 'between'; if (cell.c) throw new Error('y'); await using b = resource(seen, 'b'); } catch { seen.push('catch: ' + cell.c); }
        return seen;
      }`),
    ),
  );
  assert.deepEqual(await mod.run(), [
    'block disposed in at the end',
    'at the end',
    'case 1 disposed in break 1',
    'break 1',
    'default disposed in fell out 2',
    'fell out 2',
    'return disposed in returned',
    'finally: returned',
    'caller',
    'throw disposed in thrown',
    'catch: thrown',
    'a disposed in between',
    'catch: between',
  ]);
  cell.c = undefined;
});

test(`running: every disposal of an await using block runs in the scope the block was left with, nulls included, for (await using …) too, and leaves no value to the rest of the job${nativeAwaitUsing ? '' : ' (lowered by esbuild: no await using here)'}`, async () => {
  const mod = await load<{ run(): Promise<unknown[]> }>(
    await runnable(
      transformed(`
      const cell = globalThis[Symbol.for('contextvars.browser.cell.v1')];
      const resource = (seen, name) => ({ async [Symbol.asyncDispose]() { seen.push(name + ' called in ' + cell.c); await polluted(); seen.push(name + ' resumed in ' + cell.c); } });
      export async function run() {
        const seen = [];
        await polluted();
        cell.c = 'left';
        // The job goes on after the function suspends in the disposal: code it runs next (an untransformed
        // then callback here) sees the scope the job started with ('other', from polluted), not the block's.
        { await using a = resource(seen, 'a'); using s = { [Symbol.dispose]() { seen.push('s in ' + cell.c); } }; await using b = resource(seen, 'b'), n = null; Promise.resolve().then(() => seen.push('next job in ' + cell.c)); }
        seen.push('after ' + cell.c);
        { await using n = null, m = undefined; cell.c = 'nulls'; }
        seen.push('after nulls ' + cell.c);
        function* items() { for (let i = 0; i < 2; i++) { seen.push('next in ' + cell.c); yield resource(seen, 'x' + i); } }
        cell.c = 'loop';
        for (await using x of items()) seen.push('body in ' + cell.c);
        seen.push('after loop ' + cell.c);
        return seen;
      }`),
    ),
  );
  cell.c = undefined;
  const seen = await mod.run();
  // Where the next job falls among the disposals depends on how the runtime (or esbuild's lowering) awaits them.
  assert.deepEqual(
    seen.filter((line) => String(line).startsWith('next job')),
    ['next job in other'],
  );
  assert.deepEqual(
    seen.filter((line) => !String(line).startsWith('next job')),
    [
      'b called in left',
      'b resumed in left',
      's in left',
      'a called in left',
      'a resumed in left',
      'after left',
      'after nulls nulls',
      'next in loop',
      'body in loop',
      'x0 called in loop',
      'x0 resumed in loop',
      'next in loop',
      'body in loop',
      'x1 called in loop',
      'x1 resumed in loop',
      'after loop loop',
    ],
  );
  cell.c = undefined;
});

test(`running: await using transformed keeps the order of events, errors included: a null resource, a sync [Symbol.dispose] and its throw, a value that is not disposable${nativeAwaitUsing ? '' : ' (lowered by esbuild: no await using here)'}`, async () => {
  const source = `
    export async function run() {
      const log = [];
      const ticker = (async () => { for (let i = 0; i < 12; i++) { await null; log.push('tick ' + i); } })();
      const real = (name) => ({ async [Symbol.asyncDispose]() { log.push('dispose ' + name); } });
      { await using a = real('a'); await using n = null; log.push('body 1'); }
      log.push('after 1');
      { await using n = null, m = undefined; log.push('body 2'); }
      log.push('after 2');
      try { await using s = { [Symbol.dispose]() { log.push('sync dispose'); throw new Error('from dispose'); } }; log.push('body 3'); } catch (e) { log.push('caught ' + e.message); }
      log.push('after 3');
      try { await using bad = 42; } catch (e) { log.push('caught ' + e.name); }
      try { await using bad = {}; } catch (e) { log.push('caught ' + e.name); }
      await ticker;
      return log;
    }`;
  const original = await (await load<{ run(): Promise<string[]> }>(await runnable(source))).run();
  const after = await (await load<{ run(): Promise<string[]> }>(await runnable(transformed(source)))).run();
  assert.deepEqual(after, original);
  assert.ok(original.includes('caught from dispose') && original.includes('caught TypeError'), original.join(', '));
  cell.c = undefined;
});

// ---- property: transformed random async programs compute the same results ----

type Step =
  | { kind: 'set'; value: number }
  | { kind: 'get' }
  | { kind: 'micro' }
  | { kind: 'macro' }
  | { kind: 'reject' }
  | { kind: 'untransformed' }
  | { kind: 'call'; steps: Step[] }
  | { kind: 'loop'; times: number; steps: Step[] }
  | { kind: 'forAwait'; times: number; pattern: boolean }
  | { kind: 'using'; nulls: [boolean, boolean]; exit: 'end' | 'break' | 'throw'; steps: Step[] };

const step: fc.Arbitrary<Step> = fc.letrec<{ step: Step; steps: Step[] }>((tie) => ({
  step: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.record({ kind: fc.constant('set' as const), value: fc.integer({ min: 0, max: 9 }) }),
    fc.record({ kind: fc.constant('get' as const) }),
    fc.record({ kind: fc.constant('micro' as const) }),
    fc.record({ kind: fc.constant('macro' as const) }),
    fc.record({ kind: fc.constant('reject' as const) }),
    fc.record({ kind: fc.constant('untransformed' as const) }),
    fc.record({ kind: fc.constant('call' as const), steps: tie('steps') }),
    fc.record({ kind: fc.constant('loop' as const), times: fc.integer({ min: 1, max: 3 }), steps: tie('steps') }),
    fc.record({
      kind: fc.constant('forAwait' as const),
      times: fc.integer({ min: 1, max: 3 }),
      pattern: fc.boolean(),
    }),
    fc.record({
      kind: fc.constant('using' as const),
      nulls: fc.tuple(fc.boolean(), fc.boolean()),
      exit: fc.constantFrom('end' as const, 'break' as const, 'throw' as const),
      steps: tie('steps'),
    }),
  ),
  steps: fc.array(tie('step'), { maxLength: 4 }),
})).step;

/**
 * A flow's code: `log` records what happens in order; reads of the cell go to
 * `reads` with the value the model expects, so the order and results can be
 * compared between the original and the transformed program, and the reads
 * checked in the transformed one only. The model, as on Node: a value set by
 * a called async function before its first suspension stays with its caller
 * (docs/semantics.md, D1); one set after it does not (D3). `own<d>` is the value at
 * call depth d, `live<d>` whether depth d has not suspended yet.
 */
let labels = 0;
function emit(steps: Step[], flow: number, depth: number): string {
  const set = (value: number, d: number): string =>
    d === 0 ? `own0 = ${value};` : `own${d} = ${value}; if (live${d}) { ${set(value, d - 1)} }`;
  const read = `reads.push([cell.c && cell.c.value, own${depth}]);`;
  return steps
    .map((s, i) => {
      const at = `${flow}.${depth}.${i}`;
      switch (s.kind) {
        case 'set':
          return `cell.c = { value: ${flow * 100 + s.value} }; ${set(flow * 100 + s.value, depth)} log.push('set ${at}');`;
        case 'get':
          return `${read} log.push('get ${at}');`;
        case 'micro':
          return `live${depth} = false; log.push('micro ' + (await Promise.resolve('${at}')));`;
        case 'macro':
          return `live${depth} = false; await new Promise((r) => setTimeout(r, 0)); log.push('macro ${at}');`;
        case 'reject':
          return `live${depth} = false; try { await Promise.reject(new Error('${at}')); } catch (e) { log.push('caught ' + e.message); ${read} }`;
        case 'untransformed':
          // Code the transform did not see resumes in what the previous job left: the empty scope.
          return `live${depth} = false; reads.push([await untransformed(), undefined]); log.push('untransformed ${at}');`;
        case 'call': {
          const d = depth + 1;
          const callee = `(async () => { let own${d} = own${depth}, live${d} = true; ${emit(s.steps, flow, d)} return '${at}'; })()`;
          return `log.push('returned ' + (await ((tmp = ${callee}), live${depth} = false, tmp)));`;
        }
        case 'loop':
          return `for (let i${depth} = 0; i${depth} < ${s.times}; i${depth}++) { ${emit(s.steps, flow, depth)} }`;
        case 'forAwait': {
          // A destructuring head's default reads the cell before the body runs.
          const head = s.pattern ? `{ x, at = reads.push([cell.c && cell.c.value, own${depth}]) }` : 'x';
          const item = s.pattern ? '{ x: k }' : 'k';
          return `live${depth} = false; for await (const ${head} of (async function* () { for (let k = 0; k < ${s.times}; k++) { await null; yield ${item}; } })()) { log.push('item ${at} ' + x); ${read} }`;
        }
        case 'using': {
          // Two resources (or nulls), left at the block's end, by break or by an exception; the
          // disposal awaits, so the flow has suspended once the block is done. Each dispose method
          // reads the scope the block was left with, r0's too, called after r1's disposal awaited.
          const resource = (n: number): string =>
            s.nulls[n] === true
              ? 'null'
              : `{ async [Symbol.asyncDispose]() { await null; log.push('disposed ${at}.${n}'); ${read} } }`;
          const label = `block${labels++}`;
          const exit = s.exit === 'throw' ? `throw new Error('${at}');` : s.exit === 'break' ? `break ${label};` : '';
          return `try { ${label}: { await using r0 = ${resource(0)}; await using r1 = ${resource(1)}; ${emit(s.steps, flow, depth)} ${exit} } } catch (e) { log.push('caught ' + e.message); ${read} } live${depth} = false; ${read}`;
        }
      }
      throw new Error(`no code for step ${JSON.stringify(s)}`);
    })
    .join('\n');
}

function program(flows: Step[][]): string {
  const bodies = flows.map(
    (steps, flow) => `async () => { let own0, live0 = true, tmp; ${emit(steps, flow, 0)} return 'done ${flow}'; }`,
  );
  return `
    const cell = globalThis[Symbol.for('contextvars.browser.cell.v1')];
    const untransformed = new Function('cell', 'return (async () => { await null; return cell.c && cell.c.value; })()').bind(null, cell);
    export async function run() {
      const log = [], reads = [];
      const flows = [${bodies.join(',\n')}];
      // Each flow starts as a wrapped callback would run it: in its own empty scope.
      const results = await Promise.all(flows.map((f) => { const outer = cell.c; cell.c = undefined; try { return f(); } finally { cell.c = outer; } }));
      return { log, reads, results };
    }`;
}

interface Outcome {
  log: string[];
  reads: [unknown, unknown][];
  results: string[];
}

test('property: transformed random async programs log and return what the originals do, and every read sees its own flow', async () => {
  const seed = 0xc0ffee;
  await fc.assert(
    fc.asyncProperty(fc.array(fc.array(step, { maxLength: 6 }), { minLength: 1, maxLength: 4 }), async (flows) => {
      const source = program(flows);
      cell.c = undefined;
      const original = await (await load<{ run(): Promise<Outcome> }>(await runnable(source))).run();
      cell.c = undefined;
      const result = transformAsync(source, 'program.js');
      const changed = result === null ? source : result.code;
      const after = await (await load<{ run(): Promise<Outcome> }>(await runnable(changed))).run();
      assert.deepEqual(after.log, original.log, 'same order of events');
      assert.deepEqual(after.results, original.results, 'same results');
      for (const [seen, own] of after.reads) assert.equal(seen, own, 'a read sees the value its flow set');
      cell.c = undefined;
    }),
    { seed, numRuns: 150, verbose: 1 },
  );
});
