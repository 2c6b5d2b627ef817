/** The error classes: exported, instanceof Error, with stable names. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ContextReentryError,
  LookupError,
  TokenContextError,
  TokenUsedError,
  TokenVarMismatchError,
} from '../../src/index.ts';

test('errors are exported classes with stable names', () => {
  for (const [Cls, name] of [
    [LookupError, 'LookupError'],
    [TokenVarMismatchError, 'TokenVarMismatchError'],
    [TokenContextError, 'TokenContextError'],
    [TokenUsedError, 'TokenUsedError'],
    [ContextReentryError, 'ContextReentryError'],
  ] as const) {
    const error = Cls === LookupError ? new LookupError('v') : new Cls('m');
    assert.ok(error instanceof Error);
    assert.ok(error instanceof Cls);
    assert.equal(error.name, name);
  }
  assert.equal(new LookupError('v').variableName, 'v');
});
