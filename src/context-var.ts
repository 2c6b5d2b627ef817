/**
 * ContextVar and Token: the public face of the snapshot machinery in
 * context.ts. `get` reads the running frame's snapshot, `set` enters a new
 * one (S2), `reset` restores the old value in the token's scope and the
 * current one (S3), refusing tokens of another variable, another flow (S5)
 * or already used.
 *
 * @module
 */
import {
  assertFunction,
  currentScope,
  describe,
  enterSnapshot,
  recordInFlow,
  ROOT_SCOPE,
  type Scope,
  type Snapshot,
} from './context.ts';
import { brand } from './brand.ts';
import { runWithValue } from './scope.ts';
import { LookupError, TokenContextError, TokenUsedError, TokenVarMismatchError } from './errors.ts';

const NO_DEFAULT: unique symbol = Symbol('no default');
const DISPOSE: typeof Symbol.dispose = Symbol.dispose ?? Symbol.for('Symbol.dispose');

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
 * even when two have the same name.
 *
 * @example
 * ```ts
 * const requestId = new ContextVar<string>('requestId', { default: '-' });
 *
 * async function handle(id: string) {
 *   using _ = requestId.set(id); // reset when the block ends
 *   await lookup();
 *   log('done'); // still sees id
 * }
 * function log(message: string) {
 *   console.log(`[${requestId.get()}] ${message}`);
 * }
 * ```
 */
export class ContextVar<T> {
  readonly #name: string;
  /** Precomputed key hash for the snapshot trie. @internal */
  readonly hash: number;
  readonly #default: T | typeof NO_DEFAULT;
  // The last snapshot read and what it held (a Hamt never changes, so identity decides).
  #cachedSnapshot: Snapshot | undefined = undefined;
  #cachedValue: unknown = undefined;

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
   * @throws {TypeError} when `name` is not a string.
   */
  constructor(name: string, options?: ContextVarOptions<T>) {
    if (new.target !== ContextVar) throw new TypeError('ContextVar cannot be subclassed');
    if (typeof name !== 'string') {
      throw new TypeError(`ContextVar name must be a string, got ${describe(name)}`);
    }
    this.#name = name;
    this.hash = nextHash();
    this.#default = options !== undefined && 'default' in options ? (options.default as T) : NO_DEFAULT;
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
    const snapshot = currentScope().snapshot;
    let value: unknown;
    if (snapshot === this.#cachedSnapshot) {
      value = this.#cachedValue;
    } else {
      value = snapshot.lookup(this, NO_DEFAULT);
      this.#cachedSnapshot = snapshot;
      this.#cachedValue = value;
    }
    if (value !== NO_DEFAULT) return value;
    if (arguments.length > 0) return fallback;
    if (this.#default !== NO_DEFAULT) return this.#default;
    throw new LookupError(this.name);
  }

  /**
   * Sets the value for the rest of the current frame and for everything it
   * schedules from now on. Returns a Token that {@link ContextVar.reset}
   * (or `using`) takes to restore the previous value.
   *
   * @example
   * ```ts
   * const token = requestId.set('r-1');
   * await handle(); // sees 'r-1', and so does everything it schedules
   * requestId.reset(token);
   * ```
   */
  set(value: T): Token<T> {
    const scope = currentScope();
    const before = scope.snapshot;
    // A get() just before (`v.set(v.get() + 1)`) left the old value in the cache.
    // set() itself does not fill the cache: that would keep the value alive.
    const old = before === this.#cachedSnapshot ? this.#cachedValue : before.lookup(this, NO_DEFAULT);
    const next = enterSnapshot(scope, before.set(this, value));
    return newToken(this, old === NO_DEFAULT ? MISSING : (old as T), next, before);
  }

  /**
   * Restores the value this variable had before the `set` that made `token`,
   * here and in the code that resumes after that `set`'s frame (SEMANTICS S3).
   *
   * @throws {TokenUsedError} when the token was already used.
   * @throws {TokenVarMismatchError} when the token belongs to another variable.
   * @throws {TokenContextError} when the token was made in another Context or task.
   *
   * @example
   * ```ts
   * const token = level.set(2);
   * try {
   *   await work();
   * } finally {
   *   level.reset(token); // or: using _ = level.set(2)
   * }
   * ```
   */
  reset(token: Token<T>): void {
    if (!(token instanceof Token)) {
      throw new TypeError(`${this}.reset expects a Token, got ${describe(token)}`);
    }
    resetToken(this, token);
  }

  /**
   * Calls `fn(...args)` with this variable at `value`, and returns its result.
   * The value is current for fn's synchronous code and everything it
   * schedules; the caller and work started beside fn never see it, and the
   * caller's value is back when fn returns or throws (SEMANTICS S8). The safe
   * way to scope a value in concurrent async code.
   *
   * @example
   * ```ts
   * const user = new ContextVar('user', { default: 'anonymous' });
   * await Promise.all([
   *   user.run('ada', async () => { await work(); return user.get(); }), // 'ada'
   *   user.run('bob', async () => { await work(); return user.get(); }), // 'bob'
   * ]);
   * user.get(); // 'anonymous'
   * ```
   */
  run<A extends unknown[], R>(value: T, fn: (...args: A) => R, ...args: A): R {
    assertFunction(fn, 'ContextVar.run');
    return runWithValue(this, value, fn, args);
  }

  /** Python's repr: `<ContextVar name='requestId' default='-'>`. */
  toString(): string {
    const fallback = this.#default === NO_DEFAULT ? '' : ` default=${describe(this.#default)}`;
    return `<ContextVar name='${this.name}'${fallback}>`;
  }

  /** `'ContextVar'`, for `Object.prototype.toString` (set by brand()). */
  declare readonly [Symbol.toStringTag]: string;


}
brand(ContextVar, 'ContextVar');

/** The marker of "the variable had no value" (Python's `Token.MISSING`). */
export const MISSING: unique symbol = Symbol.for('contextvars.Token.MISSING');

const TOKEN_KEY: unique symbol = Symbol('Token');
let newToken: <T>(variable: ContextVar<T>, oldValue: T | typeof MISSING, scope: Scope, before: Snapshot) => Token<T>;
let resetToken: <T>(variable: ContextVar<T>, token: Token<T>) => void;

/**
 * What {@link ContextVar.set} returns: the variable, its previous value, and
 * the right to restore that value once, in the same flow (Python's
 * `contextvars.Token`). Disposing it resets, so `using` scopes a change.
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
   * Marks {@link Token.oldValue} when the variable had no value before the `set`.
   *
   * @example
   * ```ts
   * const token = new ContextVar('fresh').set(1);
   * token.oldValue === Token.MISSING; // true
   * ```
   */
  static readonly MISSING: typeof MISSING = MISSING;

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
   * The value before the `set`, or {@link Token.MISSING}.
   *
   * @example
   * ```ts
   * level.set(1);
   * level.set(2).oldValue; // 1
   * ```
   */
  readonly oldValue: T | typeof MISSING;
  // The scope the `set` entered: the reset restores the old value in it too (S3).
  readonly #scope: Scope;
  // The snapshots just before and after the `set`. Restoring the old value in
  // `#after` gives a map equal to `#before`, so reset reuses it (O(1), and a
  // snapshot the variables' get() caches may already know).
  readonly #before: Snapshot;
  readonly #after: Snapshot;
  #used = false;

