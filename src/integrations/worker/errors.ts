/**
 * The errors of contextvars/worker, each an exported class with a stable
 * name (see errorClass in src/errors.ts).
 */
import { repr } from '../../brand.ts';
import { errorClass } from '../../errors.ts';

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
