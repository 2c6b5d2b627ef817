/**
 * CPython's asyncio context tests, ported as behaviour. Each test keeps the
 * CPython method name, grouped by the file it comes from. Mapping:
 * create_task/Task(context=) → createTask(fn, { context }), gather → gather,
 * call_soon/call_later → callSoon/callLater, add_done_callback → `.then`
 * (runs in the snapshot of its registration), Task.get_context() → task.context,
 * run_until_complete(task) → awaiting a createTask from the test.
 *
 * Ported as they are:
 *   test_tasks.py: test_context_1 … test_context_6 (4, 5 and 6 differ only in
 *     how Python spells "create a task": new_task, asyncio.create_task,
 *     loop.create_task; all three are createTask here), test_get_context;
 *   test_taskgroups.py: test_taskgroup_task_context;
 *   test_eager_task_factory.py: test_context_vars (createTask starts its
 *     function at once, as a 3.12 eager task does).
 * Cancellation, by behaviour (a coroutine's `await asyncio.sleep(n)` is a
 * sleep that takes the task's signal, `currentTask()!.signal`, and
 * `except CancelledError` is a catch of what it rejects with):
 *   test_tasks.py: test_cancel, test_cancel_with_message_then_future_exception,
 *     test_cancel_task_catching, test_cancel_current_task, test_current_task,
 *     test_cancel_done (cancel() of a finished task is false);
 *   test_taskgroups.py: test_taskgroup_03, test_taskgroup_04,
 *     test_cancel_children_on_child_error, test_cancellation,
 *     test_taskgroup_07; Python's cancellation of the body (`runner_cancel`)
 *     has no counterpart: JavaScript cannot interrupt the body's await.
 * Adapted:
 *   test_context.py: test_asyncio_task_decimal_context — decimal.localcontext
 *     is modelled as a ContextVar holding a precision, set with `using`, read
 *     by a small division function;
 *   test_runners.py: test_run_keeps_context — asyncio.Runner runs each
 *     coroutine as a task in the Runner's one Context; here that is
 *     createTask(fn, { context }) with the same Context each time;
 *   call_soon/call_later with and without context= — CPython's test_futures,
 *     test_events and test_base_events (3.11) exercise `context=` only through
 *     mocks, so these cases follow the documented behaviour, each checked
 *     against python3, and are named after the loop method.
 * Elsewhere: test_threads.py test_to_thread_contextvars is covered by
 * test/integrations/worker/api.test.ts (runInWorker gives the worker thread a copy
 * of the context, as asyncio.to_thread does); the weakref case of uvloop's
 * test_context.py lives in test/core/async/leak.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import { Context, ContextVar, copyContext } from '../../src/index.ts';
import {
  CancelledError,
  callLater,
  callSoon,
  createTask,
  currentTask,
  gather,
  type Task,
  TaskGroup,
  TaskGroupError,
} from '../../src/asyncio/index.ts';
import { seeded } from '../support/random.ts';

describe('test_tasks.py', () => {
  test('test_context_1', async () => {
    const cvar = new ContextVar('cvar', { default: 'nope' });

    async function sub(): Promise<void> {
      await sleep(10);
      assert.equal(cvar.get(), 'nope');
      cvar.set('something else');
    }

    async function main(): Promise<void> {
      assert.equal(cvar.get(), 'nope');
      const subtask = createTask(sub);
      cvar.set('yes');
      assert.equal(cvar.get(), 'yes');
      await subtask;
      assert.equal(cvar.get(), 'yes');
    }

    await createTask(main);
  });

  test('test_context_2', async () => {
    const cvar = new ContextVar('cvar', { default: 'nope' });

    async function main(): Promise<void> {
      const futOnDone = (): void => {
        // This change must not pollute the context of the main() task.
        cvar.set('something else');
      };

      assert.equal(cvar.get(), 'nope');

      for (let j = 0; j < 2; j++) {
        let resolve!: () => void;
        const fut = new Promise<void>((settle) => (resolve = settle));
        const callbackRan = fut.then(futOnDone);
        cvar.set(`yes${j}`);
        callSoon(() => resolve());
        await fut;
        await callbackRan;
        assert.equal(cvar.get(), `yes${j}`);

        for (let i = 0; i < 3; i++) {
          // The task passed its context on to the awaits in between.
          cvar.set(`yes${i}-${j}`);
          await sleep(1);
          assert.equal(cvar.get(), `yes${i}-${j}`);
        }
      }
    }

    await createTask(main);
    assert.equal(cvar.get(), 'nope');
  });

  test(
    'test_context_3',
    seeded(async (random) => {
      // 100 tasks in parallel, each modifying cvar.
      const cvar = new ContextVar('cvar', { default: -1 });

      async function sub(num: number): Promise<void> {
        for (let i = 0; i < 10; i++) {
          cvar.set(num + i);
          await sleep(random.between(1, 50));
          assert.equal(cvar.get(), num + i);
        }
      }

      async function main(): Promise<void> {
        const tasks = Array.from({ length: 100 }, () => createTask(() => sub(random.int(0, 10))));
        await gather(...tasks);
      }

      await main();
      assert.equal(cvar.get(), -1);
    }),
  );

  // test_context_4, 5 and 6 are one case: Python spells "create a task with
  // context=ctx" three ways (Task(), asyncio.create_task, loop.create_task),
  // which are all createTask here. Python's None is our undefined:
  // Context.get without a fallback.
  test('test_context_4, test_context_5, test_context_6: tasks given one Context one after another each leave their write in it', async () => {
    const cvar = new ContextVar<number>('cvar');

    async function coro(value: number): Promise<void> {
      await sleep(0);
      cvar.set(value);
    }

    async function main(): Promise<unknown[]> {
      const ret: unknown[] = [];
      const ctx = copyContext();
      ret.push(ctx.get(cvar));
      const t1 = createTask(() => coro(1), { context: ctx });
      await t1;
      ret.push(ctx.get(cvar));
      const t2 = createTask(() => coro(2), { context: ctx });
      await t2;
      ret.push(ctx.get(cvar));
      return ret;
    }

    assert.deepEqual(await createTask(main), [undefined, 1, 2]);
  });

  test('test_get_context', async () => {
    const context = copyContext();
    const task = createTask(async () => {}, { context });
    await task;
    assert.equal(task.context, context);
    // Without the option, the task gets a Context of its own, not the caller's.
    const own = createTask(async () => {});
    await own;
    assert.ok(own.context instanceof Context);
    assert.notEqual(own.context, context);
  });
});

/** asyncio.sleep(ms) inside a task: a sleep that the task's cancellation ends. */
function cancellableSleep(ms: number): Promise<void> {
  return sleep(ms, undefined, { signal: (currentTask() as Task<unknown>).signal });
}

