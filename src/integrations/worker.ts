/**
 * Running a function in a `worker_threads` Worker with a copy of the current
 * context: Python's `asyncio.to_thread` and 3.14's `Thread(context=...)`.
 *
 * A worker is another JavaScript realm: it cannot receive functions, and a
 * ContextVar there is a different object from the one here. So:
 * - the function is named by module URL and export name, and the worker
 *   imports that module;
 * - only variables made with {@link sharedContextVar} travel, matched by the
 *   key given at creation: the module that creates them must be imported on
 *   both sides (directly or through the task's module);
 * - their values travel by structured clone, copied when the call is made; a
 *   value clone cannot carry (a function, a socket, a revoked Proxy) is
 *   refused before any worker starts, with a {@link ContextCloneError}
 *   naming the variable;
 * - replies are tagged with their task's id (see worker-protocol.ts), so
 *   nothing the task's own code posts can settle a call.
 * The worker runs the function in a new Context holding those values; what it
 * sets there stays there (as in Python, the thread's copy does not flow back).
 *
 * @module
 */
import { availableParallelism } from 'node:os';
import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import { MessageChannel, Worker } from 'node:worker_threads';
import { Context, ContextVar, copyContext, type ContextVarOptions } from '../index.ts';
import { repr } from '../brand.ts';
import { readOptions } from '../checks.ts';
import { errorClass } from '../errors.ts';
import { isPropagated } from './propagation/declarations.ts';
import {
  decodeThrown,
  firstLine,
  isProtocolMessage,
  PROTOCOL,
  sharedVariables,
  type HeldRequest,
  type TaskPayload,
  type TaskReply,
  type TaskRequest,
} from './worker-protocol.ts';

/**
 * A value of a shared variable cannot be copied into a worker thread by
 * structured clone (a function, a symbol, a socket or another host object).
 * Thrown (as a rejection) before any worker starts.
 *
 * @example
 * ```ts
 * const onDone = sharedContextVar<() => void>('app.onDone');
 * onDone.set(() => {});
 * await runInWorker(tasks, 'work', []).catch((error) => {
 *   error instanceof ContextCloneError; // true
 *   error.key; // 'app.onDone'
 * });
 * ```
 */
export class ContextCloneError extends Error {
  /** The key of the shared variable whose value could not be copied. */
  readonly key: string;

  /** Made by `runInWorker` and `WorkerPool.run`; `cause` is the DataCloneError of structured clone. */
  constructor(key: string, value: unknown, options?: { cause?: unknown }) {
    super(
      `shared ContextVar '${key}' holds ${repr(value)}, which cannot be copied into a worker thread: ` +
        `structured clone copies data (primitives, plain objects, arrays, Map, Set, Date, typed arrays, errors), ` +
        `not functions, symbols, sockets or other host objects. Share the data the worker needs instead, ` +
        `or keep this value in a variable made with new ContextVar(), which never travels to workers`,
      options,
    );
    this.key = key;
  }
}
errorClass(ContextCloneError, 'ContextCloneError');

/**
 * A worker stopped (exited, crashed or was terminated) before the task it
 * was running settled.
 *
 * @example
 * ```ts
 * // tasks.js: export function quit() { process.exit(3); }
 * await runInWorker(tasks, 'quit', []).catch((error) => {
 *   error instanceof WorkerExitedError; // true
 *   error.exitCode; // 3
 * });
 * ```
 */
export class WorkerExitedError extends Error {
  /** The worker's exit code. */
  readonly exitCode: number;

  /** Made by `runInWorker` and `WorkerPool.run`; `task` names the function and its module. */
  constructor(task: string, exitCode: number) {
    super(
      `the worker running ${task} stopped with exit code ${exitCode} before the task settled: ` +
        `a task must not call process.exit() and must handle its own errors in callbacks it schedules`,
    );
    this.exitCode = exitCode;
  }
}
errorClass(WorkerExitedError, 'WorkerExitedError');

/**
 * A task ran longer than the `timeout` option of {@link runInWorker} or
 * {@link WorkerPool.run} allowed. Its worker was terminated (a pool starts a
 * new one); other calls are not affected.
 *
 * @example
 * ```ts
 * // tasks.js: export function hang() { return new Promise(() => {}); }
 * await pool.run(tasks, 'hang', [], { timeout: 100 }).catch((error) => {
 *   error instanceof WorkerTimeoutError; // true
 *   error.timeout; // 100
 * });
 * ```
 */
