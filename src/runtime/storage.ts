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
  /**
   * Makes `scope` current until the matching `close`, and returns the mark
   * that `close` takes: a caller brackets a call with the pair in its own
   * frame, `const mark = open(scope); try { fn() } finally { close(mark) }`,
   * so that a run adds no frame of the library's between the caller and fn
   * (runs nest as deep as the runtime's own). Pairs nest; `close(mark)`
   * makes current again what was current before the `open` that returned
   * `mark`, also when inner pairs were left open (an `open` that threw).
   */
  open(scope: object): number;
  close(mark: number): void;
  /**
   * Where the runtime has a cheaper run than open/close for a call that
   * few runs enclose, that run; absent elsewhere. `shallow()` says whether
   * the running frame is such a call; runs nested deeper are bracketed
   * with open/close, one frame each.
   */
  readonly quick?: {
    shallow(): boolean;
    run<A extends unknown[], R>(scope: object, fn: (...args: A) => R, args: A): R;
  };
}
