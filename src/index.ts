/**
 * contextvars: Python's `contextvars` for TypeScript.
 *
 * @example
 * ```ts
 * import { ContextVar, copyContext } from 'contextvars';
 *
 * const requestId = new ContextVar<string>('requestId');
 * requestId.set('r-42');
 * await somethingAsync();
 * requestId.get(); // 'r-42', in this flow only
 * ```
 *
 * @module
 */
export { ContextVar, Token, type ContextVarOptions } from './context-var.ts';
export { Context, copyContext } from './context.ts';
export {
  ContextReentryError,
  LookupError,
  TokenContextError,
  TokenUsedError,
  TokenVarMismatchError,
} from './errors.ts';
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