  private constructor(
    key: typeof TOKEN_KEY,
    variable: ContextVar<T>,
    oldValue: T | typeof MISSING,
    scope: Scope,
    before: Snapshot,
  ) {
    if (key !== TOKEN_KEY) throw new TypeError('Tokens are made by ContextVar.set(), not by new Token()');
    this.var = variable;
    this.oldValue = oldValue;
    this.#scope = scope;
    this.#before = before;
    this.#after = scope.snapshot;
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
    return this.#used;
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
    resetToken(this.var, this);
  }

  /** Python's repr: `<Token var=<ContextVar name='v'>>`, with `used` once reset. */
  toString(): string {
    return `<Token${this.#used ? ' used' : ''} var=${this.var}>`;
  }

  /** `'Token'`, for `Object.prototype.toString` (set by brand()). */
  declare readonly [Symbol.toStringTag]: string;


  /** `snapshot` with the token's variable back at the token's old value. */
  static #restored<T>(snapshot: Snapshot, token: Token<T>): Snapshot {
    if (snapshot === token.#after) return token.#before;
    return token.oldValue === MISSING ? snapshot.delete(token.var) : snapshot.set(token.var, token.oldValue);
  }

  static {
    newToken = (variable, oldValue, scope, before) => new Token(TOKEN_KEY, variable, oldValue, scope, before);

    resetToken = (variable, token) => {
      // A token from the other build's copy (see brand.ts) belongs to that copy's variables.
      const ours = #used in token;
      if (ours && token.#used) {
        throw new TokenUsedError(`${token} has already been used once: a token resets its variable only once`);
      }
      if (!ours || token.var !== variable) {
        throw new TokenVarMismatchError(
          `${token} was created by ${token.var}, not ${variable}: pass it to that variable's reset()`,
        );
      }
      const scope = currentScope();
      if (scope.flow !== token.#scope.flow) {
        throw new TokenContextError(
          `${token} was created in a different Context or task: reset it in the flow that called set()`,
        );
      }
      token.#used = true;
      const made = token.#scope;
      made.snapshot = Token.#restored(made.snapshot, token);
      if (scope === made) {
        recordInFlow(scope.flow, scope.snapshot);
      } else if (scope === ROOT_SCOPE) {
        enterSnapshot(scope, Token.#restored(scope.snapshot, token));
      } else {
        scope.snapshot = Token.#restored(scope.snapshot, token);
        recordInFlow(scope.flow, scope.snapshot);
      }
    };
  }
}
brand(Token, 'Token');
