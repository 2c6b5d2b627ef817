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
  Object.defineProperty(cls, Symbol.hasInstance, { value: (value: unknown): boolean => hasBrand(value, key) });
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
  switch (typeof value) {
    case 'string':
      return `'${value}'`;
    case 'function':
      return `function ${safely(() => value.name, '') || '(anonymous)'}`;
    case 'object':
      if (value === null) return 'null';
      return safely(() => objectRepr(value), '[object]');
    case 'symbol':
      return value.toString();
    default:
      return String(value);
  }
}

function objectRepr(value: object): string {
  if (Array.isArray(value)) return `Array(${value.length})`;
  if (brands.some((key) => hasBrand(value, key))) return String(value);
  const name: unknown = value.constructor?.name;
  return `[object ${typeof name === 'string' && name !== '' ? name : 'Object'}]`;
}

function safely<T>(read: () => T, fallback: T): T {
  try {
    return read();
  } catch {
    return fallback;
  }
}
