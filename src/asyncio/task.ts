/**
 * Task and createTask: a function running in its own flow (S6), with its own
 * Context and its own cancellation.
 *
 * Cancellation, as asyncio has it, within what a promise allows: JavaScript
 * cannot throw into a running function as asyncio throws CancelledError into
 * a coroutine, so `cancel()` aborts the task's AbortSignal and the function
 * stops where it listens (fetch, timers, streams take the signal). The
 * signal's 'abort' listeners run in a copy of the task's Context, with the
 * task current, as the code that catches CancelledError runs inside the
 * task. The task ends cancelled when its function rejects with a
 * CancelledError, or, once cancelled, with an error whose `cause` is the
 * signal's reason (Node's AbortError); it ends as its function ends
 * otherwise (a function may finish its work, as a coroutine may swallow
 * CancelledError).
 *
 * @module
 */
import { brand, repr } from '../brand.ts';
import { assertFunction, readOptions } from '../checks.ts';
import { type Context, contextOption } from '../context.ts';
import { currentScope } from '../scope.ts';
import { CancelledError } from './errors.ts';

/**
 * Options of {@link createTask} and {@link TaskGroup.createTask}.
 *
 * @example
 * ```ts
 * const ctx = new Context();
 * const task = createTask(() => handle(request), { context: ctx, name: 'handle request' });
 * ```
 */
export interface TaskOptions {
  /**
   * The Context the task runs in (Python's `create_task(context=...)`): the
   * task's changes are made in it. Default: a copy of the current one.
   */
  readonly context?: Context;
  /** A name for messages and debugging. */
  readonly name?: string;
}

let tasksCreated = 0;

/** Proves a Task construction comes from createTask: `new Task()` elsewhere is refused. */
const TASK_KEY: unique symbol = Symbol('Task');

const noop = (): void => {};

/**
 * A function running in its own flow (Python's `asyncio.Task`): nothing it
 * sets, before or after its first `await`, reaches the code that created it.
 * A Task is a Promise of the function's result, and can be cancelled through
 * the AbortSignal it owns.
 *
 * @example
 * ```ts
 * const user = new ContextVar('user', { default: 'nobody' });
 * const task = createTask(async () => {
 *   user.set('ada');
 *   await sleep(10);
 *   return user.get();
 * });
 * user.get(); // 'nobody'
 * await task; // 'ada'
 * task.context.get(user); // 'ada'
 * ```
 */
export class Task<T> implements PromiseLike<T> {
  /** The Context the task runs in, with the latest values its flow set (Python's `Task.get_context()`). */
  readonly context: Context;
  /** The task's name. */
  readonly name: string;
  readonly #result: Promise<T>;
  #done = false;
  #cancelled = false;
  /** Made when first needed: most tasks are never cancelled nor asked for their signal. */
  #abort: AbortController | undefined;

