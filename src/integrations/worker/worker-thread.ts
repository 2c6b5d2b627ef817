/**
 * The script every worker started by `contextvars/worker` runs: it answers
 * each {@link TaskRequest} by importing the task's module (which creates its
 * shared variables, registering their keys in this thread), then calling the
 * exported function in a new Context holding the caller's values.
 *
 * Invariants: one task at a time per worker, each in its own Context, so a
 * pooled worker never carries one task's values into the next; every reply
 * is tagged with the protocol and its request's id, and messages without
 * that tag (posted by the task's own code) are not requests.
 *
 * @module
 */
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { Context } from '../../index.ts';
import {
  encodeThrown,
  firstLine,
  isProtocolMessage,
  PROTOCOL,
  sharedVariables,
  type HeldRequest,
  type TaskReply,
  type TaskRequest,
} from './protocol.ts';

/**
 * The error for a task module this runtime cannot load at all, such as
 * TypeScript on a Node.js that does not strip types (20, and 22 before
 * 22.18 without --experimental-strip-types): it names the cause and what to
 * do. A loader such as tsx in the main thread does not reach worker threads.
 * Any other failure to import is left as it is.
 */
function unloadable(module: string, error: unknown): unknown {
  if ((error as { code?: unknown } | null)?.code !== 'ERR_UNKNOWN_FILE_EXTENSION') return error;
  const extension = /\.[^./]+$/.exec(new URL(module).pathname)?.[0] ?? 'this kind of';
  const remedy = /^\.[cm]?tsx?$/.test(extension)
    ? 'compile it to JavaScript and pass the .js file, or run on a Node.js that strips TypeScript types ' +
      'itself (22.18+, 23.6+); a loader such as tsx in the main thread does not reach worker threads'
    : 'pass a .js, .mjs or .cjs module';
  const message =
    `the task module ${module} cannot be loaded in a worker thread: ` +
    `Node.js ${process.version} does not run ${extension} files (${firstLine(error)}): ${remedy}`;
  return Object.assign(new TypeError(message, { cause: error }), { code: 'ERR_UNKNOWN_FILE_EXTENSION' });
}

async function callTask(request: TaskRequest): Promise<unknown> {
  let namespace: Record<string, unknown>;
  try {
    namespace = (await import(request.module)) as Record<string, unknown>;
  } catch (error) {
    throw unloadable(request.module, error);
  }
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
    for (const [key, value] of request.payload.values) variables.get(key)?.set(value);
    return (fn as (...args: unknown[]) => unknown)(...request.payload.args);
  });
}

async function answer(request: TaskRequest): Promise<void> {
  const what = `the error thrown by ${request.exportName}() in ${request.module}`;
  let reply: TaskReply;
  try {
    reply = { protocol: PROTOCOL, id: request.id, ok: true, value: await callTask(request) };
  } catch (error) {
    reply = { protocol: PROTOCOL, id: request.id, ok: false, thrown: encodeThrown(error, what) };
  }
  try {
    parentPort!.postMessage(reply);
  } catch (cloneError) {
    // Only a result can fail here: encodeThrown made the error cloneable.
    const error = new TypeError(
      `the result of ${request.exportName}() in ${request.module} cannot be copied back to the calling thread ` +
        `(${firstLine(cloneError)}): return data that structured clone can copy`,
    );
    parentPort!.postMessage({ protocol: PROTOCOL, id: request.id, ok: false, thrown: encodeThrown(error, what) });
  }
}

// runInWorker's request comes in workerData; a pool's requests come as messages, one at a time.
const first = (workerData as { request?: unknown } | null)?.request;
if (isProtocolMessage(first)) void answer(first as TaskRequest);
parentPort?.on('message', (message: unknown) => {
  if (!isProtocolMessage(message)) return;
  if (!('port' in message)) {
    void answer(message as TaskRequest);
    return;
  }
  // A request that waited in the pool's queue, copied into this port when the call was made.
  const { port } = message as HeldRequest;
  const request = receiveMessageOnPort(port)?.message as unknown;
  port.close();
  if (isProtocolMessage(request)) void answer(request as TaskRequest);
});