export class WorkerTimeoutError extends Error {
  /** The timeout that ran out, in milliseconds. */
  readonly timeout: number;

  /** Made by `runInWorker` and `WorkerPool.run`; `task` names the function and its module. */
  constructor(task: string, timeout: number) {
    super(
      `${task} did not settle within its timeout of ${timeout} ms: its worker was terminated. ` +
        `Raise the timeout option, or make the task finish sooner`,
    );
    this.timeout = timeout;
  }
}
errorClass(WorkerTimeoutError, 'WorkerTimeoutError');

/**
 * The `signal` option of {@link runInWorker} or {@link WorkerPool.run}
 * aborted before the task settled. `cause` is the signal's reason and `code`
 * is `'ABORT_ERR'`, as in Node's own AbortError. A running task's worker was
 * terminated (a pool starts a new one); a queued task never started.
 *
 * @example
 * ```ts
 * const controller = new AbortController();
 * const call = pool.run(tasks, 'resize', ['a.png', 64], { signal: controller.signal });
 * controller.abort();
 * await call.catch((error) => {
 *   error instanceof WorkerAbortError; // true
 *   error.code; // 'ABORT_ERR'
 * });
 * ```
 */
export class WorkerAbortError extends Error {
  /** `'ABORT_ERR'`, for code that checks Node's convention. */
  readonly code = 'ABORT_ERR';

  /** Made by `runInWorker` and `WorkerPool.run`; `task` names the function and its module. */
  constructor(task: string, reason: unknown) {
    super(`${task} was aborted by its signal before it settled`, { cause: reason });
  }
}
errorClass(WorkerAbortError, 'WorkerAbortError');

/**
 * A {@link WorkerPool} was terminated: `run` after `terminate()`, and every
 * task still queued or running when `terminate()` was called, reject with it.
 *
 * @example
 * ```ts
 * const pool = new WorkerPool({ size: 2 });
 * await pool.terminate();
 * await pool.run(tasks, 'work', []).catch((error) => {
 *   error instanceof WorkerPoolClosedError; // true
 * });
 * ```
 */
export class WorkerPoolClosedError extends Error {}
errorClass(WorkerPoolClosedError, 'WorkerPoolClosedError');

/**
 * Creates a ContextVar whose value is copied into worker threads, registered
 * in this thread under `key`. Create it at the top level of a module that the
 * task's module imports too: the worker creates its own variable with the same
 * key, and `runInWorker`/`WorkerPool.run` set it there to the caller's value.
 *
 * Values must be data that structured clone copies (class instances arrive as
 * plain objects). Variables made with `new ContextVar()` never travel.
 *
 * @param key - the name that identifies the variable in every thread; it is also the variable's name.
 * @param options - as for `new ContextVar` (the default is not sent: each thread has its own).
 * @throws {TypeError} when `key` is not a non-empty string, or a shared variable with this key already exists in this thread.
 *
 * @example
 * ```ts
 * // context.js, imported by the server and by tasks.js
 * import { sharedContextVar } from 'contextvars/worker';
 * export const requestId = sharedContextVar<string>('app.requestId');
 * ```
 */
export function sharedContextVar<T>(key: string, options?: ContextVarOptions<T>): ContextVar<T> {
  if (typeof key !== 'string' || key === '') {
    throw new TypeError(`sharedContextVar expects a non-empty string key, got ${repr(key)}`);
  }
  const variables = sharedVariables();
  if (variables.has(key)) {
    throw new TypeError(
      `a shared ContextVar with key '${key}' already exists in this thread: create each shared variable once, ` +
        `at the top level of a module, and import it where you need it`,
    );
  }
  const variable = new ContextVar<T>(key, options);
  variables.set(key, variable as ContextVar<unknown>);
  return variable;
}

/**
 * Options of {@link runInWorker} and {@link WorkerPool.run}.
 *
 * @example
 * ```ts
 * const context = new Context();
 * context.run(() => requestId.set('r-9'));
 * await runInWorker(tasks, 'report', [], { context }); // the task reads 'r-9'
 * await pool.run(tasks, 'resize', ['a.png', 64], { timeout: 5_000, signal: request.signal });
 * ```
 */
