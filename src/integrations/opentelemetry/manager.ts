/**
 * OpenTelemetry's context propagation on a ContextVar: a `ContextManager`
 * (the interface of `@opentelemetry/api`) whose active context is the value
 * of a ContextVar. Spans then follow the same rules as every other variable:
 * `await`, timers, I/O, `createTask`, `callLater`, `bind` and
 * `copyContext().run` carry the active span with them.
 *
 * Invariant: `with(ctx, fn)` scopes ctx to fn as `ContextVar.run` does
 * (docs/semantics.md, S8): nothing can undo it for fn or what fn schedules,
 * and neither the caller nor work started beside fn ever sees it.
 */
import { ROOT_CONTEXT, type Context as OtelContext, type ContextManager } from '@opentelemetry/api';
import { bindListeners, isEmitter } from '../../emitter.ts';
import { ContextVar, Token, TokenContextError } from '../../index.ts';
import { runWithEntries } from '../propagation/arrival.ts';
import { arrivedValues } from './propagator.ts';

// Resolved at run time as the core does: Node 20.0-20.3 has no Symbol.dispose.
const DISPOSE: typeof Symbol.dispose = Symbol.dispose ?? Symbol.for('Symbol.dispose');

/**
 * What {@link ContextVarContextManager.attach} returns: `@opentelemetry/api`'s
 * `ContextManagementToken` (API 1.10), usable with `using` too.
 *
 * @example
 * ```ts
 * {
 *   using _ = manager.attach(ctx); // `using` needs TypeScript 5.2+ or Node 24+
 *   manager.active() === ctx; // true
 * } // the previous context is active again
 * ```
 */
export interface ContextAttachment {
  /**
   * Makes the context that was active before the `attach` active again;
   * later calls do nothing.
   */
  dispose(): void;
  /** The same as `dispose()`, for `using`. */
  [Symbol.dispose](): void;
}

/**
 * Wraps the ContextVar token of an `attach`. `dispose` resets it where the
 * token allows (the flow that attached, also after an `await`: the reset then
 * also reaches code that resumes after an awaited function that attached,
 * docs/semantics.md, S3); from any other flow it makes the earlier context active in
 * the disposing frame, as AsyncLocalStorageContextManager's `enterWith`
 * does. It never throws, and runs once.
 */
class Attachment implements ContextAttachment {
  #token: Token<OtelContext> | undefined;

  constructor(token: Token<OtelContext>) {
    this.#token = token;
  }

  dispose(): void {
    const token = this.#token;
    if (token === undefined) return;
    this.#token = undefined;
    try {
      token.var.reset(token);
    } catch (error) {
      if (!(error instanceof TokenContextError)) throw error;
      token.var.set(Token.isMissing(token.oldValue) ? ROOT_CONTEXT : token.oldValue);
    }
  }

  [DISPOSE](): void {
    this.dispose();
  }
}

type Listener = (...args: unknown[]) => unknown;

/** `fn.apply(thisArg, args)`: a function of its own, so that a `with` given a `this` makes no closure. */
function callWithThis<A extends unknown[], R>(fn: (...args: A) => R, thisArg: unknown, args: A): R {
  return fn.apply(thisArg, args);
}

let managersCreated = 0;

/**
 * An OpenTelemetry `ContextManager` backed by a {@link ContextVar}: register it
 * with `context.setGlobalContextManager` and the active span follows your code
 * across `await`, timers and I/O, is isolated between concurrent requests, and
 * travels with this library's Contexts and tasks.
 *
 * `disable()` forgets every context entered so far (as
 * AsyncLocalStorageContextManager's does); `with`, `bind` and `attach` keep
 * working afterwards. Each manager has its own variable, so two managers never
 * see each other's contexts.
 *
 * @example
 * ```ts
 * import { context, trace } from '@opentelemetry/api';
 * import { ContextVarContextManager } from 'contextvars/opentelemetry';
 *
 * context.setGlobalContextManager(new ContextVarContextManager().enable());
 * const tracer = trace.getTracer('app');
 * await tracer.startActiveSpan('request', async (span) => {
 *   await lookup(); // spans started here are children of 'request'
 *   span.end();
 * });
 * ```
 */
export class ContextVarContextManager implements ContextManager {
  #variable: ContextVar<OtelContext>;
  readonly #name: string;
  // Each manager patches an emitter under its own key, so two managers can bind the same emitter.
  readonly #boundListeners = Symbol('contextvars.opentelemetry.boundListeners');

  /** A manager with its own ContextVar; `enable()` it and pass it to `context.setGlobalContextManager`. */
  constructor() {
    this.#name = `opentelemetry.context#${++managersCreated}`;
    this.#variable = new ContextVar<OtelContext>(this.#name, { default: ROOT_CONTEXT });
  }

