/**
 * The job loop of docs/semantics.md, S9: the CPU time per job at the start
 * and at the end of a long loop of jobs that scope a value and schedule the
 * next job from inside the scope, each run in a child process of its own
 * (job-loop-child.ts). Flat (last/first near 1) when no history is kept.
 *
 * @module
 */
import { fileURLToPath } from 'node:url';
import { median, relativeSpread, type Measurement } from '../lib/harness.ts';
import { runChildFields } from './await-chain.ts';

const CHILD = fileURLToPath(new URL('./job-loop-child.ts', import.meta.url));

/** ns per job in the second window and in the last one, the heap growth in the last one's label. */
export function measureJobLoop(options: { jobs: number; window: number; rounds: number }): Measurement[] {
  const first: number[] = [];
  const last: number[] = [];
  const heap: number[] = [];
  for (let round = 0; round < options.rounds; round++) {
    const fields = runChildFields(CHILD, [String(options.jobs), String(options.window)]);
    first.push(median(fields['first'] ?? []));
    last.push(median(fields['last'] ?? []));
    heap.push(median(fields['heapGrowthMB'] ?? []));
  }
  const jobs = options.jobs.toLocaleString('en-US');
  const window = options.window.toLocaleString('en-US');
  const measurement = (id: string, label: string, values: number[]): Measurement => ({
    id,
    label,
    samples: values,
    median: median(values),
    spread: relativeSpread(values),
    iterations: options.window,
  });
  return [
    measurement(
      'jobLoop.first',
      `job loop: jobs ${window}-${(2 * options.window).toLocaleString('en-US')} of ${jobs}, per job`,
      first,
    ),
    measurement(
      'jobLoop.last',
      `job loop: last ${window} of ${jobs}, per job (heap after GC ${median(heap) >= 0 ? '+' : ''}${median(heap).toFixed(1)} MB)`,
      last,
    ),
  ];
}
