/**
 * {@link WorkerPool}: a fixed number of workers, reused across tasks, with a
 * queue for the tasks that wait for one.
 */
import { availableParallelism } from 'node:os';
import { repr } from '../../brand.ts';
import { readOptions } from '../../checks.ts';
import type { AnyTask, ModuleSpecifier, RunInWorkerOptions, TaskFunction } from './api.ts';
import { type Call, copied, release, taskCall, taskName } from './call.ts';
import { WorkerAbortError, WorkerPoolClosedError } from './errors.ts';
import { TaskThread } from './thread.ts';

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
