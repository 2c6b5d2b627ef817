/**
 * One worker, seen from the thread that started it: {@link TaskThread}
 * starts worker-thread.ts in a Worker, sends it calls one at a time and
 * settles each with the reply tagged with its id.
 */
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { type Call, release, sendFailure, taskName } from './call.ts';
import { WorkerAbortError, WorkerExitedError, WorkerTimeoutError } from './errors.ts';
import {
  decodeThrown,
  isProtocolMessage,
  PROTOCOL,
  type HeldRequest,
  type TaskReply,
  type TaskRequest,
} from './protocol.ts';

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
export class TaskThread {
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
