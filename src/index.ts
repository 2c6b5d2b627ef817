/**
 * contextvars: Python's `contextvars` for TypeScript. {@link ContextVar},
 * {@link Token}, {@link Context} and {@link copyContext}, with asyncio's
 * {@link createTask}, {@link gather}, {@link TaskGroup}, {@link callSoon} and
 * {@link callLater}. Values follow the code across `await`, timers and I/O,
 * and never reach concurrent requests or tasks. The guides — the model,
 * porting from Python, recipes — are linked from the README.
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
export { ContextVar, Token, type ContextVarOptions } from './context-var.ts';
export { Context, copyContext, type ContextEntry } from './context.ts';
export {
  ContextReentryError,
  LookupError,
  TaskGroupClosedError,
  TokenContextError,
  TokenUsedError,
  TokenVarMismatchError,
} from './errors.ts';
export type { EventEmitterLike } from './emitter.ts';
export {
  bind,
  callLater,
  callSoon,
  createTask,
  gather,
  Task,
  TaskGroup,
  TaskGroupError,
  type CallOptions,
  type Gatherable,
  type GatherResults,
  type Handle,
  type TaskOptions,
} from './tasks.ts';
