/**
 * Nothing outlives its flow: after 100,000 finished tasks and 100,000
 * Contexts, each holding a few sizable values, a full collection brings the
 * heap back to where it started, and a sample of the values, Contexts and
 * snapshots is really gone (WeakRef cleared, FinalizationRegistry called).
 * scripts/test.mjs runs node with --expose-gc.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Context, ContextVar } from '../../../src/index.ts';
import { callSoon, createTask } from '../../../src/asyncio/index.ts';
import { currentScope } from '../../../src/scope.ts';
import { collectAndSettle } from '../../support/gc.ts';

const COUNT = 100_000;
const BATCH = 1_000;
const SAMPLE_EVERY = 997; // a prime, so samples fall on every position in a batch
/** How far above its starting point the heap may settle; retaining the workload would be ~150 MB. */
const HEAP_SLACK_BYTES = 4 * 1024 * 1024;

const samples = new ContextVar<Float64Array>('samples');
const record = new ContextVar<{ readonly label: string; readonly values: readonly number[] }>('record');
const label = new ContextVar<string>('label');

async function settledHeapUsed(): Promise<number> {
  await collectAndSettle(6);
  return process.memoryUsage().heapUsed;
}

/**
 * One registry for every watch: on Node 20, once a FinalizationRegistry with
 * pending callbacks is itself collected, other registries' callbacks stopped
 * arriving, so a registry per watch made this test depend on GC timing.
 */
const finalization = new FinalizationRegistry<() => void>((onFinalized) => onFinalized());

/** Sampled objects that must all be collected once their flow is over. */
class Watch {
  readonly #refs: { readonly kind: string; readonly ref: WeakRef<object> }[] = [];
  readonly #finalized = new Map<string, number>();

