/**
 * The identity and rendering of this library's classes (ContextVar, Token,
 * Context, Task).
 *
 * Cross-copy identity: the ESM and CommonJS builds of this package can both
 * be loaded in one process, and they share one scope storage (see
 * runtime/index.ts), so a value set through one copy is visible through the
 * other. Their classes must then also recognise each other's instances:
 * `instanceof ContextVar` tests a registered brand, not the prototype chain.
 *
 * Rendering: each class has a `toString()` in Python's repr style; the brand
 * also makes it what `util.inspect`/`console.log` show, and names the class
 * for `Object.prototype.toString`.
 *
 * @module
 */

const brands: symbol[] = [];
const INSPECT = Symbol.for('nodejs.util.inspect.custom');

function inspect(this: object): string {
  return String(this);
}

/** Brands `cls` as `name`: cross-copy `instanceof`, a toStringTag, and `toString()` for util.inspect. */
export function brand(cls: { readonly prototype: object }, name: string): void {
  const key = Symbol.for(`contextvars.${name}`);
  brands.push(key);
  Object.defineProperties(cls.prototype, {
    [key]: { value: true },
    [Symbol.toStringTag]: { value: name, configurable: true },
    [INSPECT]: { value: inspect, configurable: true },
  });
  Object.defineProperty(cls, Symbol.hasInstance, {
    value: (value: unknown): boolean =>
      typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[key] === true,
  });
}

/** Whether `value` is an instance of one of this library's branded classes (they all render themselves). */
export function isBranded(value: object): boolean {
  return brands.some((key) => (value as Record<symbol, unknown>)[key] === true);
}
