/**
 * The library's core operations next to what they cost on a raw
 * AsyncLocalStorage holding a native Map (the copy-on-write design a user
 * would write by hand).
 *
 * @module
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { AsyncContext } from '../../src/async-context/index.ts';
import { Context, ContextVar, copyContext } from '../../src/index.ts';
import type { BenchCase } from '../lib/harness.ts';

export interface BenchGroup {
  readonly name: string;
  readonly cases: BenchCase[];
  /** Ids of the cases CPython also runs (bench/core/cpython_contextvars.py), for comparison in the same rounds. */
  readonly cpython?: readonly string[];
}

// One AsyncLocalStorage for every raw case: a second instance would write a second key onto
// the same resources and slow down both.
const als = new AsyncLocalStorage<Map<object, unknown>>();
/** The same storage holding a plain object, the form a hand-written per-call store takes. */
const objectAls = als as unknown as AsyncLocalStorage<Record<string, number>>;

/** `count` fresh variables, each with a default (so a missing one still reads). */
function variables(count: number, prefix: string): ContextVar<number>[] {
  return Array.from({ length: count }, (_, i) => new ContextVar<number>(`${prefix}${i}`, { default: -1 }));
}

/** A Context in which each of `vars` is set. */
function contextWith(vars: readonly ContextVar<number>[]): Context {
  const context = new Context();
  context.run(() => {
    for (let i = 0; i < vars.length; i++) vars[i]!.set(i);
  });
  return context;
}

/** The raw equivalent: a native Map with the same keys and values. */
function mapWith(vars: readonly ContextVar<number>[]): Map<object, unknown> {
  return new Map(vars.map((v, i) => [v, i]));
}

function inContext(context: Context): (batch: () => unknown) => unknown {
  return (batch) => context.run(batch);
}

function inStore(store: Map<object, unknown>): (batch: () => unknown) => unknown {
  return (batch) => als.run(store, batch);
}

/** `v.get()` with the value set and from the default, next to `getStore()` + `Map.get`. */
function getGroup(): BenchGroup {
  const vars = variables(10, 'get');
  const present = vars[3]!;
  const absent = new ContextVar<number>('absent', { default: 7 });
  const context = contextWith(vars);
  const store = mapWith(vars);
  const variable = new AsyncContext.Variable({ name: 'tc39', defaultValue: -1 });
  return {
    name: 'get',
    cpython: ['get.set', 'get.default'],
    cases: [
      { id: 'get.set', label: 'v.get() (value set)', op: () => present.get(), within: inContext(context) },
      { id: 'get.default', label: 'v.get() (default)', op: () => absent.get(), within: inContext(context) },
      {
        id: 'tc39.get',
        label: 'AsyncContext variable.get() (value set)',
        op: () => variable.get(),
        within: (batch) => context.run(() => variable.run(3, batch)),
      },
      {
        id: 'raw.get.set',
        label: 'als.getStore().get(k)',
        op: () => als.getStore()!.get(present),
        within: inStore(store),
      },
      {
        id: 'raw.get.default',
        label: 'als.getStore().get(k) ?? default',
        op: () => als.getStore()!.get(absent) ?? 7,
        within: inStore(store),
      },
    ],
  };
}

export const SET_RESET_SIZES = [1, 10, 100, 1000] as const;

/** `v.set(x)` then `v.reset(token)`, next to entering a copied Map and entering the old one again. */
function setResetGroup(sizes: readonly number[]): BenchGroup {
  const cases: BenchCase[] = [];
  for (const size of sizes) {
    const vars = variables(size, `set${size}.`);
    const target = vars[0]!;
    const context = contextWith(vars);
    const store = mapWith(vars);
    cases.push({
      id: `setReset.${size}`,
      label: `v.set(x); v.reset(t) @${size} vars`,
      op: (i) => {
        const token = target.set(i);
        target.reset(token);
        return token;
      },
      within: inContext(context),
    });
    cases.push({
      id: `raw.setReset.${size}`,
      label: `als.enterWith(new Map(copy).set(k, x)); als.enterWith(old) @${size}`,
      op: (i) => {
        const current = als.getStore()!;
        const next = new Map(current).set(target, i);
        als.enterWith(next);
        als.enterWith(current);
        return next;
      },
      within: inStore(store),
    });
  }
  // The least a set+reset can cost where the store lives in AsyncContextFrames: two frames.
  const pairStore = { k: -1 };
  cases.push({
    id: 'raw.enterPair',
    label: 'als.enterWith({ k: x }); als.enterWith(old)',
    op: (i) => {
      const current = objectAls.getStore()!;
      const next = { k: i };
      objectAls.enterWith(next);
      objectAls.enterWith(current);
      return next;
    },
    within: (fn) => objectAls.run(pairStore, fn),
  });
  return { name: 'set+reset', cases, cpython: sizes.map((size) => `setReset.${size}`) };
}

