/**
 * contextvars/async-context: the TC39 AsyncContext proposal's API
 * (`AsyncContext.Variable`, `AsyncContext.Snapshot`) on the same store as
 * ContextVar and Context: a Variable's value is in `copyContext()`, a
 * ContextVar's value is in an `AsyncContext.Snapshot`. Shapes follow the
 * proposal's spec text (property descriptors, `length`, `name`,
 * `Symbol.toStringTag`, constructors, `this` and `new.target`).
 * `import 'contextvars/async-context/global'` installs it as
 * `globalThis.AsyncContext` where the runtime has none.
 *
 * Generators are the one difference from the proposal: see {@link bindGenerator}.
 *
 * @example
 * ```ts
 * import { AsyncContext } from 'contextvars/async-context';
 *
 * const requestId = new AsyncContext.Variable({ name: 'requestId', defaultValue: '-' });
 * await requestId.run('r-1', async () => {
 *   await somethingAsync();
 *   requestId.get(); // 'r-1'
 * });
 * ```
 *
 * @module contextvars/async-context
 */
import { Snapshot, type AsyncContextSnapshot, type AsyncContextSnapshotConstructor } from './snapshot.ts';
import {
  Variable,
  type AsyncContextVariable,
  type AsyncContextVariableConstructor,
  type AsyncContextVariableOptions,
} from './variable.ts';

/**
 * The shape of the `AsyncContext` namespace object.
 *
 * @example
 * ```ts
 * const { Variable, Snapshot }: AsyncContextNamespace = AsyncContext;
 * ```
 */
export interface AsyncContextNamespace {
  /** The `AsyncContext.Variable` constructor. */
  readonly Variable: AsyncContextVariableConstructor;
  /** The `AsyncContext.Snapshot` constructor. */
  readonly Snapshot: AsyncContextSnapshotConstructor;
  /** `'AsyncContext'`. */
  readonly [Symbol.toStringTag]: string;
}

/**
 * The `AsyncContext` namespace of the TC39 proposal: `Variable` and
 * `Snapshot`. An ordinary object whose properties are writable,
 * configurable and not enumerable, tagged `'AsyncContext'`.
 *
 * @example
 * ```ts
 * const user = new AsyncContext.Variable({ defaultValue: 'anonymous' });
 * const snapshot = user.run('ada', () => new AsyncContext.Snapshot());
 * snapshot.run(() => user.get()); // 'ada'
 * ```
 */
export const AsyncContext: AsyncContextNamespace = Object.defineProperties(
  {},
  {
    Variable: { value: Variable, writable: true, configurable: true },
    Snapshot: { value: Snapshot, writable: true, configurable: true },
    [Symbol.toStringTag]: { value: 'AsyncContext', configurable: true },
  },
) as AsyncContextNamespace;

/** Types under the namespace's name: `AsyncContext.Variable<T>`, `AsyncContext.Snapshot`. */
export declare namespace AsyncContext {
  /** An `AsyncContext.Variable` instance. */
  export type Variable<T> = AsyncContextVariable<T>;
  /** An `AsyncContext.Snapshot` instance. */
  export type Snapshot = AsyncContextSnapshot;
  /** The options of `new AsyncContext.Variable(options)`. */
  export type VariableOptions<T> = AsyncContextVariableOptions<T>;
}

export { bindGenerator } from './generator.ts';
export type { AsyncContextSnapshot, AsyncContextSnapshotConstructor } from './snapshot.ts';
export type {
  AsyncContextVariable,
  AsyncContextVariableConstructor,
  AsyncContextVariableOptions,
} from './variable.ts';
