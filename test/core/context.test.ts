/** Context beyond the CPython port: how it behaves as a read-only Map. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Context, ContextVar } from '../../src/index.ts';

test('Context is a read-only Map: forEach, iteration, size and no mutators', () => {
  const a = new ContextVar('a');
  const b = new ContextVar('b');
  const ctx = new Context();
  ctx.run(() => {
    a.set(1);
    b.set(2);
  });
  const seen = new Map<ContextVar<unknown>, unknown>();
  ctx.forEach((value, key, map) => {
    assert.equal(map, ctx);
    seen.set(key, value);
  });
  assert.deepEqual(
    seen,
    new Map<ContextVar<unknown>, unknown>([
      [a, 1],
      [b, 2],
    ]),
  );
  assert.equal(new Map(ctx).size, 2);
  const readonly: ReadonlyMap<ContextVar<unknown>, unknown> = ctx;
  assert.equal(readonly.get(a), 1);
  for (const mutator of ['set', 'delete', 'clear']) assert.equal(mutator in ctx, false);
});
