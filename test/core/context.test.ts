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

test('new Context(entries) holds the pairs, like new Map(entries): a later entry of a variable wins', async () => {
  const requestId = new ContextVar<string>('requestId', { default: '-' });
  const user = new ContextVar<string>('user');
  const ctx = new Context([
    [requestId, 'r-0'],
    [user, 'ada'],
    [requestId, 'r-1'],
  ]);
  assert.equal(ctx.size, 2);
  assert.equal(ctx.get(requestId), 'r-1');
  assert.deepEqual(
    new Map(ctx),
    new Map<ContextVar<string>, string>([
      [requestId, 'r-1'],
      [user, 'ada'],
    ]),
  );
  // fn and what it schedules see every value; the caller sees none of them.
  const seen = await ctx.run(async () => {
    const before = [requestId.get(), user.get()];
    await new Promise((resolve) => setTimeout(resolve, 1));
    user.set('grace');
    return [...before, requestId.get(), user.get()];
  });
  assert.deepEqual(seen, ['r-1', 'ada', 'r-1', 'grace']);
  assert.equal(ctx.get(user), 'grace', 'writes in the run are kept in the Context (S4)');
  assert.equal(requestId.get(), '-');
  assert.equal(user.get('none'), 'none');
  // Any iterable of pairs will do: a Map, another Context, a generator.
  assert.equal(new Context(new Map([[user, 'bob']])).get(user), 'bob');
  assert.equal(new Context(ctx).get(requestId), 'r-1');
});

test('new Context(entries) rejects what is not an iterable of [ContextVar, value] pairs, naming it', () => {
  const v = new ContextVar('v');
  const bad: unknown[] = [42, { length: 1 }, [[v, 1], 'x'], [['v', 1]], [[{}, 1]], [null]];
  for (const entries of bad) {
    assert.throws(
      () => new Context(entries as never),
      (error: unknown) => {
        assert.ok(error instanceof TypeError);
        assert.match(error.message, /new Context expects/);
        return true;
      },
    );
  }
  assert.equal(new Context(undefined).size, 0);
});