export interface RunInWorkerOptions {
  /** The Context whose shared variables the task receives. Default: the current one. */
  readonly context?: Context;
  /**
   * Which of that Context's shared variables go: `'shared'` (the default)
   * every one with a value; `'propagated'` only those also declared with
   * contextvars/propagation's `propagate`, the variables that cross to other
   * services, so one declaration decides what leaves the thread too.
   */
  readonly carry?: 'shared' | 'propagated';
  /**
   * Cancels the call: if the signal aborts before the task settles, the call
   * rejects with {@link WorkerAbortError} (its `cause` is `signal.reason`). A
   * queued call leaves the queue; a running task's worker is terminated (a
   * pool replaces it), since a running function cannot be stopped otherwise.
   * Already aborted: the call rejects at once and nothing is sent.
   */
  readonly signal?: AbortSignal;
  /**
   * The longest time, in milliseconds, the task may run once a worker has
   * started it (time spent queued in a pool does not count; to bound the
   * whole wait, pass `signal: AbortSignal.timeout(ms)`). When it runs out the
   * worker is terminated (a pool replaces it) and the call rejects with
   * {@link WorkerTimeoutError}. A number above 0 and at most 2147483647.
   */
  readonly timeout?: number;
}

/**
 * Where a task's module is: a URL, a URL string (`file:`, `data:`), or an
 * absolute file path. A relative path is refused: relative to what would be
 * a guess.
 *
 * @example
 * ```ts
 * const tasks: ModuleSpecifier = new URL('./tasks.js', import.meta.url);
 * const sameTasks: ModuleSpecifier = '/srv/app/dist/tasks.js';
 * ```
 */
export type ModuleSpecifier = string | URL;

/** Any function a task module may export; without a type argument, a task takes unknown arguments. */
type TaskFunction = (...args: never[]) => unknown;
type AnyTask = (...args: unknown[]) => unknown;

/**
 * Calls the function exported as `exportName` by `module` in a new worker
 * thread, with `args` and a copy of the current context's shared variables
 * (see {@link sharedContextVar}), and resolves with its (awaited) result.
 * The worker is terminated once the function settles. For many calls, a
 * {@link WorkerPool} reuses its workers.
 *
 * Arguments and shared values are copied by structured clone when
 * `runInWorker` is called; later changes to them do not travel. The result
 * is copied back by structured clone. A thrown Error keeps its name,
 * message, stack, `cause`, `code` and the own enumerable properties
 * structured clone can copy, and is an instance of its nearest built-in
 * error type (`TypeError`, `RangeError`, ...). Anything the task's code
 * posts on `parentPort` itself is ignored.
 *
 * @throws {ContextCloneError} (rejection) when a shared variable's value cannot be cloned; no worker starts.
 * @throws {TypeError} (rejection) when `module` is a relative path, an argument cannot be cloned, or an option has the wrong type.
 * @throws {WorkerExitedError} (rejection) when the worker exits before the function settles.
 * @throws {WorkerTimeoutError} (rejection) when `options.timeout` runs out first.
 * @throws {WorkerAbortError} (rejection) when `options.signal` aborts first.
 *
 * @example
 * ```ts
 * import { runInWorker } from 'contextvars/worker';
 * import { requestId } from './context.js';
 * import type { resize } from './tasks.js';
 *
 * requestId.set('r-1');
 * // tasks.js: export function resize(path, width) { ... requestId.get() === 'r-1' ... }
 * const out = await runInWorker<typeof resize>(new URL('./tasks.js', import.meta.url), 'resize', ['a.png', 64]);
 * ```
 */
export async function runInWorker<F extends TaskFunction = AnyTask>(
  module: ModuleSpecifier,
  exportName: string,
  args: Parameters<F>,
  options?: RunInWorkerOptions,
): Promise<Awaited<ReturnType<F>>> {
  const call = taskCall('runInWorker', module, exportName, args, options);
  const { signal } = call.limits;
  if (signal?.aborted === true) throw new WorkerAbortError(taskName(call.request), signal.reason);
  // The request rides in workerData, which copies it now and spares a round trip.
  const thread = new TaskThread(undefined, call);
  try {
    return (await thread.run(call)) as Awaited<ReturnType<F>>;
  } finally {
    void thread.terminate();
  }
}

/**
 * Options of {@link WorkerPool}'s constructor.
 *
 * @example
 * ```ts
 * const pool = new WorkerPool({ size: 4 });
 * ```
 */
