/**
 * test262's AsyncContext tests (tc39/test262, test/built-ins/AsyncContext at
 * the proposal's commit f356f3c), ported as behaviour:
 * AsyncContext.Variable.prototype, its `get` method and `name` getter
 * (test262's Variable/prototype/*.js, get/*.js, name/*.js). One test per
 * test262 file, named after its path under test/built-ins/AsyncContext/.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AsyncContext } from '../../../src/async-context/index.ts';
import { isConstructor, verifyProperty } from '../support.ts';

const prototype = AsyncContext.Variable.prototype;
const get = prototype.get as (this: unknown) => unknown;
const nameGetter = Object.getOwnPropertyDescriptor(prototype, 'name')!.get as (this: unknown) => unknown;
const primitives = [1, true, '', null, undefined, Symbol()];

test('Variable/prototype/Symbol.toStringTag.js', () => {
  assert.equal(prototype[Symbol.toStringTag], 'AsyncContext.Variable');
  verifyProperty(prototype, Symbol.toStringTag, { enumerable: false, writable: false, configurable: true });
});

test('Variable/prototype/constructor.js', () => {
  assert.equal(prototype.constructor, AsyncContext.Variable);
  assert.equal(new AsyncContext.Variable().constructor, AsyncContext.Variable);
  verifyProperty(prototype, 'constructor', { enumerable: false, writable: true, configurable: true });
});

test('Variable/prototype/get/context-is-not-object.js', () => {
  for (const receiver of primitives) assert.throws(() => get.call(receiver), TypeError, String(receiver));
});

test('Variable/prototype/get/context-is-not-variable-object.js', () => {
  assert.throws(() => get.call({}), TypeError);
  assert.throws(() => get.call([]), TypeError);
});

test('Variable/prototype/get/context-is-snapshot-object-throws.js', () => {
  assert.throws(() => get.call(new AsyncContext.Snapshot()), TypeError);
});

test('Variable/prototype/get/get.js', () => {
  assert.equal(typeof prototype.get, 'function');
  verifyProperty(prototype, 'get', { enumerable: false, writable: true, configurable: true });
});

test('Variable/prototype/get/length.js', () => {
  assert.equal(prototype.get.length, 0);
  verifyProperty(prototype.get, 'length', { enumerable: false, writable: false, configurable: true });
});

test('Variable/prototype/get/name.js', () => {
  assert.equal(prototype.get.name, 'get');
  verifyProperty(prototype.get, 'name', { enumerable: false, writable: false, configurable: true });
});

test('Variable/prototype/get/not-a-constructor.js', () => {
  assert.equal(isConstructor(prototype.get), false);
  const variable = new AsyncContext.Variable();
  assert.throws(() => new (variable.get as unknown as new () => object)(), TypeError);
});

test('Variable/prototype/get/returns-default-value-outside-run.js', () => {
  const defaultValue = Symbol();
  assert.equal(new AsyncContext.Variable({ defaultValue }).get(), defaultValue);
});

test('Variable/prototype/get/returns-undefined-if-set-in-run.js', () => {
  const variable = new AsyncContext.Variable<number | undefined>({ defaultValue: 42 });
  variable.run(undefined, () => assert.equal(variable.get(), undefined));
});

test('Variable/prototype/get/returns-value-set-in-run.js', () => {
  const value = Symbol();
  const variable = new AsyncContext.Variable<symbol>();
  variable.run(value, () => assert.equal(variable.get(), value));
});

test('Variable/prototype/name/does-not-have-internal-slot-snapshot.js', () => {
  nameGetter.call(new AsyncContext.Variable());
  assert.throws(() => nameGetter.call(new AsyncContext.Snapshot()), TypeError);
});

test('Variable/prototype/name/does-not-have-internal-slot.js', () => {
  nameGetter.call(new AsyncContext.Variable());
  assert.throws(() => nameGetter.call([]), TypeError);
});

test('Variable/prototype/name/length.js', () => {
  assert.equal(nameGetter.length, 0);
  verifyProperty(nameGetter, 'length', { enumerable: false, writable: false, configurable: true });
});

test('Variable/prototype/name/name-getter.js', () => {
  const descriptor = Object.getOwnPropertyDescriptor(prototype, 'name')!;
  assert.equal(typeof descriptor.get, 'function');
  assert.equal(descriptor.set, undefined);
  verifyProperty(prototype, 'name', { enumerable: false, configurable: true });
});

test('Variable/prototype/name/name.js', () => {
  assert.equal(nameGetter.name, 'get name');
  verifyProperty(nameGetter, 'name', { enumerable: false, writable: false, configurable: true });
});

test('Variable/prototype/name/returns-name-passed-to-constructor.js', () => {
  assert.equal(new AsyncContext.Variable({ name: 'foo' }).name, 'foo');
});

test('Variable/prototype/name/this-not-object-throw.js', () => {
  for (const receiver of [1, false, '', undefined, null, Symbol()]) {
    assert.throws(() => nameGetter.call(receiver), TypeError, String(receiver));
  }
});

test('Variable/prototype/prop-desc.js', () => {
  verifyProperty(AsyncContext.Variable, 'prototype', { writable: false, enumerable: false, configurable: false });
});

test('Variable/prototype/proto.js', () => {
  assert.equal(Object.getPrototypeOf(prototype), Object.prototype);
});