/** A promise the test opens by hand: the order is the test's, not the timers'. */
function gate(): { readonly opened: Promise<void>; readonly open: () => void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

/**
 * Starts `count` tasks in `group` that sleep until cancelled, calling
 * `onCancelled` as each is (Python's `except CancelledError: NUM += 1; raise`);
 * resolves once all have started.
 */
function sleepers(group: TaskGroup, count: number, onCancelled: () => void): Promise<unknown> {
  return Promise.all(
    Array.from({ length: count }, () => {
      const started = gate();
      group.createTask(async () => {
        try {
          started.open();
          await cancellableSleep(10_000);
        } catch (error) {
          onCancelled();
          throw error;
        }
      });
      return started.opened;
    }),
  );
}

describe('test_tasks.py: cancellation', () => {
  test('test_cancel: cancel() of a pending task is true, the task ends cancelled, cancel() is then false', async () => {
    const started = gate();
    const task = createTask(async () => {
      started.open();
      await cancellableSleep(10_000);
      return 12;
    });
    await started.opened;
    assert.equal(task.cancelled, false);
    assert.equal(task.cancel(), true);
    await assert.rejects(task, CancelledError);
    assert.equal(task.done, true);
    assert.equal(task.cancelled, true);
    assert.equal(task.cancel(), false);
  });

  test('test_cancel_with_message_then_future_exception: the message reaches the CancelledError awaited', async () => {
    const task = createTask(() => cancellableSleep(10_000));
    assert.equal(task.cancel('my message'), true);
    // Python: cancel() again while pending is still true; the first message stays.
    assert.equal(task.cancel('another'), true);
    await assert.rejects(task, (error: unknown) => {
      assert.ok(error instanceof CancelledError);
      assert.equal(error.name, 'CancelledError');
      assert.equal(error.message, 'my message');
      return true;
    });
  });

  test('test_cancel_task_catching: a task that catches the cancellation and returns keeps its result', async () => {
    const task = createTask(async () => {
      try {
        await cancellableSleep(10_000);
      } catch {
        return 42;
      }
      return 0;
    });
    task.cancel();
    assert.equal(await task, 42);
    assert.equal(task.cancelled, false);
  });

  test("an error other than the cancellation, thrown while cancelling, is the task's failure (Python prints ValueError, False)", async () => {
    const failure = new RangeError('during cancel');
    const task = createTask(async () => {
      try {
        await cancellableSleep(10_000);
      } catch {
        throw failure;
      }
    });
    task.cancel();
    await assert.rejects(task, (error: unknown) => error === failure);
    assert.equal(task.cancelled, false);
  });

  test('a function that throws CancelledError itself ends its task cancelled', async () => {
    const task = createTask(async () => {
      throw new CancelledError('self');
    });
    await assert.rejects(task, { name: 'CancelledError', message: 'self' });
    assert.equal(task.cancelled, true);
  });

  test('test_cancel_current_task: a task cancels itself, and its next sleep ends it', async () => {
    const task = createTask(async () => {
      assert.equal((currentTask() as Task<unknown>).cancel(), true);
      await cancellableSleep(10_000);
      return 'not reached';
    });
    await assert.rejects(task, CancelledError);
    assert.equal(task.cancelled, true);
  });

  test('test_current_task: undefined outside a task, the task inside it, before and after an await', async () => {
    assert.equal(currentTask(), undefined);
    const seen: unknown[] = [];
    const task = createTask(async () => {
      seen.push(currentTask());
      await nextTurn();
      seen.push(currentTask());
    });
    await task;
    assert.deepEqual(seen, [task, task]);
    assert.equal(currentTask(), undefined);
    // Python's loop.call_soon callbacks run outside any task: so do callSoon's, even when scheduled by one.
    const fromCallback = await createTask(
      () => new Promise<unknown>((resolve) => callSoon(() => resolve(currentTask()))),
    );
    assert.equal(fromCallback, undefined);
  });

  test("the CancelledError is delivered inside the task: the abort listener reads the task's values and is the task", async () => {
    const cvar = new ContextVar('cvar', { default: 'nope' });
    const started = gate();
    const seen: unknown[] = [];
    cvar.set('canceller');
    const task = createTask(async () => {
      cvar.set('task');
      const self = currentTask() as Task<unknown>;
      self.signal.addEventListener('abort', () => {
        seen.push(cvar.get(), currentTask() === self);
        cvar.set('written by the listener');
      });
      started.open();
      await cancellableSleep(10_000);
    });
    await started.opened;
    task.cancel();
    await assert.rejects(task, CancelledError);
    assert.deepEqual(seen, ['task', true]);
    assert.equal(cvar.get(), 'canceller');
    assert.equal(task.context.get(cvar), 'task', "the listener's write stayed in the listener");
  });
});

describe('test_taskgroups.py: cancellation', () => {
  test('test_taskgroup_03: a task cancelled by hand is no failure; the group goes on', async () => {
    const t1Started = gate();
    let t1!: Task<number>;
    let t2!: Task<number>;
    {
      await using g = new TaskGroup();
      t1 = g.createTask(async () => {
        t1Started.open();
        await cancellableSleep(10_000);
        return 42;
      });
      await t1Started.opened;
      t1.cancel();
      t2 = g.createTask(async () => {
        await nextTurn();
        return 11;
      });
    }
    assert.equal(t1.cancelled, true);
    assert.equal(await t2, 11);
  });

  test('test_taskgroup_04, test_cancel_children_on_child_error: a failure cancels the other tasks, each in its own context', async () => {
    const cvar = new ContextVar('cvar', { default: 'nope' });
    let num = 0;
    const t2Seen: unknown[] = [];
    const t2Started = gate();
    let t2!: Task<void>;
    const runner = createTask(async () => {
      cvar.set('runner');
      await using g = new TaskGroup();
      t2 = g.createTask(async () => {
        cvar.set('t2');
        try {
          t2Started.open();
          await cancellableSleep(10_000);
        } catch (error) {
          t2Seen.push(cvar.get(), error);
          throw error;
        }
        num += 1;
      });
      await t2Started.opened;
      for (let i = 0; i < 3; i++) {
        g.createTask(async () => {
          await nextTurn();
          throw new RangeError('1 / 0');
        });
      }
    });
    const error = await runner.then(
      () => assert.fail('the runner should reject'),
      (reason: unknown) => reason,
    );
    assert.ok(error instanceof TaskGroupError);
    assert.ok(error.errors.length >= 1 && error.errors.every((each) => each instanceof RangeError));
    assert.equal(num, 0);
    assert.equal(t2.cancelled, true);
    assert.equal(t2Seen[0], 't2');
    assert.ok((t2Seen[1] as Error).cause instanceof CancelledError, "Node's AbortError carries the CancelledError");
  });

  test('test_cancellation: cancelling the task that made the group cancels its tasks; the message comes back', async () => {
    let num = 0;
    let started!: Promise<unknown>;
    const runner = createTask(async () => {
      await using g = new TaskGroup();
      started = sleepers(g, 5, () => num++);
    });
    await started;
    assert.equal(runner.done, false);
    runner.cancel('test');
    await assert.rejects(runner, (error: unknown) => error instanceof CancelledError && error.message === 'test');
    assert.equal(runner.cancelled, true);
    assert.equal(num, 5);
  });

  test("test_taskgroup_07: the group's tasks are cancelled while the body still waits", async () => {
    let num = 0;
    let started!: Promise<unknown>;
    const runner = createTask(async () => {
      const g = new TaskGroup();
      started = sleepers(g, 5, () => num++);
      try {
        await cancellableSleep(10_000);
      } catch {
        num += 10;
      }
      await g.wait();
    });
    await started;
    runner.cancel();
    await assert.rejects(runner, CancelledError);
    assert.equal(num, 15);
  });
});

describe('test_taskgroups.py', () => {
  test('test_taskgroup_task_context', async () => {
    const cvar = new ContextVar<number>('cvar');

    async function coro(value: number): Promise<void> {
      await sleep(0);
      cvar.set(value);
    }

    await using g = new TaskGroup();
    const ctx = copyContext();
    assert.equal(ctx.get(cvar), undefined);
    const t1 = g.createTask(() => coro(1), { context: ctx });
    await t1;
    assert.equal(ctx.get(cvar), 1);
    const t2 = g.createTask(() => coro(2), { context: ctx });
    await t2;
    assert.equal(ctx.get(cvar), 2);
  });
});

describe('test_eager_task_factory.py', () => {
  test('test_context_vars', async () => {
    const cv = new ContextVar('cv', { default: 0 });
    let coroFirstStepRan = false;
    let coroSecondStepRan = false;

    async function coro(): Promise<void> {
      assert.equal(cv.get(), 1);
      cv.set(2);
      assert.equal(cv.get(), 2);
      coroFirstStepRan = true;
      await sleep(100);
      assert.equal(cv.get(), 2);
      cv.set(3);
      assert.equal(cv.get(), 3);
      coroSecondStepRan = true;
    }

    async function run(): Promise<void> {
      cv.set(1);
      const t = createTask(coro);
      assert.ok(coroFirstStepRan);
      assert.ok(!coroSecondStepRan);
      assert.equal(cv.get(), 1);
      await t;
      assert.ok(coroSecondStepRan);
      assert.equal(cv.get(), 1);
    }

    await createTask(run);
  });
});

describe('test_context.py', () => {
  /** decimal's context, reduced to what the test uses: a precision in significant digits. */
  const precision = new ContextVar('decimal.prec', { default: 28 });

  /** Decimal(x) / Decimal(y) under the current precision, as str() shows it. */
  function divide(x: number, y: number): string {
    return (x / y).toPrecision(precision.get());
  }

  test('test_asyncio_task_decimal_context', async () => {
    async function fractions(t: number, prec: number, x: number, y: number): Promise<[string, string]> {
      // Python: `with decimal.localcontext() as ctx: ctx.prec = precision`.
      using _ = precision.set(prec);
      const a = divide(x, y);
      await sleep(t);
      const b = divide(x, y ** 2);
      return [a, b];
    }

    async function main(): Promise<[[string, string], [string, string]]> {
      return gather(
        () => fractions(10, 3, 1, 3),
        () => fractions(20, 6, 1, 3),
      );
    }

    const [r1, r2] = await main();
    assert.equal(r1[0], '0.333');
    assert.equal(r1[1], '0.111');
    assert.equal(r2[0], '0.333333');
    assert.equal(r2[1], '0.111111');
    assert.equal(precision.get(), 28);
  });
});

describe('test_runners.py', () => {
  test('test_run_keeps_context', async () => {
    const cvar = new ContextVar('cvar', { default: -1 });

    async function f(value: number): Promise<number> {
      const old = cvar.get();
      await sleep(0);
      cvar.set(value);
      return old;
    }

    // asyncio.Runner keeps one Context and runs every coroutine as a task in it.
    const runnerContext = new Context();
    const run = <T>(fn: () => Promise<T>): Promise<T> => createTask(fn, { context: runnerContext });

    assert.equal(await run(() => f(1)), -1);
    assert.equal(await run(() => f(2)), 1);
    assert.equal((await run(async () => copyContext())).get(cvar), 2);
  });
});

describe('loop.call_soon / loop.call_later (documented behaviour)', () => {
  const cvar = new ContextVar('cvar', { default: 'nope' });

  /**
   * The Python this mirrors (python3 prints
   * [('first','captured'), ('second','first'), ('copy1','scheduler'),
   *  ('copy2','scheduler'), ('later','second')] later after True):
   *
   *     ctx = contextvars.copy_context(); ctx.run(cvar.set, 'captured')
   *     loop.call_soon(cb, 'first', context=ctx); loop.call_soon(cb, 'second', context=ctx)
   *     cvar.set('scheduler'); loop.call_soon(cb, 'copy1'); loop.call_soon(cb, 'copy2')
   *     cvar.set('after'); h = loop.call_soon(cb, 'cancelled'); h.cancel()
   *     await asyncio.sleep(0.01)
   *     loop.call_later(0.001, cb, 'later', context=ctx)
   *     await asyncio.sleep(0.01)
   *
   * where cb records (tag, cvar.get()) and then sets cvar to its tag. Here each
   * wait is on a callback queued after the ones it waits for, not on a clock:
   * Node runs a due timer before pending setImmediate callbacks when a loop turn
   * starts late, so "soon before later" holds only by causality.
   */
  test('call_soon and call_later: a given context is shared and keeps the writes; the default is a copy per call', async () => {
    await createTask(async () => {
      const seen: [string, string][] = [];
      const callback = (tag: string) => (): void => {
        seen.push([tag, cvar.get()]);
        cvar.set(tag);
      };
      const ctx = copyContext();
      ctx.run(() => cvar.set('captured'));
      callSoon(callback('first'), { context: ctx });
      callSoon(callback('second'), { context: ctx });
      cvar.set('scheduler');
      callSoon(callback('copy1'));
      callSoon(callback('copy2'));
      cvar.set('after');
      const handle = callSoon(callback('cancelled'));
      handle.cancel();
      await new Promise<void>((resolve) => callSoon(resolve));
      await new Promise<void>((resolve) =>
        callLater(
          1,
          () => {
            callback('later')();
            resolve();
          },
          { context: ctx },
        ),
      );
      assert.deepEqual(seen, [
        ['first', 'captured'],
        ['second', 'first'],
        ['copy1', 'scheduler'],
        ['copy2', 'scheduler'],
        ['later', 'second'],
      ]);
      assert.equal(ctx.get(cvar), 'later');
      assert.equal(cvar.get(), 'after');
      assert.equal(handle.cancelled, true);
    });
  });
});
