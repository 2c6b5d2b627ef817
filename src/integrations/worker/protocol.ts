/**
 * What the calling thread and a worker thread agree on: the registry of
 * shared variables (matched by key, since a ContextVar is an identity that
 * exists once per thread), the messages of one task, and how a thrown error
 * travels.
 *
 * Invariants:
 * - the registry lives on `globalThis` under a registered symbol, so every
 *   copy of this library loaded in one thread (ESM and CommonJS builds alike)
 *   sees the same keys;
 * - every request and reply carries {@link PROTOCOL} and its task's id. The
 *   task's own code shares `parentPort` with us: anything it posts lacks the
 *   tag (or names no running task) and is ignored, so it can never settle,
 *   or shift, a call;
 * - structured clone drops an error's own properties (`code`, `errno`, ...)
 *   and the name of a subclass, so an Error travels as an {@link EncodedError}
 *   and is rebuilt on arrival as an instance of its nearest built-in type.
 *
 * @module
 */
import type { MessagePort } from 'node:worker_threads';
import type { ContextVar } from '../../index.ts';

const REGISTRY = Symbol.for('contextvars.worker.sharedVariables.v1');

type WithRegistry = { [REGISTRY]?: Map<string, ContextVar<unknown>> };

/** The shared variables created in this thread, by key. */
export function sharedVariables(): Map<string, ContextVar<unknown>> {
  const registry = globalThis as WithRegistry;
  registry[REGISTRY] ??= new Map();
  return registry[REGISTRY];
}

/** The tag on every message of this protocol; a message without it is the task's own. */
export const PROTOCOL = 'contextvars/worker v2';

/** What a call sends, copied once, when the call was made. */
export interface TaskPayload {
  readonly args: readonly unknown[];
  /** The calling context's shared variables that have a value: [key, value]. */
  readonly values: ReadonlyArray<readonly [string, unknown]>;
}

/** One call of an exported function in a worker. */
export interface TaskRequest {
  readonly protocol: typeof PROTOCOL;
  readonly id: number;
  /** A URL the worker can `import()`. */
  readonly module: string;
  readonly exportName: string;
  readonly payload: TaskPayload;
}

/**
 * A request that waited in a pool's queue: it was posted into `port` when the
 * call was made (so it was copied then, once), and the worker reads it from
 * there with `receiveMessageOnPort`.
 */
export interface HeldRequest {
  readonly protocol: typeof PROTOCOL;
  readonly id: number;
  readonly port: MessagePort;
}

/** The settled outcome of a {@link TaskRequest}. */
export type TaskReply =
  | { readonly protocol: typeof PROTOCOL; readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly protocol: typeof PROTOCOL; readonly id: number; readonly ok: false; readonly thrown: EncodedThrown };

/** Whether `message` is a request or reply of this protocol (and not something the task's code posted). */
export function isProtocolMessage(message: unknown): message is TaskRequest | HeldRequest | TaskReply {
  return (
    typeof message === 'object' &&
    message !== null &&
    (message as { protocol?: unknown }).protocol === PROTOCOL &&
    typeof (message as { id?: unknown }).id === 'number'
  );
}

/** The built-in error types an error is rebuilt as: the nearest one on its prototype chain. */
const BASES = {
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
  AggregateError,
} as const;
type BaseName = keyof typeof BASES;

/** An Error as data: everything structured clone can carry of it. */
export interface EncodedError {
  readonly base: BaseName;
  readonly name: string;
  readonly message: string;
  readonly stack: string | undefined;
  /** Present when the error has an own `cause`. */
  readonly cause?: EncodedThrown;
  /** An AggregateError's errors. */
  readonly errors?: readonly EncodedThrown[];
  /** Own enumerable properties (and `code`) that structured clone can copy. */
  readonly properties: ReadonlyArray<readonly [string, unknown]>;
}

/** A thrown value: an Error as {@link EncodedError}, anything else as cloneable data. */
export type EncodedThrown = { readonly error: EncodedError } | { readonly value: unknown };

/** Nested causes and aggregated errors deeper than this travel as their message only. */
const MAX_DEPTH = 8;

/**
 * Encodes a value thrown in this thread so that it can be posted. Never throws:
 * a value it cannot read or clone becomes a TypeError saying so.
 */
