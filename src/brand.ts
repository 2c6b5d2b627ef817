/**
 * Cross-copy identity. The ESM and CommonJS builds of this package can both
 * be loaded in one process, and they share one scope storage (see
 * runtime/index.ts), so a value set through one copy is visible through the
 * other. Their classes must then also recognise each other's instances:
 * `instanceof ContextVar` tests a registered brand, not the prototype chain.
 *
 * @module
 */

const brands: symbol[] = [];

/** Makes `instanceof cls` true for any instance of a class branded `name`, from any copy. */
export function brand(cls: { readonly prototype: object }, name: string): void {
  const key = Symbol.for(`contextvars.${name}`);
  brands.push(key);
  Object.defineProperty(cls.prototype, key, { value: true });
  Object.defineProperty(cls, Symbol.hasInstance, {
    value: (value: unknown): boolean =>
      typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[key] === true,
  });
}

/** Whether `value` is an instance of one of this library's branded classes (they all render themselves). */
export function isBranded(value: object): boolean {
  return brands.some((key) => (value as Record<symbol, unknown>)[key] === true);
}
