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
 * - their values travel by structured clone; a value clone cannot carry (a
 *   function, a socket) is refused before any worker starts, with a
 *   {@link ContextCloneError} naming the variable.
 * The worker runs the function in a new Context holding those values; what it
 * sets there stays there (as in Python, the thread's copy does not flow back).
 *
 * @module
 */
import { availableParallelism } from 'node:os';
import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { repr } from '../brand.ts';
import { Context, ContextVar, copyContext, type ContextVarOptions } from '../index.ts';
import { sharedVariables, type TaskReply, type TaskRequest } from './worker-protocol.ts';

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
Object.defineProperty(ContextCloneError.prototype, 'name', { value: 'ContextCloneError', writable: true, configurable: true });

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
Object.defineProperty(WorkerExitedError.prototype, 'name', { value: 'WorkerExitedError', writable: true, configurable: true });

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
Object.defineProperty(WorkerPoolClosedError.prototype, 'name', { value: 'WorkerPoolClosedError', writable: true, configurable: true });

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
 * ```
 */
export interface RunInWorkerOptions {
  /** The Context whose shared variables the task receives. Default: the current one. */
  readonly context?: Context;
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
 * Arguments, shared values, the result and a thrown error are copied by
 * structured clone; an Error keeps its name, message and stack.
 *
 * @throws {ContextCloneError} (rejection) when a shared variable's value cannot be cloned; no worker starts.
 * @throws {TypeError} (rejection) when `module` is a relative path, or an argument cannot be cloned.
 * @throws {WorkerExitedError} (rejection) when the worker exits before the function settles.
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
  const request = taskRequest(0, module, exportName, args, options);
  // The request rides in workerData: arguments that cannot be cloned are refused before a thread exists.
  const thread = new TaskThread(undefined, request);
  try {
    return (await thread.run(request)) as Awaited<ReturnType<F>>;
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

/**
 * A fixed number of worker threads that run tasks one at a time each, in the
 * order `run` was called; extra tasks wait in a queue. Workers start on
 * demand, are reused across tasks (each task runs in a fresh Context, so no
 * values carry over), and do not keep the process alive while idle. A worker
 * that exits is replaced.
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
  readonly #queue: Array<{ request: TaskRequest; settle: (reply: Promise<unknown>) => void }> = [];
  #nextId = 1;
  #closed = false;

  /** @throws {RangeError} when `size` is not a positive integer. */
  constructor(options: WorkerPoolOptions = {}) {
    const { size = Math.max(1, availableParallelism() - 1) } = options;
    if (!Number.isInteger(size) || size < 1) {
      throw new RangeError(`WorkerPool size must be a positive integer, got ${repr(size)}`);
    }
    this.size = size;
  }

  /**
   * Runs the function exported as `exportName` by `module` in one of the
   * pool's workers, as {@link runInWorker} does, and resolves with its result.
   *
   * @throws {WorkerPoolClosedError} (rejection) after {@link WorkerPool.terminate}.
   * @throws {ContextCloneError} (rejection) when a shared variable's value cannot be cloned; nothing is queued.
   *
   * @example
   * ```ts
   * requestId.set('r-1');
   * await pool.run<typeof resize>(tasks, 'resize', ['a.png', 64]); // the task reads 'r-1'
   * ```
   */
  async run<F extends TaskFunction = AnyTask>(
    module: ModuleSpecifier,
    exportName: string,
    args: Parameters<F>,
    options?: RunInWorkerOptions,
  ): Promise<Awaited<ReturnType<F>>> {
    if (this.#closed) throw new WorkerPoolClosedError(`this WorkerPool was terminated: create a new one to run ${exportName}()`);
    const request = taskRequest(this.#nextId++, module, exportName, args, options);
    return (await new Promise<unknown>((resolve) => {
      this.#queue.push({ request, settle: resolve });
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
    for (const { settle } of this.#queue.splice(0)) settle(Promise.reject(closed()));
    const threads = [...this.#threads];
    this.#threads.clear();
    this.#idle.length = 0;
    await Promise.all(threads.map((thread) => thread.terminate(closed)));
  }

  #dispatch(): void {
    while (this.#queue.length > 0) {
      let thread = this.#idle.pop();
      if (thread === undefined) {
        if (this.#threads.size >= this.size) return;
        const started: TaskThread = new TaskThread(() => this.#replace(started));
        this.#threads.add(started);
        thread = started;
      }
      const { request, settle } = this.#queue.shift()!;
      const running = thread.run(request);
      settle(running);
      const done = (): void => {
        if (!this.#closed && thread.alive) this.#idle.push(thread);
        this.#dispatch();
      };
      running.then(done, done);
    }
  }

  /** Forgets a worker that exited; queued tasks get a new one. */
  #replace(thread: TaskThread): void {
    this.#threads.delete(thread);
    const idle = this.#idle.indexOf(thread);
    if (idle !== -1) this.#idle.splice(idle, 1);
    if (!this.#closed) this.#dispatch();
  }
}

/**
 * One worker running the script in worker-thread.ts, one task at a time. It
 * keeps the process alive only while a task runs. A request given to the
 * constructor travels in `workerData` and is answered first; later ones
 * travel by message.
 */
class TaskThread {
  readonly #worker: Worker;
  #running: { task: string; resolve: (value: unknown) => void; reject: (error: unknown) => void } | undefined;
  #alive = true;
  #terminated: (() => Error) | undefined;
  #started: TaskRequest | undefined;

  constructor(onExit?: () => void, first?: TaskRequest) {
    try {
      this.#worker = new Worker(workerScript(), first === undefined ? {} : { workerData: { request: first } });
    } catch (error) {
      if (first !== undefined && isDataCloneError(error)) throw argumentsError(first, error);
      throw error;
    }
    this.#started = first;
    this.#worker.unref();
    this.#worker.on('message', (reply: TaskReply) => {
      const running = this.#running;
      this.#running = undefined;
      this.#worker.unref();
      if (reply.ok) running?.resolve(reply.value);
      else running?.reject(restoreName(reply.error, reply.errorName));
    });
    // An uncaught exception in the worker (outside the task's own promise) is the real cause.
    this.#worker.on('error', (error) => this.#fail(error));
    // A reply that cannot be deserialized here would otherwise leave its task pending forever.
    this.#worker.on('messageerror', (error) => this.#fail(error));
    this.#worker.on('exit', (exitCode) => {
      this.#alive = false;
      const running = this.#running;
      if (running !== undefined) {
        this.#fail(this.#terminated?.() ?? new WorkerExitedError(running.task, exitCode));
      }
      onExit?.();
    });
  }

  get alive(): boolean {
    return this.#alive;
  }

  run(request: TaskRequest): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.#running = { task: `${request.exportName}() from ${request.module}`, resolve, reject };
      this.#worker.ref();
      if (request === this.#started) {
        this.#started = undefined;
        return;
      }
      try {
        this.#worker.postMessage(request);
      } catch (error) {
        this.#running = undefined;
        this.#worker.unref();
        reject(isDataCloneError(error) ? argumentsError(request, error) : error);
      }
    });
  }

  /** Stops the worker; a running task rejects with what `reason` throws, else with WorkerExitedError. */
  async terminate(reason?: () => Error): Promise<void> {
    this.#terminated = reason;
    await this.#worker.terminate();
  }

  #fail(error: unknown): void {
    const running = this.#running;
    this.#running = undefined;
    running?.reject(error);
  }
}

/** Builds the request, refusing before any worker is involved what cannot travel. */
function taskRequest(
  id: number,
  module: ModuleSpecifier,
  exportName: string,
  args: readonly unknown[],
  options: RunInWorkerOptions | undefined,
): TaskRequest {
  if (typeof exportName !== 'string' || exportName === '') {
    throw new TypeError(`expected the name of the function the module exports, got ${repr(exportName)}`);
  }
  if (!Array.isArray(args)) {
    throw new TypeError(`expected the task's arguments as an array, got ${repr(args)}: pass [] for none`);
  }
  const context = options?.context ?? copyContext();
  if (!(context instanceof Context)) {
    throw new TypeError(`the context option must be a Context, got ${repr(context)}`);
  }
  const values: Array<readonly [string, unknown]> = [];
  for (const [key, variable] of sharedVariables()) {
    if (!context.has(variable)) continue;
    const value = context.get(variable);
    try {
      structuredClone(value);
    } catch (cause) {
      throw new ContextCloneError(key, value, { cause });
    }
    values.push([key, value]);
  }
  return { id, module: moduleUrl(module), exportName, args, values };
}

function moduleUrl(module: ModuleSpecifier): string {
  if (module instanceof URL) return module.href;
  if (typeof module === 'string') {
    if (isAbsolute(module)) return pathToFileURL(module).href;
    if (/^[a-z][a-z0-9+.-]+:/i.test(module)) return module;
  }
  throw new TypeError(
    `the task's module must be a URL or an absolute path, got ${repr(module)}: ` +
      `use new URL('./tasks.js', import.meta.url) (or require.resolve('./tasks.js') in CommonJS)`,
  );
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

function restoreName(error: unknown, name: string | undefined): unknown {
  // Structured clone keeps only the built-in error names.
  if (error instanceof Error && name !== undefined && error.name !== name) {
    Object.defineProperty(error, 'name', { value: name, writable: true, configurable: true });
  }
  return error;
}

function isDataCloneError(error: unknown): boolean {
  return error instanceof Error && error.name === 'DataCloneError';
}

function argumentsError(request: TaskRequest, cause: unknown): TypeError {
  return new TypeError(
    `an argument of ${request.exportName}() cannot be copied into a worker thread (${firstLine(cause)}): ` +
      `pass data that structured clone can copy`,
    { cause },
  );
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
}
