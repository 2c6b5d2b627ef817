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
type Asyncio = typeof import('../../src/asyncio/index.ts');
const esmAsyncio = (await import('../../dist/asyncio.js')) as unknown as Asyncio;
const cjsAsyncio = createRequire(import.meta.url)('../../dist/asyncio.cjs') as Asyncio;

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
  const task = cjsAsyncio.createTask(async () => v.get(0), { context: ctx });
  assert.equal(await task, 2);
  assert.throws(() => ctx.get({} as never), { name: 'TypeError', message: /expects a ContextVar/ });
});

test('Token.MISSING is one object in both copies', () => {
  assert.equal(esm.Token.MISSING, cjs.Token.MISSING);
  const token = new cjs.ContextVar('fresh').set(1);
  assert.equal(token.oldValue, esm.Token.MISSING);
  assert.ok(esm.Token.isMissing(token.oldValue));
  assert.equal(`${esm.Token.MISSING}`, '<Token.MISSING>');
});

test('error messages render the other copy’s objects by name', () => {
  const v = new cjs.ContextVar<number>('shown');
  const w = new esm.ContextVar<number>('other');
  const token = v.set(1);
  assert.throws(() => w.reset(token as never), { message: /ContextVar name='shown'/ });
  assert.throws(() => esmAsyncio.createTask(() => 1, { context: v as never }), {
    name: 'TypeError',
    message: /got <ContextVar name='shown'>/,
  });
});

test('errors and TaskGroup are recognised across copies', async () => {
  const v = new cjs.ContextVar<number>('missing');
  assert.throws(
    () => v.get(),
    (error: unknown) => error instanceof esm.LookupError && error instanceof cjs.LookupError,
  );
  const token = v.set(1);
  v.reset(token);
  assert.throws(() => esm.ContextVar.prototype.reset.call(v, token), esm.TokenUsedError);
  assert.ok(new cjsAsyncio.TaskGroup() instanceof esmAsyncio.TaskGroup);
  const group = new esmAsyncio.TaskGroup();
  group.createTask(async () => {
    throw new RangeError('boom');
  });
  await assert.rejects(group.wait(), (error: unknown) => error instanceof cjsAsyncio.TaskGroupError);
  assert.ok(!(new RangeError('x') instanceof esm.LookupError));
  class AppLookupError extends esm.LookupError {}
  assert.ok(!(new esm.LookupError('x') instanceof AppLookupError), 'a user subclass keeps the ordinary instanceof');
  assert.ok(new AppLookupError('x') instanceof cjs.LookupError);
});

test('a task of one copy is the current task and is cancelled through the other', async () => {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const seen: unknown[] = [];
  const task = cjsAsyncio.createTask(async (): Promise<void> => {
    seen.push(esmAsyncio.currentTask());
    await released;
    esmAsyncio.currentTask()?.signal.throwIfAborted();
  });
  assert.deepEqual(seen, [task]);
  assert.equal(esmAsyncio.currentTask(), undefined);
  assert.equal(task.cancel(), true);
  release();
  await assert.rejects(task, (error: unknown) => error instanceof esmAsyncio.CancelledError);
  assert.equal(task.cancelled, true);
});

test('a root-level token set through one copy resets through the other in a sibling root callback', async () => {
  const v = new esm.ContextVar<string>('rooted', { default: 'd' });
  const token = await new Promise<ReturnType<typeof v.set>>((resolve) => setImmediate(() => resolve(v.set('x'))));
  await new Promise<void>((resolve) =>
    setImmediate(() => {
      cjs.ContextVar.prototype.reset.call(v, token as never);
      resolve();
    }),
  );
  assert.equal(token.used, true);
});

test('neither copy keeps a value set at the root alive once its callbacks are over', async () => {
  const gc = (globalThis as { gc?: () => void }).gc;
  assert.ok(gc, 'run node with --expose-gc (scripts/test.mjs does)');
  const big = new cjs.ContextVar<object>('big');
  let ref!: WeakRef<object>;
  await new Promise<void>((resolve) =>
    setImmediate(() => {
      new esm.ContextVar<number>('other').set(0); // a root scope made by one copy ...
      const payload = new Uint8Array(8 * 1024 * 1024);
      ref = new WeakRef(payload);
      big.set(payload); // ... and a set over it through the other
      resolve();
    }),
  );
  for (let pass = 0; pass < 6 && ref.deref() !== undefined; pass++) {
    await new Promise((resolve) => setImmediate(resolve));
    gc();
  }
  assert.equal(ref.deref(), undefined);
});
