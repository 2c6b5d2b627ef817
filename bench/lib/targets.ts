/**
 * The ratios the suite reports, and the targets some of them must meet.
 * A comparison is listed only when both of its measurements were taken (the
 * quick run measures a subset).
 *
 * @module
 */
import { storageKind } from '../../src/scope.ts';
import type { StorageKind } from '../../src/runtime/storage.ts';
import { pairedRatio, type Measurement } from './harness.ts';

export interface ComparisonSpec {
  readonly id: string;
  readonly label: string;
  readonly numerator: string;
  readonly denominator: string;
  /** The ratio must be at most this (or below it when `strict`). Absent: reported only. */
  readonly limit?: number;
  readonly strict?: boolean;
}

export interface Comparison extends ComparisonSpec {
  readonly ratio: number;
  readonly spread: number;
  /** Whether the two sides were measured in the same rounds (ratio of each round, then median). */
  readonly paired: boolean;
  readonly pass?: boolean;
}

const HAMT_SIZES = [1, 8, 64, 1024, 100000];
const SET_RESET_SIZES = [1, 10, 100, 1000];
const COPY_SIZES = [1, 10, 100, 1000, 10000];

/**
 * The micro-benchmark's comparisons on a runtime whose storage is `kind`.
 * Where the runtime keeps the store in AsyncContextFrames, a `set` is at
 * least one frame (`enterWith`) and a run two: there set+reset is held to
 * the raw `enterWith(new)`/`enterWith(old)` pair, and CPython's figures for
 * set+reset and run are reported, not promised.
 */
