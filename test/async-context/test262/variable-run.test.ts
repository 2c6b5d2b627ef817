/**
 * test262's AsyncContext tests (tc39/test262, test/built-ins/AsyncContext at
 * the proposal's commit f356f3c), ported as behaviour:
 * AsyncContext.Variable.prototype.run (test262's Variable/prototype/run/*.js).
 * One test per test262 file, named after its path under
 * test/built-ins/AsyncContext/.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AsyncContext } from '../../../src/async-context/index.ts';
import { CustomError, isConstructor, verifyProperty } from '../support.ts';

const run = AsyncContext.Variable.prototype.run as (this: unknown, ...args: unknown[]) => unknown;
/** `run` as plain JavaScript calls it: any value as the callback. */
type LooseRun = (value: unknown, fn?: unknown, ...args: unknown[]) => unknown;

test('Variable/prototype/run/calls-callback-with-args.js', () => {
  const variable = new AsyncContext.Variable<string>();
  const object = {};
  const symbol = Symbol();
  let called = false;
  variable.run(
    'foo',
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

test('Variable/prototype/run/calls-callback-with-undefined-this.js', () => {
  const variable = new AsyncContext.Variable<string>();
  variable.run('foo', function (this: unknown) {
    assert.equal(this, undefined);
  });
});

test('Variable/prototype/run/context-is-not-object.js', () => {
  for (const receiver of [1, true, '', null, undefined, Symbol()]) {
    assert.throws(() => run.call(receiver), TypeError, String(receiver));
  }
});

test('Variable/prototype/run/context-is-not-variable-object.js', () => {
  assert.throws(() => run.call({}), TypeError);
  assert.throws(() => run.call([]), TypeError);
});

test('Variable/prototype/run/context-is-snapshot-object-throws.js', () => {
  assert.throws(() => run.call(new AsyncContext.Snapshot()), TypeError);
});

test('Variable/prototype/run/length.js', () => {
  assert.equal(run.length, 2);
  verifyProperty(run, 'length', { enumerable: false, writable: false, configurable: true });
});

test('Variable/prototype/run/name.js', () => {
  assert.equal(run.name, 'run');
  verifyProperty(run, 'name', { enumerable: false, writable: false, configurable: true });
});

test('Variable/prototype/run/not-a-constructor.js', () => {
  assert.equal(isConstructor(run), false);
  const variable = new AsyncContext.Variable<number>();
  assert.throws(() => new (variable.run as unknown as new (...args: unknown[]) => object)(0, () => {}), TypeError);
});

test('Variable/prototype/run/restores-context-snapshot-after-callback-returns-promise.js', () => {
  const variable = new AsyncContext.Variable<string>();
  variable.run('foo', () => {
    variable.run('42', () => new Promise(() => {})); // never settles
    assert.equal(variable.get(), 'foo');
  });
  assert.equal(variable.get(), undefined);
});

test('Variable/prototype/run/restores-context-snapshot-after-callback-takes-snapshot.js', () => {
  const variable = new AsyncContext.Variable<string>();
  variable.run('foo', () => {
    variable.run('42', () => new AsyncContext.Snapshot());
    assert.equal(variable.get(), 'foo');
  });
  assert.equal(variable.get(), undefined);
});

test('Variable/prototype/run/restores-context-snapshot-after-callback-throw.js', () => {
  const variable = new AsyncContext.Variable<string>();
  variable.run('foo', () => {
    assert.throws(
      () =>
        variable.run('bar', () => {
          throw new CustomError();
        }),
      CustomError,
    );
    assert.equal(variable.get(), 'foo');
  });
});

test('Variable/prototype/run/restores-context-snapshot-after-callback.js', () => {
  const variable = new AsyncContext.Variable<string>();
  variable.run('foo', () => {
    variable.run('42', () => {});
    assert.equal(variable.get(), 'foo');
  });
  assert.equal(variable.get(), undefined);
});

test('Variable/prototype/run/returned-promise-does-not-resolve-in-snapshot.js', async () => {
  const variable = new AsyncContext.Variable<string>();
  let resolve!: () => void;
  const done = variable.run('foo', () =>
    variable
      .run('bar', async () => {
        assert.equal(variable.get(), 'bar');
        await new Promise<void>((settle) => (resolve = settle));
        assert.equal(variable.get(), 'bar');
      })
      .then(() => assert.equal(variable.get(), 'foo')),
  );
  resolve();
  await done;
});

test('Variable/prototype/run/returns-async-callback-return-value.js', async () => {
  const variable = new AsyncContext.Variable<string>();
  const object = {};
  const returned = variable.run('foo', async () => object);
  assert.ok(returned instanceof Promise);
  assert.equal(await returned, object);
});

test('Variable/prototype/run/returns-callback-return-value.js', () => {
  const variable = new AsyncContext.Variable<string>();
  const object = {};
  assert.equal(
    variable.run('foo', () => object),
    object,
  );
  assert.ok(variable.run('foo', async () => object) instanceof Promise);
});

test('Variable/prototype/run/run.js', () => {
  assert.equal(typeof run, 'function');
  verifyProperty(AsyncContext.Variable.prototype, 'run', { enumerable: false, writable: true, configurable: true });
});

test('Variable/prototype/run/swaps-context-snapshot-before-callback.js', () => {
  const variable = new AsyncContext.Variable<number>();
  assert.equal(variable.get(), undefined);
  variable.run(42, () => assert.equal(variable.get(), 42));
});

test('Variable/prototype/run/throws-if-callback-is-not-callable.js', () => {
  const variable = new AsyncContext.Variable<string>();
  const loose = variable.run.bind(variable) as LooseRun;
  assert.throws(() => loose('foo'), TypeError);
  for (const notCallable of [1, true, '', null, undefined, Symbol(), {}]) {
    assert.throws(() => loose('foo', notCallable), TypeError, String(notCallable));
  }
});

test('Variable/prototype/run/throws-if-callback-throws.js', () => {
  const variable = new AsyncContext.Variable<string>();
  assert.throws(
    () =>
      variable.run('foo', () => {
        throw new CustomError();
      }),
    CustomError,
  );
});

test('Variable/prototype/run/unrelated-snapshot-entries-keep-their-value.js', () => {
  const [a, b, c] = [1, 2, 3].map(() => new AsyncContext.Variable<symbol>());
  const [s1, s2, s3, s4, s5] = [1, 2, 3, 4, 5].map((i) => Symbol(`symbol${i}`));
  a!.run(s1!, () => {
    b!.run(s2!, () => {
      c!.run(s3!, () => {
        assert.deepEqual([a!.get(), b!.get(), c!.get()], [s1, s2, s3]);
        b!.run(s4!, () => {
          a!.run(s5!, () => {
            assert.deepEqual([a!.get(), b!.get(), c!.get()], [s5, s4, s3]);
          });
        });
      });
    });
  });
});
