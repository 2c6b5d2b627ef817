/**
 * contextvars/worker with real worker threads, on the built package (the
 * worker runs dist/worker-thread.js; Node 20 runs no `--import` loader such
 * as tsx in workers, so the task module is plain JavaScript):
 * fixtures/worker-tasks.mjs creates the same shared keys as this file.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { threadId } from 'node:worker_threads';
import { Context, ContextVar, createTask } from 'contextvars';
import {
  ContextCloneError,
  runInWorker,
  sharedContextVar,
  WorkerExitedError,
  WorkerPool,
  WorkerPoolClosedError,
} from 'contextvars/worker';

const tasks = new URL('./fixtures/worker-tasks.mjs', import.meta.url);
const requestId = sharedContextVar<string>('test.requestId', { default: 'none' });
const user = sharedContextVar<{ name: string; roles: string[] } | (() => void) | net.Socket>('test.user');
const local = new ContextVar<string>('test.local');

interface Described {
  isMainThread: boolean;
  requestId: string;
  user: unknown;
  local: string;
}
type DescribeContext = () => Described;
type ReadThenSet = (delayMs: number, next: string) => Promise<{ before: string; after: string; thread: number }>;

/** Runs fn in a fresh flow, as a request handler or a test of its own would. */
function fresh<T>(fn: () => Promise<T>): () => Promise<T> {
  return () => new Context().run(fn);
}

