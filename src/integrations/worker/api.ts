/**
 * The two ways to run a task in a worker thread, {@link runInWorker} (one
 * worker per call) and, in pool.ts, WorkerPool; and the variables whose
 * values travel with a task, made by {@link sharedContextVar}.
 */
import { ContextVar, type Context, type ContextVarOptions } from '../../index.ts';
import { repr } from '../../brand.ts';
import { taskCall, taskName } from './call.ts';
import { WorkerAbortError } from './errors.ts';
import { sharedVariables } from './protocol.ts';
import { TaskThread } from './thread.ts';

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
export type TaskFunction = (...args: never[]) => unknown;
export type AnyTask = (...args: unknown[]) => unknown;

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
