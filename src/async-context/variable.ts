/**
 * `AsyncContext.Variable`: a thin face over a private {@link ContextVar}, so
 * that a Variable and a ContextVar live in one mapping (`copyContext()`
 * carries Variables, an `AsyncContext.Snapshot` carries ContextVars) and
 * `Variable.prototype.run` takes `ContextVar.prototype.run`'s steps.
 *
 * @module
 */
import { ContextVar } from '../context-var.ts';
import { enterValue, leave, quick, valueScope } from '../scope.ts';
import {
  asBuiltInConstructor,
  describeReceiver,
  isObject,
  prototypeFromConstructor,
  ReturnOverride,
} from './built-in.ts';

/**
 * Options of `new AsyncContext.Variable(options)`.
 *
 * @example
 * ```ts
 * const requestId = new AsyncContext.Variable({ name: 'requestId', defaultValue: '-' });
 * ```
 */
export interface AsyncContextVariableOptions<T> {
  /** The variable's name, for debugging (converted with `String()`; default `''`). */
  readonly name?: string;
  /** What `get()` returns outside any `run` of this variable (default `undefined`). */
  readonly defaultValue?: T;
}

/**
 * A value that follows the code across `await`, timers and I/O, set only for
 * the extent of a {@link AsyncContextVariable.run} (TC39 `AsyncContext.Variable`).
 *
 * @example
 * ```ts
 * const user = new AsyncContext.Variable({ name: 'user', defaultValue: 'anonymous' });
 * await user.run('ada', async () => {
 *   await work();
 *   user.get(); // 'ada'
 * });
 * user.get(); // 'anonymous'
 * ```
 */
export interface AsyncContextVariable<T> {
  /**
   * The name given to the constructor (`''` when none).
   *
   * @example
   * ```ts
   * new AsyncContext.Variable({ name: 'user' }).name; // 'user'
   * ```
   */
  readonly name: string;
  /**
   * The value in the current context; else the `defaultValue`.
   *
   * @example
   * ```ts
   * user.run('ada', () => user.get()); // 'ada'
   * ```
   */
  get(): T;
  /**
   * Calls `fn(...args)` (with `this` undefined) with this variable at `value`,
   * and returns its result. The value is current for fn's synchronous code and
   * everything it schedules; the caller's value is back when fn returns or
   * throws, and work started beside fn never sees it.
   *
   * @throws {TypeError} when `fn` is not a function.
   *
   * @example
   * ```ts
   * const total = user.run('ada', (a, b) => a + b, 1, 2); // 3
   * ```
   */
  run<A extends unknown[], R>(value: T, fn: (...args: A) => R, ...args: A): R;
  /** `'AsyncContext.Variable'`. */
  readonly [Symbol.toStringTag]: string;
}

/**
 * The `AsyncContext.Variable` constructor. Without a `defaultValue` the
 * variable's type admits `undefined`, which `get()` returns outside `run`.
 *
 * @example
 * ```ts
 * const traceId = new AsyncContext.Variable<string>(); // Variable<string | undefined>
 * const level = new AsyncContext.Variable({ defaultValue: 0 }); // Variable<number>
 * ```
 */
export interface AsyncContextVariableConstructor {
  /** A variable whose `get()` returns `defaultValue` outside any `run`. */
  new <T>(options: AsyncContextVariableOptions<T> & { readonly defaultValue: T }): AsyncContextVariable<T>;
  /** A variable whose `get()` returns `undefined` outside any `run`. */
  new <T = unknown>(options?: AsyncContextVariableOptions<T>): AsyncContextVariable<T | undefined>;
  /** `AsyncContext.Variable.prototype`, with `get`, `run` and the `name` getter. */
  readonly prototype: AsyncContextVariable<unknown>;
}

/** The `[[AsyncVariableName]]`/`[[AsyncVariableDefaultValue]]` slots: the ContextVar holds both. */
class VariableSlots extends ReturnOverride {
  readonly #variable: ContextVar<unknown>;

  constructor(target: object, variable: ContextVar<unknown>) {
    super(target);
    this.#variable = variable;
  }

  /** RequireInternalSlot(receiver, [[AsyncVariableName]]), then the slot. */
  static variableOf(receiver: unknown, method: string): ContextVar<unknown> {
    if (typeof receiver === 'object' && receiver !== null && #variable in receiver) return receiver.#variable;
    throw wrongReceiver(receiver, method);
  }
}

/** Out of line, so that the hot accessor above stays small enough to inline. */
function wrongReceiver(receiver: unknown, method: string): TypeError {
  return new TypeError(
    `AsyncContext.Variable.prototype.${method} called on ${describeReceiver(receiver)}: call it on an AsyncContext.Variable`,
  );
}

function notCallable(fn: unknown): TypeError {
  return new TypeError(`AsyncContext.Variable.prototype.run expects a function, got ${describeReceiver(fn)}`);
}

const variableOf = VariableSlots.variableOf;

/** `run`'s variable, once its receiver and fn are checked, in the spec's order. */
function runVariable(receiver: unknown, fn: unknown): ContextVar<unknown> {
  const variable = variableOf(receiver, 'run');
  if (typeof fn !== 'function') throw notCallable(fn);
  return variable;
}

class VariableClass<T> extends Object {
  // biome-ignore lint/correctness/noUnreachableSuper: super() is never reached; TypeScript requires it in a derived constructor
  constructor(options?: AsyncContextVariableOptions<T>) {
    // AsyncContext.Variable ( options ), in the spec's order (see built-in.ts for why no super()).
    let name = '';
    let defaultValue: unknown;
    if (isObject(options)) {
      // `${}` is ToString: a Symbol throws a TypeError, as the spec says (String() would not).
      if ('name' in options) name = `${(options as { name: unknown }).name as string}`;
      defaultValue = options.defaultValue;
    }
    const prototype = prototypeFromConstructor(new.target, VariableClass.prototype);
    const variable = new ContextVar<unknown>(name, { default: defaultValue });
    // biome-ignore lint/correctness/noConstructorReturn: the spec reads options before newTarget.prototype: the constructor returns the object it made in that order
    return new VariableSlots(Object.create(prototype) as object, variable) as unknown as VariableClass<T>;
    // biome-ignore lint/correctness/noUnreachable: never reached; TypeScript requires super() in a derived constructor
    super(); // never reached; only TypeScript requires it
  }

  get name(): string {
    return variableOf(this, 'name').name;
  }

  get(): T {
    return variableOf(this, 'get').get() as T;
  }

  run<A extends unknown[], R>(value: T, fn: (...args: A) => R, ...args: A): R {
    // ContextVar.prototype.run's steps, here rather than through it: a run adds one frame, as als.run does.
    if (quick?.shallow()) return quick.run(valueScope(runVariable(this, fn), value), fn, args);
    const mark = enterValue(runVariable(this, fn), value);
    try {
      return fn(...args);
    } finally {
      leave(mark);
    }
  }
}
asBuiltInConstructor(VariableClass, 'Variable', 'AsyncContext.Variable');

export const Variable = VariableClass as unknown as AsyncContextVariableConstructor;
