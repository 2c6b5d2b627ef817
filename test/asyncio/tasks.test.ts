/**
 * The task API in depth: createTask, Task, gather, TaskGroup, callSoon,
 * callLater and bind — arguments, errors, and where each one keeps the
 * changes its function makes.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CancelledError,
  callLater,
  callSoon,
  createTask,
  currentTask,
  gather,
  Task,
  TaskGroup,
  TaskGroupClosedError,
  TaskGroupError,
} from '../../src/asyncio/index.ts';
import { nextTimer } from '../../src/asyncio/handles.ts';
import { bind, Context, ContextReentryError, ContextVar, copyContext } from '../../src/index.ts';

/** A sleep that the current task's cancellation ends (Node rejects with an AbortError caused by the reason). */
const cancellableSleep = (ms: number): Promise<void> =>
  sleep(ms, undefined, { signal: (currentTask() as Task<unknown>).signal });

const v = new ContextVar<unknown>('v', { default: 'd' });

/** Each test body runs in its own flow, as a fresh program would. */
function fresh<T>(fn: () => Promise<T> | T): () => Promise<T> {
  return async () => new Context().run(fn);
}

/** Resolves after every callback queued with setImmediate so far has run. */
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * A promise the test opens by hand. Ordering tests use gates, not timer
 * lengths: a timer's start is read from the clock when it is created, so a
 * stalled process can reorder timers created a few milliseconds apart.
 */
