/**
 * How the browser runtime replaces a web API and puts it back: every
 * replacement is recorded in the {@link Installation} it belongs to, so
 * that uninstalling restores each original descriptor exactly.
 *
 * @module
 */
import { runIn } from './cell.ts';

// biome-ignore lint/suspicious/noExplicitAny: a web API's own signature is not known here
export type AnyFunction = (...args: any[]) => unknown;

/** One installation of the wrapping: how to undo each replacement, in order. */
export interface Installation {
  readonly restore: (() => void)[];
}

/** Replaces `owner[key]` (a method or accessor), remembering how to put it back; a missing owner or key is skipped. */
export function patch(
  installation: Installation,
  owner: object | undefined,
  key: string,
  replace: (original: PropertyDescriptor) => PropertyDescriptor,
): void {
  if (owner === undefined || owner === null) return;
  const descriptor = Object.getOwnPropertyDescriptor(owner, key);
  if (descriptor === undefined) return;
  Object.defineProperty(owner, key, {
    ...replace(descriptor),
    enumerable: descriptor.enumerable === true,
    configurable: true,
  });
  installation.restore.push(() => Object.defineProperty(owner, key, descriptor));
}

/** Replaces the method `owner[key]` by `make(original)`, keeping its name and length. */
export function wrapMethod(
  installation: Installation,
  owner: object | undefined,
  key: string,
  make: (original: AnyFunction) => AnyFunction,
): void {
  patch(installation, owner, key, (d) => {
    const original = d.value as unknown;
    if (typeof original !== 'function') return d;
    const replacement = make(original as AnyFunction);
    Object.defineProperty(replacement, 'name', { value: key });
    Object.defineProperty(replacement, 'length', { value: original.length });
    return { ...d, value: replacement };
  });
}

/** Calls `before(this)` ahead of the setter of the accessor `owner[key]`. */
export function beforeSetter(
  installation: Installation,
  owner: object | undefined,
  key: string,
  before: (self: object) => void,
): void {
  patch(installation, owner, key, (d) => {
    const set = d.set;
    if (set === undefined) return d;
    return {
      ...d,
      set(this: object, value: unknown) {
        before(this);
        set.call(this, value);
      },
    };
  });
}

/** `fn` run in `scope` whenever it is called; non-functions (a string handler, undefined) pass through. */
export function bindCallback<T>(fn: T, scope: object | undefined): T {
  if (typeof fn !== 'function') return fn;
  const callback = fn as unknown as AnyFunction;
  return function (this: unknown, ...args: unknown[]) {
    return runIn(scope, callback, this, args);
  } as unknown as T;
}
