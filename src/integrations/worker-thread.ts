/**
 * The script every worker started by `contextvars/worker` runs: it answers
 * each {@link TaskRequest} by importing the task's module (which creates its
 * shared variables, registering their keys in this thread), then calling the
 * exported function in a new Context holding the caller's values.
 *
 * Invariant: one task at a time per worker, each in its own Context, so a
 * pooled worker never carries one task's values into the next.
 *
 * @module
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Context } from '../index.ts';
import { sharedVariables, type TaskReply, type TaskRequest } from './worker-protocol.ts';

async function callTask(request: TaskRequest): Promise<unknown> {
  const namespace = (await import(request.module)) as Record<string, unknown>;
  // A CommonJS module's exports may only be reachable through `default`.
  const commonjs = namespace['default'] as Record<string, unknown> | undefined;
  const fn = namespace[request.exportName] ?? commonjs?.[request.exportName];
  if (typeof fn !== 'function') {
    throw new TypeError(
      `${request.module} has no exported function '${request.exportName}' ` +
        `(its exports: ${Object.keys(namespace).join(', ') || 'none'})`,
    );
  }
  const variables = sharedVariables();
  return new Context().run(() => {
    // Keys no module in this worker created have no variable here that code could read.
    for (const [key, value] of request.values) variables.get(key)?.set(value);
    return (fn as (...args: unknown[]) => unknown)(...request.args);
  });
}

function errorReply(id: number, error: unknown): TaskReply {
  return error instanceof Error ? { id, ok: false, error, errorName: error.name } : { id, ok: false, error };
}

async function answer(request: TaskRequest): Promise<void> {
  let reply: TaskReply;
  try {
    reply = { id: request.id, ok: true, value: await callTask(request) };
  } catch (error) {
    reply = errorReply(request.id, error);
  }
  try {
    parentPort!.postMessage(reply);
  } catch (cloneError) {
    const what = reply.ok ? 'result' : 'error';
    parentPort!.postMessage(
      errorReply(
        request.id,
        new TypeError(
          `the ${what} of ${request.exportName}() in ${request.module} cannot be copied back to the calling thread ` +
            `(${(cloneError as Error).message.split('\n')[0]}): return data that structured clone can copy`,
        ),
      ),
    );
  }
}

// runInWorker's request comes in workerData; a pool's requests come as messages, one at a time.
const first = (workerData as { request?: TaskRequest } | null)?.request;
if (first !== undefined) void answer(first);
parentPort?.on('message', (request: TaskRequest) => {
  void answer(request);
});
