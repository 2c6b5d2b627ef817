/**
 * contextvars/worker's `carry` option: by default every shared variable
 * with a value goes to the worker thread; with `carry: 'propagated'` only
 * those also declared with `propagate`. Runs on the built package, as the
 * worker tests do (fixtures/worker-tasks.mjs creates the same shared keys).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Context } from 'contextvars';
import { propagate } from 'contextvars/propagation';
import { runInWorker, sharedContextVar, WorkerPool } from 'contextvars/worker';

const tasks = new URL('../worker/fixtures/worker-tasks.mjs', import.meta.url);
const requestId = propagate(sharedContextVar<string>('test.requestId', { default: 'none' }), { key: 'request' });
const user = sharedContextVar<{ name: string }>('test.user');

interface Seen {
  readonly requestId: string;
  readonly user: unknown;
}

const context = new Context([
  [requestId, 'r-1'],
  [user, { name: 'ada' }],
]);

test("carry: 'shared' (the default) sends every shared variable; 'propagated' only the declared ones", async () => {
  const everything = (await runInWorker(tasks, 'describeContext', [], { context })) as Seen;
  assert.equal(everything.requestId, 'r-1');
  assert.deepEqual(everything.user, { name: 'ada' });
  const declared = (await runInWorker(tasks, 'describeContext', [], { context, carry: 'propagated' })) as Seen;
  assert.equal(declared.requestId, 'r-1');
  assert.equal(declared.user, undefined, 'a shared variable that is not propagated stays in this thread');
  const pool = new WorkerPool({ size: 1 });
  try {
    const pooled = (await pool.run(tasks, 'describeContext', [], { context, carry: 'propagated' })) as Seen;
    assert.deepEqual([pooled.requestId, pooled.user], ['r-1', undefined]);
  } finally {
    await pool.terminate();
  }
});

test('carry refuses anything else', async () => {
  await assert.rejects(
    runInWorker(tasks, 'describeContext', [], { carry: 'all' as never }),
    /runInWorker's carry option must be 'shared' or 'propagated', got 'all'/,
  );
});
