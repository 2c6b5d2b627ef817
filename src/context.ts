/**
 * Context and copyContext: the public face of a flow (scope.ts). A Context
 * is a read-only Map of ContextVar -> value; `run` makes it the flow of the
 * code it calls, so every set and reset there is recorded in it (S4).
 *
 * @module
 */
import { brand, repr } from './brand.ts';
import { assertFunction, expected } from './checks.ts';
import { ContextVar } from './context-var.ts';
import { ContextReentryError } from './errors.ts';
import {
  copyCurrent,
  copyFlow,
  emptyFlow,
  enterFlow,
  flowOf,
  type Flow,
  flowScope,
  leave,
  NO_VALUE,
  quick,
  recordedEntries,
  recordedValue,
  recordedValues,
  settle,
} from './scope.ts';

/** Throws TypeError unless `key` is a ContextVar (Python's `TypeError` for `ctx[non_var]`). */
function assertContextVar(key: unknown, method: string): asserts key is ContextVar<unknown> {
  if (!(key instanceof ContextVar)) {
    throw expected(method, 'a ContextVar as its key', key);
  }
}

/**
 * One `[variable, value]` pair of {@link Context}'s constructor. A value of
 * the variable's type is checked where the pair is written as a tuple:
 * `[requestId, 'r-1'] satisfies ContextEntry<string>`.
 *
 * @example
 * ```ts
 * const entries: ContextEntry[] = [
 *   [requestId, 'r-1'],
 *   [user, 'ada'],
 * ];
 * new Context(entries).run(handle);
 * ```
 */
export type ContextEntry<T = unknown> = readonly [ContextVar<T>, T];

/** Throws (Map's TypeError) unless `entry` is a `[ContextVar, value]` pair (what `new Context(entries)` takes). */
function checkEntry(entry: unknown): void {
  if (typeof entry !== 'object' || entry === null) throw expected('new Context', '[ContextVar, value] pairs', entry);
  assertContextVar((entry as readonly unknown[])[0], 'new Context');
}

/** `Context.run`'s quick run (see scope.ts's `quick`): `flow` is running while fn is. */
function runQuickly<A extends unknown[], R>(flow: Flow, fn: (...args: A) => R, args: A): R {
  const entry = flowScope(flow);
  flow.running = true;
  try {
    return (quick as NonNullable<typeof quick>).run(entry, fn, args);
  } finally {
    flow.running = false;
  }
}

/**
 * A mapping of ContextVars to values, and the flow that code run in it
 * belongs to (Python's `contextvars.Context`). It is a read-only Map: only
 * `ContextVar.set`/`reset` inside `Context.run` change it.
 *
 * @example
 * ```ts
 * const requestId = new ContextVar<string>('requestId');
 * const ctx = new Context();
 * ctx.run(() => requestId.set('r-1'));
 * ctx.get(requestId); // 'r-1'
 * requestId.get('none'); // 'none': the change stayed in ctx
 * ```
 */
export class Context implements ReadonlyMap<ContextVar<unknown>, unknown> {
  #flow: Flow;

  /**
   * A Context holding `entries` (empty when omitted), shaped like
   * `new Map(entries)`: a later entry for the same variable wins. With
   * `run`, it is how a unit of work (a request, a job) starts with several
   * values at once: the mapping is built once and `run` enters one frame,
   * where a `set` per value enters one each. Use {@link copyContext} for a
   * copy of the current Context.
   *
   * @throws {TypeError} when `entries` is not iterable, or an entry is not a `[ContextVar, value]` pair.
   *
   * @example
   * ```ts
   * const fresh = new Context();
   * fresh.run(() => requestId.get('none')); // 'none', whatever is set outside
   *
   * new Context([
   *   [requestId, 'r-1'],
   *   [user, 'ada'],
   * ]).run(handle); // handle sees both, and so does what it schedules
   * ```
   */
  constructor(entries?: Iterable<ContextEntry>) {
    if (new.target !== Context) throw new TypeError('Context cannot be subclassed');
    if (entries === undefined) this.#flow = emptyFlow();
    else if (typeof (entries as { [Symbol.iterator]?: unknown } | null)?.[Symbol.iterator] !== 'function') {
      throw expected('new Context', 'an iterable of [ContextVar, value] pairs', entries);
    } else this.#flow = flowOf(entries, checkEntry);
  }

  /**
   * Calls `fn(...args)` with this Context current and returns its result.
   * Every `set`/`reset` that fn and the work it schedules make is kept here.
   * A Context can be run by one caller on a stack at a time.
   *
   * @throws {ContextReentryError} when this Context is already running on the current stack.
   *
   * @example
   * ```ts
   * const ctx = copyContext();
   * const total = ctx.run((a, b) => a + b, 1, 2); // 3
   * await ctx.run(async () => {
   *   await sleep(1);
   *   step.set('done'); // after an await, still recorded in ctx
   * });
   * ctx.get(step); // 'done'
   * ```
   */
  run<R>(fn: () => R): R;
  /**
   * Calls `fn(...args)` with this Context current (as above, with arguments).
   *
   * @example
   * ```ts
   * ctx.run((a: number, b: number) => a + b, 1, 2); // 3
   * ```
   */
  run<A extends unknown[], R>(fn: (...args: A) => R, ...args: A): R;
  run(fn: (...args: unknown[]) => unknown, ...args: unknown[]): unknown {
    const flow = this.#flow;
    assertFunction(fn, 'Context.run');
    if (flow.running) {
      throw new ContextReentryError(
        `cannot enter ${String(this)}: it is already running on this stack; run ctx.copy() instead`,
      );
    }
    if (quick?.shallow()) return runQuickly(flow, fn, args);
    // Deeper, fn is called here, not in a helper: a run adds one frame, as als.run does.
    const mark = enterFlow(flow);
    try {
      return fn(...args);
    } finally {
      flow.running = false;
      leave(mark);
    }
  }

