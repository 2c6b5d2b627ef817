/**
 * The cell the browser storage keeps the current scope in. It is the one
 * interface between the runtime and the code the `contextvars/bundler`
 * transform writes around each `await`: that code finds the cell under the
 * global symbol {@link CELL_KEY} names and reads and writes its `c`
 * directly, so every copy of the library on a page and every compiled file
 * share one cell.
 *
 * @module
 */

/**
 * The key of the global symbol (`Symbol.for(CELL_KEY)`) the cell is kept
 * under; the transform's emitted code names the same key.
 */
export const CELL_KEY = 'contextvars.browser.cell.v1';

/**
 * The shared cell: `c` is the current scope (undefined: none entered, the
 * empty context), `d` how many wrapped callbacks or `run` calls are on the
 * stack (events use it to tell a synchronous dispatch from one the event
 * loop starts). Compiled code creates it as `{ c: void 0, d: 0 }` when it
 * runs before the library.
 */
export interface ScopeCell {
  c: object | undefined;
  d: number;
}

const CELL = Symbol.for(CELL_KEY);
const global = globalThis as typeof globalThis & { [CELL]?: ScopeCell };
global[CELL] ??= { c: undefined, d: 0 };

/** The cell every copy of the library and all compiled code share. */
export const cell: ScopeCell = global[CELL];

/**
 * The scope current where each thrown object was first seen leaving a
 * callback the runtime ran (an `Error`, or any object thrown), for the
 * snapshot error and rejection events expose. A primitive thrown is not
 * recorded.
 */
export const thrownIn = new WeakMap<object, object | undefined>();

/** Records the scope current now for `error`, unless it was seen leaving an inner callback first. */
export function noteThrown(error: unknown): void {
  if (((typeof error === 'object' && error !== null) || typeof error === 'function') && !thrownIn.has(error))
    thrownIn.set(error, cell.c);
}

/**
 * Calls `fn` with `scope` current (undefined: the empty context), counting
 * the nesting in `cell.d`; the scope before is current again when `fn`
 * returns or throws. What `fn` throws is recorded in {@link thrownIn} with
 * the scope current at the throw, then thrown on unchanged.
 */
export function runIn<A extends unknown[], R>(
  scope: object | undefined,
  fn: (...args: A) => R,
  self: unknown,
  args: A,
): R {
  const outer = cell.c;
  cell.c = scope;
  cell.d++;
  try {
    return Reflect.apply(fn, self, args) as R;
  } catch (error) {
    noteThrown(error);
    throw error;
  } finally {
    cell.c = outer;
    cell.d--;
  }
}
