/**
 * Type-level tests: `npm run typecheck` (part of `npm test`) fails when a
 * public signature regresses. Nothing here runs; every line is checked by tsc.
 * `@ts-expect-error` lines must stay errors: if one compiles, tsc reports it.
 */
import type { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import * as core from '../../src/index.ts';
import {
  bind,
  Context,
  type ContextEntry,
  ContextVar,
  copyContext,
  Token,
  type TokenMissing,
} from '../../src/index.ts';
import {
  type CancelledError,
  createTask,
  currentTask,
  gather,
  type GatherResults,
  type Task,
  TaskGroup,
} from '../../src/asyncio/index.ts';

/** Compiles only when A and B are the same type. */
type Equal<A, B> = (<X>() => X extends A ? 1 : 2) extends <X>() => X extends B ? 1 : 2 ? true : false;
function expectType<T extends true>(_proof?: T): void {}

const name = new ContextVar<string>('name');
const count = new ContextVar('count', { default: 0 });

// get(): T; get(fallback): T | D
const plain = name.get();
expectType<Equal<typeof plain, string>>();
const withFallback = name.get(null);
expectType<Equal<typeof withFallback, string | null>>();
const counted = count.get();
expectType<Equal<typeof counted, number>>();
const countOrText = count.get('none');
expectType<Equal<typeof countOrText, number | 'none'>>();

// The default fixes T when no type argument is given; it must match an explicit T.
expectType<Equal<typeof count, ContextVar<number>>>();
// @ts-expect-error: the default must be a T
new ContextVar<number>('n', { default: 'text' });
// @ts-expect-error: the name must be a string
new ContextVar(42);
// A default of undefined is allowed only when T admits it.
new ContextVar<string | undefined>('u', { default: undefined });
// @ts-expect-error: undefined is not a string
new ContextVar<string>('s', { default: undefined });

// set(value: T): Token<T>
const token = name.set('ada');
expectType<Equal<typeof token, Token<string>>>();
// @ts-expect-error: set takes a T
name.set(1);
expectType<Equal<typeof token.oldValue, string | typeof Token.MISSING>>();
expectType<Equal<typeof Token.MISSING, TokenMissing>>();
// Comparing with Token.MISSING narrows where it holds (an object type is no unit type: not where it does not).
if (token.oldValue === Token.MISSING) {
  expectType<Equal<typeof token.oldValue, TokenMissing>>();
}
// Token.isMissing narrows both ways, on the token's property or on a copy of it.
if (Token.isMissing(token.oldValue)) {
  expectType<Equal<typeof token.oldValue, TokenMissing>>();
} else {
  expectType<Equal<typeof token.oldValue, string>>();
}
const copiedOld = count.set(1).oldValue;
const nextCount = Token.isMissing(copiedOld) ? 0 : copiedOld + 1;
expectType<Equal<typeof nextCount, number>>();
// @ts-expect-error: no other object is a TokenMissing
const _fakeMissing: TokenMissing = { toString: () => '<Token.MISSING>' };
expectType<Equal<typeof token.var, ContextVar<string>>>();
// @ts-expect-error: tokens are made by set(), not by the constructor
new Token();
// @ts-expect-error: a token resets only its own variable's type
count.reset(token);
name.reset(token);
{
  using _scoped = name.set('grace');
}

// name is read-only
// @ts-expect-error: ContextVar.name cannot be assigned
name.name = 'other';

// Context: run keeps fn's parameter and return types; it is a ReadonlyMap.
const ctx = new Context();
const ran = ctx.run((a: number, b: string) => `${a}${b}`, 1, 'x');
expectType<Equal<typeof ran, string>>();
// @ts-expect-error: arguments must match fn's parameters
ctx.run((a: number) => a, 'not a number');
// A callback with overloads (Express's `next`) runs without arguments.
declare const next: { (error?: unknown): void; (deferToNext: 'router'): void };
const nextRan = ctx.run(next);
expectType<Equal<typeof nextRan, void>>();
const scopedNext = count.run(1, next);
expectType<Equal<typeof scopedNext, void>>();
const scopedWithArgs = count.run(1, (a: number, b: string) => `${a}${b}`, 2, 'x');
expectType<Equal<typeof scopedWithArgs, string>>();
// @ts-expect-error: v.run's arguments must match fn's parameters
count.run(1, (a: number) => a, 'not a number');
const fromCtx = ctx.get(count);
expectType<Equal<typeof fromCtx, number | undefined>>();
const fromCtxFallback = ctx.get(count, 'none' as const);
expectType<Equal<typeof fromCtxFallback, number | 'none'>>();
const asMap: ReadonlyMap<ContextVar<unknown>, unknown> = copyContext();
void asMap;
// @ts-expect-error: a Context has no mutating methods
ctx.set(count, 1);

// Tasks keep their result type; gather gives a typed tuple.
const task = createTask(async () => 42);
expectType<Equal<typeof task, Task<number>>>();
expectType<Equal<typeof task.context, Context>>();
async function tuples(): Promise<void> {
  const results = await gather(
    async () => 1,
    () => 'two',
    Promise.resolve(true),
  );
  expectType<Equal<typeof results, [number, string, boolean]>>();
  expectType<Equal<GatherResults<[() => Promise<Date>]>, [Date]>>();
}
void tuples;

// new Context(entries): pairs of a variable and a value of its type.
const startEntries: ContextEntry[] = [
  [name, 'ada'],
  [count, 1],
];
new Context(startEntries);
new Context([[name, 'ada'] satisfies ContextEntry<string>]);
// @ts-expect-error: a value of another type than the variable's
[name, 1] satisfies ContextEntry<string>;
// @ts-expect-error: the key of an entry must be a ContextVar
new Context([['name', 'ada']]);

// Cancellation: cancel says whether it cancelled; cancelled and signal are read-only; currentTask may be undefined.
const cancelled = task.cancel('reason');
expectType<Equal<typeof cancelled, boolean>>();
expectType<Equal<typeof task.cancelled, boolean>>();
expectType<Equal<typeof task.signal, AbortSignal>>();
// @ts-expect-error: cancelled is a getter, not a method (as Task.done and Handle.cancelled)
task.cancelled();
const current = currentTask();
expectType<Equal<typeof current, Task<unknown> | undefined>>();
// @ts-expect-error: outside a task there is none
currentTask().signal;
expectType<Equal<CancelledError extends Error ? true : false, true>>();
new TaskGroup({ signal: AbortSignal.timeout(1) });
// @ts-expect-error: the signal option is an AbortSignal
new TaskGroup({ signal: new AbortController() });

// The core entry is the contextvars module alone: asyncio's API is in contextvars/asyncio.
// @ts-expect-error: createTask is not in the core entry
core.createTask;
// @ts-expect-error: TaskGroup is not in the core entry
core.TaskGroup;
// bind(fn) keeps the function's type; bind(emitter) returns the emitter's own type
const boundFn = bind((a: number, b: string) => `${a}${b}`);
expectType<Equal<typeof boundFn, (a: number, b: string) => string>>();
declare const request: IncomingMessage;
const boundRequest = bind(request);
expectType<Equal<typeof boundRequest, IncomingMessage>>();
declare const emitter: EventEmitter;
expectType<Equal<ReturnType<typeof bind<EventEmitter>>, EventEmitter>>();
bind(emitter).on('data', (chunk: Buffer) => chunk.length);
const target = bind(new EventTarget());
expectType<Equal<typeof target, EventTarget>>();
// @ts-expect-error: a plain object is neither a function nor an emitter
bind({ value: 1 });
// @ts-expect-error: nor is a string
bind('on');
