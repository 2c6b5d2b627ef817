/**
 * test262's AsyncContext tests (tc39/test262, test/built-ins/AsyncContext at
 * the proposal's commit f356f3c), ported as behaviour: the
 * AsyncContext.Snapshot constructor and its prototype object (test262's
 * Snapshot/*.js and Snapshot/prototype/*.js). One test per test262 file,
 * named after its path under test/built-ins/AsyncContext/.
 * Snapshot/proto-from-ctor-realm.js needs a second realm ($262.createRealm)
 * and is listed as skipped.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AsyncContext } from '../../../src/async-context/index.ts';
import { CustomError, isConstructor, verifyProperty } from '../support.ts';

const { Snapshot } = AsyncContext;

test('Snapshot/constructor.js', () => {
  assert.equal(typeof Snapshot, 'function');
});

test('Snapshot/instance-extensible.js', () => {
  assert.equal(Object.isExtensible(new Snapshot()), true);
});

test('Snapshot/instance-prototype.js', () => {
  assert.equal(Object.prototype.isPrototypeOf.call(Snapshot.prototype, new Snapshot()), true);
  verifyProperty(Snapshot, 'prototype', { enumerable: false, writable: false, configurable: false });
});

test('Snapshot/internal-prototype.js', () => {
  assert.equal(Object.prototype.isPrototypeOf.call(Function.prototype, Snapshot), true);
});

test('Snapshot/is-a-constructor.js', () => {
  assert.equal(isConstructor(Snapshot), true);
  new Snapshot();
});

test('Snapshot/length.js', () => {
  verifyProperty(Snapshot, 'length', { value: 0, writable: false, enumerable: false, configurable: true });
});

test('Snapshot/name.js', () => {
  assert.equal(Snapshot.name, 'Snapshot');
  verifyProperty(Snapshot, 'name', { enumerable: false, writable: false, configurable: true });
});

test('Snapshot/newtarget-prototype-is-not-object.js', () => {
  function newTarget(): void {}
  for (const prototype of [undefined, null, true, '', Symbol(), 1]) {
    newTarget.prototype = prototype;
    const snapshot: unknown = Reflect.construct(Snapshot, [], newTarget);
    assert.equal(Object.getPrototypeOf(snapshot), Snapshot.prototype, `prototype ${String(prototype)}`);
  }
});

test('Snapshot/prop-desc.js', () => {
  verifyProperty(AsyncContext, 'Snapshot', { enumerable: false, writable: true, configurable: true });
});

test.skip('Snapshot/proto-from-ctor-realm.js (needs a second realm: $262.createRealm)', () => {});

test('Snapshot/proto.js', () => {
  assert.equal(Object.getPrototypeOf(Snapshot), Function.prototype);
});

test('Snapshot/prototype-from-newtarget-abrupt.js', () => {
  let calls = 0;
  // biome-ignore lint/complexity/useArrowFunction: an arrow function is not a constructor; newTarget must be one
  const newTarget = function () {}.bind(null);
  Object.defineProperty(newTarget, 'prototype', {
    get() {
      calls += 1;
      throw new CustomError();
    },
  });
  assert.throws(() => Reflect.construct(Snapshot, [], newTarget), CustomError);
  assert.equal(calls, 1);
});

test('Snapshot/prototype-from-newtarget-custom.js', () => {
  assert.equal(Object.getPrototypeOf(Reflect.construct(Snapshot, [], Object)), Object.prototype);
  // biome-ignore lint/complexity/useArrowFunction: an arrow function is not a constructor; newTarget must be one
  const newTarget = function () {}.bind(null);
  Object.defineProperty(newTarget, 'prototype', { get: () => Array.prototype });
  assert.equal(Object.getPrototypeOf(Reflect.construct(Snapshot, [], newTarget)), Array.prototype);
});

test('Snapshot/prototype-from-newtarget.js', () => {
  assert.equal(Object.getPrototypeOf(new Snapshot()), Snapshot.prototype);
});

test('Snapshot/prototype/Symbol.toStringTag.js', () => {
  const tag = (Snapshot.prototype as unknown as Record<symbol, unknown>)[Symbol.toStringTag];
  assert.equal(tag, 'AsyncContext.Snapshot');
  verifyProperty(Snapshot.prototype, Symbol.toStringTag, { enumerable: false, writable: false, configurable: true });
});

test('Snapshot/prototype/constructor.js', () => {
  assert.equal(Snapshot.prototype.constructor, Snapshot);
  assert.equal(new Snapshot().constructor, Snapshot);
  verifyProperty(Snapshot.prototype, 'constructor', { enumerable: false, writable: true, configurable: true });
});

test('Snapshot/prototype/prop-desc.js', () => {
  verifyProperty(Snapshot, 'prototype', { writable: false, enumerable: false, configurable: false });
});

test('Snapshot/prototype/proto.js', () => {
  assert.equal(Object.getPrototypeOf(Snapshot.prototype), Object.prototype);
});

test('Snapshot/returns-new-object-from-constructor.js', () => {
  const snapshot = new Snapshot();
  assert.equal(Object.getPrototypeOf(snapshot), Snapshot.prototype);
  assert.equal(snapshot instanceof Snapshot, true);
  assert.deepEqual(Object.getOwnPropertyNames(snapshot), []);
  assert.deepEqual(Object.getOwnPropertySymbols(snapshot), []);
});

test('Snapshot/undefined-newtarget-throws.js', () => {
  assert.equal(typeof Snapshot, 'function');
  assert.throws(() => (Snapshot as unknown as () => unknown)(), TypeError);
});
