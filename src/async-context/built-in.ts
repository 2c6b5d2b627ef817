/**
 * What makes a class written in TypeScript behave like one of the
 * specification's built-in constructors and functions: the spec's order of
 * operations, its fallback prototype, its CopyNameAndLength.
 *
 * Why a constructor here is a derived class that never calls `super()`: a
 * class constructor reads `newTarget.prototype` before its body runs, and a
 * base class falls back to `Object.prototype` when that is not an object. The
 * spec's `AsyncContext.Variable(options)` reads its options first and falls
 * back to `%AsyncContext.Variable.prototype%`; only a derived constructor that
 * returns an object of its own (its slots installed through {@link ReturnOverride}) lets the body
 * decide both. The class's own `[[Prototype]]` is then set back to
 * `Function.prototype`, as the spec has it.
 *
 * @module
 */

/** ECMAScript's "is an Object": functions are objects too. */
export function isObject(value: unknown): value is object {
  return (typeof value === 'object' && value !== null) || typeof value === 'function';
}

/**
 * Returns `target` from `new`, so that a subclass's private fields are
 * installed on an object this module chose (the slots of a built-in instance).
 */
export class ReturnOverride {
  constructor(target: object) {
    // biome-ignore lint/correctness/noConstructorReturn: the spec reads options before newTarget.prototype: the constructor returns the object it made in that order
    return target;
  }
}

/**
 * OrdinaryCreateFromConstructor's prototype: `newTarget.prototype` when it is
 * an object, else `fallback` (the spec takes the fallback from newTarget's
 * realm; this library has one realm per copy and uses its own).
 */
export function prototypeFromConstructor(newTarget: { readonly prototype: unknown }, fallback: object): object {
  const prototype = newTarget.prototype;
  return isObject(prototype) ? prototype : fallback;
}

/** Makes `cls` look like a built-in: `[[Prototype]]` Function.prototype, a fixed `name`, a toStringTag on its prototype. */
export function asBuiltInConstructor(cls: { readonly prototype: object }, name: string, tag: string): void {
  Object.setPrototypeOf(cls, Function.prototype);
  // A bundler that renames the class (to avoid a clash, or to minify) must not change what `.name` says.
  Object.defineProperty(cls, 'name', { value: name, configurable: true });
  Object.defineProperty(cls.prototype, Symbol.toStringTag, { value: tag, configurable: true });
}

/**
 * CopyNameAndLength(F, Target, prefix) of the ShadowRealm proposal, which
 * `AsyncContext.Snapshot.wrap` uses: `length` from Target's own numeric
 * `length` (integer part, at least 0, +Infinity kept), `name` as
 * `${prefix} ${Target.name}` when that is a string, else `${prefix} `.
 * Getters and proxy traps run in the spec's order; what they throw propagates.
 */
export function copyNameAndLength(wrapped: object, target: object, prefix: string): void {
  let length = 0;
  if (Object.hasOwn(target, 'length')) {
    const targetLength: unknown = (target as { length?: unknown }).length;
    if (typeof targetLength === 'number') {
      if (targetLength === Infinity) length = Infinity;
      else if (targetLength > 0) length = Math.trunc(targetLength);
    }
  }
  // A method's own length is already { value: 0, writable: false, enumerable: false, configurable: true }.
  if (length !== 0) Object.defineProperty(wrapped, 'length', { value: length });
  const targetName: unknown = (target as { name?: unknown }).name;
  Object.defineProperty(wrapped, 'name', { value: `${prefix} ${typeof targetName === 'string' ? targetName : ''}` });
}

/** `describe()` for receivers in TypeError messages: enough to tell what was passed. */
export function describeReceiver(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
  if (typeof value === 'object') {
    try {
      return `an object (${Object.prototype.toString.call(value).slice(8, -1)})`;
    } catch {
      return 'an object'; // a revoked proxy, a throwing toStringTag getter
    }
  }
  if (typeof value === 'string') return `the string '${value}'`;
  if (typeof value === 'symbol') return value.toString();
  return String(value);
}
