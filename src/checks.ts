/**
 * Argument checks shared by the public API. Each names the API that was
 * called and what it expected, and renders the bad value safely.
 *
 * @module
 */
import { repr } from './brand.ts';

/**
 * The one template of argument errors: `${method} expects ${what}, got ${repr(value)}`,
 * naming the API that was called, what it takes and what it was given.
 */
export function expected(method: string, what: string, value: unknown): TypeError {
  return new TypeError(`${method} expects ${what}, got ${repr(value)}`);
}

/** Throws TypeError unless `fn` is a function; `method` names the API that was called. */
export function assertFunction(fn: unknown, method: string): asserts fn is (...args: never[]) => unknown {
  if (typeof fn !== 'function') throw expected(method, 'a function', fn);
}

/** Throws TypeError unless `options` is undefined or an object; `method` names the API. */
export function assertOptions(options: unknown, method: string, shape: string): asserts options is object | undefined {
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    throw expected(method, `its options as an object like ${shape} or nothing`, options);
  }
}

/**
 * Reads the named fields of an options argument once, so that a
 * getter runs once and a hostile object (a revoked Proxy, a throwing getter)
 * is a TypeError naming the API rather than whatever reading it threw. Also
 * used by contextvars/worker.
 */
export function readOptions<K extends string>(
  options: unknown,
  method: string,
  keys: readonly K[],
): { [P in K]?: unknown } {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null) {
    throw expected(method, `an options object ({ ${keys.join(', ')} }) or nothing`, options);
  }
  const read: { [P in K]?: unknown } = {};
  for (const key of keys) {
    try {
      read[key] = (options as Record<string, unknown>)[key];
    } catch (cause) {
      throw new TypeError(`${method} could not read options.${key}`, { cause });
    }
  }
  return read;
}
