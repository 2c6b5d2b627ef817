/**
 * contextvars/worker with real worker threads, on the built package (the
 * worker runs dist/worker-thread.js; Node 20 runs no `--import` loader such
 * as tsx in workers, so the task module is plain JavaScript):
 * fixtures/worker-tasks.mjs creates the same shared keys as this file.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { threadId, type Worker } from 'node:worker_threads';
import { Context, ContextVar } from 'contextvars';
import { createTask } from 'contextvars/asyncio';
import {
  ContextCloneError,
  runInWorker,
  sharedContextVar,
  WorkerExitedError,
  WorkerAbortError,
  WorkerPool,
  WorkerPoolClosedError,
  WorkerTimeoutError,
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
      message: /context option must be a Context/,
    });
  });

  test('the module may be given as a URL string (file: or data:), not only as a URL or a path', async () => {
    assert.equal(await runInWorker(tasks.href, 'add', [2, 5]), 7);
    const inline = 'data:text/javascript,export function triple(n) { return n * 3; }';
    assert.equal(await runInWorker(inline, 'triple', [4]), 12);
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

  test('a TypeScript task module loads where the runtime strips types, else fails naming the cause and the remedy', async () => {
    const typed = new URL('./fixtures/typed-task.ts', import.meta.url);
    // Node 22.10+ says whether it strips types (an option before 22.18, the default from 22.18 and 23.6).
    const strips = Boolean((process.features as { typescript?: unknown }).typescript);
    if (strips) {
      assert.equal(await runInWorker(typed, 'add', [1, 2]), 3);
      return;
    }
    await assert.rejects(runInWorker(typed, 'add', [1, 2]), (error: unknown) => {
      assert.ok(error instanceof TypeError, String(error));
      assert.equal((error as { code?: unknown }).code, 'ERR_UNKNOWN_FILE_EXTENSION');
      assert.match(error.message, /typed-task\.ts cannot be loaded in a worker thread/);
      assert.ok(error.message.includes(`Node.js ${process.version} does not run .ts files`), error.message);
      assert.match(error.message, /compile it to JavaScript and pass the \.js file/);
      assert.match(error.message, /strips TypeScript types itself/);
      return true;
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

  test('a terminated pool refuses a run whose export name is not a string without reading it', async () => {
    const pool = new WorkerPool({ size: 1 });
    await pool.terminate();
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    for (const exportName of [7, proxy]) {
      await assert.rejects(pool.run(tasks, exportName as unknown as string, []), {
        name: 'WorkerPoolClosedError',
        message: /^this WorkerPool was terminated: create a new one to run a task\(\)$/,
      });
    }
  });
});

/** A small seeded generator (mulberry32): the same seed gives the same mix. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('WorkerPool: a crash fails only the crashing task', () => {
  test('an idle worker that exits is forgotten: the next call starts a new worker and succeeds', async () => {
    // Node announces each new Worker on process ('worker'): the test waits for this one's exit by that event.
    const started: Worker[] = [];
    const onWorker = (worker: Worker): void => {
      started.push(worker);
    };
    process.on('worker', onWorker);
    const pool = new WorkerPool({ size: 1 });
    try {
      const gate = new Int32Array(new SharedArrayBuffer(4));
      const first = await pool.run<(gate: Int32Array, code: number) => number>(tasks, 'exitWhenReleased', [gate, 4]);
      assert.equal(started.length, 1);
      const exited = once(started[0]!, 'exit');
      // The pool's workers do not hold the process open: this interval does, until the exit is seen.
      const keepAlive = setInterval(() => {}, 1000);
      Atomics.store(gate, 0, 1);
      Atomics.notify(gate, 0);
      try {
        assert.deepEqual(await exited, [4]);
      } finally {
        clearInterval(keepAlive);
      }
      const next = await pool.run<() => number>(tasks, 'threadOf', []);
      assert.notEqual(next, first);
      assert.equal(started.length, 2);
    } finally {
      process.off('worker', onWorker);
      await pool.terminate();
    }
  });

  test('the task submitted after a crash runs on a new worker and succeeds', async () => {
    const pool = new WorkerPool({ size: 1 });
    try {
      const before = await pool.run<() => number>(tasks, 'threadOf', []);
      await assert.rejects(pool.run(tasks, 'crash', ['crashed']), { name: 'Error', message: 'crashed' });
      assert.equal(await pool.run(tasks, 'echo', ['after the crash']), 'after the crash');
      assert.notEqual(await pool.run<() => number>(tasks, 'threadOf', []), before, 'the crashed worker was replaced');
    } finally {
      await pool.terminate();
    }
  });

  test('1,000 tasks with 10 crashing ones on 2 workers: exactly the 10 fail, every other gets its own result', async () => {
    const seed = Number(process.env['WORKER_MIX_SEED'] ?? Date.now() % 2 ** 31);
    const random = seededRandom(seed);
    const crashing = new Set<number>();
    while (crashing.size < 10) crashing.add(Math.floor(random() * 1000));
    const pool = new WorkerPool({ size: 2 });
    try {
      const outcomes = await Promise.allSettled(
        Array.from({ length: 1000 }, (_, i) =>
          crashing.has(i) ? pool.run(tasks, 'crash', [`crash-${i}`]) : pool.run(tasks, 'echo', [i]),
        ),
      );
      const wrong: string[] = [];
      outcomes.forEach((outcome, i) => {
        if (crashing.has(i)) {
          if (outcome.status !== 'rejected' || (outcome.reason as Error).message !== `crash-${i}`) {
            wrong.push(`${i} (crashing): ${outcome.status}`);
          }
        } else if (outcome.status !== 'fulfilled' || outcome.value !== i) {
          wrong.push(
            `${i}: ${outcome.status === 'fulfilled' ? `got ${String(outcome.value)}` : String(outcome.reason)}`,
          );
        }
      });
      assert.deepEqual(wrong, [], `seed ${seed} (rerun with WORKER_MIX_SEED=${seed})`);
    } finally {
      await pool.terminate();
    }
  });
});

describe('messages the task posts itself never settle a call', () => {
  test('WorkerPool: each caller gets its own result when tasks post on parentPort', async () => {
    const pool = new WorkerPool({ size: 1 });
    try {
      const first = pool.run(tasks, 'postThenReturn', ['first']);
      const second = pool.run(tasks, 'postThenReturn', ['second']);
      assert.deepEqual(await Promise.all([first, second]), ['first', 'second']);
      assert.equal(await pool.run(tasks, 'echo', ['third']), 'third');
    } finally {
      await pool.terminate();
    }
  });

  test('runInWorker: resolves with the result, not the message the task posted', async () => {
    assert.equal(await runInWorker(tasks, 'postThenReturn', ['only']), 'only');
  });
});

describe('values and arguments are copied when run() is called', () => {
  test(
    'a queued task sees the shared value and arguments as they were at run(), not later changes',
    fresh(async () => {
      const pool = new WorkerPool({ size: 1 });
      try {
        const profile = { name: 'ada', roles: ['admin'] };
        const argument = { n: 1 };
        user.set(profile);
        // The pool is idle: the first call goes to a worker at once; the others wait for it.
        const sentContext = pool.run<DescribeContext>(tasks, 'describeContext', []);
        const sentArgument = pool.run(tasks, 'echo', [argument]);
        const queuedContext = pool.run<DescribeContext>(tasks, 'describeContext', []);
        const queuedArgument = pool.run(tasks, 'echo', [argument]);
        profile.roles.push('root');
        argument.n = 2;
        assert.deepEqual((await sentContext).user, { name: 'ada', roles: ['admin'] });
        assert.deepEqual(await sentArgument, { n: 1 });
        assert.deepEqual((await queuedContext).user, { name: 'ada', roles: ['admin'] });
        assert.deepEqual(await queuedArgument, { n: 1 });
      } finally {
        await pool.terminate();
      }
    }),
  );

  test(
    'a value that becomes uncloneable after run() does not matter: the copy made at run() travels',
    fresh(async () => {
      const pool = new WorkerPool({ size: 1 });
      try {
        const profile: { name: string; roles: string[]; onChange?: () => void } = { name: 'ada', roles: [] };
        user.set(profile);
        const busy = pool.run(tasks, 'readThenSet', [5, 'busy']);
        const queued = pool.run<DescribeContext>(tasks, 'describeContext', []);
        profile.onChange = () => {};
        await busy;
        assert.deepEqual((await queued).user, { name: 'ada', roles: [] });
      } finally {
        await pool.terminate();
      }
    }),
  );

  test(
    'a call that must wait, whose argument structured clone cannot carry, is refused at run(); the others run',
    fresh(async () => {
      const pool = new WorkerPool({ size: 1 });
      try {
        // The only worker is taken by the first call, so the second would be queued: it is copied at run().
        const busy = pool.run(tasks, 'add', [1, 2]);
        await assert.rejects(pool.run(tasks, 'add', [1, Symbol('not data')]), {
          name: 'TypeError',
          message: /^WorkerPool\.run: an argument of add\(\) cannot be copied into a worker thread \(.+\): pass data/,
        });
        assert.equal(await busy, 3);
        assert.equal(await pool.run(tasks, 'add', [2, 3]), 5);
      } finally {
        await pool.terminate();
      }
    }),
  );

  test(
    'a call that must wait, in a context whose shared value cannot be cloned, rejects with ContextCloneError naming it',
    fresh(async () => {
      const pool = new WorkerPool({ size: 1 });
      try {
        const busy = pool.run(tasks, 'add', [1, 2]);
        const context = new Context();
        context.run(() => user.set(function onDone() {}));
        await assert.rejects(pool.run(tasks, 'describeContext', [], { context }), (error: unknown) => {
          assert.ok(error instanceof ContextCloneError);
          assert.equal(error.key, 'test.user');
          assert.match(error.message, /'test\.user' holds function onDone/);
          return true;
        });
        assert.equal(await busy, 3);
        // The refused call left nothing behind in the queue: the next call runs.
        assert.equal(await pool.run(tasks, 'add', [3, 4]), 7);
      } finally {
        await pool.terminate();
      }
    }),
  );
});

describe('errors thrown in the worker keep their fields', () => {
  test('name, message, stack, code, cause and own enumerable data; functions are left out', async () => {
    await assert.rejects(runInWorker(tasks, 'failWithFields', ['fields']), (error: unknown) => {
      assert.ok(error instanceof Error);
      assert.equal(error.name, 'TaskFailure');
      assert.equal(error.message, 'with fields');
      assert.match(error.stack ?? '', /worker-tasks\.mjs/);
      const fields = error as Error & { code?: unknown; details?: unknown; callback?: unknown };
      assert.equal(fields.code, 'E_TASK');
      assert.deepEqual(fields.details, { attempt: 3, tags: ['a', 'b'] });
      assert.equal('callback' in fields, false);
      assert.ok(error.cause instanceof TypeError);
      assert.equal(error.cause.message, 'the cause');
      return true;
    });
  });

  test('a system-style error keeps code, errno, syscall and path', async () => {
    await assert.rejects(runInWorker(tasks, 'failWithFields', ['system']), {
      name: 'Error',
      message: 'ENOENT: no such file',
      code: 'ENOENT',
      errno: -2,
      syscall: 'open',
      path: '/nope',
    });
  });

  test('built-in error types stay instances of their type; a subclass keeps its name and its built-in base', async () => {
    await assert.rejects(runInWorker(tasks, 'failWithFields', ['type']), (error: unknown) => {
      assert.ok(error instanceof TypeError);
      assert.equal(error.message, 'plain type error');
      return true;
    });
    await assert.rejects(runInWorker(tasks, 'failWithFields', ['range']), (error: unknown) => {
      assert.ok(error instanceof RangeError);
      assert.equal(error.name, 'RangeFailure');
      return true;
    });
  });

  test('an AggregateError keeps its errors', async () => {
    await assert.rejects(runInWorker(tasks, 'failWithFields', ['aggregate']), (error: unknown) => {
      assert.ok(error instanceof AggregateError);
      assert.equal(error.message, 'two failed');
      assert.deepEqual(
        error.errors.map((e: Error & { code?: unknown }) => [e.name, e.message, e.code]),
        [
          ['Error', 'first', undefined],
          ['TaskFailure', 'second', 'E_TASK'],
        ],
      );
      return true;
    });
  });

  test('a thrown value that is not an Error arrives as thrown', async () => {
    await assert.rejects(runInWorker(tasks, 'failWithFields', ['string']), (error: unknown) => error === 'a string');
    await assert.rejects(runInWorker(tasks, 'failWithFields', ['object']), (error: unknown) => {
      assert.deepEqual(error, { code: 'E_PLAIN', message: 'not an Error' });
      return true;
    });
  });
});

describe('wrong options', () => {
  test('new WorkerPool with options that are not an object throws a TypeError naming WorkerPool', () => {
    for (const options of [null, 5, 'big', () => ({})]) {
      assert.throws(() => new WorkerPool(options as never), {
        name: 'TypeError',
        message: /^WorkerPool expects an options object \(\{ size \}\) or nothing, got /,
      });
    }
    assert.throws(() => new WorkerPool({ size: '2' as never }), {
      name: 'TypeError',
      message: /^WorkerPool's size option must be a number, got '2'/,
    });
  });

  test('run options that are not an object reject with a TypeError naming the method', async () => {
    const pool = new WorkerPool({ size: 1 });
    try {
      await assert.rejects(runInWorker(tasks, 'echo', [1], null as never), {
        name: 'TypeError',
        message: /^runInWorker expects an options object .* or nothing, got null/,
      });
      await assert.rejects(pool.run(tasks, 'echo', [1], 7 as never), {
        name: 'TypeError',
        message: /^WorkerPool\.run expects an options object .* or nothing, got 7/,
      });
    } finally {
      await pool.terminate();
    }
  });
});

describe('hostile shared values', () => {
  const { proxy: revoked, revoke } = Proxy.revocable({}, {});
  revoke();
  const hostile: Array<[string, unknown]> = [
    ['a revoked Proxy', revoked],
    [
      'an object whose getter throws',
      {
        get secret(): never {
          throw new Error('getter');
        },
      },
    ],
    [
      'an object whose constructor getter throws',
      {
        get constructor(): never {
          throw new Error('constructor');
        },
      },
    ],
    [
      'a Proxy whose traps throw',
      new Proxy(
        {},
        {
          get: () => {
            throw new Error('trap');
          },
          getPrototypeOf: () => {
            throw new Error('trap');
          },
        },
      ),
    ],
  ];
  for (const [what, value] of hostile) {
    test(
      `${what} is refused with ContextCloneError naming the variable`,
      fresh(async () => {
        const missing = new URL('./fixtures/does-not-exist.mjs', import.meta.url);
        user.set(value as never);
        await assert.rejects(runInWorker(missing, 'describeContext', []), (error: unknown) => {
          assert.ok(error instanceof ContextCloneError, String(error));
          assert.equal(error.key, 'test.user');
          assert.match(error.message, /^shared ContextVar 'test\.user' holds /);
          return true;
        });
      }),
    );
  }

  test(
    'an object whose toString and Symbol.toPrimitive throw is still data: it travels',
    fresh(async () => {
      user.set({
        name: 'ada',
        roles: [],
        toString(): never {
          throw new Error('toString');
        },
      } as never);
      const seen = await runInWorker<DescribeContext>(tasks, 'describeContext', []).catch((error: unknown) => error);
      assert.ok(seen instanceof ContextCloneError, 'a function property is not data');
      user.set(
        Object.assign(
          Object.create({
            [Symbol.toPrimitive]: () => {
              throw new Error('toPrimitive');
            },
          }),
          { name: 'ada' },
        ),
      );
      assert.deepEqual((await runInWorker<DescribeContext>(tasks, 'describeContext', [])).user, { name: 'ada' });
    }),
  );
});

describe('timeout and signal: a task that never settles cannot hold its caller', () => {
  test('runInWorker: a task that runs out of its timeout rejects with WorkerTimeoutError', async () => {
    await assert.rejects(runInWorker(tasks, 'hang', [], { timeout: 200 }), (error: unknown) => {
      assert.ok(error instanceof WorkerTimeoutError);
      assert.equal(error.name, 'WorkerTimeoutError');
      assert.equal(error.timeout, 200);
      assert.match(
        error.message,
        /^hang\(\) from file:.*worker-tasks\.mjs did not settle within its timeout of 200 ms/,
      );
      return true;
    });
  });

  test('WorkerPool: only the timed-out caller rejects; its worker is replaced and the queue goes on', async () => {
    const pool = new WorkerPool({ size: 1 });
    try {
      const before = await pool.run<() => number>(tasks, 'threadOf', []);
      const hung = pool.run(tasks, 'hang', [], { timeout: 200 });
      const queued = pool.run(tasks, 'echo', ['queued behind the hung task']);
      await assert.rejects(hung, WorkerTimeoutError);
      assert.equal(await queued, 'queued behind the hung task');
      assert.notEqual(await pool.run<() => number>(tasks, 'threadOf', []), before, 'the hung worker was terminated');
    } finally {
      await pool.terminate();
    }
  });

  test('a task that settles within its timeout resolves as usual, and its worker is reused', async () => {
    const pool = new WorkerPool({ size: 1 });
    try {
      const before = await pool.run<() => number>(tasks, 'threadOf', []);
      assert.equal(await pool.run(tasks, 'add', [1, 2], { timeout: 60_000 }), 3);
      assert.equal(await pool.run<() => number>(tasks, 'threadOf', []), before);
    } finally {
      await pool.terminate();
    }
  });

  test('WorkerPool: aborting a running task rejects it with WorkerAbortError (cause: the reason) and replaces the worker', async () => {
    const pool = new WorkerPool({ size: 1 });
    try {
      const before = await pool.run<() => number>(tasks, 'threadOf', []);
      const controller = new AbortController();
      const hung = pool.run(tasks, 'hang', [], { signal: controller.signal });
      const queued = pool.run(tasks, 'echo', ['next']);
      // An idle pool sends a task to its worker within run(): hang is running, echo is queued.
      const reason = new Error('user went away');
      controller.abort(reason);
      await assert.rejects(hung, (error: unknown) => {
        assert.ok(error instanceof WorkerAbortError);
        assert.equal(error.name, 'WorkerAbortError');
        assert.equal(error.code, 'ABORT_ERR');
        assert.equal(error.cause, reason);
        return true;
      });
      assert.equal(await queued, 'next');
      assert.notEqual(await pool.run<() => number>(tasks, 'threadOf', []), before);
    } finally {
      await pool.terminate();
    }
  });

  test('WorkerPool: aborting a queued task takes it out of the queue; the running task is not disturbed', async () => {
    const pool = new WorkerPool({ size: 1 });
    try {
      const controller = new AbortController();
      const running = pool.run(tasks, 'readThenSet', [20, 'ran']);
      const queued = pool.run(tasks, 'echo', ['never runs'], { signal: controller.signal });
      controller.abort();
      await assert.rejects(queued, WorkerAbortError);
      const result = (await running) as { after: string; thread: number };
      assert.equal(result.after, 'ran');
      assert.equal(await pool.run<() => number>(tasks, 'threadOf', []), result.thread, 'the same worker serves on');
    } finally {
      await pool.terminate();
    }
  });

  test('an already aborted signal rejects at once, before any worker starts', async () => {
    const missing = new URL('./fixtures/does-not-exist.mjs', import.meta.url);
    const signal = AbortSignal.abort(new Error('too late'));
    await assert.rejects(runInWorker(missing, 'echo', [1], { signal }), WorkerAbortError);
    const pool = new WorkerPool({ size: 1 });
    try {
      await assert.rejects(pool.run(missing, 'echo', [1], { signal }), WorkerAbortError);
    } finally {
      await pool.terminate();
    }
  });

  test('AbortSignal.timeout bounds the whole wait, queue included', async () => {
    await assert.rejects(runInWorker(tasks, 'hang', [], { signal: AbortSignal.timeout(200) }), (error: unknown) => {
      assert.ok(error instanceof WorkerAbortError);
      assert.equal((error.cause as Error).name, 'TimeoutError');
      return true;
    });
  });

  test('a timeout or signal of the wrong type or range is refused with an error naming the option', async () => {
    await assert.rejects(runInWorker(tasks, 'echo', [1], { timeout: '5' as never }), {
      name: 'TypeError',
      message: /^runInWorker's timeout option must be a number of milliseconds, got '5'/,
    });
    for (const timeout of [0, -1, Number.NaN, Infinity, 2 ** 31]) {
      await assert.rejects(runInWorker(tasks, 'echo', [1], { timeout }), {
        name: 'RangeError',
        message: /^runInWorker's timeout option must be above 0 and at most 2147483647 ms/,
      });
    }
    await assert.rejects(runInWorker(tasks, 'echo', [1], { signal: {} as never }), {
      name: 'TypeError',
      message: /^runInWorker's signal option must be an AbortSignal, got \[object Object\]/,
    });
  });
});
