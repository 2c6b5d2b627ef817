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

/**
 * Cross-copy identity for `cls`: `instanceof cls` holds for instances made by
 * any copy of the library in the process (and of its subclasses), because it
 * tests a registered brand on the prototype chain instead of the chain's
 * identity. A user's subclass of `cls` keeps the ordinary `instanceof`.
 */
export function identify(cls: { readonly prototype: object }, name: string): symbol {
  const key = Symbol.for(`contextvars.${name}`);
  Object.defineProperty(cls.prototype, key, { value: true });
  Object.defineProperty(cls, Symbol.hasInstance, {
    value(this: unknown, value: unknown): boolean {
      return this === cls ? hasBrand(value, key) : Function.prototype[Symbol.hasInstance].call(this, value);
    },
  });
  return key;
}

/** Brands `cls` as `name`: cross-copy `instanceof` (identify), a toStringTag, and `toString()` for util.inspect. */
export function brand(cls: { readonly prototype: object }, name: string): void {
  brands.push(identify(cls, name));
  Object.defineProperties(cls.prototype, {
    [Symbol.toStringTag]: { value: name, configurable: true },
    [INSPECT]: { value: inspect, configurable: true },
  });
}

/** Whether `value` carries the brand `key`; false for anything that throws when asked (a revoked Proxy). */
function hasBrand(value: unknown, key: symbol): boolean {
  if (typeof value !== 'object' || value === null) return false;
  try {
    return (value as Record<symbol, unknown>)[key] === true;
  } catch {
    return false;
  }
}

/**
 * A short rendering of any value for error messages and repr, Python's
 * `repr` in spirit. It never throws: a value whose getters, `toString` or
 * Proxy traps throw renders by its type alone.
 */
export function repr(value: unknown): string {
  try {
    switch (typeof value) {
      case 'string':
        return `'${value}'`;
      case 'function':
        return `function ${value.name || '(anonymous)'}`;
      case 'symbol':
        return value.toString();
      case 'object':
        if (value === null) return 'null';
        if (Array.isArray(value)) return `Array(${value.length})`;
        if (brands.some((key) => hasBrand(value, key))) return String(value);
        return `[object ${value.constructor?.name || 'Object'}]`;
      default:
        return String(value);
    }
  } catch {
    return `[${typeof value}]`; // a Proxy trap, getter or toString threw
  }
}
