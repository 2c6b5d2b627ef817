/**
 * TaskGroup (asyncio's `TaskGroup`): structured concurrency. Its tasks each
 * run in a copy of the context; when one fails, or the group's signal (by
 * default the signal of the task that made the group) aborts, the group
 * cancels the others, each in its own context (task.ts); `wait()` returns
 * once all have settled. A group that is never waited for does not swallow
 * its tasks' failures: when it is garbage-collected, they surface as an
 * unhandled rejection, as an un-awaited rejected promise's would.
 *
 * @module
 */
import { identify, repr } from '../brand.ts';
import { readOptions } from '../checks.ts';
import { CancelledError, describeFailure, TaskGroupClosedError, TaskGroupError } from './errors.ts';
import { currentTask, Task, type TaskOptions } from './task.ts';

/**
 * Options of {@link TaskGroup}.
 *
 * @example
 * ```ts
 * const group = new TaskGroup({ signal: AbortSignal.timeout(5000) });
 * ```
 */
export interface TaskGroupOptions {
  /**
   * When it aborts, the group cancels its tasks and `wait()` rejects with
   * its reason (unless a task failed: then with TaskGroupError). Default:
   * the signal of the task that made the group ({@link currentTask}), so
   * cancelling that task cancels the group's tasks, as in asyncio.
   */
  readonly signal?: AbortSignal;
}

/** What the group's finalizer reads: never the group itself, so the group can be collected. */
interface Outcome {
  readonly errors: unknown[];
  waited: boolean;
}

const ASYNC_DISPOSE: typeof Symbol.asyncDispose = Symbol.asyncDispose ?? Symbol.for('Symbol.asyncDispose');
const GROUP_OPTIONS = ['signal'] as const;

/** Reports the failures of a group collected without wait(), as an unhandled rejection. */
function reportUnwaited(outcome: Outcome): void {
  if (outcome.waited || outcome.errors.length === 0) return;
  const error = new TaskGroupError(outcome.errors);
  error.message += '; the TaskGroup was never waited for: call wait(), or make it with `await using`';
  // Left unhandled on purpose: the runtime reports it (Node's 'unhandledRejection').
  void Promise.reject(error);
}

/**
 * Formats an error's stack now: until then V8 keeps the frames it was thrown
 * through, receivers included, and a failure kept for the finalizer would
 * keep the group (its createTask is one of those frames) from being collected.
 */
function releaseFrames(error: unknown): void {
  try {
    void (error as { stack?: unknown } | null)?.stack;
  } catch {
    // A revoked Proxy has no frames to release.
  }
}

/** `instanceof AbortSignal`, false for a value whose prototype cannot be read (a revoked or throwing Proxy). */
function isAbortSignal(value: unknown): value is AbortSignal {
  try {
    return value instanceof AbortSignal;
  } catch {
    return false;
  }
}

const unwaited = typeof FinalizationRegistry === 'function' ? new FinalizationRegistry(reportUnwaited) : undefined;

/**
 * Structured concurrency (Python's `asyncio.TaskGroup`): tasks started with
 * {@link TaskGroup.createTask} each run in a copy of the current Context;
 * {@link TaskGroup.wait} (or the end of an `await using` block) waits until
 * all have settled, then rejects with a {@link TaskGroupError} if any failed.
 * The first failure aborts {@link TaskGroup.signal} and cancels the other
 * tasks ({@link Task.cancel}): each sees its own signal abort, in its own
 * context. A group made inside a task is cancelled with that task.
 *
 * @example
 * ```ts
 * {
 *   await using group = new TaskGroup();
 *   group.createTask(() => fetchUser(1));
 *   group.createTask(() => fetchUser(2));
 * } // both have settled here; a failure rejects with TaskGroupError
 * ```
 */
export class TaskGroup {
  readonly #tasks: Task<unknown>[] = [];
  readonly #outcome: Outcome = { errors: [], waited: false };
  readonly #abort = new AbortController();
  readonly #parent: AbortSignal | undefined;
  /** The parent's reason, once the parent's abort cancelled the group. */
  #cancelledBy: { readonly reason: unknown } | undefined;
  #pending = 0;
  #closed = false;
  readonly #onParentAbort = (): void => this.#cancel();

