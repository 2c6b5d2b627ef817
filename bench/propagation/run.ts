/**
 * What contextvars/propagation costs a request that crosses two services:
 * `inject` of three declared variables (a string, a number, a JSON object)
 * into fresh headers on the calling side, where they are set, plus
 * `extract` of those headers around the handler on the receiving side,
 * where nothing is set yet (a server's request handler, a queue's worker).
 * Both sides run in this one process: each round injects into a pool of
 * headers inside the caller's Context, then extracts every one of them
 * outside it. Reports the median of several rounds, in CPU microseconds per
 * request (inject plus extract), with its spread (half the interquartile
 * range over the median, as bench/README.md reads it), and PASS or FAIL
 * against the target of at most 2 µs. When the spread is wider than the
 * distance between the median and the target, the verdict could flip with
 * the machine's load: the rounds are measured again (at most twice) and the
 * least noisy attempt is kept.
 *
 * Rows without a target: `extract` inside the caller's values, as only a
 * single process can (the arriving values are then set over the current
 * ones); and the same request through OpenTelemetry's own
 * W3CBaggagePropagator and AsyncLocalStorageContextManager (the peer a
 * service already runs), its three entries held as strings, its handler
 * reading them typed as ours does (the number and the JSON parsed).
 *
 *   npm run bench:propagation -- [--rounds 15] [--requests 100000]
 *
 * @module
 */
import { parseArgs } from 'node:util';
import { context as otelContext, propagation as otelPropagation, ROOT_CONTEXT } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CBaggagePropagator } from '@opentelemetry/core';
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

/** The Context of the calling side: the three variables are set there. */
const caller = copyContext();
caller.run(() => {
  tenant.set('acme');
  user.set(42);
  flags.set({ beta: true });
});

/** Headers written by the calling side, read by the receiving side. */
const POOL = 1024;
const pool: Array<Record<string, string>> = [];

/** Writes `count` requests' headers into the pool, cycling through it. */
function injectAll(count: number): void {
  for (let i = 0; i < count; i++) pool[i % POOL] = inject<Record<string, string>>({});
}

/** Runs the handler of `count` requests with what their headers carry. */
function extractAll(count: number): void {
  for (let i = 0; i < count; i++) sink += extract(pool[i % POOL] as Record<string, string>, handle);
}

/** The peer: OpenTelemetry's baggage, entered and read through its own context manager. */
otelContext.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
otelPropagation.setGlobalPropagator(new W3CBaggagePropagator());
const otelCaller = otelPropagation.setBaggage(
  ROOT_CONTEXT,
  otelPropagation.createBaggage({
    tenant: { value: 'acme' },
    user: { value: '42' },
    flags: { value: JSON.stringify({ beta: true }) },
  }),
);
const otelPool: Array<Record<string, string>> = [];

/** What `handle` reads, from OpenTelemetry's baggage: the same values, typed. */
function otelHandle(): number {
  const baggage = otelPropagation.getBaggage(otelContext.active());
  const flagged = JSON.parse(baggage?.getEntry('flags')?.value ?? 'null') as { beta: boolean } | null;
  return (
    Number(baggage?.getEntry('user')?.value) +
    (baggage?.getEntry('tenant')?.value.length ?? 0) +
    (flagged?.beta ? 0 : 1)
  );
}

/** OpenTelemetry's inject of `count` requests' headers (run in the caller's context). */
function otelInjectAll(count: number): void {
  for (let i = 0; i < count; i++) {
    const headers: Record<string, string> = {};
    otelPropagation.inject(otelContext.active(), headers);
    otelPool[i % POOL] = headers;
  }
}

/** OpenTelemetry's extract and `with` around the handler of `count` requests. */
function otelExtractAll(count: number): void {
  for (let i = 0; i < count; i++) {
    const arrived = otelPropagation.extract(ROOT_CONTEXT, otelPool[i % POOL] as Record<string, string>);
    sink += otelContext.with(arrived, otelHandle);
  }
}

/** CPU microseconds per request of `step` over `count` requests: CPU time, so that other processes do not count. */
function cpu(step: (count: number) => void, count: number): number {
  const start = process.cpuUsage();
  step(count);
  const { user: userTime, system } = process.cpuUsage(start);
  return (userTime + system) / count;
}

interface Round {
  readonly inject: number;
  readonly extract: number;
  /** extract inside the caller's values (no target). */
  readonly nested: number;
  /** OpenTelemetry's inject plus extract (no target). */
  readonly otel: number;
}

/** One round: the calling side's inject, the receiving side's extract, extract nested in the caller, and OpenTelemetry's same request. */
function round(count: number): Round {
  const injected = caller.run(cpu, injectAll, count);
  const extracted = cpu(extractAll, count);
  const nested = caller.run(cpu, extractAll, count);
  const otel = otelContext.with(otelCaller, cpu, undefined, otelInjectAll, count) + cpu(otelExtractAll, count);
  return { inject: injected, extract: extracted, nested, otel };
}

/** The target: CPU microseconds per request, inject plus extract. */
const TARGET_US = 2;
/** Attempts after the first when the verdict is within the noise. */
const MAX_RERUNS = 2;

interface Attempt {
  /** inject plus extract, per request. */
  readonly median: number;
  /** Relative: half the interquartile range over the median. */
  readonly spread: number;
  readonly fastest: number;
  readonly inject: number;
  readonly extract: number;
  readonly nested: number;
  readonly otel: number;
  /** Ours over OpenTelemetry's, per round, median. */
  readonly againstOtel: number;
}

/** One attempt: ROUNDS rounds after a warm-up (so that the optimising compiler has seen every loop). */
function attempt(): Attempt {
  round(REQUESTS / 10);
  const rounds = Array.from({ length: ROUNDS }, () => round(REQUESTS));
  const totals = rounds.map((each) => each.inject + each.extract);
  return {
    median: median(totals),
    spread: relativeSpread(totals),
    fastest: Math.min(...totals),
    inject: median(rounds.map((each) => each.inject)),
    extract: median(rounds.map((each) => each.extract)),
    nested: median(rounds.map((each) => each.nested)),
    otel: median(rounds.map((each) => each.otel)),
    againstOtel: median(rounds.map((each) => (each.inject + each.extract) / each.otel)),
  };
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
      ['inject, on the calling side', best.inject.toFixed(3), '', '', ''],
      ['extract, on the receiving side', best.extract.toFixed(3), '', '', ''],
      ["extract inside the caller's values (one process only)", best.nested.toFixed(3), '', '', '(reported)'],
      [
        "OpenTelemetry's W3CBaggagePropagator, inject + extract + with",
        best.otel.toFixed(3),
        '',
        '',
        `ours ${best.againstOtel.toFixed(2)}x`,
      ],
    ],
    [false, true, true, false, false],
  ),
);
if (undecided(best)) console.log('(the spread is still wider than the margin: rerun on a quieter machine)');
if (sink === 0) console.log('(unreachable: keeps the work observable)');