  /**
   * A new Context holding the same values (O(1): the snapshot is shared).
   * Changes made in one are not seen by the other.
   *
   * @example
   * ```ts
   * const perRequest = template.copy();
   * perRequest.run(() => requestId.set('r-1')); // template is unchanged
   * ```
   */
  copy(): Context {
    return Context.fromFlow(copyFlow(this.#flow));
  }

  /**
   * The value of `variable` in this Context, else `fallback` (undefined when
   * omitted). The variable's default is not used: a Context is a map.
   *
   * @throws {TypeError} when `variable` is not a ContextVar.
   *
   * @example
   * ```ts
   * ctx.get(requestId); // 'r-1', or undefined when ctx has no value for it
   * ctx.get(requestId, '-'); // 'r-1', or '-'
   * ```
   */
  get<T>(variable: ContextVar<T>): T | undefined;
  get<T, D>(variable: ContextVar<T>, fallback: D): T | D;
  get(variable: ContextVar<unknown>, fallback?: unknown): unknown {
    assertContextVar(variable, 'Context.get');
    const value = recordedValue(this.#flow, variable);
    return value === NO_VALUE ? fallback : value;
  }

  /**
   * Whether `variable` has a value in this Context (Python's `var in ctx`).
   *
   * @throws {TypeError} when `variable` is not a ContextVar.
   *
   * @example
   * ```ts
   * new Context().has(requestId); // false
   * ```
   */
  has(variable: ContextVar<unknown>): boolean {
    assertContextVar(variable, 'Context.has');
    return recordedValue(this.#flow, variable) !== NO_VALUE;
  }

  /**
   * How many variables have a value in this Context (Python's `len(ctx)`).
   *
   * @example
   * ```ts
   * new Context().size; // 0
   * ```
   */
  get size(): number {
    return settle(this.#flow).size;
  }

  /**
   * The variables that have a value in this Context.
   *
   * @example
   * ```ts
   * [...copyContext().keys()].map((variable) => variable.name);
   * ```
   */
  keys(): MapIterator<ContextVar<unknown>> {
    return settle(this.#flow).keys() as MapIterator<never>;
  }

  /**
   * The values in this Context, in the order of {@link Context.keys}.
   *
   * @example
   * ```ts
   * [...copyContext().values()];
   * ```
   */
  values(): MapIterator<unknown> {
    return recordedValues(this.#flow) as MapIterator<unknown>;
  }

  /**
   * `[variable, value]` pairs (Python's `ctx.items()`).
   *
   * @example
   * ```ts
   * for (const [variable, value] of copyContext().entries()) console.log(variable.name, value);
   * ```
   */
  entries(): MapIterator<[ContextVar<unknown>, unknown]> {
    return recordedEntries(this.#flow) as MapIterator<never>;
  }

  /**
   * The same pairs as {@link Context.entries}, so a Context spreads and iterates like a Map.
   *
   * @example
   * ```ts
   * const asMap = new Map(copyContext());
   * ```
   */
  [Symbol.iterator](): MapIterator<[ContextVar<unknown>, unknown]> {
    return recordedEntries(this.#flow) as MapIterator<never>;
  }

  /**
   * Calls `callback(value, variable, context)` for each variable with a value, as `Map.prototype.forEach` does.
   *
   * @example
   * ```ts
   * copyContext().forEach((value, variable) => console.log(variable.name, value));
   * ```
   */
  forEach(
    callback: (value: unknown, variable: ContextVar<unknown>, context: Context) => void,
    thisArg?: unknown,
  ): void {
    for (const [variable, value] of recordedEntries(this.#flow)) {
      callback.call(thisArg, value, variable as ContextVar<unknown>, this);
    }
  }

  /** `'Context'`, for `Object.prototype.toString` (set by brand()). */
  declare readonly [Symbol.toStringTag]: string;

  /** The variables and values, e.g. `<Context {requestId: 'r-1'}>`. */
  toString(): string {
    const entries = [...recordedEntries(this.#flow)].map(
      ([variable, value]) => `${(variable as ContextVar<unknown>).name}: ${repr(value)}`,
    );
    return `<Context {${entries.join(', ')}}>`;
  }

  /** @internal A Context over `flow` (copyContext, Context.copy). */
  static fromFlow(flow: Flow): Context {
    const context = new Context();
    context.#flow = flow;
    return context;
  }
}
brand(Context, 'Context');

/**
 * A copy of the current Context (Python's `copy_context()`), in O(1).
 *
 * @example
 * ```ts
 * const user = new ContextVar('user', { default: 'anonymous' });
 * user.set('ada');
 * const ctx = copyContext();
 * user.set('grace');
 * ctx.run(() => user.get()); // 'ada'
 * ```
 */
export function copyContext(): Context {
  return Context.fromFlow(copyCurrent());
}

/** A `context` option: the given Context, or a copy of the current one when omitted. */
export function contextOption(context: unknown, method: string): Context {
  if (context === undefined) return copyContext();
  if (!(context instanceof Context)) {
    throw new TypeError(`${method}'s context option must be a Context, got ${repr(context)}`);
  }
  return context;
}