  /**
   * A group with no tasks yet.
   *
   * @throws {TypeError} when `options` is not an object or `options.signal` is not an AbortSignal.
   *
   * @example
   * ```ts
   * const group = new TaskGroup();
   * const bounded = new TaskGroup({ signal: AbortSignal.timeout(5000) });
   * ```
   */
  constructor(options?: TaskGroupOptions) {
    const { signal } = readOptions(options, 'TaskGroup', GROUP_OPTIONS);
    if (signal !== undefined && !isAbortSignal(signal)) {
      throw new TypeError(`TaskGroup's signal option must be an AbortSignal, got ${repr(signal)}`);
    }
    this.#parent = (signal as AbortSignal | undefined) ?? currentTask()?.signal;
    unwaited?.register(this, this.#outcome);
  }

  /**
   * Aborted when the first task fails, with that failure as its reason, or
   * when the group is cancelled through its `signal` option, with that
   * signal's reason. Inside a task, listen to the task's own signal
   * (`currentTask()!.signal`): its listeners run in the task's context.
   *
   * @example
   * ```ts
   * group.createTask(() => fetch(url, { signal: group.signal }));
   * ```
   */
  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  /**
   * Starts `fn` as a task of this group, in a copy of the current Context
   * (or `options.context`).
   *
   * @throws {TaskGroupClosedError} when the group has finished waiting, or
   * is shutting down because one of its tasks failed or it was cancelled.
   *
   * @example
   * ```ts
   * const user = group.createTask(() => loadUser(1));
   * ```
   */
  createTask<T>(fn: () => T | PromiseLike<T>, options?: TaskOptions): Task<Awaited<T>> {
    if (this.#closed) {
      throw new TaskGroupClosedError('this TaskGroup has finished: create tasks before wait() settles');
    }
    if (this.#parent?.aborted === true) this.#cancel();
    if (this.#abort.signal.aborted) {
      throw new TaskGroupClosedError(
        'this TaskGroup is shutting down after a task failed or it was cancelled: ' +
          'it accepts no new tasks (see signal.reason)',
      );
    }
    const task = Task.create(fn as () => Awaited<T>, options, 'TaskGroup.createTask');
    this.#tasks.push(task);
    if (++this.#pending === 1) this.#parent?.addEventListener('abort', this.#onParentAbort);
    task.then(
      () => this.#settled(),
      (error: unknown) => {
        this.#settled();
        // A cancelled task is not a failure: the group or its caller asked for it.
        if (task.cancelled) return;
        releaseFrames(error);
        this.#outcome.errors.push(error);
        if (this.#outcome.errors.length === 1) this.#shutDown(error, `a task failed: ${describeFailure(error)}`);
      },
    );
    return task;
  }

  /** Keeps the parent's listener only while tasks run, so a long-lived parent signal does not hold finished groups. */
  #settled(): void {
    if (--this.#pending === 0) this.#parent?.removeEventListener('abort', this.#onParentAbort);
  }

  /** Cancelled through the parent signal: the tasks end cancelled, and wait() rejects with the parent's reason. */
  #cancel(): void {
    const reason: unknown = (this.#parent as AbortSignal).reason;
    this.#cancelledBy ??= { reason };
    this.#shutDown(reason, reason instanceof CancelledError ? reason : 'the TaskGroup was cancelled');
  }

  /** Aborts the group's signal and cancels every task still running, each in its own context. */
  #shutDown(reason: unknown, cancellation: CancelledError | string): void {
    if (this.#abort.signal.aborted) return;
    this.#abort.abort(reason);
    const error =
      cancellation instanceof CancelledError
        ? cancellation
        : new CancelledError(`the TaskGroup is shutting down: ${cancellation}`, { cause: reason });
    for (const task of this.#tasks) task.cancel(error);
  }

  /**
   * Waits for every task, including ones created while waiting; rejects with
   * TaskGroupError if any failed, else with the reason of the `signal` that
   * cancelled the group, if one did. The end of an `await using` block calls it.
   *
   * @example
   * ```ts
   * const group = new TaskGroup();
   * group.createTask(() => loadUser(1));
   * await group.wait();
   * ```
   */
  async wait(): Promise<void> {
    this.#outcome.waited = true;
    // Tasks may be created while we wait: loop until a pass adds none.
    let awaited = 0;
    while (awaited < this.#tasks.length) {
      const batch = this.#tasks.slice(awaited);
      awaited = this.#tasks.length;
      await Promise.allSettled(batch);
    }
    this.#closed = true;
    if (this.#outcome.errors.length > 0) throw new TaskGroupError(this.#outcome.errors);
    if (this.#cancelledBy !== undefined) throw this.#cancelledBy.reason;
  }

  /** Waits as {@link TaskGroup.wait} does, so `await using group = new TaskGroup()` waits at the end of the block. */
  [ASYNC_DISPOSE](): Promise<void> {
    return this.wait();
  }
}
identify(TaskGroup, 'TaskGroup');
