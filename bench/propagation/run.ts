/**
 * What contextvars/propagation costs a request: `inject` of three declared
 * variables (a string, a number, a JSON object) into fresh headers on the
 * calling side, plus `extract` of those headers around the handler on the
 * receiving side. Reports the median of several rounds, in CPU microseconds
 * per request (target: at most 2 µs on Node 20).
 *
 *   npm run bench:propagation -- [--rounds 15] [--requests 100000]
 *
 * @module
 */
import { parseArgs } from 'node:util';
import { ContextVar, copyContext } from '../../src/index.ts';
import { codecs, extract, inject, propagate } from '../../src/integrations/propagation/index.ts';

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

const caller = copyContext();
const results = caller.run(() => {
  tenant.set('acme');
  user.set(42);
  flags.set({ beta: true });
  round(REQUESTS / 10); // warm-up: let the optimising compiler see the loop
  return Array.from({ length: ROUNDS }, () => round(REQUESTS));
});
results.sort((a, b) => a - b);
const median = results[Math.floor(results.length / 2)] ?? Number.NaN;
console.log(
  `inject + extract, three variables: ${median.toFixed(3)} µs of CPU per request ` +
    `(median of ${ROUNDS} rounds of ${REQUESTS}; fastest ${results[0]?.toFixed(3)} µs) on Node ${process.versions.node}`,
);
if (sink === 0) console.log('(unreachable: keeps the work observable)');
