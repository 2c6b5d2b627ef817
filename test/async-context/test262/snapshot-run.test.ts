/**
 * test262's AsyncContext tests (tc39/test262, test/built-ins/AsyncContext at
 * the proposal's commit f356f3c), ported as behaviour:
 * AsyncContext.Snapshot.prototype.run (test262's Snapshot/prototype/run/*.js).
 * One test per test262 file, named after its path under
 * test/built-ins/AsyncContext/.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AsyncContext } from '../../../src/async-context/index.ts';
import { CustomError, isConstructor, verifyProperty } from '../support.ts';

const { Snapshot, Variable } = AsyncContext;
const run = Snapshot.prototype.run as (this: unknown, ...args: unknown[]) => unknown;

test('Snapshot/prototype/run/calls-callback-with-args.js', () => {
  const object = {};
  const symbol = Symbol();
  let called = false;
  new Snapshot().run(
    function (...args: unknown[]) {
      // biome-ignore lint/complexity/noArguments: the test262 case counts the arguments the callback received
      assert.equal(arguments.length, 4);
      assert.deepEqual(args, [42, 'bar', object, symbol]);
      called = true;
    },
    42,
    'bar',
    object,
    symbol,
  );
  assert.ok(called);
});

test('Snapshot/prototype/run/calls-callback-with-undefined-this.js', () => {
  new Snapshot().run(function (this: unknown) {
    assert.equal(this, undefined);
  });
});

test('Snapshot/prototype/run/context-is-not-object.js', () => {
  for (const receiver of [1, true, '', null, undefined, Symbol()]) {
    assert.throws(() => run.call(receiver), TypeError, String(receiver));
  }
});

test('Snapshot/prototype/run/context-is-not-snapshot-object.js', () => {
  assert.throws(() => run.call({}), TypeError);
  assert.throws(() => run.call([]), TypeError);
});

test('Snapshot/prototype/run/context-is-variable-object-throws.js', () => {
  assert.throws(() => run.call(new Variable()), TypeError);
});

test('Snapshot/prototype/run/length.js', () => {
  assert.equal(run.length, 1);
  verifyProperty(run, 'length', { enumerable: false, writable: false, configurable: true });
});

test('Snapshot/prototype/run/name.js', () => {
  assert.equal(run.name, 'run');
  verifyProperty(run, 'name', { enumerable: false, writable: false, configurable: true });
});

test('Snapshot/prototype/run/not-a-constructor.js', () => {
  assert.equal(isConstructor(run), false);
  const snapshot = new Snapshot();
  assert.throws(() => new (snapshot.run as unknown as new (fn: () => void) => object)(() => {}), TypeError);
});

test('Snapshot/prototype/run/restores-previous-context-snapshot-after-callback-throw.js', () => {
  const variable = new Variable<number | string>();
  const snapshot = variable.run(42, () => new Snapshot());
  variable.run('foo', () => {
    assert.throws(
      () =>
        snapshot.run(() => {
          throw new CustomError();
        }),
      CustomError,
    );
    assert.equal(variable.get(), 'foo');
  });
});

test('Snapshot/prototype/run/restores-previous-context-snapshot-after-callback.js', () => {
  const a = new Variable<number | string>();
  const b = new Variable<string>();
  const snapshot = a.run(42, () => new Snapshot());
  const c = new Variable<string>();
  a.run('foo', () => {
    b.run('bar', () => {
      c.run('baz', () => {
        snapshot.run(() => {});
        assert.deepEqual([a.get(), b.get(), c.get()], ['foo', 'bar', 'baz']);
      });
    });
  });
});

test('Snapshot/prototype/run/restores-snapshot.js', () => {
  const [a, b, c] = [1, 2, 3].map(() => new Variable<string>());
  const snapshot = a!.run('foo', () => b!.run('bar', () => c!.run('baz', () => new Snapshot())));
  snapshot.run(() => assert.deepEqual([a!.get(), b!.get(), c!.get()], ['foo', 'bar', 'baz']));
});

test('Snapshot/prototype/run/restores-unset-variables.js', () => {
  const symbol = Symbol();
  const a = new Variable<string>();
  const b = new Variable<string | symbol>({ defaultValue: symbol });
  const c = new Variable<string>();
  const snapshot = a.run('foo', () => new Snapshot());
  const laterWithDefault = new Variable<string | symbol>({ defaultValue: symbol });
  const later = new Variable<string>();
  b.run('bar', () => {
    c.run('baz', () => {
      laterWithDefault.run('fizz', () => {
        later.run('buzz', () => {
          snapshot.run(() => {
            assert.equal(a.get(), 'foo');
            assert.equal(b.get(), symbol);
            assert.equal(c.get(), undefined);
            assert.equal(laterWithDefault.get(), symbol);
            assert.equal(later.get(), undefined);
          });
        });
      });
    });
  });
});

test('Snapshot/prototype/run/returned-promise-does-not-resolve-in-snapshot.js', async () => {
  const variable = new Variable<string>();
  const snapshot = variable.run('bar', () => new Snapshot());
  let resolve!: () => void;
  const done = variable.run('foo', () =>
    snapshot
      .run(async () => {
        assert.equal(variable.get(), 'bar');
        await new Promise<void>((settle) => (resolve = settle));
        assert.equal(variable.get(), 'bar');
      })
      .then(() => assert.equal(variable.get(), 'foo')),
  );
  resolve();
  await done;
});

test('Snapshot/prototype/run/returns-async-callback-return-value.js', async () => {
  const object = {};
  const returned = new Snapshot().run(async () => object);
  assert.ok(returned instanceof Promise);
  assert.equal(await returned, object);
});

test('Snapshot/prototype/run/returns-callback-return-value.js', () => {
  const snapshot = new Snapshot();
  const object = {};
  assert.equal(
    snapshot.run(() => object),
    object,
  );
  assert.ok(snapshot.run(async () => object) instanceof Promise);
});

test('Snapshot/prototype/run/run.js', () => {
  assert.equal(typeof run, 'function');
  verifyProperty(Snapshot.prototype, 'run', { enumerable: false, writable: true, configurable: true });
});

test('Snapshot/prototype/run/throws-if-callback-is-not-callable.js', () => {
  const snapshot = new Snapshot();
  const loose = snapshot.run.bind(snapshot) as (...args: unknown[]) => unknown;
  // test262 passes "foo" as the callback, then "foo" followed by each non-callable.
  assert.throws(() => loose('foo'), TypeError);
  for (const notCallable of [1, true, '', null, undefined, Symbol(), {}]) {
    assert.throws(() => loose('foo', notCallable), TypeError, String(notCallable));
  }
});

test('Snapshot/prototype/run/throws-if-callback-throws.js', () => {
  assert.throws(
    () =>
      new Snapshot().run(() => {
        throw new CustomError();
      }),
    CustomError,
  );
});
