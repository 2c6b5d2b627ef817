/**
 * Context, copyContext and the current-snapshot machinery.
 *
 * The model (../shared/spec/SEMANTICS.md) in five lines:
 * - a snapshot is an immutable Hamt of ContextVar -> value; a Scope carries
 *   one snapshot plus the flow (Context) it belongs to, and travels with every
 *   callback and continuation scheduled while it is current (S1);
 * - `set` makes a new Scope current for the rest of the frame (S2);
 * - `reset` rewrites the token's Scope and the current one in place (S3);
 * - `Context.run` starts a Scope whose flow is the Context, and every set or
 *   reset in that flow also becomes the Context's state (S4).
 *
 * @module
 */
import { brand, isBranded } from './brand.ts';
import { ContextReentryError } from './errors.ts';
import { Hamt } from './hamt.ts';
import { storage } from './runtime/index.ts';
import { ContextVar } from './context-var.ts';

/** An immutable snapshot: every variable that has a value, with its value. */
export type Snapshot = Hamt<ContextVar<unknown>, unknown>;

export const EMPTY_SNAPSHOT: Snapshot = Hamt.empty();

/**
 * The state of one flow: its latest snapshot, and whether it is being run on
 * the current stack. A Context owns exactly one Flow.
 */
export class Flow {
  snapshot: Snapshot;
  running = false;

  constructor(snapshot: Snapshot) {
    this.snapshot = snapshot;
  }
}

/** The flow of code outside any `Context.run`; nothing reads its snapshot, so it is not kept. */
export const ROOT_FLOW = new Flow(EMPTY_SNAPSHOT);

/**
 * What the runtime carries from a frame to the work it schedules. `snapshot`
 * changes only through `reset` (S3); `set` makes a new Scope instead.
 */
export class Scope {
  snapshot: Snapshot;
  readonly flow: Flow;

  constructor(snapshot: Snapshot, flow: Flow) {
    this.snapshot = snapshot;
    this.flow = flow;
  }
}

/** Stands for "no scope entered yet": root flow, empty snapshot. Never rewritten. */
export const ROOT_SCOPE = new Scope(EMPTY_SNAPSHOT, ROOT_FLOW);

/** The running frame's scope. */
export function currentScope(): Scope {
  return (storage.current() as Scope | undefined) ?? ROOT_SCOPE;
}

/** Makes `snapshot` current for the rest of the frame, in the running flow (S2). */
export function enterSnapshot(scope: Scope, snapshot: Snapshot): Scope {
  const next = new Scope(snapshot, scope.flow);
  storage.enter(next);
  recordInFlow(scope.flow, snapshot);
  return next;
}

/** Keeps a Context's state equal to its flow's latest snapshot (S4). */
export function recordInFlow(flow: Flow, snapshot: Snapshot): void {
  if (flow !== ROOT_FLOW) flow.snapshot = snapshot;
}

/** Throws TypeError unless `fn` is a function; `method` names the API that was called. */
export function assertFunction(fn: unknown, method: string): asserts fn is (...args: never[]) => unknown {
  if (typeof fn !== 'function') throw new TypeError(`${method} expects a function, got ${describe(fn)}`);
}

/** A `context` option: the given Context, or a copy of the current one when omitted. */
export function contextOption(context: unknown, method: string): Context {
  if (context === undefined) return copyContext();
  if (!(context instanceof Context)) {
    throw new TypeError(`${method}'s context option must be a Context, got ${describe(context)}`);
  }
  return context;
}

/** Throws TypeError unless `key` is a ContextVar (Python's `TypeError` for `ctx[non_var]`). */
function assertContextVar(key: unknown, method: string): asserts key is ContextVar<unknown> {
  if (!(key instanceof ContextVar)) {
    throw new TypeError(`${method} expects a ContextVar as its key, got ${describe(key)}`);
  }
}

/** A new Context holding `snapshot` (assigned by Context's static block, which can reach #flow). */
export let contextOf: (snapshot: Snapshot) => Context;

/**
 * A mapping of ContextVars to values, and the flow that code run in it
 * belongs to (Python's `contextvars.Context`). It is a read-only Map: only
 * `ContextVar.set`/`reset` inside {@link Context.run} change it.
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
  readonly #flow: Flow;

  /**
   * An empty Context. Use {@link copyContext} for a copy of the current one.
   *
   * @example
   * ```ts
   * const fresh = new Context();
   * fresh.run(() => requestId.get('none')); // 'none', whatever is set outside
   * ```
   */
  constructor() {
    if (new.target !== Context) throw new TypeError('Context cannot be subclassed');
    this.#flow = new Flow(EMPTY_SNAPSHOT);
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
  run<A extends unknown[], R>(fn: (...args: A) => R, ...args: A): R {
    const flow = this.#flow;
    assertFunction(fn, 'Context.run');
    if (flow.running) {
      throw new ContextReentryError(
        `cannot enter ${String(this)}: it is already running on this stack; run ctx.copy() instead`,
      );
    }
    flow.running = true;
    try {
      return storage.run(new Scope(flow.snapshot, flow), fn, args);
    } finally {
      flow.running = false;
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
    return contextOf(this.#flow.snapshot);
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
    return this.#flow.snapshot.lookup(variable, fallback);
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
    return this.#flow.snapshot.has(variable);
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
    return this.#flow.snapshot.size;
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
    return this.#flow.snapshot.keys();
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
    return this.#flow.snapshot.values();
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
    return this.#flow.snapshot.entries();
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
    return this.#flow.snapshot.entries();
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
    for (const [variable, value] of this.#flow.snapshot) callback.call(thisArg, value, variable, this);
  }

  /** `'Context'`, for `Object.prototype.toString` (set by brand()). */
  declare readonly [Symbol.toStringTag]: string;

  /** The variables and values, e.g. `<Context {requestId: 'r-1'}>`. */
  toString(): string {
    const entries = [...this.#flow.snapshot].map(([variable, value]) => `${variable.name}: ${describe(value)}`);
    return `<Context {${entries.join(', ')}}>`;
  }


  static {
    contextOf = (snapshot) => {
      const context = new Context();
      context.#flow.snapshot = snapshot;
      return context;
    };
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
  return contextOf(currentScope().snapshot);
}

/** A short, safe rendering of any value for error messages and repr. */
export function describe(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return `'${value}'`;
    case 'function':
      return `function ${value.name || '(anonymous)'}`;
    case 'object':
      if (value === null) return 'null';
      if (Array.isArray(value)) return `Array(${value.length})`;
      if (isBranded(value)) return String(value);
      return `[object ${value.constructor?.name ?? 'Object'}]`;
    case 'symbol':
      return value.toString();
    default:
      return String(value);
  }
}
