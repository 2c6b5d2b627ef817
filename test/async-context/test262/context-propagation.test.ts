/**
 * test262's AsyncContext tests (tc39/test262, test/built-ins/AsyncContext at
 * the proposal's commit f356f3c), ported as behaviour: how the context
 * follows promises, async functions, iterators and generators (test262's
 * context-propagation/*.js). One test per test262 file, named after its path
 * under test/built-ins/AsyncContext/.
 *
 * - The four generator files pass with the generator functions wrapped by
 *   bindGenerator: a native generator cannot be hooked from a library (its
 *   body runs in the context of whoever calls next()), which the
 *   "native generator" tests below pin as the documented difference.
 * - cross-realm.js needs a second realm ($262.createRealm) and
 *   FinalizationRegistry.js needs the host's GC ($262.gc) and a registry that
 *   captures the context at construction, which only an engine can do; both
 *   are listed as skipped.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AsyncContext, bindGenerator } from '../../../src/async-context/index.ts';

const { Variable } = AsyncContext;

test('context-propagation/CreateIteratorFromClosure.js', () => {
  const variable = new Variable<string>();
  const array: unknown[] = [];
  let seen: unknown;
  Object.defineProperty(array, 0, {
    get() {
      seen = variable.get();
    },
  });
  const iterator = variable.run('foo', () => array.values());
  variable.run('bar', () => iterator.next());
  assert.equal(seen, 'bar');
});

test.skip('context-propagation/FinalizationRegistry.js (needs the host GC, $262.gc, and engine support)', () => {});

test('context-propagation/async-await.js', async () => {
  const variable = new Variable<number>();
  let resolve!: () => void;
  async function asyncCallback(): Promise<void> {
    assert.equal(variable.get(), 42);
    await new Promise<void>((settle) => (resolve = settle));
    assert.equal(variable.get(), 42);
  }
  assert.equal(variable.get(), undefined);
  const promise = variable.run(42, asyncCallback);
  resolve();
  await promise.then(() => assert.equal(variable.get(), undefined));
});

test('context-propagation/async-generators-yield-inside-run.js (generator functions wrapped by bindGenerator)', async () => {
  const variable = new Variable<string>();
  const seen: unknown[] = [];
  const gen = bindGenerator(async function* () {
    await Promise.resolve();
    seen.push(variable.get());
    yield* variable.run(
      'nested-gen',
      bindGenerator(async function* () {
        seen.push(variable.get());
        await Promise.resolve();
        seen.push(variable.get());
        yield;
        seen.push(variable.get());
        await Promise.resolve();
        seen.push(variable.get());
      }),
    );
    await Promise.resolve();
    seen.push(variable.get());
  });
  const generator = variable.run('init', () => gen());
  await variable.run('first iter', async () => {
    await generator.next();
  });
  await variable.run('second iter', async () => {
    await generator.next();
  });
  assert.deepEqual(seen, ['init', 'nested-gen', 'nested-gen', 'nested-gen', 'nested-gen', 'init']);
});

test('context-propagation/async-generators.js (generator function wrapped by bindGenerator)', async () => {
  const variable = new Variable<string>();
  const seen: unknown[] = [];
  const gen = bindGenerator(async function* () {
    seen.push(variable.get());
    await Promise.resolve();
    seen.push(variable.get());
    yield;
    seen.push(variable.get());
    await Promise.resolve();
    seen.push(variable.get());
  });
  const generator = variable.run('init', () => gen());
  await variable.run('first iter', async () => {
    await generator.next();
  });
  await variable.run('second iter', async () => {
    await generator.next();
  });
  assert.deepEqual(seen, ['init', 'init', 'init', 'init']);
});

test('context-propagation/continuation-propagation-thenable.js', async () => {
  const variable = new Variable<symbol>();
  const expected = Symbol('expected');
  let seen: unknown;
  const thenable = {
    // biome-ignore lint/suspicious/noThenProperty: a thenable is what the test262 case needs
    then(onFulfilled: () => void) {
      seen = variable.get();
      onFulfilled();
    },
  };
  await variable.run(expected, () => Promise.resolve(thenable).then(() => {}));
  assert.equal(seen, expected);
});

test.skip('context-propagation/cross-realm.js (needs a second realm: $262.createRealm)', () => {});

test('context-propagation/generators-yield-inside-run.js (generator functions wrapped by bindGenerator)', () => {
  const variable = new Variable<string>();
  const seen: unknown[] = [];
  const gen = bindGenerator(function* () {
    seen.push(variable.get());
    yield* variable.run(
      'nested-gen',
      bindGenerator(function* () {
        seen.push(variable.get());
        yield;
        seen.push(variable.get());
      }),
    );
    seen.push(variable.get());
  });
  const generator = variable.run('init', () => gen());
  variable.run('first iter', () => generator.next());
  variable.run('second iter', () => generator.next());
  assert.deepEqual(seen, ['init', 'nested-gen', 'nested-gen', 'init']);
});

test('context-propagation/generators.js (generator function wrapped by bindGenerator)', () => {
  const variable = new Variable<string>();
  const seen: unknown[] = [];
  const gen = bindGenerator(function* () {
    seen.push(variable.get());
    yield;
    seen.push(variable.get());
  });
  const generator = variable.run('init', () => gen());
  variable.run('first iter', () => generator.next());
  variable.run('second iter', () => generator.next());
  assert.deepEqual(seen, ['init', 'init']);
});

test('context-propagation/promise-then.js', async () => {
  const variable = new Variable<string>();
  let seen: unknown;
  let resolve!: () => void;
  const promise = variable.run('promise creation time', () => new Promise<void>((settle) => (resolve = settle)));
  const done = variable.run('then registration time', () =>
    promise.then(() => {
      seen = variable.get();
    }),
  );
  variable.run('resolution time', () => resolve());
  await done;
  assert.equal(seen, 'then registration time');
});

// The documented difference: without bindGenerator, a native generator's steps
// run in the context of the caller of next(), not of the generator's creation.

test('context-propagation/generators.js with a native generator: each step runs in the caller of next()', () => {
  const variable = new Variable<string>();
  const seen: unknown[] = [];
  function* gen(): Generator<undefined> {
    seen.push(variable.get());
    yield;
    seen.push(variable.get());
  }
  const generator = variable.run('init', () => gen());
  variable.run('first iter', () => generator.next());
  variable.run('second iter', () => generator.next());
  assert.deepEqual(seen, ['first iter', 'second iter']);
});

test('context-propagation/async-generators.js with a native async generator: each step starts in the caller of next()', async () => {
  const variable = new Variable<string>();
  const seen: unknown[] = [];
  async function* gen(): AsyncGenerator<undefined> {
    seen.push(variable.get());
    await Promise.resolve();
    seen.push(variable.get());
    yield;
    seen.push(variable.get());
  }
  const generator = variable.run('init', () => gen());
  await variable.run('first iter', () => generator.next());
  await variable.run('second iter', () => generator.next());
  assert.deepEqual(seen, ['first iter', 'first iter', 'second iter']);
});
