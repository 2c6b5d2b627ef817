/** ContextVar and Token beyond the CPython port: defaults, fallbacks, identity, and tokens across flows. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Context, ContextVar, LookupError, type Token, TokenContextError } from '../../src/index.ts';
import { createTask } from '../../src/asyncio/index.ts';

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

test('reset() of anything but a Token is a TypeError naming the variable and what it was given', () => {
  const v = new ContextVar('v', { default: 1 });
  const given: Array<[unknown, string]> = [
    ['not a token', "'not a token'"],
    [() => 0, 'function (anonymous)'],
    [function named() {}, 'function named'],
    [null, 'null'],
    [undefined, 'undefined'],
    [[1, 2], 'Array(2)'],
    [{ a: 1 }, '[object Object]'],
    [Object.create(null), '[object Object]'],
    [new Map(), '[object Map]'],
    [Symbol('s'), 'Symbol(s)'],
    [5, '5'],
    [v, "<ContextVar name='v' default=1>"],
  ];
  for (const [value, rendered] of given) {
    assert.throws(
      () => v.reset(value as Token<number>),
      (error: unknown) =>
        error instanceof TypeError &&
        error.message === `<ContextVar name='v' default=1>.reset expects a Token made by set(), got ${rendered}`,
    );
  }
  assert.equal(v.get(), 1);
});

test('outside any Context, a token set in one callback is reset in a later one: the variable gets its old value there', async () => {
  const v = new ContextVar('v', { default: 'default' });
  const seen: string[] = [];
  // Both callbacks are queued from here, outside any Context: neither inherits the other's values.
  await new Promise<void>((resolve) => {
    let token: Token<string> | undefined;
    setImmediate(() => {
      v.set('old');
      token = v.set('new');
      seen.push(v.get());
    });
    setImmediate(() => {
      seen.push(v.get());
      v.reset(token!);
      seen.push(v.get());
      resolve();
    });
  });
  assert.deepEqual(seen, ['new', 'default', 'old']);
});

test('S5: a token made inside v.run resets inside that run, never after it has returned', async () => {
  const v = new ContextVar<string>('v', { default: 'd' });
  const other = new ContextVar<number>('other', { default: 0 });
  // The defect: the caller reset a token the run made, and read the run's value.
  let leaked: Token<string> | undefined;
  v.run('scoped', () => {
    leaked = v.set('inner');
  });
  assert.throws(
    () => v.reset(leaked as Token<string>),
    (error: unknown) =>
      error instanceof TokenContextError &&
      /<ContextVar name='v' default='d'>\.run\(\), which has returned/.test(error.message),
  );
  assert.equal(v.get(), 'd', 'the scoped value never reaches the caller');
  assert.equal(leaked?.used, false);

  // Inside the run: in its synchronous code, after its awaits, and in runs nested in it.
  assert.equal(
    v.run('scoped', () => {
      const token = v.set('inner');
      other.run(1, () => v.reset(token));
      return v.get();
    }),
    'scoped',
  );
  const afterAwait = await v.run('scoped', async () => {
    const token = v.set('inner');
    await new Promise((resolve) => setImmediate(resolve));
    v.reset(token);
    return v.get();
  });
  assert.equal(afterAwait, 'scoped');
  // A token of one run is refused in a sibling run of the same variable.
  const first = v.run('a', () => v.set('a2'));
  assert.throws(() => v.run('b', () => v.reset(first)), TokenContextError);
  // A token made outside every run still resets inside a run.
  const outer = v.set('outer');
  v.run('scoped', () => v.reset(outer));
  assert.equal(v.get(), 'd');
});
