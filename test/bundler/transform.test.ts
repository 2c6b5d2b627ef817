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

test('await using: saved after each declaration and at the end of the block, restored after disposal', () => {
  const out = body('async function f() { { await using r = open(); work() } }');
  assert.match(
    out,
    /\{ try \{ await using r = open\(\);; \$__cvU1 = \$__cv\.c; work\(\) ; \$__cvU1 = \$__cv\.c; \} finally \{ \$__cvU1 !== 0 && /,
  );
  const inBody = body('async function f() { await using r = open(); work() }');
  assert.match(inBody, /finally \{ \$__cvU1 !== 0 && \(.*\); \$__cvS !== 0 \? /);
  assert.equal(transformAsync('function f() { using r = open(); }', 'a.js'), null, 'using alone needs nothing');
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
        seen.push(cell.c); // the prefix's write stays with the caller (SEMANTICS D1)
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

// ---- property: transformed random async programs compute the same results ----

type Step =
  | { kind: 'set'; value: number }
  | { kind: 'get' }
  | { kind: 'micro' }
  | { kind: 'macro' }
  | { kind: 'reject' }
  | { kind: 'call'; steps: Step[] }
  | { kind: 'loop'; times: number; steps: Step[] }
  | { kind: 'forAwait'; times: number };

const step: fc.Arbitrary<Step> = fc.letrec<{ step: Step; steps: Step[] }>((tie) => ({
  step: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.record({ kind: fc.constant('set' as const), value: fc.integer({ min: 0, max: 9 }) }),
    fc.record({ kind: fc.constant('get' as const) }),
    fc.record({ kind: fc.constant('micro' as const) }),
    fc.record({ kind: fc.constant('macro' as const) }),
    fc.record({ kind: fc.constant('reject' as const) }),
    fc.record({ kind: fc.constant('call' as const), steps: tie('steps') }),
    fc.record({ kind: fc.constant('loop' as const), times: fc.integer({ min: 1, max: 3 }), steps: tie('steps') }),
    fc.record({ kind: fc.constant('forAwait' as const), times: fc.integer({ min: 1, max: 3 }) }),
  ),
  steps: fc.array(tie('step'), { maxLength: 4 }),
})).step;

/**
 * A flow's code: `log` records what happens in order; reads of the cell go to
 * `reads` with the value the model expects, so the order and results can be
 * compared between the original and the transformed program, and the reads
 * checked in the transformed one only. The model, as on Node: a value set by
 * a called async function before its first suspension stays with its caller
 * (SEMANTICS D1); one set after it does not (D3). `own<d>` is the value at
 * call depth d, `live<d>` whether depth d has not suspended yet.
 */
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
        case 'call': {
          const d = depth + 1;
          const callee = `(async () => { let own${d} = own${depth}, live${d} = true; ${emit(s.steps, flow, d)} return '${at}'; })()`;
          return `log.push('returned ' + (await ((tmp = ${callee}), live${depth} = false, tmp)));`;
        }
        case 'loop':
          return `for (let i${depth} = 0; i${depth} < ${s.times}; i${depth}++) { ${emit(s.steps, flow, depth)} }`;
        case 'forAwait':
          return `live${depth} = false; for await (const x of (async function* () { for (let k = 0; k < ${s.times}; k++) { await null; yield k; } })()) { log.push('item ${at} ' + x); ${read} }`;
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
      const original = await (await load<{ run(): Promise<Outcome> }>(source)).run();
      cell.c = undefined;
      const result = transformAsync(source, 'program.js');
      const changed = result === null ? source : result.code;
      const after = await (await load<{ run(): Promise<Outcome> }>(changed)).run();
      assert.deepEqual(after.log, original.log, 'same order of events');
      assert.deepEqual(after.results, original.results, 'same results');
      for (const [seen, own] of after.reads) assert.equal(seen, own, 'a read sees the value its flow set');
      cell.c = undefined;
    }),
    { seed, numRuns: 150, verbose: 1 },
  );
});
