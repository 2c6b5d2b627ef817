/**
 * Measurement core: each case is timed in batches, the cases of a group are
 * interleaved round by round (so machine noise hits every member of a group
 * alike), and a result is the median over rounds with its spread.
 *
 * Micro-benchmark traps this module avoids:
 * - one shared loop calling many different closures would make its call site
 *   megamorphic and time the dispatch: every case gets its own loop, compiled
 *   from source by `new Function`, so its call site sees one function;
 * - dead-code elimination: the loop keeps the last result and the caller
 *   stores it in a sink that is read at the end;
 * - cold code: each case is calibrated (which warms it up) and run once more
 *   before the first timed round;
 * - garbage from one case billed to the next: a young-generation GC runs
 *   before every batch and a full one before every group (with `--expose-gc`).
 *
 * @module
 */
import { seededRandom } from '../../tools/random.ts';

/** One timed operation. `op(i)` is called with the iteration number. */
export interface BenchCase {
  readonly id: string;
  readonly label: string;
  readonly op: (i: number) => unknown;
  /** Runs `batch` in the setting the case needs (e.g. inside a Context), returning its result. */
  readonly within?: (batch: () => unknown) => unknown;
}

/** A case's measurement: ns per op of every round, in round order. */
export interface Measurement {
  readonly id: string;
  readonly label: string;
  readonly samples: number[];
  readonly median: number;
  /** Half the interquartile range, relative to the median (0.05 = ±5%). */
  readonly spread: number;
  readonly iterations: number;
}

export interface RoundOptions {
  readonly rounds: number;
  /** Each batch runs at least this long once calibrated. */
  readonly batchMs: number;
}

type Loop = (op: (i: number) => unknown, n: number) => unknown;

/** A fresh copy of the timing loop: its own bytecode, so its own type feedback. */
function newLoop(): Loop {
  // new Function on purpose: one compiled copy per case is the point.
  return new Function('op', 'n', 'let r; for (let i = 0; i < n; i++) r = op(i); return r;') as Loop;
}

let sink: unknown;
/** Read the sink so no engine can prove the results unused. */
export function sinkValue(): unknown {
  return sink;
}

type Gc = (options?: { type: 'minor' | 'major' }) => void;
const gc: Gc | undefined = (globalThis as { gc?: Gc }).gc;

/** A young-generation GC: every batch starts with an empty nursery. */
function collectYoung(): void {
  gc?.({ type: 'minor' });
}

/** A full GC, before a group starts. */
export function collectAll(): void {
  gc?.();
}

export function hasGc(): boolean {
  return typeof (globalThis as { gc?: unknown }).gc === 'function';
}

/**
 * The clock batches are timed with. `cpu` (the default) is this process's
 * user + system CPU time: on a shared, oversubscribed machine it leaves out
 * the time the process waited for a core, which wall time would bill to
 * whichever case happened to be running.
 */
export type ClockKind = 'cpu' | 'wall';
let clockKind: ClockKind = 'cpu';

export function useClock(kind: ClockKind): void {
  clockKind = kind;
}

export function clockName(): ClockKind {
  return clockKind;
}

/** Nanoseconds on the selected clock (CPU time has microsecond resolution). */
export function now(): number {
  if (clockKind === 'wall') return Number(process.hrtime.bigint());
  const usage = process.cpuUsage();
  return (usage.user + usage.system) * 1000;
}

interface Prepared {
  readonly bench: BenchCase;
  readonly batch: (n: number) => number;
  iterations: number;
}

function prepare(bench: BenchCase): Prepared {
  const loop = newLoop();
  const op = bench.op;
  const within = bench.within;
  const batch = (n: number): number => {
    const start = now();
    sink = within === undefined ? loop(op, n) : within(() => loop(op, n));
    return now() - start;
  };
  return { bench, batch, iterations: 1 };
}

