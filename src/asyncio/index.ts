/**
 * contextvars/asyncio: asyncio's context support, for promises, apart from
 * the `contextvars` module as Python keeps it. {@link createTask} runs a
 * function as a {@link Task} with its own Context and AbortSignal;
 * {@link gather} and {@link TaskGroup} run several; {@link callSoon} and
 * {@link callLater} schedule a callback in a copy of the current context.
 * A task is cancelled through its signal, whose listeners run in the task's
 * own context (docs/porting-from-python.md maps `Task.cancel`,
 * `CancelledError` and `asyncio.timeout`).
 *
 * @example
 * ```ts
 * import { ContextVar } from 'contextvars';
 * import { createTask, gather } from 'contextvars/asyncio';
 *
 * const requestId = new ContextVar<string>('requestId', { default: '-' });
 * const [a, b] = await gather(
 *   async () => { requestId.set('a'); return requestId.get(); },
 *   async () => { requestId.set('b'); return requestId.get(); },
 * );
 * requestId.get(); // '-': each ran in its own copy
 * ```
 *
 * @module contextvars/asyncio
 */
export { CancelledError, TaskGroupClosedError, TaskGroupError } from './errors.ts';
export { type Gatherable, type GatherResults, gather } from './gather.ts';
export { type CallOptions, callLater, callSoon, type Handle } from './handles.ts';
export { createTask, currentTask, Task, type TaskOptions } from './task.ts';
export { TaskGroup, type TaskGroupOptions } from './task-group.ts';
