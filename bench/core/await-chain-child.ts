/**
 * Child process of the await-chain benchmark: times a chain of awaits in one
 * of three settings and prints one JSON line. Each setting gets a fresh
 * process because on Node 20 and 22 enabling any AsyncLocalStorage installs a
 * promise hook for the rest of the process, so "no ALS" cannot be measured
 * after the other two in the same process.
 *
 * Usage: node --expose-gc --import tsx bench/core/await-chain-child.ts <library|als|none> <awaits> <repeats> [cpu|wall]
 *
 * @module
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { now, useClock } from '../lib/harness.ts';

type Mode = 'library' | 'als' | 'none';

const [modeArgument = '', awaitsArgument = '', repeatsArgument = '', clockArgument = 'cpu'] = process.argv.slice(2);
if (modeArgument !== 'library' && modeArgument !== 'als' && modeArgument !== 'none') {
  throw new TypeError(`mode must be library, als or none, got '${modeArgument}'`);
}
const mode: Mode = modeArgument;
const awaits = Number(awaitsArgument);
const repeats = Number(repeatsArgument);
if (!Number.isInteger(awaits) || awaits < 1 || !Number.isInteger(repeats) || repeats < 1) {
  throw new RangeError(`awaits and repeats must be positive integers, got '${awaitsArgument}' '${repeatsArgument}'`);
}
if (clockArgument !== 'cpu' && clockArgument !== 'wall')
  throw new TypeError(`clock must be cpu or wall, got '${clockArgument}'`);
useClock(clockArgument);
const VARIABLES = 10;

/** The chain itself: nothing in it touches context, so any extra cost is per-await propagation. */
async function chain(count: number): Promise<number> {
  let total = 0;
  for (let i = 0; i < count; i++) total += await i;
  return total;
}

async function makeRunner(): Promise<(count: number) => Promise<number>> {
  if (mode === 'none') return chain;
  if (mode === 'als') {
    const als = new AsyncLocalStorage<Map<object, number>>();
    const keys = Array.from({ length: VARIABLES }, () => ({}));
    const store = new Map(keys.map((key, i) => [key, i]));
    return (count) =>
      als.run(store, async () => {
        const total = await chain(count);
        if (als.getStore()?.get(keys[3]!) !== 3) throw new Error('the store was lost across the chain');
        return total;
      });
  }
  const { Context, ContextVar } = await import('../../src/index.ts');
  const vars = Array.from({ length: VARIABLES }, (_, i) => new ContextVar<number>(`v${i}`));
  const context = new Context();
  context.run(() => {
    for (const [i, v] of vars.entries()) v.set(i);
  });
  return (count) =>
    context.run(async () => {
      const total = await chain(count);
      if (vars[3]!.get() !== 3) throw new Error('the context was lost across the chain');
      return total;
    });
}

const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
const run = await makeRunner();
await run(Math.min(awaits, 200_000));
const nsPerAwait: number[] = [];
let sink = 0;
for (let r = 0; r < repeats; r++) {
  gc();
  const start = now();
  sink += await run(awaits);
  nsPerAwait.push((now() - start) / awaits);
}
process.stdout.write(`${JSON.stringify({ mode, awaits, nsPerAwait, sink: sink > 0 })}\n`);