  add(kind: string, target: object): void {
    this.#refs.push({ kind, ref: new WeakRef(target) });
    finalization.register(target, () => this.#finalized.set(kind, (this.#finalized.get(kind) ?? 0) + 1));
  }

  /** How many were watched, are still reachable and were finalized, by kind. */
  survivors(): Record<string, { watched: number; alive: number; finalized: number }> {
    const byKind: Record<string, { watched: number; alive: number; finalized: number }> = {};
    for (const { kind, ref } of this.#refs) {
      byKind[kind] ??= { watched: 0, alive: 0, finalized: this.#finalized.get(kind) ?? 0 };
      const entry = byKind[kind];
      entry.watched += 1;
      if (ref.deref() !== undefined) entry.alive += 1;
    }
    return byKind;
  }
}

/** Three sizable values per flow, every one distinct. */
function setValues(i: number): void {
  samples.set(new Float64Array(64).fill(i));
  record.set({ label: `record ${i}`, values: Array.from({ length: 32 }, (_, k) => i + k) });
  label.set(`flow ${i} `.repeat(8));
}

async function runTasks(watch: Watch, count: number): Promise<void> {
  for (let start = 0; start < count; start += BATCH) {
    const batch: Promise<number>[] = [];
    for (let i = start; i < start + BATCH; i++) {
      const task = createTask(async () => {
        setValues(i);
        await null;
        samples.set(new Float64Array(64).fill(-i));
        await new Promise((resolve) => setImmediate(resolve));
        if (i % SAMPLE_EVERY === 0) {
          watch.add('task value', samples.get());
          watch.add('task snapshot', currentScope().mapping);
        }
        return samples.get()[0]!;
      });
      if (i % SAMPLE_EVERY === 0) watch.add('task context', task.context);
      batch.push(task);
    }
    const results = await Promise.all(batch);
    assert.equal(results[1], -(start + 1));
  }
}

function runContexts(watch: Watch, count: number): void {
  for (let i = 0; i < count; i++) {
    const context = new Context();
    context.run(() => {
      setValues(i);
      if (i % SAMPLE_EVERY === 0) {
        watch.add('context value', samples.get());
        watch.add('context snapshot', currentScope().mapping);
      }
    });
    assert.equal(context.size, 3);
    if (i % SAMPLE_EVERY === 0) watch.add('context', context);
  }
}

test('100,000 tasks and 100,000 Contexts with sizable values leave the heap where it started', async () => {
  // Warm up, so compiled code and lazily built runtime state are not counted as growth.
  await runTasks(new Watch(), 2 * BATCH);
  runContexts(new Watch(), 2 * BATCH);
  const before = await settledHeapUsed();

  const watch = new Watch();
  await runTasks(watch, COUNT);
  runContexts(watch, COUNT);
  const after = await settledHeapUsed();

  const growth = after - before;
  assert.ok(
    growth < HEAP_SLACK_BYTES,
    `heap grew by ${(growth / 1024 / 1024).toFixed(1)} MB (${before} -> ${after} bytes used)`,
  );
  const survivors = watch.survivors();
  for (const [kind, { watched, alive, finalized }] of Object.entries(survivors)) {
    assert.ok(watched >= 100, `${kind}: only ${watched} sampled`);
    assert.equal(alive, 0, `${kind}: ${alive} of ${watched} still reachable`);
    assert.equal(finalized, watched, `${kind}: ${finalized} of ${watched} finalized`);
  }
  assert.deepEqual(Object.keys(survivors).sort(), [
    'context',
    'context snapshot',
    'context value',
    'task context',
    'task snapshot',
    'task value',
  ]);
});

// uvloop's test_context.py, test_task_context_4 (a copy of a CPython check): a
// value set in a task that scheduled a callback is released once both are done.
test('test_task_context_4: a value set in a finished task that scheduled a callback is collected', async () => {
  const cvar = new ContextVar<object>('cvar');
  class TrackMe {}

  /** The scenario in a function of its own, so no stack slot of the test keeps the object. */
  async function scenario(): Promise<WeakRef<TrackMe>> {
    const tracked = new TrackMe();
    async function sub(): Promise<void> {
      cvar.set(tracked);
      callSoon(() => {});
    }
    async function main(): Promise<void> {
      await createTask(sub);
      await sleep(10);
    }
    await createTask(main);
    return new WeakRef(tracked);
  }

  const ref = await scenario();
  // Bun's collector scans the stack conservatively: a stale slot can keep the object for a pass or
  // two, so collect until it is gone (at most 20 passes), as a finished flow must let it go.
  for (let pass = 0; pass < 20 && ref.deref() !== undefined; pass++) {
    await collectAndSettle(1);
    await sleep(5);
  }
  assert.equal(ref.deref(), undefined);
});

test('a finished Context.run flow keeps nothing alive: neither the value it set nor a snapshot another variable read', async () => {
  const big = new ContextVar<Uint8Array>('big');
  const other = new ContextVar<string>('other', { default: '-' });
  let ref!: WeakRef<Uint8Array>;
  new Context().run(() => {
    const buffer = new Uint8Array(50 * 1024 * 1024);
    ref = new WeakRef(buffer);
    big.set(buffer);
    assert.equal(other.get(), '-'); // a read of another variable in the same snapshot
    assert.equal(big.get(), buffer);
  });
  await collectAndSettle(6);
  assert.equal(ref.deref(), undefined);
});

const MILLION = 1_000_000;
/** Retention bound for a million sets: the values are small numbers, so anything kept per set shows. */
const CHAIN_SLACK_BYTES = 8 * 1024 * 1024;

test('a million sets in one long-lived flow retain nothing from one set to the next', async (t) => {
  const v = new ContextVar<number>('counter');
  const context = new Context();
  let first!: WeakRef<object>;
  context.run(() => v.set(-1)); // warm up
  const before = await settledHeapUsed();
  context.run(() => {
    first = new WeakRef(v.set(0));
    for (let i = 1; i < MILLION; i++) v.set(i);
  });
  const after = await settledHeapUsed();
  t.diagnostic(`heap growth after 1,000,000 sets: ${((after - before) / 1024 / 1024).toFixed(2)} MB`);
  assert.equal(context.get(v), MILLION - 1);
  assert.equal(first.deref(), undefined, 'the first token is collected');
  assert.ok(after - before < CHAIN_SLACK_BYTES, `heap grew by ${((after - before) / 1024 / 1024).toFixed(1)} MB`);
});

test('a million scoped set/reset pairs across awaits in one flow retain nothing', async (t) => {
  const v = new ContextVar<number>('depth', { default: 0 });
  const w = new ContextVar<number>('request', { default: 0 });
  const context = new Context();
  const before = await settledHeapUsed();
  await context.run(async () => {
    w.set(1); // a live value under every pair
    for (let i = 0; i < MILLION; i++) {
      const token = v.set(i);
      if (i % 1000 === 0) await new Promise((resolve) => setImmediate(resolve));
      else await null;
      v.reset(token);
    }
  });
  const after = await settledHeapUsed();
  t.diagnostic(`heap growth after 1,000,000 scoped pairs: ${((after - before) / 1024 / 1024).toFixed(2)} MB`);
  assert.equal(context.get(v, 'none'), 'none');
  assert.ok(after - before < CHAIN_SLACK_BYTES, `heap grew by ${((after - before) / 1024 / 1024).toFixed(1)} MB`);
});