export interface WorkerPoolOptions {
  /** How many workers run tasks at once. Default: the machine's parallelism minus one, at least 1. */
  readonly size?: number;
}

interface Queued {
  readonly call: Call;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
  /** Stops listening to the call's signal while it waits in the queue. */
  leave(): void;
}

/**
 * A fixed number of worker threads that run tasks one at a time each, in the
 * order `run` was called; extra tasks wait in a queue. Workers start on
 * demand, are reused across tasks (each task runs in a fresh Context, so no
 * values carry over), and do not keep the process alive while idle. A worker
 * that exits, crashes (an uncaught error), times out or is aborted is
 * replaced; only the task it was running fails.
 *
 * @example
 * ```ts
 * import { WorkerPool } from 'contextvars/worker';
 *
 * const pool = new WorkerPool({ size: 4 });
 * const tasks = new URL('./tasks.js', import.meta.url);
 * const sizes = await Promise.all(files.map((file) => pool.run(tasks, 'resize', [file, 64])));
 * await pool.terminate();
 * ```
 */
export class WorkerPool {
  /**
   * The number of workers the pool runs at most.
   *
   * @example
   * ```ts
   * new WorkerPool({ size: 3 }).size; // 3
   * ```
   */
  readonly size: number;
  readonly #idle: TaskThread[] = [];
  readonly #threads = new Set<TaskThread>();
  readonly #queue: Queued[] = [];
  #closed = false;

  /**
   * @throws {TypeError} when `options` is not an object, or `size` is not a number.
   * @throws {RangeError} when `size` is not a positive integer.
   */
  constructor(options?: WorkerPoolOptions) {
    const { size = Math.max(1, availableParallelism() - 1) } = readOptions(options, 'WorkerPool', ['size']);
    if (typeof size !== 'number') {
      throw new TypeError(`WorkerPool's size option must be a number, got ${repr(size)}`);
    }
    if (!Number.isInteger(size) || size < 1) {
      throw new RangeError(`WorkerPool size must be a positive integer, got ${repr(size)}`);
    }
    this.size = size;
  }

