/**
 * Generators and AsyncContext. The proposal captures the context when a
 * generator object is created and makes it current for every step of the
 * generator's body (each `next`, `throw`, `return`), putting the caller's
 * back when the step ends. A native generator cannot be hooked from a
 * library: its body runs in the context of whoever calls `next()`. The
 * opt-in {@link bindGenerator} gives a generator function the proposal's
 * behaviour.
 *
 * @module
 */
import { currentScope, runInScope, type Scope } from '../scope.ts';
import { describeReceiver } from './built-in.ts';

type Step = 'next' | 'return' | 'throw';
type Steps = Record<Step, (...args: unknown[]) => unknown>;

/** One step of the underlying generator (runInScope passes arguments, not a receiver). */
function resume(generator: Steps, step: Step, args: unknown[]): unknown {
  return generator[step](...args);
}

interface BoundGeneratorClass {
  new (generator: Steps, scope: Scope): Steps;
}

/** A class whose instances forward each step to a generator, inside the scope of its creation. */
function boundGeneratorClass(iteratorPrototype: object, tag: string): BoundGeneratorClass {
  class BoundGenerator {
    readonly #generator: Steps;
    readonly #scope: Scope;

    constructor(generator: Steps, scope: Scope) {
      this.#generator = generator;
      this.#scope = scope;
    }

    next(...args: unknown[]): unknown {
      return runInScope(this.#scope, resume, [this.#generator, 'next', args]);
    }

    return(...args: unknown[]): unknown {
      return runInScope(this.#scope, resume, [this.#generator, 'return', args]);
    }

    throw(...args: unknown[]): unknown {
      return runInScope(this.#scope, resume, [this.#generator, 'throw', args]);
    }
  }
  // %IteratorPrototype% / %AsyncIteratorPrototype%: [Symbol.iterator] / [Symbol.asyncIterator]
  // return the object itself, and the runtime's iterator helpers and disposal apply.
  Object.setPrototypeOf(BoundGenerator.prototype, iteratorPrototype);
  Object.defineProperty(BoundGenerator.prototype, Symbol.toStringTag, { value: tag, configurable: true });
  return BoundGenerator;
}

const BoundGenerator = boundGeneratorClass(
  Object.getPrototypeOf(Object.getPrototypeOf(function* () {}.prototype)) as object,
  'Generator',
);
const BoundAsyncGenerator = boundGeneratorClass(
  Object.getPrototypeOf(Object.getPrototypeOf(async function* () {}.prototype)) as object,
  'AsyncGenerator',
);

/**
 * A generator function whose generator objects run every step — each
 * `next()`, `throw()` and `return()`, and so every stretch of the body between
 * two `yield`s — with the values (of Variables and ContextVars) that were
 * current when the generator object was created, as the AsyncContext
 * proposal specifies for all generators. Native generators run each step in
 * the context of the caller of `next()`; this opt-in gives one generator
 * function the proposal's behaviour. `this` and the arguments pass through.
 *
 * A value a step sets with `ContextVar.set` does not reach the next step
 * (each step starts from the creation snapshot): scope values with
 * `Variable.run` or `ContextVar.run` inside a step.
 *
 * @throws {TypeError} when `genFn` is not a function, or (when called) does not return a generator.
 *
 * @example
 * ```ts
 * const user = new AsyncContext.Variable({ defaultValue: 'anonymous' });
 * const users = bindGenerator(function* () {
 *   yield user.get();
 *   yield user.get();
 * });
 * const iterator = user.run('ada', () => users());
 * user.run('bob', () => iterator.next().value); // 'ada': the value at creation
 * ```
 */
export function bindGenerator<
  This,
  A extends unknown[],
  G extends Generator<unknown, unknown, unknown> | AsyncGenerator<unknown, unknown, unknown>,
>(genFn: (this: This, ...args: A) => G): (this: This, ...args: A) => G;
// biome-ignore lint/complexity/noBannedTypes: any function is accepted and checked at run time, as the spec's IsCallable does
export function bindGenerator(genFn: Function): Function {
  if (typeof genFn !== 'function') {
    throw new TypeError(`bindGenerator expects a generator function, got ${describeReceiver(genFn)}`);
  }
  const { bound } = {
    bound(this: unknown, ...args: unknown[]): unknown {
      const scope = currentScope();
      const generator = Reflect.apply(genFn, this, args) as Steps;
      if (typeof generator !== 'object' || generator === null || typeof generator.next !== 'function') {
        throw new TypeError(
          `bindGenerator: ${genFn.name || 'the function'} returned ${describeReceiver(generator)}, not a generator: ` +
            'pass a function* or async function*',
        );
      }
      return Symbol.asyncIterator in generator
        ? new BoundAsyncGenerator(generator, scope)
        : new BoundGenerator(generator, scope);
    },
  };
  Object.defineProperty(bound, 'name', { value: genFn.name });
  Object.defineProperty(bound, 'length', { value: genFn.length });
  return bound;
}
