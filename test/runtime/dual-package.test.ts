/**
 * The ESM and CommonJS builds loaded side by side in one process (the "dual
 * package hazard"): they share one scope storage, and each copy's classes
 * recognise the other copy's instances. Runs against dist/, which `npm test`
 * builds first.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

type Core = typeof import('../../src/index.ts');

const esm = (await import('../../dist/index.js')) as unknown as Core;
const cjs = createRequire(import.meta.url)('../../dist/index.cjs') as Core;

test('the two builds are distinct copies of the library', () => {
  assert.notEqual(esm.ContextVar, cjs.ContextVar);
});

test('a value set through one copy is read through the other, across await', async () => {
  const v = new esm.ContextVar<string>('v', { default: 'd' });
  await new cjs.Context().run(async () => {
    v.set('x');
    await sleep(1);
    assert.equal(cjs.copyContext().get(v), 'x');
    assert.equal(v.get(), 'x');
  });
  assert.equal(v.get(), 'd');
});

test('instanceof and argument checks accept the other copy’s instances', async () => {
  const v = new cjs.ContextVar<number>('n');
  assert.ok(v instanceof esm.ContextVar);
  assert.ok(!(v instanceof esm.Context));
  const ctx = new esm.Context();
  assert.ok(ctx instanceof cjs.Context);
  ctx.run(() => v.set(1));
  assert.equal(ctx.get(v), 1);
  assert.ok(cjs.copyContext() instanceof esm.Context);
  const token = ctx.run(() => v.set(2));
  assert.ok(token instanceof esm.Token);
  const task = cjs.createTask(async () => v.get(0), { context: ctx });
  assert.equal(await task, 2);
  assert.throws(() => ctx.get({} as never), { name: 'TypeError', message: /expects a ContextVar/ });
});

test('error messages render the other copy’s objects by name', () => {
  const v = new cjs.ContextVar<number>('shown');
  const w = new esm.ContextVar<number>('other');
  const token = v.set(1);
  assert.throws(() => w.reset(token as never), { message: /ContextVar name='shown'/ });
  assert.throws(() => esm.createTask(() => 1, { context: v as never }), {
    name: 'TypeError',
    message: /got <ContextVar name='shown'>/,
  });
});