  /**
   * Runs the function exported as `exportName` by `module` in one of the
   * pool's workers, as {@link runInWorker} does, and resolves with its result.
   * Arguments and shared values are copied now, not when a worker is free.
   *
   * @throws {WorkerPoolClosedError} (rejection) after {@link WorkerPool.terminate}.
   * @throws {ContextCloneError} (rejection) when a shared variable's value cannot be cloned; nothing is queued.
   * @throws {WorkerTimeoutError} (rejection) when `options.timeout` runs out; the worker is replaced.
   * @throws {WorkerAbortError} (rejection) when `options.signal` aborts first.
   *
   * @example
   * ```ts
   * requestId.set('r-1');
   * await pool.run<typeof resize>(tasks, 'resize', ['a.png', 64]); // the task reads 'r-1'
   * await pool.run(tasks, 'resize', ['b.png', 64], { timeout: 5_000 }); // a hung task cannot hold its caller
   * ```
   */
  async run<F extends TaskFunction = AnyTask>(
    module: ModuleSpecifier,
    exportName: string,
    args: Parameters<F>,
    options?: RunInWorkerOptions,
  ): Promise<Awaited<ReturnType<F>>> {
    if (this.#closed) {
      throw new WorkerPoolClosedError(
        `this WorkerPool was terminated: create a new one to run ${typeof exportName === 'string' ? exportName : 'a task'}()`,
      );
    }
    let call = taskCall('WorkerPool.run', module, exportName, args, options);
    const { request } = call;
    const { signal } = call.limits;
    if (signal?.aborted === true) throw new WorkerAbortError(taskName(request), signal.reason);
    // A call that goes to a worker at once is copied by postMessage, within this call; one that waits is copied now.
    if (this.#queue.length > 0 || (this.#idle.length === 0 && this.#threads.size >= this.size)) call = copied(call);
    return (await new Promise<unknown>((resolve, reject) => {
      const onAbort = (): void => {
        const index = this.#queue.indexOf(queued);
        if (index !== -1) this.#queue.splice(index, 1);
        release(call);
        reject(new WorkerAbortError(taskName(request), signal?.reason));
      };
      const queued: Queued = {
        call,
        resolve,
        reject,
        leave: () => signal?.removeEventListener('abort', onAbort),
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#queue.push(queued);
      this.#dispatch();
    })) as Awaited<ReturnType<F>>;
  }

  /**
   * Stops every worker. Tasks still queued or running reject with
   * {@link WorkerPoolClosedError}; later `run` calls reject too.
   *
   * @example
   * ```ts
   * await pool.terminate();
   * ```
   */
  async terminate(): Promise<void> {
    this.#closed = true;
    const closed = (): Error => new WorkerPoolClosedError('the WorkerPool was terminated before this task settled');
    for (const queued of this.#queue.splice(0)) {
      queued.leave();
      release(queued.call);
      queued.reject(closed());
    }
    const threads = [...this.#threads];
    this.#threads.clear();
    this.#idle.length = 0;
    await Promise.all(threads.map((thread) => thread.terminate(closed())));
  }

  #dispatch(): void {
    while (this.#queue.length > 0) {
      let thread = this.#idle.pop();
      if (thread === undefined) {
        if (this.#threads.size >= this.size) return;
        try {
          thread = new TaskThread((gone) => this.#forget(gone));
        } catch (error) {
          // No worker could start (e.g. out of resources): the call that needed one fails, the queue waits.
          const queued = this.#queue.shift()!;
          queued.leave();
          release(queued.call);
          queued.reject(error);
          continue;
        }
        this.#threads.add(thread);
      }
      const queued = this.#queue.shift()!;
      queued.leave();
      const running = thread.run(queued.call);
      running.then(queued.resolve, queued.reject);
      const done = (): void => {
        // A worker that crashed, timed out or was aborted is already gone (#forget) and not reused.
        if (!this.#closed && thread.alive) this.#idle.push(thread);
        this.#dispatch();
      };
      running.then(done, done);
    }
  }

  /** Forgets a worker that is gone; queued tasks get a new one. */
  #forget(thread: TaskThread): void {
    this.#threads.delete(thread);
    const idle = this.#idle.indexOf(thread);
    if (idle !== -1) this.#idle.splice(idle, 1);
    if (!this.#closed) this.#dispatch();
  }
}

/** The per-call limits, validated. */
interface Limits {
  readonly signal: AbortSignal | undefined;
  readonly timeout: number | undefined;
}

/** One call: what is sent, its limits, and the API it was made through (for messages). */
interface Call {
  readonly api: string;
  readonly request: TaskRequest;
  readonly limits: Limits;
  /** For a call that waits in a queue: the channel its request was posted into (copied) when it was made. */
  readonly held?: MessageChannel;
}

interface Running {
  readonly id: number;
  readonly task: string;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/**
 * One worker running the script in worker-thread.ts, one task at a time. It
 * keeps the process alive only while a task runs. A request given to the
 * constructor travels in `workerData` and is answered first; later ones
 * travel by message.
 *
 * Invariant: once a worker is gone — an uncaught error, an exit, a timeout,
 * an abort or terminate() — `alive` is false before the task it was running
 * settles, so a pool never hands that worker another task.
 */
class TaskThread {
  readonly #worker: Worker;
  readonly #onGone: ((thread: TaskThread) => void) | undefined;
  #running: Running | undefined;
  #alive = true;
  #started: TaskRequest | undefined;

  constructor(onGone?: (thread: TaskThread) => void, first?: Call) {
    try {
      this.#worker = new Worker(workerScript(), first === undefined ? {} : { workerData: { request: first.request } });
    } catch (error) {
      throw first === undefined ? error : sendFailure(first, error);
    }
    this.#onGone = onGone;
    this.#started = first?.request;
    this.#worker.unref();
    this.#worker.on('message', (message: unknown) => {
      const running = this.#running;
      // Anything else was posted by the task's own code: it settles nothing.
      if (running === undefined || !isProtocolMessage(message) || message.id !== running.id) return;
      const reply = message as TaskReply;
      this.#running = undefined;
      this.#worker.unref();
      if (reply.ok) running.resolve(reply.value);
      else running.reject(decodeThrown(reply.thrown));
    });
    // An uncaught exception in the worker (outside the task's own promise): the worker is dying.
    this.#worker.on('error', (error) => this.#retire(error));
    // A message that cannot be deserialized here: the worker's state is unknown, so it is not reused.
    this.#worker.on('messageerror', (error) => this.#retire(error));
    this.#worker.on('exit', (exitCode) => {
      const running = this.#running;
      this.#retire(running === undefined ? undefined : new WorkerExitedError(running.task, exitCode));
    });
  }

  get alive(): boolean {
    return this.#alive;
  }

  run(call: Call): Promise<unknown> {
    const { request, limits } = call;
    const { signal, timeout } = limits;
    const task = taskName(request);
    if (!this.#alive) {
      release(call);
      return Promise.reject(new WorkerExitedError(task, 1));
    }
    return new Promise<unknown>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const onAbort = (): void => this.#retire(new WorkerAbortError(task, signal?.reason));
      const stop = (): void => {
        if (timer !== undefined) clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      this.#running = {
        id: request.id,
        task,
        resolve: (value) => {
          stop();
          resolve(value);
        },
        reject: (error) => {
          stop();
          reject(error);
        },
      };
      this.#worker.ref();
      if (timeout !== undefined) {
        timer = setTimeout(() => this.#retire(new WorkerTimeoutError(task, timeout)), timeout);
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      if (request === this.#started) {
        this.#started = undefined;
        return;
      }
      try {
        if (call.held === undefined) {
          this.#worker.postMessage(request);
        } else {
          const { port1, port2 } = call.held;
          const held: HeldRequest = { protocol: PROTOCOL, id: request.id, port: port2 };
          this.#worker.postMessage(held, [port2]);
          port1.close();
        }
      } catch (error) {
        // Nothing reached the worker: it stays idle and usable.
        release(call);
        this.#running = undefined;
        this.#worker.unref();
        stop();
        reject(sendFailure(call, error));
      }
    });
  }

  /** Stops the worker; a running task rejects with `reason`, else with WorkerExitedError. */
  async terminate(reason?: Error): Promise<void> {
    this.#retire(reason);
    await this.#worker.terminate();
  }

  /**
   * Marks the worker gone (once), rejects its running task with `error`,
   * stops it and tells the pool.
   */
  #retire(error: unknown): void {
    const running = this.#running;
    const wasAlive = this.#alive;
    this.#running = undefined;
    this.#alive = false;
    running?.reject(error ?? new WorkerExitedError(running.task, 1));
    if (!wasAlive) return;
    this.#worker.unref();
    void this.#worker.terminate();
    this.#onGone?.(this);
  }
}

let nextTaskId = 1;

/**
 * Builds the call, refusing before any worker is involved what has the wrong
 * type. The payload is the caller's own arguments and values: it is copied
 * when it is sent (postMessage, workerData) or, for a call that waits in a
 * pool's queue, by {@link copied} — either way within the call that made it,
 * so later changes to those objects never reach the task.
 */
function taskCall(
  api: string,
  module: ModuleSpecifier,
  exportName: string,
  args: readonly unknown[],
  options: RunInWorkerOptions | undefined,
): Call {
  if (typeof exportName !== 'string' || exportName === '') {
    throw new TypeError(`${api} expects the name of the function the module exports, got ${repr(exportName)}`);
  }
  if (!isArray(args)) {
    throw new TypeError(`${api} expects the task's arguments as an array, got ${repr(args)}: pass [] for none`);
  }
  const url = moduleUrl(module, api);
  const {
    context = copyContext(),
    carry = 'shared',
    signal,
    timeout,
  } = readOptions(options, api, ['context', 'carry', 'signal', 'timeout']);
  if (carry !== 'shared' && carry !== 'propagated') {
    throw new TypeError(`${api}'s carry option must be 'shared' or 'propagated', got ${repr(carry)}`);
  }
  if (!isContext(context)) {
    throw new TypeError(`${api}'s context option must be a Context, got ${repr(context)}`);
  }
  const limits: Limits = { signal: signalOption(signal, api), timeout: timeoutOption(timeout, api) };
  const values: Array<readonly [string, unknown]> = [];
  for (const [key, variable] of sharedVariables()) {
    if (carry === 'propagated' && !isPropagated(variable)) continue;
    if (context.has(variable)) values.push([key, context.get(variable)]);
  }
  const payload: TaskPayload = { args, values };
  return { api, request: { protocol: PROTOCOL, id: nextTaskId++, module: url, exportName, payload }, limits };
}

/**
 * The call with its request copied now, for a call that waits before it is
 * sent: it is posted into a channel of its own, whose receiving port the
 * worker gets later. One structured-clone serialization, as for a call sent
 * at once, and nothing of it is rebuilt in this thread.
 */
function copied(call: Call): Call {
  const held = new MessageChannel();
  try {
    held.port1.postMessage(call.request);
  } catch (error) {
    held.port1.close();
    throw sendFailure(call, error);
  }
  return { ...call, held };
}

/** Frees the channel of a held call that will never be sent. */
function release(call: Call): void {
  call.held?.port1.close();
}

/** Why sending a call failed: its payload, if that cannot be cloned; else `error` as it is. */
function sendFailure(call: Call, error: unknown): unknown {
  try {
    structuredClone(call.request.payload);
  } catch (cloneError) {
    return cloneFailure(call, cloneError);
  }
  return error;
}

/** Which part of a payload could not be cloned: a shared value (named by its key), else an argument. */
function cloneFailure({ api, request }: Call, cause: unknown): Error {
  for (const [key, value] of request.payload.values) {
    try {
      structuredClone(value);
    } catch (valueCause) {
      return new ContextCloneError(key, value, { cause: valueCause });
    }
  }
  return new TypeError(
    `${api}: an argument of ${request.exportName}() cannot be copied into a worker thread (${firstLine(cause)}): ` +
      `pass data that structured clone can copy`,
    { cause },
  );
}

function signalOption(signal: unknown, api: string): AbortSignal | undefined {
  if (signal === undefined) return undefined;
  let ok = false;
  try {
    ok =
      typeof signal === 'object' &&
      signal !== null &&
      typeof (signal as AbortSignal).aborted === 'boolean' &&
      typeof (signal as AbortSignal).addEventListener === 'function' &&
      typeof (signal as AbortSignal).removeEventListener === 'function';
  } catch {
    ok = false;
  }
  if (!ok) throw new TypeError(`${api}'s signal option must be an AbortSignal, got ${repr(signal)}`);
  return signal as AbortSignal;
}

/** setTimeout's longest delay: a longer one would fire after 1 ms. */
const MAX_TIMEOUT = 2 ** 31 - 1;

function timeoutOption(timeout: unknown, api: string): number | undefined {
  if (timeout === undefined) return undefined;
  if (typeof timeout !== 'number') {
    throw new TypeError(`${api}'s timeout option must be a number of milliseconds, got ${repr(timeout)}`);
  }
  if (!(timeout > 0 && timeout <= MAX_TIMEOUT)) {
    throw new RangeError(
      `${api}'s timeout option must be above 0 and at most ${MAX_TIMEOUT} ms, got ${repr(timeout)}: ` +
        `leave it out for no timeout`,
    );
  }
  return timeout;
}

function isArray(value: unknown): value is readonly unknown[] {
  try {
    return Array.isArray(value);
  } catch {
    return false; // a revoked Proxy
  }
}

function isContext(value: unknown): value is Context {
  try {
    return value instanceof Context;
  } catch {
    return false; // a revoked Proxy, or a Proxy whose getPrototypeOf throws
  }
}

function moduleUrl(module: ModuleSpecifier, api: string): string {
  let url: string | undefined;
  try {
    if (module instanceof URL) url = module.href;
  } catch {
    url = undefined;
  }
  if (url !== undefined) return url;
  if (typeof module === 'string') {
    if (isAbsolute(module)) return pathToFileURL(module).href;
    if (/^[a-z][a-z0-9+.-]+:/i.test(module)) return module;
  }
  throw new TypeError(
    `${api}: the task's module must be a URL or an absolute path, got ${repr(module)}: ` +
      `use new URL('./tasks.js', import.meta.url) (or require.resolve('./tasks.js') in CommonJS)`,
  );
}

function taskName(request: TaskRequest): string {
  return `${request.exportName}() from ${request.module}`;
}

/**
 * The worker script sits beside the code that starts it, in the same format:
 * worker-thread.ts in the sources, dist/worker-thread.js or .cjs when built
 * (bundled chunks land in dist/ too).
 */
function workerScript(): URL {
  const here = typeof __filename === 'string' ? pathToFileURL(__filename).href : import.meta.url;
  const extension = /\.(ts|mts|cts|js|mjs|cjs)$/.exec(new URL(here).pathname)?.[1] ?? 'js';
  return new URL(`./worker-thread.${extension}`, here);
}
