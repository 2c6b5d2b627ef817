/**
 * How the current scope travels with scheduled work. This module is the only
 * place that knows which propagation primitive the runtime has; callers see
 * one {@link ScopeStorage} and never branch on it.
 *
 * - `async-context-frame`: AsyncLocalStorage on the runtime's own frames
 *   (Node 24+, Bun, Deno), where `enterWith` lasts until the end of the
 *   current callback (Deno has exceptions: docs/runtimes.md).
 * - `async-hooks`: AsyncLocalStorage built on async_hooks (Node 20, 22),
 *   where `enterWith` would outlive the callback; the adapter puts the
 *   previous store back when the callback ends (async_hooks `after`).
 * - `synchronous`: no AsyncLocalStorage (browsers, other engines); values
 *   follow synchronous calls and explicit binding only.
 *
 * The storage is created once per process and shared by every copy of the
 * library (the scope machinery keeps it with the rest of its shared state).
 *
 * @module
 */
import { createAsyncLocalStorage } from './async-local-storage.ts';
import { createSynchronousStorage } from './synchronous.ts';
import { createBrowserStorage } from './browser/storage.ts';

/** Replaced by `true` in the browser build (tsup `define`), where the browser storage is chosen. */
declare const __CONTEXTVARS_BROWSER__: boolean | undefined;

/** Which propagation mechanism the runtime provides. */
export type StorageKind = 'async-context-frame' | 'async-hooks' | 'synchronous' | 'browser';

/** The store that follows scheduled work: one value per execution frame. */
export interface ScopeStorage {
  readonly kind: StorageKind;
  /** The scope of the running frame, or undefined before any was entered. */
  current(): object | undefined;
  /** Makes `scope` current for the rest of the running frame and for all work it schedules from now on. */
  enter(scope: object): void;
  /** Calls `fn` with `scope` current; the previous scope is current again when it returns or throws. */
  run<A extends unknown[], R>(scope: object, fn: (...args: A) => R, args: A): R;
  /**
   * `run` with the scope `derive(current, a, b)` computes from the current
   * one: the runtime reads the current scope once for both.
   */
  runDerived<A extends unknown[], R, P, Q>(
    derive: (current: object | undefined, a: P, b: Q) => object,
    a: P,
    b: Q,
    fn: (...args: A) => R,
    args: A,
  ): R;
}

/** The runtime's storage: AsyncLocalStorage where there is one, else the synchronous fallback. */
export function createStorage(): ScopeStorage {
  if (typeof __CONTEXTVARS_BROWSER__ === 'boolean' && __CONTEXTVARS_BROWSER__) return createBrowserStorage();
  const asyncStorage = createAsyncLocalStorage();
  if (!('missing' in asyncStorage)) return asyncStorage;
  warnSynchronousFallback(asyncStorage.missing);
  return createSynchronousStorage();
}

/** The `code` of the warning emitted when a server runtime falls back to synchronous propagation. */
const SYNCHRONOUS_FALLBACK_WARNING = 'CONTEXTVARS_SYNCHRONOUS_FALLBACK';

/**
 * Tells the user, once per process (the storage is created once), that values
 * will not follow `await`. Browsers are expected to lack AsyncLocalStorage and
 * stay silent; a runtime that reports a Node.js version (Node, Bun, Deno,
 * edge runtimes with Node compatibility) was expected to have it.
 */
function warnSynchronousFallback(missing: string): void {
  const { process } = globalThis as {
    process?: {
      versions?: { node?: unknown };
      emitWarning?: (message: string, type: string, code: string) => void;
    };
  };
  if (typeof process?.versions?.node !== 'string') return;
  const message =
    `contextvars: no ${missing} (Node.js 20.16+, Bun and Deno have it); synchronous fallback: ` +
    'values follow synchronous calls and explicit binding only, not await, timers or I/O.';
  if (typeof process.emitWarning === 'function') {
    process.emitWarning(message, 'ContextvarsWarning', SYNCHRONOUS_FALLBACK_WARNING);
  } else {
    console.warn(message);
  }
}