describe('runInWorker', () => {
  test(
    'the worker sees the shared values of the calling context, and no unshared variable',
    fresh(async () => {
      requestId.set('r-1');
      user.set({ name: 'ada', roles: ['admin'] });
      local.set('caller only');
      const seen = await runInWorker<DescribeContext>(tasks, 'describeContext', []);
      assert.deepEqual(seen, {
        isMainThread: false,
        requestId: 'r-1',
        user: { name: 'ada', roles: ['admin'] },
        local: 'worker default',
      });
    }),
  );

  test(
    'a shared variable with no value in the caller has none in the worker (its default applies)',
    fresh(async () => {
      const seen = await runInWorker<DescribeContext>(tasks, 'describeContext', []);
      assert.equal(seen.requestId, 'none');
      assert.equal(seen.user, undefined);
    }),
  );

  test(
    'what the worker sets stays in the worker (a copy, as asyncio.to_thread)',
    fresh(async () => {
      requestId.set('r-2');
      const result = await runInWorker<ReadThenSet>(tasks, 'readThenSet', [2, 'set in worker']);
      assert.equal(result.before, 'r-2');
      assert.equal(result.after, 'set in worker');
      assert.notEqual(result.thread, threadId);
      assert.equal(requestId.get(), 'r-2');
    }),
  );

  test(
    'the context option picks the Context whose values travel',
    fresh(async () => {
      requestId.set('current');
      const other = new Context();
      other.run(() => requestId.set('from option'));
      const seen = await runInWorker<DescribeContext>(tasks, 'describeContext', [], { context: other });
      assert.equal(seen.requestId, 'from option');
    }),
  );

  test(
    'concurrent calls from concurrent flows each carry their own values',
    fresh(async () => {
      const ids = ['a', 'b', 'c', 'd'];
      const seen = await Promise.all(
        ids.map((id) =>
          createTask(async () => {
            requestId.set(id);
            await sleep(1);
            return (await runInWorker<DescribeContext>(tasks, 'describeContext', [])).requestId;
          }),
        ),
      );
      assert.deepEqual(seen, ids);
    }),
  );

  test('arguments and the result travel by structured clone', async () => {
    assert.equal(await runInWorker<(a: number, b: number) => Promise<number>>(tasks, 'add', [40, 2]), 42);
  });

  test(
    'a value structured clone cannot carry is refused with ContextCloneError naming the variable, before any worker starts',
    fresh(async () => {
      // A module that does not exist: had a worker started, the error would be about loading it.
      const missing = new URL('./fixtures/does-not-exist.mjs', import.meta.url);
      user.set(function onDone() {});
      await assert.rejects(runInWorker(missing, 'describeContext', []), (error: unknown) => {
        assert.ok(error instanceof ContextCloneError);
        assert.equal(error.name, 'ContextCloneError');
        assert.equal(error.key, 'test.user');
        assert.match(error.message, /shared ContextVar 'test\.user' holds function onDone/);
        assert.match(error.message, /cannot be copied into a worker thread/);
        return true;
      });
      const socket = new net.Socket();
      user.set(socket);
      await assert.rejects(runInWorker(missing, 'describeContext', []), (error: unknown) => {
        assert.ok(error instanceof ContextCloneError);
        assert.match(error.message, /'test\.user' holds \[object Socket\]/);
        return true;
      });
      socket.destroy();
    }),
  );

  test('an error thrown by the task rejects with its name, message and stack', async () => {
    await assert.rejects(runInWorker(tasks, 'fail', ['boom']), (error: unknown) => {
      assert.ok(error instanceof Error);
      assert.equal(error.name, 'TaskFailure');
      assert.equal(error.message, 'boom');
      assert.match(error.stack ?? '', /worker-tasks\.mjs/);
      return true;
    });
  });

  test('a thrown value that is not an Error rejects with that value', async () => {
    await assert.rejects(runInWorker(tasks, 'throwValue', [{ code: 7 }]), (error: unknown) => {
      assert.deepEqual(error, { code: 7 });
      return true;
    });
  });

  test('a value of a shared key no module in the worker created is dropped there; the task still runs', async () => {
    const onlyHere = sharedContextVar<string>('test.onlyInTheCallingThread');
    const seen = await new Context().run(() => {
      onlyHere.set('here');
      requestId.set('r-7');
      return runInWorker<DescribeContext>(tasks, 'describeContext', []);
    });
    assert.equal(seen.requestId, 'r-7');
  });

  test('an export name, arguments or context of the wrong kind is refused with a TypeError, before any worker starts', async () => {
    const missing = new URL('./fixtures/does-not-exist.mjs', import.meta.url);
    await assert.rejects(runInWorker(missing, '', []), { name: 'TypeError', message: /the name of the function/ });
    await assert.rejects(runInWorker(missing, 7 as unknown as string, []), { name: 'TypeError', message: /got 7/ });
    await assert.rejects(runInWorker(missing, 'add', 1 as unknown as []), {
      name: 'TypeError',
      message: /arguments as an array, got 1: pass \[\] for none/,
    });
    await assert.rejects(runInWorker(missing, 'add', [], { context: {} as Context }), {
      name: 'TypeError',
      message: /the context option must be a Context/,
    });
  });

  test('a result structured clone cannot carry rejects with a TypeError that says so', async () => {
    await assert.rejects(runInWorker(tasks, 'returnFunction', []), {
      name: 'TypeError',
      message: /the result of returnFunction\(\) .* cannot be copied back to the calling thread/,
    });
  });

  test('a missing export rejects with a TypeError listing the exports', async () => {
    await assert.rejects(runInWorker(tasks, 'nope', []), {
      name: 'TypeError',
      message: /has no exported function 'nope' \(its exports: .*describeContext/,
    });
  });

  test('a worker that exits before the task settles rejects with WorkerExitedError and its exit code', async () => {
    await assert.rejects(runInWorker(tasks, 'exit', [3]), (error: unknown) => {
      assert.ok(error instanceof WorkerExitedError);
      assert.equal(error.exitCode, 3);
      return true;
    });
  });

  test('an argument structured clone cannot carry is refused with a TypeError, before any worker starts', async () => {
    const missing = new URL('./fixtures/does-not-exist.mjs', import.meta.url);
    await assert.rejects(runInWorker(missing, 'add', [1, () => 2]), {
      name: 'TypeError',
      message: /an argument of add\(\) cannot be copied into a worker thread/,
    });
  });

  test('a relative module path is refused: relative to what would be a guess', async () => {
    await assert.rejects(runInWorker('./fixtures/worker-tasks.mjs', 'add', [1, 2]), {
      name: 'TypeError',
      message: /must be a URL or an absolute path.*new URL\('\.\/tasks\.js', import\.meta\.url\)/,
    });
  });

  test('an absolute file path works as the module', async () => {
    const { fileURLToPath } = await import('node:url');
    assert.equal(await runInWorker(fileURLToPath(tasks), 'add', [1, 2]), 3);
  });
});

describe('sharedContextVar', () => {
  test('creates a ContextVar named by its key', () => {
    const variable = sharedContextVar<number>('test.sharedContextVar.name', { default: 1 });
    assert.ok(variable instanceof ContextVar);
    assert.equal(variable.name, 'test.sharedContextVar.name');
    assert.equal(variable.get(), 1);
  });

  test('a key used twice in one thread is refused', () => {
    assert.throws(() => sharedContextVar('test.requestId'), {
      name: 'TypeError',
      message: /key 'test\.requestId' already exists in this thread/,
    });
    assert.throws(() => sharedContextVar(''), TypeError);
  });
});

describe('WorkerPool', () => {
  test('rejects a size that is not a positive integer', () => {
    assert.throws(() => new WorkerPool({ size: 0 }), RangeError);
    assert.throws(() => new WorkerPool({ size: 1.5 }), RangeError);
  });

  test(
    '40 tasks from 40 concurrent flows on 2 workers: each sees its own value, on at most 2 threads',
    fresh(async () => {
      const pool = new WorkerPool({ size: 2 });
      try {
        const results = await Promise.all(
          Array.from({ length: 40 }, (_, i) =>
            createTask(async () => {
              requestId.set(`flow-${i}`);
              await sleep(i % 3);
              return pool.run<ReadThenSet>(tasks, 'readThenSet', [i % 4, `changed-${i}`]);
            }),
          ),
        );
        let mismatches = 0;
        results.forEach((result, i) => {
          if (result.before !== `flow-${i}` || result.after !== `changed-${i}`) mismatches++;
        });
        assert.equal(mismatches, 0);
        assert.ok(new Set(results.map((r) => r.thread)).size <= 2);
        assert.equal(requestId.get('unset'), 'unset', 'nothing reached the caller');
      } finally {
        await pool.terminate();
      }
    }),
  );

  test(
    'a pooled worker carries no value from one task into the next',
    fresh(async () => {
      const pool = new WorkerPool({ size: 1 });
      try {
        const first = await createTask(() => {
          requestId.set('first');
          return pool.run<ReadThenSet>(tasks, 'readThenSet', [0, 'set by first']);
        });
        const second = await pool.run<DescribeContext>(tasks, 'describeContext', []);
        const thread = await pool.run<() => number>(tasks, 'threadOf', []);
        assert.equal(first.after, 'set by first');
        assert.equal(second.requestId, 'none');
        assert.equal(thread, first.thread, 'the same worker ran both');
      } finally {
        await pool.terminate();
      }
    }),
  );

  test(
    'refuses an uncloneable value without queueing the task',
    fresh(async () => {
      const pool = new WorkerPool({ size: 1 });
      try {
        user.set(() => {});
        await assert.rejects(pool.run(tasks, 'describeContext', []), ContextCloneError);
      } finally {
        await pool.terminate();
      }
    }),
  );

  test('an argument structured clone cannot carry rejects that call only; the worker serves the next', async () => {
    const pool = new WorkerPool({ size: 1 });
    try {
      await assert.rejects(pool.run(tasks, 'add', [1, Symbol('not data')]), {
        name: 'TypeError',
        message: /an argument of add\(\) cannot be copied into a worker thread/,
      });
      assert.equal(await pool.run(tasks, 'add', [1, 2]), 3);
    } finally {
      await pool.terminate();
    }
  });

  test('a worker that exits is replaced; the queue goes on', async () => {
    const pool = new WorkerPool({ size: 1 });
    try {
      const exited = pool.run(tasks, 'exit', [7]);
      const next = pool.run<(a: number, b: number) => Promise<number>>(tasks, 'add', [2, 3]);
      await assert.rejects(exited, (error: unknown) => error instanceof WorkerExitedError && error.exitCode === 7);
      assert.equal(await next, 5);
    } finally {
      await pool.terminate();
    }
  });

  test('terminate() rejects running and queued tasks with WorkerPoolClosedError, and later runs too', async () => {
    const pool = new WorkerPool({ size: 1 });
    // A finished task first: the worker is then up, and the next task goes to it at once.
    assert.equal(await pool.run(tasks, 'add', [1, 1]), 2);
    const running = assert.rejects(pool.run(tasks, 'hang', []), WorkerPoolClosedError);
    const queued = assert.rejects(pool.run(tasks, 'add', [1, 1]), WorkerPoolClosedError);
    await pool.terminate();
    await running;
    await queued;
    await assert.rejects(pool.run(tasks, 'add', [1, 1]), {
      name: 'WorkerPoolClosedError',
      message: /terminated: create a new one to run add\(\)/,
    });
  });
});
