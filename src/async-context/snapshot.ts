/**
 * `AsyncContext.Snapshot`: the running frame's scope (`currentScope()`),
 * captured at construction or at `wrap`, entered again with `runInScope`.
 * Unlike `Context.run`, entering a snapshot that is already being run on the
 * stack is allowed: the spec has no such error.
 *
 * @module
 */
import { currentScope, runInScope, type Scope } from '../scope.ts';
import {
  asBuiltInConstructor,
  copyNameAndLength,
  describeReceiver,
  prototypeFromConstructor,
  ReturnOverride,
} from './built-in.ts';

/** The `[[AsyncSnapshotMapping]]` slot. */
class SnapshotSlots extends ReturnOverride {
  readonly #scope: Scope;

  constructor(target: object, scope: Scope) {
    super(target);
    this.#scope = scope;
  }

  /** RequireInternalSlot(receiver, [[AsyncSnapshotMapping]]), then the slot. */
  static scopeOf(receiver: unknown): Scope {
    if (typeof receiver === 'object' && receiver !== null && #scope in receiver) return receiver.#scope;
    throw wrongReceiver(receiver);
  }
}

const scopeOf = SnapshotSlots.scopeOf;

/** Out of line, so that the hot checks stay small enough to inline. */
function wrongReceiver(receiver: unknown): TypeError {
  return new TypeError(
    `AsyncContext.Snapshot.prototype.run called on ${describeReceiver(receiver)}: call it on an AsyncContext.Snapshot`,
  );
}

function notCallable(fn: unknown, method: string): TypeError {
  return new TypeError(`${method} expects a function, got ${describeReceiver(fn)}`);
}

/** `Reflect.apply` with its arguments in the order runInScope passes them. */
// biome-ignore lint/complexity/noBannedTypes: any function is accepted and checked at run time, as the spec's IsCallable does
function callWithThis(fn: Function, thisArgument: unknown, args: unknown[]): unknown {
  return Reflect.apply(fn, thisArgument, args);
}

/**
 * Every Variable's value at one moment (TC39 `AsyncContext.Snapshot`):
 * taken by `new AsyncContext.Snapshot()`, entered again with
 * {@link AsyncContextSnapshot.run}. It holds this library's ContextVars too.
 *
 * @example
 * ```ts
 * const user = new AsyncContext.Variable({ defaultValue: 'anonymous' });
 * const snapshot = user.run('ada', () => new AsyncContext.Snapshot());
 * snapshot.run(() => user.get()); // 'ada'
 * ```
 */
export interface AsyncContextSnapshot {
  /**
   * Calls `fn(...args)` (with `this` undefined) with the captured values
   * current, and returns its result; the caller's values are back when fn
   * returns or throws. Work fn schedules keeps the captured values.
   *
   * @throws {TypeError} when `fn` is not a function.
   *
   * @example
   * ```ts
   * snapshot.run((a, b) => a + b, 1, 2); // 3, with the snapshot's values current
   * ```
   */
  run<A extends unknown[], R>(fn: (...args: A) => R, ...args: A): R;
  /** `'AsyncContext.Snapshot'`. */
  readonly [Symbol.toStringTag]: string;
}

/**
 * The `AsyncContext.Snapshot` constructor, and `wrap`.
 *
 * @example
 * ```ts
 * const snapshot = new AsyncContext.Snapshot(); // the values current now
 * const later = AsyncContext.Snapshot.wrap(() => user.get());
 * ```
 */
export interface AsyncContextSnapshotConstructor {
  /** Captures the current value of every Variable (and ContextVar). */
  new (): AsyncContextSnapshot;
  /** `AsyncContext.Snapshot.prototype`, with `run`. */
  readonly prototype: AsyncContextSnapshot;
  /**
   * A function that calls `fn` with the values current now, whenever and
   * wherever it is called. It passes its `this` and arguments through, is
   * named `wrapped <fn's name>`, has fn's `length`, and is not a constructor.
   *
   * @throws {TypeError} when `fn` is not a function.
   *
   * @example
   * ```ts
   * const log = AsyncContext.Snapshot.wrap(function log(message: string) {
   *   console.log(`[${user.get()}] ${message}`);
   * });
   * log.name; // 'wrapped log'
   * ```
   */
  wrap<This, A extends unknown[], R>(fn: (this: This, ...args: A) => R): (this: This, ...args: A) => R;
}

class SnapshotClass extends Object {
  // biome-ignore lint/correctness/noUnreachableSuper: super() is never reached; TypeScript requires it in a derived constructor
  constructor() {
    // AsyncContext.Snapshot ( ): see built-in.ts for why there is no super().
    const scope = currentScope();
    const prototype = prototypeFromConstructor(new.target, SnapshotClass.prototype);
    // biome-ignore lint/correctness/noConstructorReturn: the spec reads options before newTarget.prototype: the constructor returns the object it made in that order
    return new SnapshotSlots(Object.create(prototype) as object, scope) as unknown as SnapshotClass;
    // biome-ignore lint/correctness/noUnreachable: never reached; TypeScript requires super() in a derived constructor
    super(); // never reached; only TypeScript requires it
  }

  run<A extends unknown[], R>(fn: (...args: A) => R, ...args: A): R {
    const scope = scopeOf(this);
    if (typeof fn !== 'function') throw notCallable(fn, 'AsyncContext.Snapshot.prototype.run');
    return runInScope(scope, fn, args); // fn's `this` is undefined (the storage's run)
  }

  static wrap<This, A extends unknown[], R>(fn: (this: This, ...args: A) => R): (this: This, ...args: A) => R {
    if (typeof fn !== 'function') throw notCallable(fn, 'AsyncContext.Snapshot.wrap');
    const scope = currentScope();
    // A method: no [[Construct]], no `prototype`, and its own `this`.
    const { wrapped } = {
      wrapped(this: This, ...args: A): R {
        return runInScope(scope, callWithThis, [fn, this, args]) as R;
      },
    };
    copyNameAndLength(wrapped, fn, 'wrapped');
    return wrapped;
  }
}
asBuiltInConstructor(SnapshotClass, 'Snapshot', 'AsyncContext.Snapshot');

export const Snapshot = SnapshotClass as unknown as AsyncContextSnapshotConstructor;