/** Doubles the iteration count until one batch lasts `batchMs` (this also warms the case up). */
function calibrate(prepared: Prepared, batchMs: number): void {
  const target = batchMs * 1e6;
  let n = 1;
  for (;;) {
    // The lower of two runs: the first batch of a case also pays for compiling it.
    const elapsed = Math.min(prepared.batch(n), prepared.batch(n));
    if (elapsed >= target || n >= 2 ** 30) break;
    const factor = elapsed <= 0 ? 16 : Math.min(16, Math.max(2, (target / elapsed) * 1.2));
    n = Math.ceil(n * factor);
  }
  prepared.iterations = n;
}

export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

export function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const position = (sorted.length - 1) * q;
  const low = Math.floor(position);
  const high = Math.ceil(position);
  const lowValue = sorted[low] ?? Number.NaN;
  const highValue = sorted[high] ?? Number.NaN;
  return lowValue + (highValue - lowValue) * (position - low);
}

/** Half the interquartile range over the median. */
export function relativeSpread(values: readonly number[]): number {
  const m = median(values);
  return m === 0 ? 0 : (quantile(values, 0.75) - quantile(values, 0.25)) / 2 / m;
}

/** Cases timed by another process (CPython); one call of `round` gives one sample of each. */
export interface ExternalCases {
  readonly cases: readonly { readonly id: string; readonly label: string; readonly key: string }[];
  /** ns per op of each case, keyed by `key`. */
  round(): Record<string, number>;
}

/**
 * Times every case of a group in `rounds` interleaved rounds, each in its own
 * shuffled order (a fixed seed), so that no case always runs right after the
 * same one: what a case leaves behind (garbage, cache lines, a busy core) then
 * falls on every other case alike. (Rotating one order instead kept every
 * case behind the same neighbour, and an A/A run of two identical copies
 * did not read 1.) The external cases, if any, take one more slot of every
 * round.
 */
export function measureGroup(
  cases: readonly BenchCase[],
  options: RoundOptions,
  external?: ExternalCases,
): Measurement[] {
  collectAll();
  const prepared = cases.map(prepare);
  for (const p of prepared) calibrate(p, options.batchMs);
  for (const p of prepared) p.batch(p.iterations);
  const samples = prepared.map((): number[] => []);
  const externalSamples = (external?.cases ?? []).map((): number[] => []);
  const slots = prepared.length + (external === undefined ? 0 : 1);
  const order = Array.from({ length: slots }, (_, k) => k);
  const random = seededRandom(20261201);
  for (let round = 0; round < options.rounds; round++) {
    shuffle(order, random);
    for (const index of order) {
      const p = prepared[index];
      if (p === undefined) {
        const sample = external!.round();
        for (const [i, c] of external!.cases.entries()) externalSamples[i]!.push(sample[c.key] ?? Number.NaN);
        continue;
      }
      collectYoung();
      samples[index]!.push(p.batch(p.iterations) / p.iterations);
    }
  }
  const summary = (id: string, label: string, values: number[], iterations: number): Measurement => ({
    id,
    label,
    samples: values,
    median: median(values),
    spread: relativeSpread(values),
    iterations,
  });
  return [
    ...prepared.map((p, index) => summary(p.bench.id, p.bench.label, samples[index]!, p.iterations)),
    ...(external?.cases ?? []).map((c, index) => summary(c.id, c.label, externalSamples[index]!, 0)),
  ];
}

/** Shuffles `items` in place (Fisher-Yates). */
export function shuffle<T>(items: T[], random: () => number): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
}

/** Ratios a/b of the same rounds (paired, so drifting machine load cancels), with median and spread. */
export function pairedRatio(a: Measurement, b: Measurement): { median: number; spread: number } {
  const n = Math.min(a.samples.length, b.samples.length);
  const ratios: number[] = [];
  for (let i = 0; i < n; i++) {
    // NaN: a round that measured one side only (bench/http's re-measurements), which pairs with nothing.
    if (Number.isNaN(a.samples[i]) || Number.isNaN(b.samples[i])) continue;
    ratios.push(a.samples[i]! / b.samples[i]!);
  }
  return { median: median(ratios), spread: relativeSpread(ratios) };
}
