/**
 * The checks of what a caller passes to runInWorker and WorkerPool.run:
 * each refuses a value of the wrong kind with an error naming the option
 * and what to pass instead.
 */
import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Context } from '../../index.ts';
import { repr } from '../../brand.ts';
import type { ModuleSpecifier } from './api.ts';

export function signalOption(signal: unknown, api: string): AbortSignal | undefined {
  if (signal === undefined) return undefined;
  let ok = false;
  try {
    ok =
      typeof signal === 'object' &&
      signal !== null &&
      typeof (signal as AbortSignal).aborted === 'boolean' &&
      typeof (signal as AbortSignal).addEventListener === 'function' &&
      typeof (signal as AbortSignal).removeEventListener === 'function';
  } catch {
    ok = false;
  }
  if (!ok) throw new TypeError(`${api}'s signal option must be an AbortSignal, got ${repr(signal)}`);
  return signal as AbortSignal;
}

/** setTimeout's longest delay: a longer one would fire after 1 ms. */
const MAX_TIMEOUT = 2 ** 31 - 1;

export function timeoutOption(timeout: unknown, api: string): number | undefined {
  if (timeout === undefined) return undefined;
  if (typeof timeout !== 'number') {
    throw new TypeError(`${api}'s timeout option must be a number of milliseconds, got ${repr(timeout)}`);
  }
  if (!(timeout > 0 && timeout <= MAX_TIMEOUT)) {
    throw new RangeError(
      `${api}'s timeout option must be above 0 and at most ${MAX_TIMEOUT} ms, got ${repr(timeout)}: ` +
        `leave it out for no timeout`,
    );
  }
  return timeout;
}

export function isArray(value: unknown): value is readonly unknown[] {
  try {
    return Array.isArray(value);
  } catch {
    return false; // a revoked Proxy
  }
}

export function isContext(value: unknown): value is Context {
  try {
    return value instanceof Context;
  } catch {
    return false; // a revoked Proxy, or a Proxy whose getPrototypeOf throws
  }
}

export function moduleUrl(module: ModuleSpecifier, api: string): string {
  let url: string | undefined;
  try {
    if (module instanceof URL) url = module.href;
  } catch {
    url = undefined;
  }
  if (url !== undefined) return url;
  if (typeof module === 'string') {
    if (isAbsolute(module)) return pathToFileURL(module).href;
    if (/^[a-z][a-z0-9+.-]+:/i.test(module)) return module;
  }
  throw new TypeError(
    `${api}: the task's module must be a URL or an absolute path, got ${repr(module)}: ` +
      `use new URL('./tasks.js', import.meta.url) (or require.resolve('./tasks.js') in CommonJS)`,
  );
}