function gate(): { readonly opened: Promise<void>; readonly open: () => void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

describe('createTask', () => {
  test('a non-function is a TypeError that names what was given', () => {
    for (const notFunction of [undefined, null, 42, 'fn', {}, Promise.resolve()]) {
      assert.throws(() => createTask(notFunction as unknown as () => void), {
        name: 'TypeError',
        message: /createTask expects a function/,
      });
    }
  });

  test('a context option that is not a Context is a TypeError', () => {
    for (const notContext of [null, {}, new Map(), 'ctx']) {
      assert.throws(() => createTask(() => 1, { context: notContext as unknown as Context }), {
        name: 'TypeError',
        message: /context option must be a Context/,
      });
    }
  });

  test('options that are not an object, or a name that is not a string, are a TypeError naming createTask', () => {
    for (const options of [null, 5, 'ctx', true, () => ({})]) {
      assert.throws(() => createTask(() => 1, options as never), {
        name: 'TypeError',
        message: /^createTask expects an options object \(\{ context, name \}\) or nothing, got /,
      });
    }
    assert.throws(() => createTask(() => 1, { name: 5 as never }), {
      name: 'TypeError',
      message: /^createTask's name option must be a string, got 5/,
    });
    const group = new TaskGroup();
    assert.throws(() => group.createTask(() => 1, null as never), {
      name: 'TypeError',
      message: /^TaskGroup\.createTask expects an options object/,
    });
  });

  test('a context that is running on this stack cannot be given', () => {
    const ctx = new Context();
    ctx.run(() => {
      assert.throws(() => createTask(() => 1, { context: ctx }), ContextReentryError);
    });
  });

  test('a synchronous throw in fn becomes the rejection of the task, not a throw from createTask', async () => {
    const failure = new Error('sync failure');
    let task: Task<never> | undefined;
    assert.doesNotThrow(() => {
      task = createTask(() => {
        throw failure;
      });
    });
    await assert.rejects(task!, (error) => error === failure);
    assert.equal(task!.done, true);
  });

  test('a synchronous function resolves to its return value', async () => {
    assert.equal(await createTask(() => 7), 7);
  });

  test(
    'an explicit context keeps every change, before and after the first await; the caller sees none',
    fresh(async () => {
      const ctx = new Context();
      const task = createTask(
        async () => {
          v.set('before await');
          assert.equal(ctx.get(v), 'before await');
          await sleep(1);
          v.set('after await');
          return v.get();
        },
        { context: ctx },
      );
      assert.equal(v.get(), 'd');
      assert.equal(await task, 'after await');
      assert.equal(task.context, ctx);
      assert.equal(ctx.get(v), 'after await');
      assert.equal(v.get(), 'd');
    }),
  );

  test(
    'without a context the task starts from a copy of the current one and changes only its own',
    fresh(async () => {
      v.set('caller');
      const task = createTask(async () => {
        const inherited = v.get();
        v.set('task');
        await sleep(1);
        return inherited;
      });
      v.set('caller, later');
      assert.equal(await task, 'caller');
      assert.equal(task.context.get(v), 'task');
      assert.equal(v.get(), 'caller, later');
    }),
  );

  test('done is false while the function runs and true once it settled, either way', async () => {
    let release!: () => void;
    const task = createTask(() => new Promise<void>((resolve) => (release = resolve)));
    assert.equal(task.done, false);
    await sleep(1);
    assert.equal(task.done, false);
    release();
    await task;
    assert.equal(task.done, true);

    const failing = createTask(async () => {
      await sleep(1);
      throw new Error('late');
    });
    assert.equal(failing.done, false);
    await assert.rejects(failing, /late/);
    assert.equal(failing.done, true);
  });

  test('a task is a Task with then, catch and finally, named Task-N unless given a name', async () => {
    const task = createTask(async () => 'x');
    assert.ok(task instanceof Task);
    assert.match(task.name, /^Task-\d+$/);
    assert.equal(createTask(() => 0, { name: 'loader' }).name, 'loader');
    assert.equal(Object.prototype.toString.call(task), '[object Task]');
    assert.equal(await task.then((value) => `${value}!`), 'x!');
    assert.equal(
      await createTask(() => Promise.reject(new Error('no'))).catch((error: unknown) => (error as Error).message),
      'no',
    );
    let finished = false;
    assert.equal(
      await task.finally(() => {
        finished = true;
      }),
      'x',
    );
    assert.equal(finished, true);
    assert.match(String(task), /done/);
  });

  test('new Task() is refused with a TypeError that points to createTask', () => {
    // The constructor is private: `new Task(fn)` does not compile, and at run time it is refused.
    const NewTask = Task as unknown as new (...args: unknown[]) => unknown;
    assert.throws(() => new NewTask(async () => 1), { name: 'TypeError', message: /createTask\(\)/ });
  });
});

describe('gather', () => {
  test(
    'functions and promises mixed: results in argument order, each function in its own task',
    fresh(async () => {
      v.set('caller');
      const results = await gather(
        async () => {
          v.set(1);
          await sleep(3);
          return v.get();
        },
        Promise.resolve('a promise'),
        () => v.get(),
        sleep(1).then(() => 'a later promise'),
        async () => {
          v.set(2);
          await sleep(1);
          return v.get();
        },
      );
      assert.deepEqual(results, [1, 'a promise', 'caller', 'a later promise', 2]);
      assert.equal(v.get(), 'caller');
    }),
  );

  test('no arguments: an empty array', async () => {
    assert.deepEqual(await gather(), []);
  });

  test('rejects with the first failure, while the others keep running', async () => {
    const first = new Error('first');
    const [firstFails, secondFails, slowFinishes] = [gate(), gate(), gate()];
    let slowFinished = false;
    const result = gather(
      async () => {
        await secondFails.opened;
        throw new Error('second');
      },
      async () => {
        await firstFails.opened;
        throw first;
      },
      async () => {
        await slowFinishes.opened;
        slowFinished = true;
      },
    );
    firstFails.open();
    await assert.rejects(result, (error) => error === first);
    secondFails.open();
    slowFinishes.open();
    await sleep(1);
    assert.equal(slowFinished, true);
  });

  test('a synchronous throw in one function rejects the gather instead of throwing', async () => {
    const failure = new TypeError('bad input');
    let gathered: Promise<unknown> | undefined;
    assert.doesNotThrow(() => {
      gathered = gather(
        () => 1,
        () => {
          throw failure;
        },
      );
    });
    await assert.rejects(gathered!, (error) => error === failure);
  });
});

describe('TaskGroup', () => {
  test(
    'wait() waits for every task, including tasks created while it waits, each in its own copy',
    fresh(async () => {
      v.set('caller');
      const group = new TaskGroup();
      const finished: string[] = [];
      group.createTask(async () => {
        v.set('outer');
        await sleep(5);
        group.createTask(async () => {
          assert.equal(v.get(), 'outer');
          v.set('inner');
          await sleep(10);
          finished.push(`inner saw ${String(v.get())}`);
        });
        finished.push(`outer saw ${String(v.get())}`);
      });
      await group.wait();
      assert.deepEqual(finished, ['outer saw outer', 'inner saw inner']);
      assert.equal(v.get(), 'caller');
    }),
  );

  test('the first failure aborts signal; wait rejects with every error in order, after the rest settled', async () => {
    const group = new TaskGroup();
    const first = new Error('first');
    const second = new RangeError('second');
    const [firstFails, secondFails, slowFinishes] = [gate(), gate(), gate()];
    let slowFinished = false;
    let sawAbort: unknown;
    group.createTask(async () => {
      await secondFails.opened;
      throw second;
    });
    group.createTask(async () => {
      await firstFails.opened;
      throw first;
    });
    group.createTask(async () => {
      await slowFinishes.opened;
      slowFinished = true;
    });
    group.createTask(
      () =>
        new Promise<void>((resolve) =>
          group.signal.addEventListener('abort', () => {
            sawAbort = group.signal.reason;
            // The rest fail and finish only after the abort: wait() must still wait for them.
            secondFails.open();
            setTimeout(slowFinishes.open, 5);
            resolve();
          }),
        ),
    );
    const waiting = group.wait();
    await sleep(1);
    assert.equal(group.signal.aborted, false);
    firstFails.open();
    const error = await waiting.then(
      () => assert.fail('wait() should reject'),
      (reason: unknown) => reason,
    );
    assert.ok(error instanceof TaskGroupError);
    assert.ok(error instanceof AggregateError);
    assert.equal(error.name, 'TaskGroupError');
    // In the order they failed, not the order the tasks were created.
    assert.deepEqual(error.errors, [first, second]);
    assert.match(error.message, /2 of the task group's tasks failed; the first: Error: first/);
    assert.equal(group.signal.aborted, true);
    assert.equal(group.signal.reason, first);
    assert.equal(sawAbort, first);
    assert.equal(slowFinished, true);
  });

  test('a failure that is not an Error is rendered in the TaskGroupError message', async () => {
    const group = new TaskGroup();
    group.createTask(() => Promise.reject('boom'));
    await assert.rejects(group.wait(), (error: unknown) => {
      assert.ok(error instanceof TaskGroupError);
      assert.equal(error.message, "1 of the task group's tasks failed; the first: 'boom'");
      assert.deepEqual(error.errors, ['boom']);
      return true;
    });
  });

  test('a revoked Proxy thrown as the first failure: wait still rejects with TaskGroupError holding every error', async () => {
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    const second = new Error('second');
    const group = new TaskGroup();
    group.createTask(async () => {
      throw proxy;
    });
    group.createTask(async () => {
      await nextTurn();
      throw second;
    });
    await assert.rejects(group.wait(), (error: unknown) => {
      assert.ok(error instanceof TaskGroupError);
      assert.equal(error.errors.length, 2);
      assert.equal(error.errors[0], proxy);
      assert.equal(error.errors[1], second);
      assert.match(error.message, /^2 of the task group's tasks failed; the first: /);
      return true;
    });
  });

  test('createTask after wait() settled throws', async () => {
    const group = new TaskGroup();
    group.createTask(() => sleep(1));
    await group.wait();
    assert.throws(() => group.createTask(() => 1), { message: /TaskGroup has finished/ });
  });

  test('createTask after a task failed throws: the group is shutting down, as in Python', async () => {
    const group = new TaskGroup();
    const failure = new Error('first failure');
    await group
      .createTask(() => Promise.reject(failure))
      .then(
        () => assert.fail('the task should reject'),
        () => undefined,
      );
    assert.equal(group.signal.aborted, true);
    assert.throws(
      () => group.createTask(() => 1),
      (error: unknown) =>
        error instanceof TaskGroupClosedError &&
        error.name === 'TaskGroupClosedError' &&
        /shutting down/.test(error.message),
    );
    await assert.rejects(
      group.wait(),
      (error: unknown) => error instanceof TaskGroupError && error.errors[0] === failure,
    );
  });

  test('createTask after a failed wait() throws too', async () => {
    const group = new TaskGroup();
    group.createTask(() => Promise.reject(new Error('boom')));
    await assert.rejects(group.wait(), TaskGroupError);
    assert.throws(() => group.createTask(() => 1), /TaskGroup has finished/);
  });

  test(
    'await using waits for the tasks at the end of the block',
    fresh(async () => {
      const finished: number[] = [];
      {
        await using group = new TaskGroup();
        for (const i of [3, 1, 2]) {
          group.createTask(async () => {
            v.set(i);
            await sleep(i * 3);
            finished.push(v.get() as number);
          });
        }
        assert.deepEqual(finished, []);
      }
      // Sorted: timers created a few milliseconds apart may fire out of order on a stalled machine.
      assert.deepEqual(finished.sort(), [1, 2, 3]);
      assert.equal(v.get(), 'd');
    }),
  );

  test('await using rejects with TaskGroupError when a task failed', async () => {
    const failure = new Error('inside');
    await assert.rejects(
      async () => {
        await using group = new TaskGroup();
        group.createTask(async () => {
          await sleep(1);
          throw failure;
        });
      },
      (error) => error instanceof TaskGroupError && error.errors[0] === failure,
    );
  });

  test('a group task with an explicit context keeps its changes there', async () => {
    const group = new TaskGroup();
    const ctx = new Context();
    const task = group.createTask(
      async () => {
        await sleep(1);
        v.set('kept');
      },
      { context: ctx },
    );
    await group.wait();
    assert.equal(task.context, ctx);
    assert.equal(ctx.get(v), 'kept');
  });
});

describe('cancellation', () => {
  test('cancel(reason): a string is the message, a CancelledError is used as it is, anything else is the cause', async () => {
    const byMessage = createTask(() => cancellableSleep(10_000), { name: 'loader' });
    byMessage.cancel('stop');
    assert.equal(((await byMessage.catch((error: unknown) => error)) as Error).message, 'stop');

    const given = new CancelledError('given');
    const byError = createTask(() => cancellableSleep(10_000));
    byError.cancel(given);
    assert.equal(byError.signal.reason, given);
    assert.equal(await byError.catch((error: unknown) => error), given);

    const cause = { why: 'shutdown' };
    const byCause = createTask(() => cancellableSleep(10_000), { name: 'worker' });
    byCause.cancel(cause);
    const error = (await byCause.catch((reason: unknown) => reason)) as Error;
    assert.ok(error instanceof CancelledError);
    assert.equal(error.cause, cause);
    assert.match(error.message, /^<Task name='worker' pending> was cancelled$/);

    const plain = createTask(() => cancellableSleep(10_000));
    plain.cancel();
    assert.equal(((await plain.catch((reason: unknown) => reason)) as Error).cause, undefined);
    assert.match(String(plain), /cancelled>$/);
  });

  test('the signal is one per task, aborted by cancel with the CancelledError as its reason', async () => {
    const task = createTask(() => cancellableSleep(10_000));
    assert.equal(task.signal, task.signal);
    assert.equal(task.signal.aborted, false);
    task.cancel();
    assert.equal(task.signal.aborted, true);
    assert.ok(task.signal.reason instanceof CancelledError);
    await assert.rejects(task, (error: unknown) => error === task.signal.reason);
  });

  test('a function that does not listen runs to its end: cancel asks, it does not interrupt', async () => {
    const release = gate();
    const task = createTask(async () => {
      await release.opened;
      return 'finished';
    });
    assert.equal(task.cancel(), true);
    release.open();
    assert.equal(await task, 'finished');
    assert.equal(task.cancelled, false);
    assert.equal(task.cancel(), false);
  });

  test('a rejection that is not caused by this cancellation is a failure, even while cancelled', async () => {
    const other = new AbortController();
    other.abort(new Error('another signal'));
    const task = createTask(async () => {
      await nextTurn();
      other.signal.throwIfAborted();
    });
    task.cancel();
    await assert.rejects(task, /another signal/);
    assert.equal(task.cancelled, false);
  });

  test('a revoked Proxy thrown by a cancelled task is its failure, not a crash of the check', async () => {
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    const task = createTask(async () => {
      await nextTurn();
      throw proxy;
    });
    task.cancel();
    // Not assert.rejects: it reads properties of what it caught, which a revoked Proxy refuses.
    assert.equal(await task.then(undefined, (error: unknown) => error === proxy), true);
    assert.equal(task.cancelled, false);
  });

  test(
    "abort listeners added outside the task run in the task's context too, whoever cancels",
    fresh(async () => {
      v.set('outside');
      const task = createTask(async () => {
        v.set('inside');
        await cancellableSleep(10_000);
      });
      const seen: unknown[] = [];
      task.signal.addEventListener('abort', () => seen.push(v.get(), currentTask() === task));
      task.cancel();
      await assert.rejects(task, CancelledError);
      assert.deepEqual(seen, ['inside', true]);
    }),
  );

  test("TaskGroup: a group given a signal is cancelled by it; wait() rejects with the signal's reason", async () => {
    const controller = new AbortController();
    const group = new TaskGroup({ signal: controller.signal });
    const started = gate();
    const task = group.createTask(async () => {
      started.open();
      await cancellableSleep(10_000);
    });
    await started.opened;
    const reason = new Error('deadline');
    controller.abort(reason);
    await assert.rejects(group.wait(), (error: unknown) => error === reason);
    assert.equal(task.cancelled, true);
    assert.equal(group.signal.reason, reason);
    const cancellation = task.signal.reason as CancelledError;
    assert.ok(cancellation instanceof CancelledError);
    assert.equal(cancellation.cause, reason);
  });

  test('TaskGroup: a group whose signal aborted refuses new tasks; a signal that is not an AbortSignal is a TypeError', async () => {
    const group = new TaskGroup({ signal: AbortSignal.abort(new Error('early')) });
    assert.throws(() => group.createTask(() => 1), TaskGroupClosedError);
    await assert.rejects(group.wait(), /early/);
    for (const signal of [null, {}, new AbortController()]) {
      assert.throws(() => new TaskGroup({ signal: signal as never }), {
        name: 'TypeError',
        message: /^TaskGroup's signal option must be an AbortSignal, got /,
      });
    }
    assert.throws(() => new TaskGroup(5 as never), {
      name: 'TypeError',
      message: /^TaskGroup expects an options object/,
    });
  });

  test('TaskGroup: a failure while a task ignores its signal still waits for it, and reports only the failure', async () => {
    const group = new TaskGroup();
    const release = gate();
    const slow = group.createTask(async () => {
      await release.opened;
      return 'done anyway';
    });
    const failure = new Error('first');
    group.createTask(async () => {
      throw failure;
    });
    const waiting = group.wait();
    await nextTurn();
    assert.equal(slow.signal.aborted, true);
    assert.equal(slow.done, false);
    release.open();
    await assert.rejects(waiting, (error: unknown) => error instanceof TaskGroupError && error.errors.length === 1);
    assert.equal(await slow, 'done anyway');
  });

  test("rejections nobody retrieves: a never-waited TaskGroup's failure surfaces once it is collected; a cancelled task's does not", () => {
    // A child process, so that the unhandled rejections are the program's own and the runner's are untouched.
    const asyncio = new URL('../../src/asyncio/index.ts', import.meta.url).href;
    const program = `
      import { createTask, currentTask, TaskGroup } from ${JSON.stringify(asyncio)};
      import { setTimeout as sleep } from 'node:timers/promises';
      const reported = [];
      process.on('unhandledRejection', (reason) => reported.push(String(reason?.message ?? reason)));
      const turn = () => new Promise((resolve) => setImmediate(resolve));

      // An unawaited failing task is reported (the control), an unawaited cancelled one is not.
      const failing = createTask(async () => { await turn(); throw new Error('task failure'); });
      const cancelled = createTask(() => sleep(10_000, undefined, { signal: currentTask().signal }));
      cancelled.cancel();
      while (!failing.done || !cancelled.done) await turn();
      await turn();
      const afterTasks = [...reported];

      // Two groups with a failure each, both dropped: one was waited for, the other never.
      async function drop(waited) {
        const group = new TaskGroup();
        const task = group.createTask(async () => { throw new Error(waited ? 'waited' : 'never waited'); });
        await task.then(undefined, () => {});
        if (waited) await group.wait().catch(() => {});
      }
      await drop(true);
      await drop(false);
      for (let pass = 0; pass < 100 && reported.length === afterTasks.length; pass++) {
        await turn();
        globalThis.gc();
        await turn();
      }
      globalThis.gc();
      await turn();
      await turn();
      console.log(JSON.stringify({ afterTasks, groups: reported.slice(afterTasks.length), cancelled: cancelled.cancelled }));
    `;
    // A Node program (its flags are Node's): Deno, whose binary takes others, runs it on the Node on PATH.
    const node = 'deno' in process.versions ? 'node' : process.execPath;
    const child = spawnSync(node, ['--expose-gc', '--import', 'tsx', '--input-type=module', '--eval', program], {
      encoding: 'utf8',
    });
    assert.equal(child.status, 0, child.stderr);
    const result = JSON.parse(child.stdout) as { afterTasks: string[]; groups: string[]; cancelled: boolean };
    assert.deepEqual(result.afterTasks, ['task failure']);
    assert.equal(result.cancelled, true);
    assert.equal(result.groups.length, 1, `reported: ${JSON.stringify(result.groups)}`);
    assert.match(
      result.groups[0] as string,
      /^1 of the task group's tasks failed; the first: Error: never waited; the TaskGroup was never waited for: call wait\(\)/,
    );
  });
});

/** How many timers keep the process alive, where the runtime says (Node does; Bun 1.4 lists none). */
const timers = (): number => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
function reportsTimers(): boolean {
  if (typeof process.getActiveResourcesInfo !== 'function') return false;
  const before = timers();
  const probe = setTimeout(() => {}, 1000);
  const reported = timers() === before + 1;
  clearTimeout(probe);
  return reported;
}

describe('callSoon and callLater', () => {
  test('a non-function is a TypeError', () => {
    assert.throws(() => callSoon('not a function' as unknown as () => void), {
      name: 'TypeError',
      message: /callSoon expects a function/,
    });
    assert.throws(() => callLater(1, {} as unknown as () => void), {
      name: 'TypeError',
      message: /callLater expects a function/,
    });
  });

  test('a negative, NaN or infinite delay is a RangeError naming delayMs', () => {
    for (const delay of [-1, -0.5, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      assert.throws(() => callLater(delay, () => {}), {
        name: 'RangeError',
        message: /^callLater expects a finite delay of 0 ms or more as delayMs, got /,
      });
    }
  });

  test('a delay that is not a number is a TypeError naming delayMs', () => {
    for (const delay of ['5', 5n, null, undefined, { valueOf: () => 5 }]) {
      assert.throws(() => callLater(delay as number, () => {}), {
        name: 'TypeError',
        message: /^callLater expects delayMs to be a number of milliseconds, got /,
      });
    }
  });

  test('options that are not an object are a TypeError naming the function', () => {
    for (const options of [null, 5, 'ctx', () => ({})]) {
      assert.throws(() => callSoon(() => {}, options as never), {
        name: 'TypeError',
        message: /^callSoon expects an options object \(\{ context \}\) or nothing, got /,
      });
      assert.throws(() => callLater(1, () => {}, options as never), {
        name: 'TypeError',
        message: /^callLater expects an options object \(\{ context \}\) or nothing, got /,
      });
    }
  });

  test(
    'a delay longer than setTimeout allows (2 ** 31 ms and more) waits instead of firing after 1 ms',
    fresh(async () => {
      const warnings: string[] = [];
      const onWarning = (warning: Error): void => {
        warnings.push(warning.name);
      };
      process.on('warning', onWarning);
      let ran = 0;
      const handles = [2 ** 31, 2 ** 31 - 1 + 0.5, 30 * 24 * 3600 * 1000, Number.MAX_SAFE_INTEGER, 1e300].map((delay) =>
        callLater(delay, () => ran++),
      );
      try {
        // A timer made later with a longer delay fires after every 1 ms timer made before it,
        // and a warning is emitted on a later tick than the setTimeout that caused it.
        await new Promise<void>((resolve) => callLater(5, resolve));
        await nextTurn();
        assert.equal(ran, 0);
        assert.deepEqual(
          warnings.filter((name) => name === 'TimeoutOverflowWarning'),
          [],
        );
      } finally {
        process.off('warning', onWarning);
        for (const handle of handles) handle.cancel();
      }
      assert.ok(handles.every((handle) => handle.cancelled));
    }),
  );

  test('cancel() stops a long callLater: its timer is cleared, not left to keep the process alive', {
    skip: reportsTimers() ? false : 'this runtime does not list its timers in process.getActiveResourcesInfo()',
  }, () => {
    const before = timers();
    const handle = callLater(2 ** 32, () => {});
    assert.equal(timers(), before + 1);
    handle.cancel();
    assert.equal(timers(), before);
  });

  test('the timer chain of a long delay adds up to the delay: each step waits at most 2 ** 31 - 1 ms', () => {
    const max = 2 ** 31 - 1;
    assert.deepEqual(nextTimer(5), { wait: 5, last: true });
    assert.deepEqual(nextTimer(max), { wait: max, last: true });
    assert.deepEqual(nextTimer(max + 1), { wait: max, last: false });
    assert.deepEqual(nextTimer(-3), { wait: 0, last: true }, 'a timer that fired late runs the callback at once');
    for (const delay of [2 ** 31, 2 ** 32 + 5, 10 * max + 0.5, 30 * 24 * 3600 * 1000]) {
      // A clock that each timer advances by exactly its wait.
      let elapsed = 0;
      let steps = 0;
      for (;;) {
        const { wait, last } = nextTimer(delay - elapsed);
        assert.ok(wait <= max && wait >= 0, `step ${steps} of ${delay}: ${wait}`);
        elapsed += wait;
        steps++;
        if (last) break;
      }
      assert.equal(elapsed, delay);
      assert.equal(steps, Math.ceil(delay / max));
    }
    // A timer that fires early only adds a step; it never runs the callback before the deadline.
    assert.deepEqual(nextTimer(2 ** 31 - (max - 1)), { wait: 2, last: true });
  });

  test('a context option that is not a Context is a TypeError', () => {
    assert.throws(() => callSoon(() => {}, { context: {} as Context }), TypeError);
    assert.throws(() => callLater(0, () => {}, { context: {} as Context }), TypeError);
  });

  test(
    'the callback runs later, in a copy taken when it was scheduled; its writes stay there',
    fresh(async () => {
      const seen: unknown[] = [];
      v.set('scheduled');
      let ranSynchronously = true;
      const laterRan = gate();
      callSoon(() => {
        seen.push(['soon', v.get(), ranSynchronously]);
        v.set('written by soon');
      });
      callLater(2, () => {
        seen.push(['later', v.get()]);
        v.set('written by later');
        laterRan.open();
      });
      ranSynchronously = false;
      v.set('after scheduling');
      await nextTurn();
      await laterRan.opened;
      // Sorted: a late loop turn may run the due timer before the pending immediate.
      assert.deepEqual(seen.sort(), [
        ['later', 'scheduled'],
        ['soon', 'scheduled', false],
      ]);
      assert.equal(v.get(), 'after scheduling');
    }),
  );

  test('an explicit context is where the callback runs and what it changes', async () => {
    const ctx = new Context();
    ctx.run(() => v.set('in ctx'));
    const seen: unknown[] = [];
    callSoon(
      () => {
        seen.push(v.get());
        v.set('soon');
      },
      { context: ctx },
    );
    // Wait by causality, not by clock: a late loop turn can run a due timer before pending immediates.
    await nextTurn();
    const laterRan = gate();
    callLater(
      1,
      () => {
        seen.push(v.get());
        v.set('later');
        laterRan.open();
      },
      { context: ctx },
    );
    await laterRan.opened;
    assert.deepEqual(seen, ['in ctx', 'soon']);
    assert.equal(ctx.get(v), 'later');
  });

  test('cancel() stops the callback and sets cancelled', async () => {
    let ran = 0;
    const soon = callSoon(() => ran++);
    const later = callLater(1, () => ran++);
    assert.equal(soon.cancelled, false);
    assert.equal(later.cancelled, false);
    soon.cancel();
    later.cancel();
    assert.equal(soon.cancelled, true);
    assert.equal(later.cancelled, true);
    // Timers of one delay run in the order they were made: this one runs after the cancelled one's time.
    await new Promise<void>((resolve) => callLater(1, resolve));
    await nextTurn();
    assert.equal(ran, 0);
  });

  test('cancel() after the callback ran changes nothing but the flag', async () => {
    let ran = 0;
    const handle = callSoon(() => ran++);
    await nextTurn();
    assert.equal(ran, 1);
    handle.cancel();
    assert.equal(handle.cancelled, true);
    assert.equal(ran, 1);
  });
});

describe('bind', () => {
  test('a non-function is a TypeError', () => {
    assert.throws(() => bind(5 as unknown as () => void), { name: 'TypeError', message: /bind expects a function/ });
  });

  test(
    'each call runs in a fresh copy of the snapshot at bind time; its writes do not persist or leak',
    fresh(async () => {
      v.set('at bind');
      const bound = bind(() => {
        const seen = v.get();
        v.set('written by call');
        return seen;
      });
      v.set('caller, later');
      assert.equal(bound(), 'at bind');
      assert.equal(v.get(), 'caller, later');
      // The first call's write did not persist into the second.
      assert.equal(bound(), 'at bind');
      // Called from another flow and later turn: still the bind-time snapshot.
      const fromTask = await createTask(async () => {
        v.set('task');
        await sleep(1);
        return bound();
      });
      assert.equal(fromTask, 'at bind');
      const fromTimer = await new Promise((resolve) => setTimeout(() => resolve(bound()), 1));
      assert.equal(fromTimer, 'at bind');
      assert.equal(v.get(), 'caller, later');
    }),
  );

  test('this and arguments pass through; the result comes back', () => {
    const bound = bind(function (this: { base: number }, a: number, b: number) {
      return this.base + a + b;
    });
    const receiver = { base: 100, bound };
    assert.equal(receiver.bound(2, 3), 105);
    assert.equal(bound.call({ base: 1 }, 2, 3), 6);
  });

  test('a bound function may call itself: each call gets its own copy, so there is no re-entry error', () => {
    const depthSeen: unknown[] = [];
    const bound: (depth: number) => void = bind((depth: number) => {
      depthSeen.push(v.get());
      v.set(depth);
      if (depth < 2) bound(depth + 1);
    });
    bound(0);
    assert.deepEqual(depthSeen, ['d', 'd', 'd']);
  });

  test('an async bound function keeps its writes across its own awaits only', async () => {
    const bound = bind(async (value: string) => {
      v.set(value);
      await sleep(1);
      return v.get();
    });
    assert.deepEqual(await Promise.all([bound('a'), bound('b')]), ['a', 'b']);
    assert.equal(v.get(), 'd');
  });
});

test('copyContext inside a task sees the task, not the caller', async () => {
  const task = createTask(async () => {
    v.set('in task');
    await sleep(1);
    return copyContext();
  });
  assert.equal((await task).get(v), 'in task');
  assert.equal(copyContext().get(v), undefined);
});

describe('where ours differs from asyncio (pinned)', () => {
  const cvar = new ContextVar('cvar', { default: 'nope' });

  // Differs: asyncio.create_task is lazy (the body starts on a later loop turn); createTask starts it at once, like an eager task.
  test('create_task: the body runs before create_task returns', async () => {
    const order: string[] = [];
    const task = createTask(async () => {
      order.push('task body');
    });
    order.push('after createTask');
    await task;
    assert.deepEqual(order, ['task body', 'after createTask']);
  });

  // Differs: a task that cancels itself and then returns ends cancelled in Python (test_cancel_at_end: the
  // cancellation waits for its next await); here nothing was delivered, so the result stands.
  test('test_cancel_at_end: cancel() of itself, then return', async () => {
    const task = createTask(async () => {
      (currentTask() as Task<unknown>).cancel();
      return 12;
    });
    assert.equal(await task, 12);
    assert.equal(task.cancelled, false);
    assert.equal(task.cancel(), false);
  });

  // Differs: Python's current_task() names the running task inside any ctx.run; here the task is its flow's.
  test('current_task() inside ctx.run of another Context', async () => {
    const inside = await createTask(() => new Context().run(() => currentTask()));
    assert.equal(inside, undefined);
  });

  // Differs: Python accepts create_task(context=ctx) while ctx is running (the task starts later); ours enters ctx at once, so it throws.
  test('create_task(context=ctx) from inside ctx.run', () => {
    const ctx = copyContext();
    assert.throws(
      () => ctx.run(() => createTask(async () => cvar.set('in task'), { context: ctx })),
      ContextReentryError,
    );
    assert.equal(ctx.get(cvar), undefined);
  });
});
