/**
 * test262's AsyncContext tests (tc39/test262, test/built-ins/AsyncContext at
 * the proposal's commit f356f3c), ported as behaviour: the
 * AsyncContext.Variable constructor (test262's Variable/*.js). One test per
 * test262 file, named after its path under test/built-ins/AsyncContext/.
 * Variable/proto-from-ctor-realm.js needs a second realm ($262.createRealm)
 * and is listed as skipped.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AsyncContext } from '../../../src/async-context/index.ts';
import { CustomError, isConstructor, verifyProperty } from '../support.ts';

/** The constructor as plain JavaScript sees it: any options, any newTarget. */
const Variable = AsyncContext.Variable as unknown as new (options?: unknown) => AsyncContext.Variable<unknown>;

test('Variable/constructor-defaultValue-defaults-to-undefined.js', () => {
  for (const options of [undefined, 42, null, Symbol(), {}, [], { name: 'foo' }]) {
    assert.equal(new Variable(options).get(), undefined, `options ${String(options)}`);
  }
});

test('Variable/constructor-defaultValue.js', () => {
  const symbol = Symbol();
  const object = {};
  for (const value of [undefined, 'foo', 42, symbol, object]) {
    assert.equal(new Variable({ defaultValue: value }).get(), value);
  }
});

test('Variable/constructor-name-defaults-to-empty-string.js', () => {
  for (const options of [undefined, 42, null, Symbol(), {}, [], { defaultValue: 42 }]) {
    assert.equal(new Variable(options).name, '', `options ${String(options)}`);
  }
});

test('Variable/constructor-name.js', () => {
  const roundtrip = (name: unknown): string => new Variable({ name }).name;
  assert.equal(roundtrip('foo'), 'foo');
  assert.equal(roundtrip(42), '42');
  assert.equal(roundtrip(undefined), 'undefined');
  assert.equal(roundtrip({ toString: () => 'bar' }), 'bar');
});

test('Variable/constructor-throwing-defaultValue-getter.js', () => {
  const options = {
    get defaultValue(): never {
      throw new CustomError();
    },
  };
  assert.throws(() => new Variable(options), CustomError);
});

test('Variable/constructor-throwing-name-getter.js', () => {
  const options = {
    get name(): never {
      throw new CustomError();
    },
  };
  assert.throws(() => new Variable(options), CustomError);
});

test('Variable/constructor-throwing-name-hasproperty.js', () => {
  const options = new Proxy(
    {},
    {
      has(_target, property) {
        if (property === 'name') throw new CustomError();
        return false;
      },
    },
  );
  assert.throws(() => new Variable(options), CustomError);
});

test('Variable/constructor-throwing-name-tostring.js', () => {
  assert.throws(() => new Variable({ name: Symbol() }), TypeError, 'a symbol name throws');
  const options = {
    name: {
      toString(): never {
        throw new CustomError();
      },
    },
  };
  assert.throws(() => new Variable(options), CustomError);
});

test('Variable/constructor.js', () => {
  assert.equal(typeof AsyncContext.Variable, 'function');
});

test('Variable/instance-extensible.js', () => {
  assert.equal(Object.isExtensible(new Variable()), true);
});

test('Variable/instance-prototype.js', () => {
  assert.equal(Object.prototype.isPrototypeOf.call(AsyncContext.Variable.prototype, new Variable()), true);
  verifyProperty(AsyncContext.Variable, 'prototype', { enumerable: false, writable: false, configurable: false });
});

test('Variable/internal-prototype.js', () => {
  assert.equal(Object.prototype.isPrototypeOf.call(Function.prototype, AsyncContext.Variable), true);
});

test('Variable/is-a-constructor.js', () => {
  assert.equal(isConstructor(AsyncContext.Variable), true);
  new Variable();
});

test('Variable/length.js', () => {
  verifyProperty(AsyncContext.Variable, 'length', { value: 1, writable: false, enumerable: false, configurable: true });
});

test('Variable/name.js', () => {
  assert.equal(AsyncContext.Variable.name, 'Variable');
  verifyProperty(AsyncContext.Variable, 'name', { writable: false, enumerable: false, configurable: true });
});

test('Variable/newtarget-prototype-is-not-object.js', () => {
  function newTarget(): void {}
  for (const prototype of [undefined, null, true, '', Symbol(), 1]) {
    newTarget.prototype = prototype;
    const variable: unknown = Reflect.construct(AsyncContext.Variable, [], newTarget);
    assert.equal(Object.getPrototypeOf(variable), AsyncContext.Variable.prototype, `prototype ${String(prototype)}`);
  }
});

test('Variable/prop-desc.js', () => {
  verifyProperty(AsyncContext, 'Variable', { enumerable: false, writable: true, configurable: true });
});

test.skip('Variable/proto-from-ctor-realm.js (needs a second realm: $262.createRealm)', () => {});

test('Variable/proto.js', () => {
  assert.equal(Object.getPrototypeOf(AsyncContext.Variable), Function.prototype);
});

test('Variable/prototype-from-newtarget-abrupt.js', () => {
  let calls = 0;
  // biome-ignore lint/complexity/useArrowFunction: an arrow function is not a constructor; newTarget must be one
  const newTarget = function () {}.bind(null);
  Object.defineProperty(newTarget, 'prototype', {
    get() {
      calls += 1;
      throw new CustomError();
    },
  });
  assert.throws(() => Reflect.construct(AsyncContext.Variable, [], newTarget), CustomError);
  assert.equal(calls, 1);
});

test('Variable/prototype-from-newtarget-custom.js', () => {
  assert.equal(Object.getPrototypeOf(Reflect.construct(AsyncContext.Variable, [], Object)), Object.prototype);
  // biome-ignore lint/complexity/useArrowFunction: an arrow function is not a constructor; newTarget must be one
  const newTarget = function () {}.bind(null);
  Object.defineProperty(newTarget, 'prototype', { get: () => Array.prototype });
  assert.equal(Object.getPrototypeOf(Reflect.construct(AsyncContext.Variable, [], newTarget)), Array.prototype);
});

test('Variable/prototype-from-newtarget.js', () => {
  assert.equal(Object.getPrototypeOf(new Variable()), AsyncContext.Variable.prototype);
});

test('Variable/returns-new-object-from-constructor.js', () => {
  const options = {};
  const variable = new Variable(options);
  assert.equal(Object.getPrototypeOf(variable), AsyncContext.Variable.prototype);
  assert.notEqual(variable, options);
  assert.equal(variable instanceof AsyncContext.Variable, true);
  assert.deepEqual(Object.getOwnPropertyNames(variable), []);
  assert.deepEqual(Object.getOwnPropertySymbols(variable), []);
});

test('Variable/undefined-newtarget-throws.js', () => {
  assert.equal(typeof AsyncContext.Variable, 'function');
  const call = AsyncContext.Variable as unknown as (options?: unknown) => unknown;
  assert.throws(() => call(), TypeError);
  assert.throws(() => call({}), TypeError);
});
