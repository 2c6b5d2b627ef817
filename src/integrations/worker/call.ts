/**
 * A call to a task, built and checked before any worker is involved: the
 * request (module, export, arguments and the shared values of the caller's
 * context) and its limits.
 */
import { MessageChannel } from 'node:worker_threads';
import { copyContext } from '../../index.ts';
import { repr } from '../../brand.ts';
import { readOptions } from '../../checks.ts';
import { isPropagated } from '../propagation/declarations.ts';
import type { ModuleSpecifier, RunInWorkerOptions } from './api.ts';
import { ContextCloneError } from './errors.ts';
import { isArray, isContext, moduleUrl, signalOption, timeoutOption } from './options.ts';
import { firstLine, PROTOCOL, sharedVariables, type TaskPayload, type TaskRequest } from './protocol.ts';

/** The per-call limits, validated. */
export interface Limits {
  readonly signal: AbortSignal | undefined;
  readonly timeout: number | undefined;
}

/** One call: what is sent, its limits, and the API it was made through (for messages). */
export interface Call {
  readonly api: string;
  readonly request: TaskRequest;
  readonly limits: Limits;
  /** For a call that waits in a queue: the channel its request was posted into (copied) when it was made. */
  readonly held?: MessageChannel;
}

let nextTaskId = 1;

/**
 * Builds the call, refusing before any worker is involved what has the wrong
 * type. The payload is the caller's own arguments and values: it is copied
 * when it is sent (postMessage, workerData) or, for a call that waits in a
 * pool's queue, by {@link copied} — either way within the call that made it,
 * so later changes to those objects never reach the task.
 */
export function taskCall(
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
export function copied(call: Call): Call {
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
export function release(call: Call): void {
  call.held?.port1.close();
}

/** Why sending a call failed: its payload, if that cannot be cloned; else `error` as it is. */
export function sendFailure(call: Call, error: unknown): unknown {
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

export function taskName(request: TaskRequest): string {
  return `${request.exportName}() from ${request.module}`;
}
