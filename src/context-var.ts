/**
 * ContextVar and Token: the public faces of the snapshot machinery in
 * scope.ts. `get` reads the running frame's scope, `set` enters a new one
 * (S2), `run` scopes a value to one call (S8), and a Token undoes its set
 * (S3), refusing tokens of another variable, of another flow (S5) or used.
 *
 * @module
 */
import { brand, repr } from './brand.ts';
import { assertFunction, assertOptions, expected } from './checks.ts';
import { LookupError, TokenContextError, TokenUsedError, TokenVarMismatchError } from './errors.ts';
import {
  currentScope,
  currentValue,
  enterValue,
  leave,
  NO_VALUE,
  quick,
  type SetRecord,
  setValue,
  undo,
  runLeft,
  valueScope,
} from './scope.ts';
import { MISSING, type TokenMissing } from './token-missing.ts';

const DISPOSE: typeof Symbol.dispose = Symbol.dispose ?? Symbol.for('Symbol.dispose');
/** Token's reset, called through this key so that a Token made by another copy of the library resets itself. */
const RESET = Symbol.for('contextvars.Token.reset.v2');

/**
 * Options of {@link ContextVar}'s constructor.
 *
 * @example
 * ```ts
 * const retries = new ContextVar('retries', { default: 3 });
 * const parent = new ContextVar<string | undefined>('parent', { default: undefined }); // get() never throws
 * ```
 */
export interface ContextVarOptions<T> {
  /** The value `get()` returns where the variable has none. May be `undefined` itself. */
  readonly default?: T;
}

/**
 * Hashes are spread over all 32 bits by a multiplicative (Fibonacci) mix of a
 * counter, kept as a signed int32 (`Math.imul`'s result): V8 stores every
 * int32 as a small integer, where `>>> 0` would box half of them as doubles
 * and slow down every trie lookup that reads them.
 */
let created = 0;
function nextHash(): number {
  created = (created + 1) | 0;
  return Math.imul(created, 0x9e3779b1);
}

/**
 * A context variable (Python's `contextvars.ContextVar`): a key whose value
 * depends on the context the code runs in. It follows the code across
 * `await`, timers and I/O, and never reaches concurrent flows.
 *
 * Create variables once, at module level: every ContextVar is a distinct key,
 * even when two have the same name. To give a value to one call and what it
 * schedules, use `ContextVar.run`: it is safe when many such calls run
 * at once. `set` lasts for the rest of the current frame (a request handler,
 * a task).
 *
 * @example
 * ```ts
 * const requestId = new ContextVar<string>('requestId', { default: '-' });
 *
 * function log(message: string) {
 *   console.log(`[${requestId.get()}] ${message}`);
 * }
 * async function handle(id: string) {
 *   await lookup();
 *   log('done'); // [r-1] done, and [r-2] done for the other call
 * }
 * await Promise.all([requestId.run('r-1', handle), requestId.run('r-2', handle)]);
 * ```
 */
export class ContextVar<T> {
  readonly #name: string;
  readonly #default: T | typeof NO_VALUE;
  /**
   * @internal The variable's key in the trie: an own, read-only property
   * fixed for the variable's life (a ContextVar is the trie's key).
   */
  declare readonly hash: number;

  /**
   * Creates a variable. Create each one once, at module level.
   *
   * @example
   * ```ts
   * const requestId = new ContextVar<string>('requestId', { default: '-' });
   * ```
   *
   * @param name - the variable's name (a string).
   * @param options - `default`: the value where the variable has none.
   * @throws {TypeError} when `name` is not a string or `options` is not an object.
   */
  constructor(name: string, options?: ContextVarOptions<T>) {
    if (new.target !== ContextVar) throw new TypeError('ContextVar cannot be subclassed');
    if (typeof name !== 'string') {
      throw new TypeError(`ContextVar name must be a string, got ${repr(name)}`);
    }
    assertOptions(options, 'new ContextVar', '{ default }');
    this.#name = name;
    this.#default = options !== undefined && 'default' in options ? (options.default as T) : NO_VALUE;
    // The trie's key: fixed for the variable's life (not writable), and not public API.
    Object.defineProperty(this, 'hash', { value: nextHash() });
  }

  /**
   * The variable's name, for messages and debugging (read-only, as in Python).
   *
   * @example
   * ```ts
   * new ContextVar('requestId').name; // 'requestId'
   * ```
   */
  get name(): string {
    return this.#name;
  }

