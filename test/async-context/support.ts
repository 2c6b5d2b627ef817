/**
 * Checks the test262 ports need, written for this suite: property attributes
 * (read from the descriptor and tried out: a write, a delete), whether a value
 * is a constructor, and a way to change a built-in for one test and put it back.
 */
import assert from 'node:assert/strict';

export interface ExpectedProperty {
  readonly value?: unknown;
  readonly writable?: boolean;
  readonly enumerable?: boolean;
  readonly configurable?: boolean;
}

/**
 * Asserts `object[key]`'s own descriptor has the expected attributes, and that
 * they hold in practice: a non-writable data property rejects a strict-mode
 * write, an enumerable one is listed by `for…in`-style key enumeration, a
 * configurable one can be deleted. Every change is undone before returning.
 */
export function verifyProperty(object: object, key: PropertyKey, expected: ExpectedProperty): void {
  const descriptor = Object.getOwnPropertyDescriptor(object, key);
  assert.ok(descriptor, `${String(key)} is an own property`);
  if ('value' in expected) assert.ok(Object.is(descriptor.value, expected.value), `${String(key)}'s value`);
  if (expected.writable !== undefined) {
    assert.equal(descriptor.writable, expected.writable, `${String(key)} writable`);
    const target = object as Record<PropertyKey, unknown>;
    const before = target[key];
    const probe = Symbol('probe');
    try {
      target[key] = probe;
      assert.ok(expected.writable, `a write to non-writable ${String(key)} must throw in strict mode`);
      assert.equal(target[key], probe, `a write to writable ${String(key)} takes effect`);
    } catch (error) {
      if (expected.writable) throw error;
      assert.ok(error instanceof TypeError, `the write to ${String(key)} throws a TypeError`);
    } finally {
      if (expected.writable) Object.defineProperty(object, key, descriptor);
    }
    assert.ok(Object.is(target[key], before), `${String(key)} is back to its value`);
  }
  if (expected.enumerable !== undefined) {
    assert.equal(descriptor.enumerable, expected.enumerable, `${String(key)} enumerable`);
    assert.equal(Object.prototype.propertyIsEnumerable.call(object, key), expected.enumerable);
  }
  if (expected.configurable !== undefined) {
    assert.equal(descriptor.configurable, expected.configurable, `${String(key)} configurable`);
    const deleted = Reflect.deleteProperty(object, key);
    assert.equal(
      deleted,
      expected.configurable,
      `delete ${String(key)} ${expected.configurable ? 'succeeds' : 'fails'}`,
    );
    if (deleted) Object.defineProperty(object, key, descriptor);
    assert.deepEqual(Object.getOwnPropertyDescriptor(object, key), descriptor, `${String(key)} is restored`);
  }
}

/** Whether `value` has [[Construct]], without running it: a constructor can be Reflect.construct's newTarget. */
export function isConstructor(value: unknown): boolean {
  if (typeof value !== 'function') return false;
  try {
    // biome-ignore lint/complexity/useArrowFunction: Reflect.construct needs a constructor as its target
    Reflect.construct(function () {}, [], value);
    return true;
  } catch {
    return false;
  }
}

/** Calls `fn` with `object[key]` redefined by `descriptor`, then restores the original (or deletes it). */
export function withProperty<R>(object: object, key: PropertyKey, descriptor: PropertyDescriptor, fn: () => R): R {
  const original = Object.getOwnPropertyDescriptor(object, key);
  Object.defineProperty(object, key, descriptor);
  try {
    return fn();
  } finally {
    if (original) Object.defineProperty(object, key, original);
    else Reflect.deleteProperty(object, key);
  }
}

/** An error type only the test throws, so a test can tell its own throw from any other. */
export class CustomError extends Error {}
