/**
 * Type-level tests of contextvars/async-context: `npm run typecheck` fails
 * when a signature regresses. Nothing here runs.
 */
import { AsyncContext, bindGenerator } from '../../src/async-context/index.ts';
import '../../src/async-context/global.ts';

type Equal<A, B> = (<X>() => X extends A ? 1 : 2) extends <X>() => X extends B ? 1 : 2 ? true : false;
function expectType<T extends true>(_proof?: T): void {}

// Without a defaultValue, get() may return undefined; with one, it returns T.
const traceId = new AsyncContext.Variable<string>();
expectType<Equal<typeof traceId, AsyncContext.Variable<string | undefined>>>();
const level = new AsyncContext.Variable({ name: 'level', defaultValue: 0 });
expectType<Equal<ReturnType<typeof level.get>, number>>();
// @ts-expect-error: the default must be a T
new AsyncContext.Variable<number>({ defaultValue: 'text' });
// @ts-expect-error: the name is a string
new AsyncContext.Variable({ name: 42 });

// run passes the arguments and returns fn's result; the value must be a T.
const sum = level.run(1, (a: number, b: number) => a + b, 2, 3);
expectType<Equal<typeof sum, number>>();
// @ts-expect-error: a string is not a number
level.run('one', () => {});
// @ts-expect-error: the arguments must match fn's parameters
level.run(1, (a: number) => a, 'two');

// Snapshot.run, and wrap keeping `this`, parameters and result.
const snapshot: AsyncContext.Snapshot = new AsyncContext.Snapshot();
const text = snapshot.run((n: number) => String(n), 1);
expectType<Equal<typeof text, string>>();
const wrapped = AsyncContext.Snapshot.wrap(function (this: { base: number }, n: number) {
  return this.base + n;
});
expectType<Equal<typeof wrapped, (this: { base: number }, n: number) => number>>();

// bindGenerator keeps the generator function's type, sync or async.
const ids = bindGenerator(function* (from: number) {
  yield from;
});
expectType<Equal<typeof ids, (this: unknown, from: number) => Generator<number, void, unknown>>>();
const ticks = bindGenerator(async function* () {
  yield 'tick';
});
expectType<Equal<ReturnType<typeof ticks>, AsyncGenerator<string, void, unknown>>>();
// @ts-expect-error: not a generator function
bindGenerator(() => 42);

// The global entry declares globalThis.AsyncContext.
expectType<Equal<typeof globalThis.AsyncContext, typeof AsyncContext>>();
