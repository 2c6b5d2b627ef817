/**
 * asyncio's context support, for promises: tasks that each own a Context
 * (S6), `gather`, a structured task group, `callSoon`/`callLater` that run
 * their callback in a copy taken when it was scheduled, and `bind`.
 *
 * @module
 */
import { brand, identify, repr } from './brand.ts';
import { assertFunction, readOptions } from './checks.ts';
import { type Context, contextOption, copyContext } from './context.ts';
import { bindListeners, type EventEmitterLike, isEmitter } from './emitter.ts';
import { errorClass, TaskGroupClosedError } from './errors.ts';

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
let newTask: <T>(fn: () => T | PromiseLike<T>, options: TaskOptions | undefined, method: string) => Task<T>;

/**
 * A function running in its own flow (Python's `asyncio.Task`): nothing it
 * sets, before or after its first `await`, reaches the code that created it.
 * A Task is a Promise of the function's result.
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
    // `finally` marks completion without handling a rejection: an awaited
    // task's failure reaches its awaiter, an unawaited one is reported as an
    // unhandled rejection (asyncio's "exception was never retrieved").
    this.#result = context.run(runAsPromise, fn).finally(() => {
      this.#done = true;
    });
  }

  static {
    newTask = (fn, options, method) => new Task(TASK_KEY, fn, options, method);
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
    return `<Task name='${this.name}' ${this.#done ? 'done' : 'pending'}>`;
  }
}
brand(Task, 'Task');

const TASK_OPTIONS = ['context', 'name'] as const;
const CALL_OPTIONS = ['context'] as const;

/** Runs fn inside the task's Context; a synchronous throw becomes a rejection, as in an async function. */
function runAsPromise<T>(fn: () => T | PromiseLike<T>): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (error) {
    return Promise.reject(error);
  }
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
  return newTask(fn as () => Awaited<T>, options, 'createTask');
}

/**
 * What {@link gather} accepts: a function to run as a task, or something already awaitable.
 *
 * @example
 * ```ts
 * const items: Gatherable[] = [() => loadUser(1), fetch(url)];
 * ```
 */
export type Gatherable = (() => unknown) | PromiseLike<unknown>;

/**
 * The results of {@link gather}, in argument order: a function's awaited
 * return value, a promise's awaited value.
 *
 * @example
 * ```ts
 * type Results = GatherResults<[() => Promise<number>, Promise<string>]>; // [number, string]
 * ```
 */
export type GatherResults<F extends readonly Gatherable[]> = {
  -readonly [K in keyof F]: F[K] extends () => infer R ? Awaited<R> : Awaited<F[K]>;
};

/**
 * Runs each function as its own {@link Task} and resolves to their results
 * in order, or rejects with the first failure (Python's `asyncio.gather`).
 * Promises are awaited as they are.
 *
 * @example
 * ```ts
 * const v = new ContextVar('v', { default: 0 });
 * const results = await gather(
 *   async () => { v.set(1); await sleep(2); return v.get(); },
 *   async () => { v.set(2); await sleep(1); return v.get(); },
 * );
 * // results: [1, 2]; v.get() here: 0
 * ```
 */
export function gather<const F extends readonly Gatherable[]>(...items: F): Promise<GatherResults<F>> {
  const running = items.map((item) => (typeof item === 'function' ? createTask(item as () => unknown) : item));
  return Promise.all(running) as Promise<GatherResults<F>>;
}

/**
 * The error a {@link TaskGroup} rejects with when any of its tasks failed
 * (Python's `ExceptionGroup`). `errors` holds every failure, in order.
 *
 * @example
 * ```ts
 * try {
 *   await using group = new TaskGroup();
 *   group.createTask(async () => { throw new Error('boom'); });
 * } catch (error) {
 *   if (error instanceof TaskGroupError) console.log(error.errors); // [Error: boom]
 * }
 * ```
 */
export class TaskGroupError extends AggregateError {
  /**
   * Made by {@link TaskGroup.wait}, with a message naming how many tasks failed and the first failure.
   *
   * @param errors - every failure of the group's tasks, in the order they happened.
   */
  constructor(errors: readonly unknown[]) {
    super(errors, `${errors.length} of the task group's tasks failed; the first: ${describeFailure(errors[0])}`);
  }
}
errorClass(TaskGroupError, 'TaskGroupError');

/** A failure for a message; a thrown revoked Proxy or a throwing getter must not stop the group's own error. */
function describeFailure(failure: unknown): string {
  try {
    return failure instanceof Error ? `${String(failure.name)}: ${String(failure.message)}` : repr(failure);
  } catch {
    return repr(failure);
  }
}

