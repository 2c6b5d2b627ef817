/**
 * Child process of the job-loop benchmark (docs/semantics.md, S9): a loop
 * of jobs, each of which scopes a value with set/reset, sets another
 * variable and schedules the next job with setImmediate from inside the
 * scope. Prints one JSON line: the CPU time per job of the second `window`
 * jobs (the first warms the code up) and of the last `window` jobs (a read
 * in each job included), and the heap growth
 * after GC over the whole loop. A fresh process, so the heap is its own.
 *
 * Usage: node --expose-gc --import tsx bench/core/job-loop-child.ts <jobs> <window> [cpu|wall]
 *
 * @module
 */
import { ContextVar } from '../../src/index.ts';
import { now, useClock } from '../lib/harness.ts';

const [jobsArgument = '', windowArgument = '', clockArgument = 'cpu'] = process.argv.slice(2);
const jobs = Number(jobsArgument);
const window = Number(windowArgument);
if (!Number.isInteger(jobs) || !Number.isInteger(window) || window < 1 || jobs < 3 * window) {
  throw new RangeError(`jobs must be at least three times window, got '${jobsArgument}' '${windowArgument}'`);
}
if (clockArgument !== 'cpu' && clockArgument !== 'wall')
  throw new TypeError(`clock must be cpu or wall, got '${clockArgument}'`);
useClock(clockArgument);

const scoped = new ContextVar<Float64Array>('scoped', { default: new Float64Array(0) });
const attempt = new ContextVar<number>('attempt', { default: 0 });
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
let sink = 0;

gc();
const heapBefore = process.memoryUsage().heapUsed;
const times: number[] = [];
await new Promise<void>((done) => {
  const job = (n: number): void => {
    if (n === window || n === jobs - window) times.push(now());
    sink += scoped.get().length; // the read S9 keeps constant
    const token = scoped.set(new Float64Array(128).fill(n)); // 1 KB a job
    attempt.set(n);
    if (n + 1 < jobs) setImmediate(job, n + 1);
    else done();
    scoped.reset(token);
    if (n === 2 * window - 1 || n === jobs - 1) times.push(now());
  };
  job(0);
});
gc();
await new Promise((resolve) => setImmediate(resolve));
gc();
const heapGrowth = process.memoryUsage().heapUsed - heapBefore;
const [firstStart = 0, firstEnd = 0, lastStart = 0, lastEnd = 0] = times;
console.log(
  JSON.stringify({
    first: [(firstEnd - firstStart) / window],
    last: [(lastEnd - lastStart) / window],
    heapGrowthMB: [heapGrowth / 1e6],
    sink,
  }),
);
