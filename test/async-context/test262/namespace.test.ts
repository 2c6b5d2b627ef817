/**
 * test262's AsyncContext tests (tc39/test262, test/built-ins/AsyncContext at
 * the proposal's commit f356f3c), ported as behaviour: the AsyncContext
 * namespace object and its global property. One test per test262 file, named
 * after its path under test/built-ins/AsyncContext/.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AsyncContext } from '../../../src/async-context/index.ts';
import '../../../src/async-context/global.ts';
import { verifyProperty } from '../support.ts';

test('Symbol.toStringTag.js', () => {
  assert.equal(AsyncContext[Symbol.toStringTag], 'AsyncContext');
  verifyProperty(AsyncContext, Symbol.toStringTag, { writable: false, enumerable: false, configurable: true });
  assert.equal(Object.prototype.toString.call(AsyncContext), '[object AsyncContext]');
});

test('proc-desc.js', () => {
  const global = globalThis as { AsyncContext?: unknown };
  assert.equal(typeof global.AsyncContext, 'object');
  assert.throws(() => (global.AsyncContext as () => void)(), TypeError, 'no [[Call]]');
  assert.throws(() => new (global.AsyncContext as new () => object)(), TypeError, 'no [[Construct]]');
  verifyProperty(globalThis, 'AsyncContext', { enumerable: false, writable: true, configurable: true });
});

test('proto.js', () => {
  assert.equal(Object.getPrototypeOf(AsyncContext), Object.prototype);
});