const ASYNC_DISPOSE: typeof Symbol.asyncDispose = Symbol.asyncDispose ?? Symbol.for('Symbol.asyncDispose');

/**
 * Structured concurrency (Python's `asyncio.TaskGroup`): tasks started with
 * {@link TaskGroup.createTask} each run in a copy of the current Context;
 * {@link TaskGroup.wait} (or the end of an `await using` block) waits until
 * all have settled, then rejects with a {@link TaskGroupError} if any failed.
 * The first failure aborts {@link TaskGroup.signal}, so cooperative tasks can
 * stop early (JavaScript cannot cancel a promise as asyncio cancels a task).
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
  readonly #errors: unknown[] = [];
  readonly #abort = new AbortController();
  #closed = false;

  /**
   * Aborted when the first task fails, with that failure as its reason.
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
   * is shutting down because one of its tasks failed.
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
    if (this.#abort.signal.aborted) {
      throw new TaskGroupClosedError(
        'this TaskGroup is shutting down after a task failed: it accepts no new tasks (see signal.reason)',
      );
    }
    const task = newTask(fn as () => Awaited<T>, options, 'TaskGroup.createTask');
    this.#tasks.push(task);
    task.then(undefined, (error: unknown) => {
      if (this.#errors.length === 0) this.#abort.abort(error);
      this.#errors.push(error);
    });
    return task;
  }

  /**
   * Waits for every task, including ones created while waiting; rejects with
   * TaskGroupError if any failed. The end of an `await using` block calls it.
   *
   * @example
   * ```ts
   * const group = new TaskGroup();
   * group.createTask(() => loadUser(1));
   * await group.wait();
   * ```
   */
  async wait(): Promise<void> {
    // Tasks may be created while we wait: loop until a pass adds none.
    let awaited = 0;
    while (awaited < this.#tasks.length) {
      const batch = this.#tasks.slice(awaited);
      awaited = this.#tasks.length;
      await Promise.allSettled(batch);
    }
    this.#closed = true;
    if (this.#errors.length > 0) throw new TaskGroupError(this.#errors);
  }

  /** Waits as {@link TaskGroup.wait} does, so `await using group = new TaskGroup()` waits at the end of the block. */
  [ASYNC_DISPOSE](): Promise<void> {
    return this.wait();
  }
}
identify(TaskGroup, 'TaskGroup');

/**
 * Options of {@link callSoon} and {@link callLater}.
 *
 * @example
 * ```ts
 * const ctx = copyContext();
 * callSoon(() => requestId.set('r-2'), { context: ctx }); // the change lands in ctx
 * ```
 */
export interface CallOptions {
  /** The Context the callback runs in. Default: a copy of the current one, taken now. */
  readonly context?: Context;
}

/**
 * A scheduled callback (Python's `asyncio.Handle`/`TimerHandle`).
 *
 * @example
 * ```ts
 * const handle = callLater(1000, () => console.log('late'));
 * handle.cancel(); // never runs
 * ```
 */
export interface Handle {
  /** Stops the callback from running, if it has not run yet. */
  cancel(): void;
  /** Whether {@link Handle.cancel} was called. */
  readonly cancelled: boolean;
}

type Cancel = () => void;

const runSoon: (callback: () => void) => Cancel =
  typeof setImmediate === 'function'
    ? (callback) => {
        const immediate = setImmediate(callback);
        return () => clearImmediate(immediate);
      }
    : (callback) => {
        const timer = setTimeout(callback, 0);
        return () => clearTimeout(timer);
      };

function schedule(
  method: string,
  callback: () => void,
  options: CallOptions | undefined,
  enqueue: (run: () => void) => Cancel,
): Handle {
  assertFunction(callback, method);
  const context = contextOption(readOptions(options, method, CALL_OPTIONS).context, method);
  let cancelled = false;
  const cancel = enqueue(() => context.run(callback));
  return {
    cancel() {
      cancelled = true;
      cancel();
    },
    get cancelled() {
      return cancelled;
    },
  };
}

/**
 * Runs `callback` on a later turn of the event loop, in a copy of the current
 * Context taken now or in `options.context` (Python's `loop.call_soon`).
 * Arguments travel in a closure: `callSoon(() => cb(a, b))`.
 *
 * @throws {TypeError} when `callback` is not a function, or `options` is not an object.
 *
 * @example
 * ```ts
 * requestId.set('r-1');
 * callSoon(() => log(requestId.get())); // 'r-1', whatever is set after this line
 * ```
 */
export function callSoon(callback: () => void, options?: CallOptions): Handle {
  return schedule('callSoon', callback, options, runSoon);
}

