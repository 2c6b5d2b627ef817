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
 * - replies are tagged with their task's id (see protocol.ts), so
 *   nothing the task's own code posts can settle a call.
 * The worker runs the function in a new Context holding those values; what it
 * sets there stays there (as in Python, the thread's copy does not flow back).
 *
 *
 * The parts: api.ts (the two ways to run a task, and shared variables),
 * pool.ts, thread.ts (one worker, seen from this thread), call.ts (a call
 * built and checked before any worker is involved), options.ts, errors.ts,
 * protocol.ts (the messages both threads exchange) and worker-thread.ts (the
 * script every worker runs).
 *
 * @module
 */
export { type ModuleSpecifier, type RunInWorkerOptions, runInWorker, sharedContextVar } from './api.ts';
export {
  ContextCloneError,
  WorkerAbortError,
  WorkerExitedError,
  WorkerPoolClosedError,
  WorkerTimeoutError,
} from './errors.ts';
export { WorkerPool, type WorkerPoolOptions } from './pool.ts';
