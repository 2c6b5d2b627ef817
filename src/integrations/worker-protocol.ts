/**
 * What the calling thread and a worker thread agree on: the registry of
 * shared variables (matched by key, since a ContextVar is an identity that
 * exists once per thread) and the messages of one task.
 *
 * Invariant: the registry lives on `globalThis` under a registered symbol, so
 * every copy of this library loaded in one thread (ESM and CommonJS builds
 * alike) sees the same keys.
 *
 * @module
 */
import type { ContextVar } from '../index.ts';

const REGISTRY = Symbol.for('contextvars.worker.sharedVariables.v1');

type WithRegistry = { [REGISTRY]?: Map<string, ContextVar<unknown>> };

/** The shared variables created in this thread, by key. */
export function sharedVariables(): Map<string, ContextVar<unknown>> {
  const registry = globalThis as WithRegistry;
  registry[REGISTRY] ??= new Map();
  return registry[REGISTRY];
}

/** One call of an exported function in a worker. */
export interface TaskRequest {
  readonly id: number;
  /** A URL the worker can `import()`. */
  readonly module: string;
  readonly exportName: string;
  readonly args: readonly unknown[];
  /** The calling context's shared variables that have a value: [key, value]. */
  readonly values: ReadonlyArray<readonly [string, unknown]>;
}

/** The settled outcome of a {@link TaskRequest}. */
export type TaskReply =
  | { readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly id: number; readonly ok: false; readonly error: unknown; readonly errorName?: string };