  /**
   * The active OpenTelemetry context: the one the innermost `with`, bound
   * function or `attach` entered in this flow, else `ROOT_CONTEXT`.
   *
   * @example
   * ```ts
   * manager.with(ROOT_CONTEXT.setValue(key, 1), () => manager.active().getValue(key)); // 1
   * ```
   */
  active(): OtelContext {
    return this.#variable.get();
  }

  /**
   * Calls `fn.call(thisArg, ...args)` with `context` active, as
   * `ContextVar.run` scopes a value: everything fn schedules
   * (continuations, timers, I/O) keeps `context`, and the caller's active
   * context is unchanged when `with` returns or throws.
   *
   * @example
   * ```ts
   * const span = tracer.startSpan('work');
   * await manager.with(trace.setSpan(manager.active(), span), async () => {
   *   await step(); // trace.getActiveSpan() === span here
   * });
   * ```
   *
   * @typeParam A - the types of `args`.
   * @typeParam F - the function's type; `with` returns what it returns.
   */
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    context: OtelContext,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    const variable = this.#variable;
    // An incoming request's first `with`: its propagated values enter in the same frame (propagator.ts).
    const arrived = arrivedValues(context, variable);
    if (arrived !== undefined) {
      return runWithEntries([[variable, context], ...arrived], callWithThis<A, ReturnType<F>>, [fn, thisArg, args]);
    }
    // The common calls (no `this`, no arguments: startActiveSpan's) neither spread nor wrap.
    if (thisArg !== undefined) return variable.run(context, callWithThis<A, ReturnType<F>>, fn, thisArg, args);
    return args.length === 0 ? variable.run(context, fn as () => ReturnType<F>) : variable.run(context, fn, ...args);
  }

  /**
   * Binds `target` to `context`: a function runs with `context` active on
   * every call; an EventEmitter or EventTarget calls every listener added
   * from now on with `context` active (and `removeListener`/`off`/
   * `removeEventListener` still find them), by the same mechanism as the
   * core's `bind(emitter)`. Any other value is returned unchanged.
   *
   * @example
   * ```ts
   * const onDone = manager.bind(manager.active(), () => trace.getActiveSpan());
   * setTimeout(onDone); // sees the span that was active when bind was called
   * manager.bind(manager.active(), request); // listeners of `request` see it too
   * ```
   */
  bind<T>(context: OtelContext, target: T): T {
    if (typeof target === 'function') return this.#bindFunction(context, target as unknown as Listener) as T;
    if (!isEmitter(target)) return target;
    return bindListeners(target, this.#boundListeners, (listener) => this.#bindFunction(context, listener as Listener));
  }

  /**
   * Makes `context` active for the rest of the current frame and everything
   * it schedules, like `ContextVar.set` (the optional `attach` of
   * `@opentelemetry/api` 1.10). The returned token's `dispose()` (or
   * `using`) restores the context that was active before; a second
   * `dispose()` does nothing. Prefer `with`: an `attach` before the first
   * `await` of an async function is visible to its caller until disposed
   * (as with AsyncLocalStorageContextManager).
   *
   * @example
   * ```ts
   * const token = manager.attach(ROOT_CONTEXT.setValue(key, 1));
   * try {
   *   await work(); // manager.active().getValue(key) === 1
   * } finally {
   *   token.dispose(); // the previous context is active again
   * }
   * ```
   */
  attach(context: OtelContext): ContextAttachment {
    return new Attachment(this.#variable.set(context));
  }

  /**
   * Returns this manager; it works from construction on, so enabling is a
   * no-op kept for the `ContextManager` interface.
   *
   * @example
   * ```ts
   * context.setGlobalContextManager(new ContextVarContextManager().enable());
   * ```
   */
  enable(): this {
    return this;
  }

  /**
   * Forgets every context entered so far: from now on `active()` returns
   * `ROOT_CONTEXT` everywhere until a new `with`, bound call or `attach`.
   * Returns this manager.
   *
   * @example
   * ```ts
   * manager.disable();
   * manager.active(); // ROOT_CONTEXT, even inside an earlier manager.with(...)
   * ```
   */
  disable(): this {
    // A fresh variable is a key no snapshot holds: every earlier value becomes unreachable.
    this.#variable = new ContextVar<OtelContext>(this.#name, { default: ROOT_CONTEXT });
    return this;
  }

  #bindFunction(context: OtelContext, target: Listener): Listener {
    const manager = this;
    const bound = function (this: unknown, ...args: unknown[]): unknown {
      return manager.with(context, target, this, ...args);
    };
    Object.defineProperty(bound, 'length', { value: target.length, configurable: true });
    return bound;
  }
}