function specs(kind: StorageKind): ComparisonSpec[] {
  const frames = kind === 'async-context-frame';
  const list: ComparisonSpec[] = [
    {
      id: 'get.set/raw',
      label: 'get() (set) / getStore()+Map.get',
      numerator: 'get.set',
      denominator: 'raw.get.set',
      limit: 1.5,
    },
    {
      id: 'get.default/raw',
      label: 'get() (default) / getStore()+Map.get ?? default',
      numerator: 'get.default',
      denominator: 'raw.get.default',
      limit: 1.5,
    },
    {
      id: 'copyContext.10000/1',
      label: 'copyContext() 10,000 vars / 1 var',
      numerator: 'copyContext.10000',
      denominator: 'copyContext.1',
      limit: 1.5,
    },
    {
      id: 'setReset.1000/1',
      label: 'set+reset 1,000 vars / 1 var',
      numerator: 'setReset.1000',
      denominator: 'setReset.1',
      limit: 3,
    },
    {
      id: 'jobLoop.last/first',
      label: 'job loop: a job at 100,000 / a job at 2,000 (S9)',
      numerator: 'jobLoop.last',
      denominator: 'jobLoop.first',
      limit: 1.5,
    },
    {
      id: 'awaitChain.library/als',
      label: 'await chain: library / raw ALS',
      numerator: 'awaitChain.library',
      denominator: 'awaitChain.als',
      limit: 1.1,
    },
    {
      id: 'awaitChain.als/none',
      label: 'await chain: raw ALS / no ALS',
      numerator: 'awaitChain.als',
      denominator: 'awaitChain.none',
    },
    {
      id: 'awaitChain.library/none',
      label: 'await chain: library / no ALS',
      numerator: 'awaitChain.library',
      denominator: 'awaitChain.none',
    },
    { id: 'run/raw', label: 'ctx.run(fn) / als.run(store, fn)', numerator: 'run', denominator: 'raw.run' },
    // v.run makes the scope that carries its value: its counterpart is als.run with a store made per call.
    { id: 'varRun/raw', label: 'v.run(x, fn) / als.run(store, fn)', numerator: 'varRun', denominator: 'raw.run' },
    {
      id: 'varRun/raw.scoped',
      label: 'v.run(x, fn) / als.run({ ...store, k: x }, fn)',
      numerator: 'varRun',
      denominator: 'raw.run.scoped',
      limit: 1,
    },
    {
      id: 'callbacks.immediate/als',
      label: 'setImmediate chain with a set in each: library / raw enterWith',
      numerator: 'callbacks.library.immediate',
      denominator: 'callbacks.als.immediate',
      limit: 1.1,
    },
    {
      id: 'callbacks.http/als',
      label: 'keep-alive HTTP with a set per request: library / raw enterWith',
      numerator: 'callbacks.library.http',
      denominator: 'callbacks.als.http',
      limit: 1.1,
    },
    {
      id: 'otel.with/als',
      label: 'OTel manager.with(ctx, fn): ContextVarContextManager / AsyncLocalStorageContextManager',
      numerator: 'otel.with.contextvars',
      denominator: 'otel.with.als',
      limit: 1,
    },
    {
      id: 'tc39.get/raw',
      label: 'AsyncContext variable.get() / getStore()+Map.get',
      numerator: 'tc39.get',
      denominator: 'raw.get.set',
      limit: 1.5,
    },
    {
      id: 'tc39.run/raw',
      label: 'AsyncContext variable.run(x, fn) / als.run(store, fn)',
      numerator: 'tc39.run',
      denominator: 'raw.run',
    },
    {
      id: 'tc39.run/raw.scoped',
      label: 'AsyncContext variable.run(x, fn) / als.run({ ...store, k: x }, fn)',
      numerator: 'tc39.run',
      denominator: 'raw.run.scoped',
      limit: 1,
    },
    {
      id: 'tc39.run/varRun',
      label: 'AsyncContext variable.run / ContextVar v.run',
      numerator: 'tc39.run',
      denominator: 'varRun',
    },
    {
      id: 'tc39.wrap/raw',
      label: 'AsyncContext.Snapshot.wrap(fn)() / AsyncLocalStorage.bind(fn)()',
      numerator: 'tc39.wrap',
      denominator: 'raw.bind',
      limit: 1.2,
    },
  ];
  list.push({
    id: 'setReset.1/raw.enterPair',
    label: 'set+reset / als.enterWith(new); als.enterWith(old)',
    numerator: 'setReset.1',
    denominator: 'raw.enterPair',
    ...(frames ? { limit: 1.2 } : {}),
  });
  for (const size of SET_RESET_SIZES) {
    list.push({
      id: `setReset.${size}/raw`,
      label: `set+reset @${size} / enterWith(new Map(copy))`,
      numerator: `setReset.${size}`,
      denominator: `raw.setReset.${size}`,
    });
  }
  for (const size of COPY_SIZES) {
    list.push({
      id: `copyContext.${size}/raw`,
      label: `copyContext() @${size} / new Map(current)`,
      numerator: `copyContext.${size}`,
      denominator: `raw.copy.${size}`,
    });
  }
  for (const size of HAMT_SIZES) {
    for (const operation of ['get', 'set', 'delete', 'iterate']) {
      const target: Partial<ComparisonSpec> =
        operation === 'get' || operation === 'set'
          ? { limit: 1, strict: true }
          : operation === 'iterate'
            ? { limit: 1 }
            : {};
      list.push({
        id: `hamt.${operation}.${size}/immutable`,
        label: `HAMT ${operation} @${size} / immutable-js`,
        numerator: `hamt.${operation}.${size}`,
        denominator: `immutable.${operation}.${size}`,
        ...target,
      });
      list.push({
        id: `hamt.${operation}.${size}/cowMap`,
        label: `HAMT ${operation} @${size} / copy-on-write Map`,
        numerator: `hamt.${operation}.${size}`,
        denominator: `cowMap.${operation}.${size}`,
      });
    }
  }
  const core = [
    'get.set',
    'get.default',
    ...SET_RESET_SIZES.map((size) => `setReset.${size}`),
    ...COPY_SIZES.map((size) => `copyContext.${size}`),
    'run',
  ];
  for (const id of core) {
    const promised = !frames || !(id.startsWith('setReset.') || id === 'run');
    list.push({
      id: `${id}/cpython`,
      label: `${id} / CPython C contextvars`,
      numerator: id,
      denominator: `cpython.${id}`,
      ...(promised ? { limit: 1, strict: true } : {}),
    });
  }
  return list;
}

/**
 * Every comparison of `list` (default: the micro-benchmark's) whose two sides
 * were measured; `groupOf` tells whether they share rounds.
 */
export function compare(
  measurements: ReadonlyMap<string, Measurement>,
  groupOf: (id: string) => string | undefined,
  list: readonly ComparisonSpec[] = specs(storageKind),
): Comparison[] {
  const comparisons: Comparison[] = [];
  for (const spec of list) {
    const a = measurements.get(spec.numerator);
    const b = measurements.get(spec.denominator);
    if (a === undefined || b === undefined) continue;
    const paired = groupOf(spec.numerator) === groupOf(spec.denominator);
    const { median: ratio, spread } = paired
      ? pairedRatio(a, b)
      : { median: a.median / b.median, spread: Math.hypot(a.spread, b.spread) };
    const comparison: Comparison = { ...spec, ratio, spread, paired };
    if (spec.limit === undefined) comparisons.push(comparison);
    else comparisons.push({ ...comparison, pass: spec.strict === true ? ratio < spec.limit : ratio <= spec.limit });
  }
  return comparisons;
}
