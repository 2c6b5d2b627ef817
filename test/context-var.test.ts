/** ContextVar and Token beyond the CPython port: defaults, fallbacks, identity, and tokens across flows. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Context, ContextVar, createTask, LookupError, TokenContextError } from '../src/index.ts';

test('a ContextVar default may itself be undefined, distinct from no default', () => {
  const withUndefined = new ContextVar<string | undefined>('u', { default: undefined });
  const withoutDefault = new ContextVar<string>('n');
  assert.equal(withUndefined.get(), undefined);
  assert.throws(() => withoutDefault.get(), LookupError);
  assert.equal(withoutDefault.get(undefined), undefined);
  assert.equal(String(withUndefined), "<ContextVar name='u' default=undefined>");
});

test('get(fallback) wins over the default; equal names are distinct variables', () => {
  const x = new ContextVar('same', { default: 'd' });
  const y = new ContextVar('same', { default: 'd' });
  assert.equal(x.get('f'), 'f');
  const ctx = new Context();
  ctx.run(() => {
    x.set('x');
    assert.equal(y.get(), 'd');
  });
  assert.ok(ctx.has(x));
  assert.ok(!ctx.has(y));
});

test('a task made in one Context and tokens stay in their flows', async () => {
  const v = new ContextVar('v', { default: 0 });
  const task = createTask(async () => {
    const t = v.set(1);
    await sleep(1);
    return t;
  });
  const token = await task;
  assert.throws(() => v.reset(token), TokenContextError);
  assert.equal(task.context.get(v), 1);
});
