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
 * - `synchronous`: no AsyncLocalStorage (other engines, Node.js before
 *   20.16); values follow synchronous calls and explicit binding only, and a
 *   `set` outside every run is refused (S10).
 * - `browser`: the browser build's storage (browser/storage.ts).
 *
 * Each strategy is a file of its own; storage.ts states the contract.
 *
 * The storage is created once per process and shared by every copy of the
 * library (the scope machinery keeps it with the rest of its shared state).
 *
 * @module
 */
import type * as AsyncHooks from 'node:async_hooks';
import { createAsyncContextFrameStorage } from './async-context-frame.ts';
import { createAsyncHooksStorage } from './async-hooks.ts';
import { createBrowserStorage } from './browser/storage.ts';
import type { ScopeStorage } from './storage.ts';
import { createSynchronousStorage } from './synchronous.ts';

/** Replaced by `true` in the browser build (tsup `define`), where the browser storage is chosen. */
declare const __CONTEXTVARS_BROWSER__: boolean | undefined;

/** The runtime's storage: AsyncLocalStorage where there is one, else the synchronous fallback. */
export function createStorage(): ScopeStorage {
  if (typeof __CONTEXTVARS_BROWSER__ === 'boolean' && __CONTEXTVARS_BROWSER__) return createBrowserStorage();
  const asyncStorage = createAsyncLocalStorage();
  if (!('missing' in asyncStorage)) return asyncStorage;
  warnSynchronousFallback(asyncStorage.missing);
  return createSynchronousStorage(asyncStorage.missing);
}

/**
 * What the runtime lacks for asynchronous propagation, named so that the
 * fallback warning can tell the user what to upgrade.
 */
interface MissingPrimitive {
  readonly missing: string;
}

/**
 * Loads node:async_hooks without a top-level import, so the same bundle runs
 * in browsers (no module) and in Node, Bun and Deno (`getBuiltinModule`).
 */
function loadAsyncHooks(): typeof AsyncHooks | MissingPrimitive {
  const { process } = globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } };
  if (typeof process?.getBuiltinModule !== 'function') {
    return { missing: 'process.getBuiltinModule' };
  }
  try {
    const hooks = process.getBuiltinModule('node:async_hooks') as typeof AsyncHooks | undefined;
    return hooks ?? { missing: 'node:async_hooks' };
  } catch {
    return { missing: 'node:async_hooks' };
  }
}

/** Storage on one AsyncLocalStorage, or what the runtime lacks to build it. */
function createAsyncLocalStorage(): ScopeStorage | MissingPrimitive {
  const hooks = loadAsyncHooks();
  if ('missing' in hooks) return hooks;
  if (typeof hooks.AsyncLocalStorage !== 'function') return { missing: 'AsyncLocalStorage' };
  const als = new hooks.AsyncLocalStorage<object>();
  if (typeof als.enterWith !== 'function' || typeof als.run !== 'function') {
    return { missing: 'AsyncLocalStorage enterWith and run' };
  }

  // Node 20 and 22 keep the store on the execution resource under this key.
  const resourceStore: unknown = (als as unknown as { kResourceStore?: unknown }).kResourceStore;
  if (
    typeof resourceStore === 'symbol' &&
    typeof hooks.executionAsyncResource === 'function' &&
    typeof hooks.createHook === 'function'
  ) {
    return createAsyncHooksStorage(als, resourceStore, hooks);
  }
  return createAsyncContextFrameStorage(als, hooks);
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
    'values follow synchronous calls and explicit binding only, not await, timers or I/O, and a set() ' +
    'outside Context.run() or ContextVar.run() throws UnsupportedRuntimeError.';
  if (typeof process.emitWarning === 'function') {
    process.emitWarning(message, 'ContextvarsWarning', SYNCHRONOUS_FALLBACK_WARNING);
  } else {
    console.warn(message);
  }
}