  /** Use {@link createTask}; `method` names the API in argument errors. */
  private constructor(
    key: typeof TASK_KEY,
    fn: () => T | PromiseLike<T>,
    options: TaskOptions | undefined,
    method: string,
  ) {
    if (key !== TASK_KEY) throw new TypeError('Tasks are made by createTask(), not by new Task()');
    assertFunction(fn, method);
    const { context: given, name } = readOptions(options, method, TASK_OPTIONS);
    if (name !== undefined && typeof name !== 'string') {
      throw new TypeError(`${method}'s name option must be a string, got ${repr(name)}`);
    }
    const context = contextOption(given, method);
    this.context = context;
    this.name = name ?? `Task-${++tasksCreated}`;
    // The settled promise is not handled here: an awaited task's failure
    // reaches its awaiter, an unawaited one is reported as an unhandled
    // rejection (asyncio's "exception was never retrieved"), but for a
    // cancellation, which asyncio does not report either.
    this.#result = context.run(runAsTask, this as Task<unknown>, fn).then(
      (value) => {
        this.#done = true;
        return value;
      },
      (error: unknown) => {
        this.#done = true;
        const cancellation = this.#cancellation(error);
        if (cancellation === undefined) throw error;
        this.#cancelled = true;
        this.#result.then(undefined, noop);
        throw cancellation;
      },
    );
  }

  /** @internal A task of `fn` made by createTask or TaskGroup.createTask (`method` names the caller). */
  static create<T>(fn: () => T | PromiseLike<T>, options: TaskOptions | undefined, method: string): Task<T> {
    return new Task(TASK_KEY, fn, options, method);
  }

  /** The CancelledError that `error` ends the task with, or undefined when it is a failure. */
  #cancellation(error: unknown): CancelledError | undefined {
    if (error instanceof CancelledError) return error;
    const reason: unknown = this.#abort?.signal.reason;
    if (reason === undefined) return undefined;
    try {
      if ((error as { cause?: unknown } | null)?.cause === reason) return reason as CancelledError;
    } catch {
      // A revoked Proxy thrown by the function is a failure, not a cancellation.
    }
    return undefined;
  }

  /**
   * Whether the task's function has settled.
   *
   * @example
   * ```ts
   * const task = createTask(() => sleep(10));
   * task.done; // false
   * await task;
   * task.done; // true
   * ```
   */
  get done(): boolean {
    return this.#done;
  }

  /**
   * Whether the task ended cancelled (Python's `Task.cancelled()`): its
   * promise rejected with a {@link CancelledError}. False while it runs, and
   * for a task that went on to finish its work after {@link Task.cancel}.
   *
   * @example
   * ```ts
   * const task = createTask(() => sleep(1000, undefined, { signal: currentTask()!.signal }));
   * task.cancel();
   * await task.catch(() => {});
   * task.cancelled; // true
   * ```
   */
  get cancelled(): boolean {
    return this.#cancelled;
  }

  /**
   * The task's AbortSignal: aborted by {@link Task.cancel} with a
   * {@link CancelledError} as its reason. Its 'abort' listeners run in a copy
   * of the task's Context, with this task as {@link currentTask}, whoever
   * cancels it. Inside the task, read it as `currentTask()!.signal`.
   *
   * @example
   * ```ts
   * const task = createTask(() => fetch(url, { signal: currentTask()!.signal }));
   * ```
   */
  get signal(): AbortSignal {
    this.#abort ??= new AbortController();
    return this.#abort.signal;
  }

  /**
   * Asks the task to stop (Python's `Task.cancel(msg)`): aborts
   * {@link Task.signal} with a CancelledError, dispatched in the task's own
   * context. Returns false when the task is done already, true otherwise
   * (also when it was cancelled before). The task ends cancelled when its
   * function rejects with that error (or with one caused by it); a function
   * that does not listen to the signal runs on to its end.
   *
   * @param reason - the CancelledError's message when a string; a
   * CancelledError to use as it is; any other value becomes the `cause` of
   * the CancelledError made.
   *
   * @example
   * ```ts
   * const task = createTask(() => sleep(60_000, undefined, { signal: currentTask()!.signal }));
   * task.cancel('shutting down'); // true
   * await task.catch((error) => error.message); // 'shutting down'
   * task.cancel(); // false: it is done
   * ```
   */
  cancel(reason?: unknown): boolean {
    if (this.#done) return false;
    const signal = this.signal;
    if (signal.aborted) return true;
    const error = cancelledError(this, reason);
    const abort = this.#abort as AbortController;
    // A copy: the listeners see the task's latest values, and what they set stays with them.
    this.context.copy().run(runAsTask, this as Task<unknown>, () => abort.abort(error));
    return true;
  }

  /** Attaches callbacks for the task's result, as `Promise.prototype.then` does; `await task` calls it. */
  // biome-ignore lint/suspicious/noThenProperty: a Task is awaitable by design, as an asyncio Task is
  then<R1 = T, R2 = never>(
    onFulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this.#result.then(onFulfilled, onRejected);
  }

  /** Attaches a callback for the task's failure, as `Promise.prototype.catch` does. */
  catch<R = never>(onRejected?: ((reason: unknown) => R | PromiseLike<R>) | null): Promise<T | R> {
    return this.#result.catch(onRejected);
  }

  /** Attaches a callback for when the task settles, as `Promise.prototype.finally` does. */
  finally(onFinally?: (() => void) | null): Promise<T> {
    return this.#result.finally(onFinally);
  }

  /** `'Task'`, for `Object.prototype.toString` (set by brand()). */
  declare readonly [Symbol.toStringTag]: string;

  /** The task's name and state, e.g. `<Task name='Task-1' pending>`. */
  toString(): string {
    const state = this.#cancelled ? 'cancelled' : this.#done ? 'done' : 'pending';
    return `<Task name='${this.name}' ${state}>`;
  }
}
brand(Task, 'Task');

const TASK_OPTIONS = ['context', 'name'] as const;

/** The reason `task.cancel(reason)` aborts with (see Task.cancel). */
function cancelledError(task: Task<unknown>, reason: unknown): CancelledError {
  if (reason instanceof CancelledError) return reason;
  if (typeof reason === 'string') return new CancelledError(reason);
  const message = `${String(task)} was cancelled`;
  return reason === undefined ? new CancelledError(message) : new CancelledError(message, { cause: reason });
}

/**
 * Runs fn inside the task's Context (the current one here) with the task as
 * the flow's task; a synchronous throw becomes a rejection, as in an async
 * function.
 */
function runAsTask<T>(task: Task<unknown>, fn: () => T | PromiseLike<T>): Promise<T> {
  currentScope().flow.task = task;
  try {
    return Promise.resolve(fn());
  } catch (error) {
    return Promise.reject(error);
  }
}

/**
 * The task whose function is running (Python's `asyncio.current_task()`),
 * else undefined: outside tasks, and in callbacks that run in a copy of the
 * context (callSoon, callLater, bind). Inside `ctx.run` with another Context
 * it is undefined too, where Python still names the task: the task is the
 * flow's, here.
 *
 * @example
 * ```ts
 * await createTask(async () => {
 *   const response = await fetch(url, { signal: currentTask()!.signal });
 *   return response.json();
 * });
 * ```
 */
export function currentTask(): Task<unknown> | undefined {
  return (currentScope().flow.task as Task<unknown> | null) ?? undefined;
}

/**
 * Runs `fn` as a {@link Task}: in its own flow, with `options.context` or a
 * copy of the current Context (Python's `asyncio.create_task`).
 *
 * @throws {TypeError} when `fn` is not a function, `options` is not an object,
 * `options.context` is not a Context or `options.name` is not a string.
 * @throws {ContextReentryError} when `options.context` is running on this stack.
 *
 * @example
 * ```ts
 * const ctx = copyContext();
 * await createTask(async () => { requestId.set('r-1'); }, { context: ctx });
 * ctx.get(requestId); // 'r-1'
 * ```
 */
export function createTask<T>(fn: () => T | PromiseLike<T>, options?: TaskOptions): Task<Awaited<T>> {
  return Task.create(fn as () => Awaited<T>, options, 'createTask');
}
