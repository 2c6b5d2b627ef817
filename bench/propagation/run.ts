/**
 * What contextvars/propagation costs a request: `inject` of three declared
 * variables (a string, a number, a JSON object) into fresh headers on the
 * calling side, plus `extract` of those headers around the handler on the
 * receiving side. Reports the median of several rounds, in CPU microseconds
 * per request, with its spread (half the interquartile range over the
 * median, as bench/README.md reads it), and PASS or FAIL against the target
 * of at most 2 µs. When the spread is wider than the distance between the
 * median and the target, the verdict could flip with the machine's load:
 * the rounds are measured again (at most twice) and the least noisy attempt
 * is kept.
 *
 *   npm run bench:propagation -- [--rounds 15] [--requests 100000]
 *
 * @module
 */
import { parseArgs } from 'node:util';
import { ContextVar, copyContext } from '../../src/index.ts';
import { codecs, extract, inject, propagate } from '../../src/integrations/propagation/index.ts';
import { median, relativeSpread } from '../lib/harness.ts';
import { percent, table } from '../lib/report.ts';

const { values } = parseArgs({
  options: { rounds: { type: 'string', default: '15' }, requests: { type: 'string', default: '100000' } },
});
const ROUNDS = Number(values.rounds);
const REQUESTS = Number(values.requests);

const tenant = propagate(new ContextVar<string>('tenant'));
const user = propagate(new ContextVar<number>('user'), { codec: codecs.number });
const flags = propagate(new ContextVar<{ beta: boolean }>('flags'), { codec: codecs.json });

let sink = 0;
const handle = (): number => user.get() + tenant.get().length;

/** One request: the caller writes its headers, the callee runs its handler with what they carry. */
function request(): void {
  const headers = inject<Record<string, string>>({});
  sink += extract(headers, handle);
}

/**
 * CPU microseconds per request over `count` requests: CPU time rather than
 * wall time, so that other processes on a shared machine do not count.
 */
function round(count: number): number {
  const start = process.cpuUsage();
  for (let i = 0; i < count; i++) request();
  const { user: userTime, system } = process.cpuUsage(start);
  return (userTime + system) / count;
}

/** The target: CPU microseconds per request, inject plus extract. */
const TARGET_US = 2;
/** Attempts after the first when the verdict is within the noise. */
const MAX_RERUNS = 2;

interface Attempt {
  readonly median: number;
  /** Relative: half the interquartile range over the median. */
  readonly spread: number;
  readonly fastest: number;
}

/** One attempt: ROUNDS rounds after a warm-up, in a caller's frame that set the three variables. */
function attempt(): Attempt {
  const results = copyContext().run(() => {
    tenant.set('acme');
    user.set(42);
    flags.set({ beta: true });
    round(REQUESTS / 10); // warm-up: let the optimising compiler see the loop
    return Array.from({ length: ROUNDS }, () => round(REQUESTS));
  });
  return { median: median(results), spread: relativeSpread(results), fastest: Math.min(...results) };
}

/** Whether the spread (in µs) is wider than the median's distance to the target. */
function undecided(result: Attempt): boolean {
  return result.median * result.spread >= Math.abs(TARGET_US - result.median);
}

let best = attempt();
for (let rerun = 0; rerun < MAX_RERUNS && undecided(best); rerun++) {
  console.log(
    `measuring again: ${best.median.toFixed(3)} µs ${percent(best.spread)} is within the noise of the target`,
  );
  const next = attempt();
  if (next.spread < best.spread) best = next;
}
console.log(
  `inject + extract, three variables: ${best.median.toFixed(3)} µs of CPU per request ` +
    `(median of ${ROUNDS} rounds of ${REQUESTS}; fastest ${best.fastest.toFixed(3)} µs) on Node ${process.versions.node}\n`,
);
console.log(
  table(
    ['target', 'µs/request', 'spread', 'target', 'result'],
    [
      [
        'inject + extract, three variables',
        best.median.toFixed(3),
        percent(best.spread),
        `≤ ${TARGET_US}`,
        best.median <= TARGET_US ? 'PASS' : 'FAIL',
      ],
    ],
    [false, true, true, false, false],
  ),
);
if (undecided(best)) console.log('(the spread is still wider than the margin: rerun on a quieter machine)');
if (sink === 0) console.log('(unreachable: keeps the work observable)');