/**
 * setTimeout's longest delay, 2^31 - 1 ms (about 24.8 days): a longer one
 * fires after 1 ms with a TimeoutOverflowWarning.
 */
const MAX_TIMER_DELAY = 2 ** 31 - 1;

/**
 * @internal The next timer of a callLater whose callback is due in
 * `remainingMs`: wait the rest when setTimeout can, else its longest delay
 * and look again (asyncio's call_later accepts any delay; so does callLater).
 */
export function nextTimer(remainingMs: number): { readonly wait: number; readonly last: boolean } {
  if (remainingMs > MAX_TIMER_DELAY) return { wait: MAX_TIMER_DELAY, last: false };
  return { wait: Math.max(remainingMs, 0), last: true };
}

/** Runs `run` once `delayMs` has passed, chaining timers when setTimeout cannot wait that long. */
function runLater(delayMs: number, run: () => void): Cancel {
  if (delayMs <= MAX_TIMER_DELAY) {
    const timer = setTimeout(run, delayMs);
    return () => clearTimeout(timer);
  }
  // The deadline is read from a monotonic clock, so a timer that fires late or early corrects the next one.
  const deadline = performance.now() + delayMs;
  let timer: ReturnType<typeof setTimeout>;
  const arm = (): void => {
    const { wait, last } = nextTimer(deadline - performance.now());
    timer = setTimeout(last ? run : arm, wait);
  };
  arm();
  return () => clearTimeout(timer);
}

/**
 * Runs `callback` after `delayMs` milliseconds, in a copy of the current
 * Context taken now or in `options.context` (Python's `loop.call_later`).
 * Any finite delay works: one longer than setTimeout allows (about 24.8
 * days) is waited out by a chain of timers, and `cancel()` stops it.
 *
 * @throws {TypeError} when `delayMs` is not a number, `callback` is not a function, or `options` is not an object.
 * @throws {RangeError} when `delayMs` is negative, NaN or infinite.
 *
 * @example
 * ```ts
 * const handle = callLater(50, () => flush(requestId.get()));
 * ```
 */
export function callLater(delayMs: number, callback: () => void, options?: CallOptions): Handle {
  if (typeof delayMs !== 'number') {
    throw new TypeError(`callLater expects delayMs to be a number of milliseconds, got ${repr(delayMs)}`);
  }
  if (!Number.isFinite(delayMs) || delayMs < 0) {
    throw new RangeError(`callLater expects a finite delay of 0 ms or more as delayMs, got ${repr(delayMs)}`);
  }
  return schedule('callLater', callback, options, (run) => runLater(delayMs, run));
}

/**
 * Binds `fn` to the current snapshot: each call runs in a fresh copy of the
 * values current now, wherever and whenever it is called, and its changes do
 * not outlive the call. For event handlers and callbacks handed to code that
 * schedules them later.
 *
 * @example
 * ```ts
 * requestId.set('r-1');
 * const onDone = bind(() => log(requestId.get()));
 * requestId.set('r-2');
 * emitter.on('done', onDone); // logs 'r-1'
 * ```
 */
export function bind<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R;
/**
 * Binds an emitter (docs/semantics.md, S11): every listener added to it from
 * now on runs with the values current when it was added, as if passed
 * through `bind(fn)` then. Returns the emitter. Works for Node's
 * `EventEmitter` (`on`, `once`, `prependListener`, ...; `off` and
 * `removeListener` with the original function still remove it) and for an
 * `EventTarget`. Binding an emitter twice changes nothing.
 *
 * @throws {TypeError} when `emitter` is neither a function nor an emitter.
 *
 * @example
 * ```ts
 * createServer((req, res) => {
 *   requestId.set(String(req.headers['x-request-id']));
 *   bind(req).on('end', () => res.end(requestId.get())); // this request's id, not the socket's
 *   req.resume();
 * });
 * ```
 */
export function bind<E extends EventEmitterLike | EventTarget>(emitter: E): E;
export function bind(target: unknown): unknown {
  if (typeof target !== 'function') {
    if (!isEmitter(target)) {
      throw new TypeError(`bind expects a function or an emitter, got ${repr(target)}`);
    }
    return bindListeners(target, BOUND, (listener) => bind(listener));
  }
  const fn = target as (...args: unknown[]) => unknown;
  const template = copyContext();
  return function bound(this: unknown, ...args: unknown[]): unknown {
    return template.copy().run(() => fn.apply(this, args));
  };
}

/** Marks an emitter `bind` has patched. */
const BOUND: unique symbol = Symbol('contextvars.bind');