  /**
   * The value in the current context; else the variable's default.
   *
   * @throws {LookupError} when there is neither.
   *
   * @example
   * ```ts
   * const user = new ContextVar<string>('user');
   * user.set('ada');
   * user.get(); // 'ada'
   * ```
   */
  get(): T;
  /**
   * The value in the current context; else `fallback` (which wins over the default).
   *
   * @example
   * ```ts
   * const user = new ContextVar('user', { default: 'anonymous' });
   * user.get('guest'); // 'guest'
   * ```
   */
  get<D>(fallback: D): T | D;
  get(fallback?: unknown): unknown {
    const value = currentValue(this);
    if (value !== NO_VALUE) return value;
    // biome-ignore lint/complexity/noArguments: get(undefined) and get() differ, as var.get(None) and var.get() do in Python
    if (arguments.length > 0) return fallback;
    if (this.#default !== NO_VALUE) return this.#default;
    throw new LookupError(this.#name);
  }

  /**
   * Sets the value for the rest of the current frame and for everything it
   * schedules from now on. Returns a Token that {@link ContextVar.reset}
   * (or `using`, TypeScript 5.2+ or Node 24+) takes to restore the previous value.
   *
   * @example
   * ```ts
   * const token = requestId.set('r-1');
   * try {
   *   await handle(); // sees 'r-1', and so does everything it schedules
   * } finally {
   *   requestId.reset(token);
   * }
   * ```
   */
  set(value: T): Token<T> {
    return Token.fromSet(this, setValue(this, value));
  }

  /**
   * Calls `fn(...args)` with this variable at `value`, and returns its result.
   * The value is current for fn's synchronous code and everything it
   * schedules; the caller and work started beside fn never see it, and the
   * caller's value is back when fn returns or throws. The safe way to scope
   * a value in async code that may run concurrently (TC39's
   * `AsyncContext.Variable.prototype.run`).
   *
   * @throws {TypeError} when `fn` is not a function.
   *
   * @example
   * ```ts
   * const user = new ContextVar('user', { default: 'anonymous' });
   * const whoAmI = async () => {
   *   await work();
   *   return user.get();
   * };
   * await Promise.all([user.run('ada', whoAmI), user.run('bob', whoAmI)]); // ['ada', 'bob']
   * user.get(); // 'anonymous'
   * ```
   */
  run<R>(value: T, fn: () => R): R;
  /**
   * Calls `fn(...args)` with this variable at `value` (as above, with arguments).
   *
   * @example
   * ```ts
   * user.run('ada', (greeting: string) => `${greeting}, ${user.get()}`, 'hello'); // 'hello, ada'
   * ```
   */
  run<A extends unknown[], R>(value: T, fn: (...args: A) => R, ...args: A): R;
  run(value: T, fn: (...args: unknown[]) => unknown, ...args: unknown[]): unknown {
    if (typeof fn !== 'function') assertFunction(fn, `${this}.run`);
    if (quick?.shallow()) return quick.run(valueScope(this, value), fn, args);
    // Deeper, fn is called here, not in a helper: a run adds one frame, as als.run does.
    const mark = enterValue(this, value);
    try {
      return fn(...args);
    } finally {
      leave(mark);
    }
  }

  /**
   * Restores the value this variable had before the `set` that made `token`,
   * here and in the code that resumes after that `set`'s frame (docs/semantics.md, S3).
   *
   * @throws {TokenUsedError} when the token was already used.
   * @throws {TokenVarMismatchError} when the token belongs to another variable.
   * @throws {TokenContextError} when the token was made in another Context or task.
   * @throws {TypeError} when `token` is not a Token that `set()` made.
   *
   * @example
   * ```ts
   * const token = level.set(2);
   * try {
   *   work();
   * } finally {
   *   level.reset(token); // or: using _ = level.set(2)
   * }
   * ```
   */
  reset(token: Token<T>): void {
    if (!(token instanceof Token)) {
      throw expected(`${this}.reset`, 'a Token made by set()', token);
    }
    // Through the shared key: a Token made by another copy of the library resets itself.
    (token as unknown as Resettable)[RESET](this);
  }

  /** Python's repr: `<ContextVar name='requestId' default='-'>`. */
  toString(): string {
    const fallback = this.#default === NO_VALUE ? '' : ` default=${repr(this.#default)}`;
    return `<ContextVar name='${this.#name}'${fallback}>`;
  }

  /** `'ContextVar'`, for `Object.prototype.toString` (set by brand()). */
  declare readonly [Symbol.toStringTag]: string;
}
brand(ContextVar, 'ContextVar');

const TOKEN_KEY: unique symbol = Symbol('Token');

type Resettable = { [RESET](variable: ContextVar<unknown>): void };

/**
 * What {@link ContextVar.set} returns: the variable, its previous value, and
 * the right to restore that value once, in the same flow (Python's
 * `contextvars.Token`). Disposing it resets, so `using` scopes a change in a
 * synchronous block, a task or a `Context.run` (`using` needs TypeScript 5.2+
 * or Node 24+; elsewhere call `reset` in a `finally`).
 *
 * @example
 * ```ts
 * const level = new ContextVar('level', { default: 0 });
 * function nested() {
 *   using _ = level.set(level.get() + 1);
 *   return level.get(); // 1
 * } // level is 0 again here
 *
 * const token = level.set(5);
 * token.oldValue; // 0 — or Token.MISSING when there was no value
 * level.reset(token);
 * ```
 */
export class Token<T> {
  /**
   * Marks {@link Token.oldValue} when the variable had no value before the
   * `set` (Python's `Token.MISSING`): one frozen object, the same in every
   * copy of the library, that renders as `<Token.MISSING>`.
   *
   * @example
   * ```ts
   * const token = new ContextVar('fresh').set(1);
   * token.oldValue === Token.MISSING; // true
   * `${Token.MISSING}`; // '<Token.MISSING>'
   * ```
   */
  static readonly MISSING: TokenMissing = MISSING;

  /**
   * Whether `value` is {@link Token.MISSING}, as a type guard that narrows
   * both ways: `oldValue` is `TokenMissing` where it holds and `T` where it
   * does not. Prefer it to `=== Token.MISSING` in typed code: an object type
   * is no unit type, so a comparison narrows only where it holds. It is a
   * static guard on the value, not a method of Token, because a guard on
   * `this` narrows the token only where it holds, and a value guard also
   * serves an `oldValue` already copied out of its token.
   *
   * @example
   * ```ts
   * const token = level.set(2);
   * const before = Token.isMissing(token.oldValue) ? 'none' : token.oldValue + 1; // oldValue: number here
   * ```
   */
  static isMissing(value: unknown): value is TokenMissing {
    return value === MISSING;
  }

  /**
   * The variable whose `set` made this token.
   *
   * @example
   * ```ts
   * requestId.set('r-1').var === requestId; // true
   * ```
   */
  readonly var: ContextVar<T>;
  /**
   * The value before the `set`, or {@link Token.MISSING} (test with {@link Token.isMissing}).
   *
   * @example
   * ```ts
   * level.set(1);
   * level.set(2).oldValue; // 1
   * ```
   */
  readonly oldValue: T | TokenMissing;
  /** What the set did: scope.ts's undo takes it back. */
  readonly #record: SetRecord;

  private constructor(key: typeof TOKEN_KEY, variable: ContextVar<T>, record: SetRecord) {
    if (key !== TOKEN_KEY) throw new TypeError('Tokens are made by ContextVar.set(), not by new Token()');
    this.var = variable;
    const { oldValue } = record;
    this.oldValue = oldValue === NO_VALUE ? MISSING : (oldValue as T);
    this.#record = record;
  }

  /** @internal The Token of a set that {@link ContextVar.set} made. */
  static fromSet<T>(variable: ContextVar<T>, record: SetRecord): Token<T> {
    return new Token(TOKEN_KEY, variable, record);
  }

  /**
   * Whether the token has reset its variable already.
   *
   * @example
   * ```ts
   * const token = level.set(1);
   * level.reset(token);
   * token.used; // true
   * ```
   */
  get used(): boolean {
    return #record in this && !this.#record.cell.open;
  }

  /**
   * Resets the variable (`using _ = v.set(x)` calls this at the end of the block).
   *
   * @example
   * ```ts
   * {
   *   using _ = level.set(level.get() + 1);
   *   render(); // sees the deeper level
   * } // reset here
   * ```
   */
  [DISPOSE](): void {
    this.var.reset(this);
  }

  /** Python's repr: `<Token var=<ContextVar name='v'>>`, with `used` once reset. */
  toString(): string {
    return `<Token${this.used ? ' used' : ''} var=${this.var}>`;
  }

  /** `'Token'`, for `Object.prototype.toString` (set by brand()). */
  declare readonly [Symbol.toStringTag]: string;

  static {
    // On the prototype under a shared key, not in the declarations: a Token of any copy resets itself.
    Object.defineProperty(Token.prototype, RESET, { value: resetOwn });
    // Python's checks of `ContextVar.reset`, in its order, then the undo (S3, S5).
    function resetOwn(this: Token<unknown>, variable: ContextVar<unknown>): void {
      if (!(#record in this)) {
        throw new TypeError(`${variable}.reset expects a Token made by set(), got a Token object set() did not make`);
      }
      const record = this.#record;
      if (!record.cell.open) {
        throw new TokenUsedError(`${this} has already been used once: a token resets its variable only once`);
      }
      if (this.var !== variable) {
        throw new TokenVarMismatchError(
          `${this} was created by ${this.var}, not ${variable}: pass it to that variable's reset()`,
        );
      }
      const scope = currentScope();
      if (scope.flow !== record.made.flow) {
        throw new TokenContextError(
          `${this} was created in a different Context or task: reset it in the flow that called set()`,
        );
      }
      const run = runLeft(scope, record);
      if (run !== null) {
        throw new TokenContextError(
          `${this} was created inside ${run}.run(), which has returned: reset it inside that run ` +
            "(here the reset would carry the run's value out to its caller)",
        );
      }
      undo(scope, record);
    }
  }
}
brand(Token, 'Token');