export const COPY_SIZES = [1, 10, 100, 1000, 10000] as const;

/** `copyContext()` next to `new Map(current)`. */
function copyGroup(sizes: readonly number[]): BenchGroup {
  const cases: BenchCase[] = [];
  for (const size of sizes) {
    const vars = variables(size, `copy${size}.`);
    cases.push({
      id: `copyContext.${size}`,
      label: `copyContext() @${size} vars`,
      op: () => copyContext(),
      within: inContext(contextWith(vars)),
    });
    cases.push({
      id: `raw.copy.${size}`,
      label: `new Map(als.getStore()) @${size}`,
      op: () => new Map(als.getStore()),
      within: inStore(mapWith(vars)),
    });
  }
  return { name: 'copyContext', cases, cpython: sizes.map((size) => `copyContext.${size}`) };
}

/** `ctx.run(fn)` and `v.run(x, fn)` next to `als.run(store, fn)`. */
function runGroup(): BenchGroup {
  const vars = variables(10, 'run');
  const context = contextWith(vars);
  const store = mapWith(vars);
  const scoped = vars[3]!;
  const work = (): number => 1;
  const variable = new AsyncContext.Variable({ name: 'tc39', defaultValue: -1 });
  const objectStore: Record<string, number> = Object.fromEntries(vars.map((v, i) => [v.name, i]));
  const spread = (values: Record<string, number>, x: number) => ({ ...values, run3: x });
  return {
    name: 'run',
    cpython: ['run'],
    cases: [
      { id: 'run', label: 'ctx.run(fn)', op: () => context.run(work) },
      { id: 'varRun', label: 'v.run(x, fn) (10 vars)', op: (i) => scoped.run(i, work), within: inContext(context) },
      { id: 'raw.run', label: 'als.run(store, fn)', op: () => als.run(store, work) },
      // What v.run does by hand: a store that holds the caller's values and the scoped one (the
      // store above is made once, before the loop; scoping a value needs a new one each call).
      {
        id: 'raw.run.scoped',
        label: 'als.run({ ...store, k: x }, fn)',
        op: (i) => objectAls.run(spread(objectStore, i), work),
      },
      // Inside the same Context as ctx.run's: the new value goes into a 10-variable snapshot.
      // The same code path (runWithValue) as v.run: what the facade adds is the difference.
      {
        id: 'tc39.run',
        label: 'AsyncContext variable.run(x, fn)',
        op: (i) => variable.run(i, work),
        within: inContext(context),
      },
    ],
  };
}

/** `AsyncContext.Snapshot.wrap(fn)()` next to `AsyncLocalStorage.bind(fn)()`: capture, then one call. */
function wrapGroup(): BenchGroup {
  const context = contextWith(variables(10, 'wrap'));
  const store = mapWith(variables(10, 'wrapRaw'));
  const work = (): number => 1;
  return {
    name: 'wrap',
    cases: [
      {
        id: 'tc39.wrap',
        label: 'AsyncContext.Snapshot.wrap(fn)()',
        op: () => AsyncContext.Snapshot.wrap(work)(),
        within: inContext(context),
      },
      {
        id: 'raw.bind',
        label: 'AsyncLocalStorage.bind(fn)()',
        op: () => AsyncLocalStorage.bind(work)(),
        within: inStore(store),
      },
    ],
  };
}

export function contextGroups(quick: boolean): BenchGroup[] {
  return [
    getGroup(),
    setResetGroup(quick ? [1, 1000] : SET_RESET_SIZES),
    copyGroup(quick ? [1, 10000] : COPY_SIZES),
    runGroup(),
    wrapGroup(),
  ];
}
