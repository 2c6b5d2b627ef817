/**
 * contextvars: Python's `contextvars` for TypeScript. {@link ContextVar},
 * {@link Token}, {@link Context}, {@link copyContext} and {@link bind}.
 * Values follow the code across `await`, timers and I/O, and never reach
 * concurrent requests or tasks. asyncio's tasks (createTask, gather,
 * TaskGroup, callSoon, callLater) live apart, in `contextvars/asyncio`, as
 * Python keeps them in `asyncio`. The guides — the model, porting from
 * Python, recipes — are linked from the README.
 *
 * @example
 * ```ts
 * import { ContextVar } from 'contextvars';
 *
 * const requestId = new ContextVar<string>('requestId', { default: '-' });
 * requestId.set('r-42');
 * await somethingAsync();
 * requestId.get(); // 'r-42', in this flow only
 * ```
 *
 * @module contextvars
 */
export { bind } from './bind.ts';
export { ContextVar, Token, type ContextVarOptions } from './context-var.ts';
export { Context, copyContext, type ContextEntry } from './context.ts';
export type { TokenMissing } from './token-missing.ts';
export {
  ContextReentryError,
  LookupError,
  TokenContextError,
  TokenUsedError,
  TokenVarMismatchError,
  UnsupportedRuntimeError,
} from './errors.ts';
export type { EventEmitterLike } from './emitter.ts';