export function encodeThrown(thrown: unknown, what: string, depth = 0): EncodedThrown {
  try {
    if (isError(thrown)) return { error: encodeError(thrown, what, depth) };
    return { value: structuredClone(thrown) };
  } catch (cloneError) {
    return {
      error: encodeError(
        new TypeError(
          `${what} cannot be copied back to the calling thread (${firstLine(cloneError)}): ` +
            `throw an Error, or data that structured clone can copy`,
        ),
        what,
        MAX_DEPTH,
      ),
    };
  }
}

function encodeError(error: Error, what: string, depth: number): EncodedError {
  const base = baseOf(error);
  const name = readString(() => error.name, base);
  const message = readString(() => error.message, '');
  const stack = read(() => error.stack);
  const encoded: { -readonly [K in keyof EncodedError]: EncodedError[K] } = {
    base,
    name,
    message,
    stack: typeof stack === 'string' ? stack : undefined,
    properties: [],
  };
  if (depth < MAX_DEPTH) {
    if (read(() => Object.hasOwn(error, 'cause')) === true) {
      encoded.cause = encodeThrown(
        read(() => error.cause),
        `the cause of ${what}`,
        depth + 1,
      );
    }
    const errors = base === 'AggregateError' ? read(() => (error as AggregateError).errors) : undefined;
    if (Array.isArray(errors)) {
      encoded.errors = errors.map((item: unknown) => encodeThrown(item, `an error aggregated in ${what}`, depth + 1));
    }
  }
  const properties: Array<readonly [string, unknown]> = [];
  const keys = read(() => Object.keys(error)) ?? [];
  // `code` is often inherited or a getter (DOMException, some libraries' errors): keep it when it is data.
  if (!keys.includes('code') && read(() => 'code' in error) === true) keys.push('code');
  for (const key of keys as string[]) {
    if (key === 'name' || key === 'message' || key === 'stack' || key === 'cause' || key === 'errors') continue;
    try {
      properties.push([key, structuredClone((error as unknown as Record<string, unknown>)[key])]);
    } catch {
      // A property structured clone cannot carry (a function, a socket) is left out.
    }
  }
  encoded.properties = properties;
  return encoded;
}

/** Rebuilds a value encoded by {@link encodeThrown} in another thread. */
export function decodeThrown(encoded: EncodedThrown): unknown {
  return 'error' in encoded ? decodeError(encoded.error) : encoded.value;
}

function decodeError(encoded: EncodedError): Error {
  const Base = BASES[encoded.base] ?? Error;
  const error =
    Base === AggregateError
      ? new AggregateError((encoded.errors ?? []).map(decodeThrown), encoded.message)
      : new (Base as ErrorConstructor)(encoded.message);
  const define = (key: string, value: unknown, enumerable: boolean): void => {
    Object.defineProperty(error, key, { value, writable: true, configurable: true, enumerable });
  };
  if (error.name !== encoded.name) define('name', encoded.name, false);
  if (encoded.stack !== undefined) define('stack', encoded.stack, false);
  if (encoded.cause !== undefined) define('cause', decodeThrown(encoded.cause), false);
  for (const [key, value] of encoded.properties) define(key, value, true);
  return error;
}

function isError(value: unknown): value is Error {
  try {
    return value instanceof Error;
  } catch {
    return false; // a revoked Proxy: not an Error we can read
  }
}

function baseOf(error: Error): BaseName {
  let prototype = read(() => Object.getPrototypeOf(error) as object | null);
  while (prototype !== null && prototype !== undefined) {
    for (const name of Object.keys(BASES) as BaseName[]) {
      if (prototype === BASES[name].prototype) return name;
    }
    prototype = read(() => Object.getPrototypeOf(prototype) as object | null);
  }
  return 'Error';
}

function read<T>(get: () => T): T | undefined {
  try {
    return get();
  } catch {
    return undefined;
  }
}

function readString(get: () => unknown, fallback: string): string {
  const value = read(get);
  return typeof value === 'string' ? value : fallback;
}

/** The first line of an error's message, for messages that quote it. */
export function firstLine(error: unknown): string {
  const message = read(() => (error instanceof Error ? error.message : String(error)));
  return (typeof message === 'string' ? message : 'an unreadable error').split('\n')[0] ?? '';
}
