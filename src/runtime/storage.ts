/**
 * The contract every propagation strategy implements: one store that
 * follows scheduled work, one value per execution frame. scope.ts is its
 * only user; runtime/index.ts picks the strategy, once per process.
 *
 * @module
 */

/** Which propagation mechanism the runtime provides. */
export type StorageKind = 'async-context-frame' | 'async-hooks' | 'synchronous' | 'browser';

/** The store that follows scheduled work: one value per execution frame. */
export interface ScopeStorage {
  readonly kind: StorageKind;
  /** The scope of the running frame, or undefined before any was entered. */
  current(): object | undefined;
  /** Makes `scope` current for the rest of the running frame and for all work it schedules from now on. */
  enter(scope: object): void;
  /**
   * Where the storage cannot keep what `enter` makes current to the
   * current flow right now (the synchronous fallback outside every `run`),
   * what the runtime lacks; else undefined. Absent where the storage
   * always can (S10: such an `enter` is refused, never made silently).
   */
  readonly unisolated?: () => string | undefined;
  /** Calls `fn` with `scope` current; the previous scope is current again when it returns or throws. */
  run<A extends unknown[], R>(scope: object, fn: (...args: A) => R, args: A): R;
  /**
   * `run` with the scope `derive(current, a, b)` computes from the current
   * one: the runtime reads the current scope once for both.
   */
  runDerived<A extends unknown[], R, P, Q>(
    derive: (current: object | undefined, a: P, b: Q) => object,
    a: P,
    b: Q,
    fn: (...args: A) => R,
    args: A,
  ): R;
}
