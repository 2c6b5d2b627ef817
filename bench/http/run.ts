/**
 * The HTTP benchmark: `npm run bench:http` (add `-- --quick` for a
 * seconds-long smoke run). What the library costs a real node:http server,
 * next to the same server with no context, with a raw AsyncLocalStorage and
 * with cls-hooked, each with one value and with ten; and what
 * contextvars/fastify costs a Fastify server next to @fastify/request-context
 * with the same values.
 *
 * Every variant (see bench/http/server.ts) is its own server process on
 * 127.0.0.1; autocannon loads one at a time from another process
 * (bench/http/load.ts); with `taskset` the servers share one core and the
 * load generator has the other. Rounds interleave the variants, each round
 * in its own shuffled order (seeded), so that a burst of load from elsewhere
 * hits them alike and no variant always follows the same one; each
 * measurement reports requests per second, the server's CPU time per request
 * (`process.cpuUsage` in the server: the stable figure on a shared machine),
 * p50/p99 latency and the heap after a full GC. Ratios are the median of the
 * per-round ratios. A target that fails, or whose spread is wider than its
 * margin, is not judged on those rounds alone: the variants of every such
 * target are measured again in as many extra rounds (twice at most), and the
 * verdict pairs all the rounds both sides took part in. Prints the table,
 * the targets (PASS/FAIL) and which targets were re-measured, and writes the
 * JSON to bench/results/http-<node version>.json.
 *
 * Options:
 *   --quick              1 round of 0.2 s per variant, no warm-up, 10 connections; writes http-<version>.quick.tmp.json
 *   --rounds <n>         rounds (default 8)
 *   --reruns <n>         how often the variants of an unsettled target are measured again, each time in
 *                        as many extra rounds (default 2, quick 0): a target is unsettled when it fails or
 *                        when its spread is wider than its margin (ratio × spread > |limit − ratio|)
 *   --seconds <s>        load per variant and round (default 2: a server's first half second after
 *                        an idle spell costs more CPU per request, and shorter windows report that)
 *   --warmup <s>         load per server before the first round (default 3)
 *   --connections <n>    concurrent connections (default 50)
 *   --pipelining <n>     requests in flight per connection (default 1: none)
 *   --only <id>          measure only this variant (repeatable; "none" and "als.run" are always kept,
 *                        and "fastify.none" with any Fastify variant)
 *   --out <file>         where to write the JSON
 *   --profile <id>       instead of the rounds: CPU-profile this variant's server under load (repeatable)
 *                        and print where each request's time goes
 *
 * @module
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { storageKind } from '../../src/scope.ts';
import { seededRandom } from '../../tools/random.ts';
import { median, relativeSpread, pairedRatio, shuffle, type Measurement } from '../lib/harness.ts';
import type { LoadRequest, LoadResult } from './load.ts';
import { summarise, type CpuProfile } from './profile.ts';
import { comparisonRecord, formatNs, limitText, machineRecord, percent, table } from '../lib/report.ts';
import { compare, type Comparison, type ComparisonSpec } from '../lib/targets.ts';

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    reruns: { type: 'string' },
    seconds: { type: 'string' },
    warmup: { type: 'string' },
    connections: { type: 'string' },
    pipelining: { type: 'string' },
    only: { type: 'string', multiple: true },
    out: { type: 'string' },
    profile: { type: 'string', multiple: true },
  },
});

function positive(name: string, text: string | undefined, fallback: number, integer: boolean): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!(value > 0) || (integer && !Number.isInteger(value))) {
    throw new RangeError(`--${name} must be a positive ${integer ? 'integer' : 'number'}, got ${text}`);
  }
  return value;
}

const quick = flags.quick === true;
const rounds = positive('rounds', flags.rounds, quick ? 1 : 8, true);
const maxReruns = flags.reruns === '0' ? 0 : positive('reruns', flags.reruns, quick ? 0 : 2, true);
const seconds = positive('seconds', flags.seconds, quick ? 0.2 : 2, false);
const connections = positive('connections', flags.connections, quick ? 10 : 50, true);
const pipelining = positive('pipelining', flags.pipelining, 1, true);
/**
 * Load before the first round, so that every server is optimised before it is
 * measured (a cold server costs several times the CPU per request for its
 * first requests: docs/performance.md, "Measurements behind the tools").
 */
const warmupSeconds = positive('warmup', flags.warmup, quick ? 0 : 3, false);
const profiled = flags.profile ?? [];
const profileSeconds = quick ? 1 : 5;
/** V8's CPU profiler samples this often in a profiled window (µs). */
const PROFILE_INTERVAL = 100;
/** No child may take longer than this to start, or than a load run plus this to finish one. */
const STEP_TIMEOUT_MS = 60_000;

interface Variant {
  readonly id: string;
  readonly label: string;
  /** The variant with no context that it is compared with first: its framework's. */
  readonly baseline: 'none' | 'fastify.none';
  /** A contextvars variant: it must cost strictly less CPU per request than this one (cls-hooked doing the same). */
  readonly rival?: string;
}

const VARIANTS: readonly Variant[] = [
  { id: 'none', label: 'no context (id passed as an argument)', baseline: 'none' },
  { id: 'als.run', label: 'raw als.run({ requestId }, handler)', baseline: 'none' },
  { id: 'als.enterWith', label: 'raw als.enterWith({ requestId })', baseline: 'none' },
  { id: 'set', label: 'requestId.set(id)', baseline: 'none', rival: 'cls-hooked' },
  { id: 'context.run', label: 'new Context().run(handler), set inside', baseline: 'none', rival: 'cls-hooked' },
  { id: 'asyncContext.run', label: 'AsyncContext.Variable run', baseline: 'none', rival: 'cls-hooked' },
  { id: 'cls-hooked', label: 'cls-hooked ns.run + ns.set', baseline: 'none' },
  { id: 'ten.als', label: 'the same 10 values + 3 helpers on raw ALS', baseline: 'none' },
  { id: 'ten.run', label: '10 vars set + 3 helpers with v.run', baseline: 'none', rival: 'ten.cls-hooked' },
  { id: 'ten.using', label: '10 vars set + 3 helpers with using', baseline: 'none', rival: 'ten.cls-hooked' },
  {
    id: 'ten.context',
    label: '10 values in new Context(entries).run + 3 v.run helpers',
    baseline: 'none',
    rival: 'ten.cls-hooked',
  },
  { id: 'ten.cls-hooked', label: 'cls-hooked ns.run + 10 ns.set + 3 helpers', baseline: 'none' },
  { id: 'fastify.none', label: 'Fastify, no context (id passed as an argument)', baseline: 'fastify.none' },
  { id: 'fastify.plugin.1', label: 'Fastify + contextvars/fastify, 1 value', baseline: 'fastify.none' },
  { id: 'fastify.request-context.1', label: 'Fastify + @fastify/request-context, 1 value', baseline: 'fastify.none' },
  { id: 'fastify.plugin.10', label: 'Fastify + contextvars/fastify, 10 values', baseline: 'fastify.none' },
  {
    id: 'fastify.request-context.10',
    label: 'Fastify + @fastify/request-context, 10 values',
    baseline: 'fastify.none',
  },
];
/** Kept by `--only`: what the ratios of the node:http variants are read against. */
const BASELINES = ['none', 'als.run'];
const known = new Set(VARIANTS.map((v) => v.id));
for (const id of [...(flags.only ?? []), ...profiled]) {
  if (!known.has(id)) throw new TypeError(`unknown variant '${id}'; known: ${[...known].join(', ')}`);
}
const only = flags.only ?? [];
const selected = VARIANTS.filter(
  (v) =>
    only.length === 0 ||
    only.includes(v.id) ||
    BASELINES.includes(v.id) ||
    only.some((id) => VARIANTS.find((x) => x.id === id)?.baseline === v.id),
);

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SERVER = fileURLToPath(new URL('./server.ts', import.meta.url));
const LOAD = fileURLToPath(new URL('./load.ts', import.meta.url));
const resultsDirectory = fileURLToPath(new URL('../results/', import.meta.url));
const defaultName = `http-${process.version}${quick ? '.quick' : ''}${only.length > 0 ? '.partial' : ''}`;
const outFile = resolve(flags.out ?? `${resultsDirectory}${defaultName}${quick || only.length > 0 ? '.tmp' : ''}.json`);

function progress(text: string): void {
  process.stderr.write(`${text}\n`);
}

// ---------------------------------------------------------------------------
// Child processes

/** The first two CPUs this process may run on, when `taskset` can pin children to them. */
function pinnableCpus(): readonly [number, number] | undefined {
  if (process.platform !== 'linux' || availableParallelism() < 2) return undefined;
  const probe = spawnSync('taskset', ['-pc', String(process.pid)], { encoding: 'utf8' });
  if (probe.status !== 0) return undefined;
  const list = /:\s*([\d,-]+)\s*$/.exec(probe.stdout)?.[1];
  if (list === undefined) return undefined;
  const allowed = list.split(',').flatMap((part) => {
    const [low = Number.NaN, high = low] = part.split('-').map(Number);
    return Array.from({ length: high - low + 1 }, (_, i) => low + i);
  });
  const [server, load] = allowed;
  return server === undefined || load === undefined ? undefined : [server, load];
}

type Message = { readonly type: string } & Record<string, unknown>;

interface Waiter {
  readonly types: readonly string[];
  readonly resolve: (message: Message) => void;
  readonly reject: (error: Error) => void;
}

/** A child with an IPC channel, asked one thing at a time: its next message of some types can be awaited. */
class Child {
  readonly name: string;
  readonly process: ChildProcess;
  readonly #exited: Promise<void>;
  readonly #queue: Message[] = [];
  #waiting: Waiter | undefined;
  #failure: Error | undefined;

  constructor(name: string, script: string, args: readonly string[]) {
    this.name = name;
    this.process = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', script, ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.process.on('message', (message: Message) => {
      const waiting = this.#waiting;
      if (waiting?.types.includes(message.type)) {
        this.#waiting = undefined;
        waiting.resolve(message);
      } else {
        this.#queue.push(message);
      }
    });
    const fail = (error: Error): void => {
      this.#failure ??= error;
      const waiting = this.#waiting;
      this.#waiting = undefined;
      waiting?.reject(this.#failure);
    };
    this.process.on('error', fail);
    this.#exited = new Promise((resolveExit) => {
      this.process.on('exit', (code, signal) => {
        fail(new Error(`${name} exited (${signal ?? `status ${code}`}) before it answered`));
        resolveExit();
      });
    });
  }

  /**
   * Moves every thread of the child (V8's and libuv's included) to `cpu`.
   * Done once it is ready rather than at spawn, so the children load their
   * code on every core.
   */
  pin(cpu: number | undefined): void {
    if (cpu === undefined || this.process.pid === undefined) return;
    const result = spawnSync('taskset', ['-a', '-p', '-c', String(cpu), String(this.process.pid)], {
      encoding: 'utf8',
    });
    if (result.status !== 0) throw new Error(`taskset could not pin ${this.name} to CPU ${cpu}: ${result.stderr}`);
  }

  send(message: object): void {
    this.process.send(message);
  }

  /** The next message whose type is one of `types`, within `timeoutMs`. */
  next(types: readonly string[], timeoutMs: number): Promise<Message> {
    const queued = this.#queue.findIndex((m) => types.includes(m.type));
    if (queued >= 0) return Promise.resolve(this.#queue.splice(queued, 1)[0]!);
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    return new Promise((resolveNext, reject) => {
      const timer = setTimeout(() => {
        this.#waiting = undefined;
        reject(new Error(`${this.name} sent no ${types.join(' or ')} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiting = {
        types,
        resolve: (message) => {
          clearTimeout(timer);
          resolveNext(message);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
    });
  }

  /** Closes the channel (the child exits on that) and waits; kills the child if it is still there after 10 s. */
  async close(): Promise<void> {
    if (this.process.exitCode !== null || this.process.signalCode !== null) return;
    if (this.process.connected) this.process.disconnect();
    const timer = setTimeout(() => this.process.kill('SIGKILL'), 10_000);
    await this.#exited;
    clearTimeout(timer);
  }
}

interface Server {
  readonly variant: Variant;
  readonly child: Child;
  readonly url: string;
}

interface Window {
  readonly cpuMicros: number;
  readonly requests: number;
  readonly mismatches: number;
  readonly heapUsed: number;
  readonly profile?: string;
  readonly load: LoadResult;
}

/** Starts a variant's server; resolves with it, or with why the variant is not available. */
async function startServer(variant: Variant, cpu: number | undefined): Promise<Server | { skipped: string }> {
  const child = new Child(`server ${variant.id}`, SERVER, [variant.id]);
  const message = await child.next(['ready', 'skipped'], STEP_TIMEOUT_MS);
  if (message.type === 'skipped') {
    await child.close();
    return { skipped: String(message['reason']) };
  }
  child.pin(cpu);
  return { variant, child, url: `http://127.0.0.1:${String(message['port'])}/` };
}

async function load(loader: Child, url: string, loadSeconds: number): Promise<LoadResult> {
  const request: LoadRequest = { type: 'load', url, connections, pipelining, seconds: loadSeconds };
  loader.send(request);
  const result = (await loader.next(['loaded'], loadSeconds * 1000 + STEP_TIMEOUT_MS)) as unknown as LoadResult;
  if (result.failures > 0) throw new Error(`${url}: ${result.failures} requests failed (errors, timeouts or non-2xx)`);
  return result;
}

/** One measurement window: the server's CPU time and request count around one load run. */
async function measure(server: Server, loader: Child, loadSeconds: number, profileFile?: string): Promise<Window> {
  const profile = profileFile === undefined ? undefined : { file: profileFile, intervalMicros: PROFILE_INTERVAL };
  server.child.send(profile === undefined ? { type: 'begin' } : { type: 'begin', profile });
  await server.child.next(['begun'], STEP_TIMEOUT_MS);
  const result = await load(loader, server.url, loadSeconds);
  server.child.send({ type: 'end' });
  const ended = await server.child.next(['ended'], STEP_TIMEOUT_MS);
  const window: Window = {
    cpuMicros: Number(ended['cpuMicros']),
    requests: Number(ended['requests']),
    mismatches: Number(ended['mismatches']),
    heapUsed: Number(ended['heapUsed']),
    ...(typeof ended['profile'] === 'string' ? { profile: ended['profile'] } : {}),
    load: result,
  };
  if (window.mismatches > 0) {
    throw new Error(`${server.variant.id}: ${window.mismatches} requests logged another request's id`);
  }
  if (window.requests === 0) throw new Error(`${server.variant.id}: no request was served in ${loadSeconds} s`);
  return window;
}

const pinned = pinnableCpus();
const started = Date.now();
/** The machine's 1-minute load average when the run started: how much else competed for the cores. */
const loadAtStart = loadavg()[0] ?? 0;
const children: Child[] = [];
const closeAll = async (): Promise<void> => {
  await Promise.all(children.map((child) => child.close()));
};

const loader = new Child('load generator', LOAD, []);
children.push(loader);

/** Every selected variant's server, started together; the unavailable ones with their reason. */
async function startServers(
  variants: readonly Variant[],
): Promise<{ servers: Server[]; skipped: Map<string, string> }> {
  const [started] = await Promise.all([
    Promise.all(variants.map((variant) => startServer(variant, pinned?.[0]))),
    loader.next(['ready'], STEP_TIMEOUT_MS).then(() => loader.pin(pinned?.[1])),
  ]);
  const servers: Server[] = [];
  const skipped = new Map<string, string>();
  started.forEach((result, i) => {
    if ('skipped' in result) skipped.set(variants[i]!.id, result.skipped);
    else {
      servers.push(result);
      children.push(result.child);
    }
  });
  return { servers, skipped };
}

// ---------------------------------------------------------------------------
// Profiles

async function runProfiles(): Promise<void> {
  const variants = VARIANTS.filter((v) => profiled.includes(v.id));
  const { servers, skipped } = await startServers(variants);
  for (const [id, reason] of skipped) console.log(`${id}: skipped: not available (${reason})`);
  mkdirSync(resultsDirectory, { recursive: true });
  for (const server of servers) {
    progress(`profiling ${server.variant.id} (${profileSeconds} s of load) ...`);
    await load(loader, server.url, quick ? 0.5 : 2);
    const file = `${resultsDirectory}http-${process.version}-${server.variant.id}.cpuprofile`;
    const window = await measure(server, loader, profileSeconds, file);
    const perRequest = window.cpuMicros / window.requests;
    const summary = summarise(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, perRequest);
    const micros = (value: number): string => value.toFixed(2);
    console.log(
      `\n## ${server.variant.id}: ${server.variant.label} — Node ${process.version}, storage: ${storageKind}\n` +
        `${window.requests.toLocaleString('en-US')} requests, ${micros(perRequest)} µs CPU per request while profiled ` +
        `(sampling every ${PROFILE_INTERVAL} µs), ${summary.busySamples.toLocaleString('en-US')} busy samples; profile: ${file}\n`,
    );
    console.log(
      table(
        ['kind of code', 'µs/request (self)'],
        Object.entries(summary.categories)
          .sort((a, b) => b[1] - a[1])
          .map(([category, value]) => [category, micros(value)]),
        [false, true],
      ),
    );
    const row = (f: (typeof summary.functions)[number]): string[] => [
      f.name,
      f.location,
      f.category,
      micros(f.selfMicros),
      micros(f.totalMicros),
      `${(f.selfShare * 100).toFixed(1)}%`,
    ];
    const header = ['function', 'location', 'kind', 'self µs/req', 'total µs/req', 'self share'];
    const align = [false, false, false, true, true, true];
    console.log('\nTop 25 functions by self time:\n');
    console.log(table(header, summary.functions.slice(0, 25).map(row), align));
    const library = summary.functions
      .filter((f) => f.category === 'library')
      .sort((a, b) => b.totalMicros - a.totalMicros)
      .slice(0, 25);
    console.log("\nThe library's functions by total time (what runs under them included):\n");
    console.log(table(header, library.map(row), align));
  }
}

// ---------------------------------------------------------------------------
// Rounds

interface Metric {
  readonly id: string;
  readonly label: string;
  readonly unit: string;
  readonly of: (w: Window) => number;
}

const METRICS: readonly Metric[] = [
  { id: 'cpu', label: 'server CPU per request', unit: 'µs', of: (w) => w.cpuMicros / w.requests },
  { id: 'rps', label: 'requests per second', unit: 'req/s', of: (w) => w.load.requests / w.load.seconds },
  { id: 'p50', label: 'p50 latency', unit: 'ms', of: (w) => w.load.p50 },
  { id: 'p99', label: 'p99 latency', unit: 'ms', of: (w) => w.load.p99 },
  { id: 'heap', label: 'heap after GC', unit: 'MB', of: (w) => w.heapUsed / 1e6 },
];

const measurementId = (metric: string, variant: string): string => `http.${metric}.${variant}`;
const variantOf = (measurement: string): string => measurement.split('.').slice(2).join('.');

/**
 * Each variant's windows by round. A re-measurement's rounds load only the
 * variants of its unsettled targets; the others hold no window there.
 */
type Windows = ReadonlyMap<string, readonly (Window | undefined)[]>;

/**
 * Every metric of every variant, over the rounds it took part in. The
 * samples keep one slot per round (NaN where the variant sat out), so that
 * a ratio pairs only windows of the same round.
 */
function measurementsOf(servers: readonly Server[], windows: Windows, totalRounds: number): Map<string, Measurement> {
  const measurements = new Map<string, Measurement>();
  for (const server of servers) {
    const list = windows.get(server.variant.id) ?? [];
    for (const metric of METRICS) {
      const samples = Array.from({ length: totalRounds }, (_, round) => {
        const window = list[round];
        return window === undefined ? Number.NaN : metric.of(window);
      });
      const taken = samples.filter((value) => !Number.isNaN(value));
      const id = measurementId(metric.id, server.variant.id);
      measurements.set(id, {
        id,
        label: `${server.variant.label}: ${metric.label} (${metric.unit})`,
        samples,
        median: median(taken),
        spread: relativeSpread(taken),
        iterations: list.reduce((sum, w) => sum + (w?.requests ?? 0), 0),
      });
    }
  }
  return measurements;
}

/** Every measurement shares the rounds: every ratio is paired. */
const groupOf = (): string => 'http';

/** A target whose verdict the rounds so far do not settle, and why. */
interface Unsettled {
  readonly comparison: Comparison;
  readonly reason: string;
}

/**
 * The targets that failed, or whose paired-ratio spread (as an absolute
 * width, ratio × spread) is wider than their margin |limit − ratio|: a
 * verdict that the noise could flip.
 */
function unsettledTargets(measurements: ReadonlyMap<string, Measurement>): Unsettled[] {
  return compare(measurements, groupOf, targetSpecs()).flatMap((comparison): Unsettled[] => {
    const margin = Math.abs((comparison.limit ?? comparison.ratio) - comparison.ratio);
    const width = comparison.ratio * comparison.spread;
    if (comparison.pass === false) return [{ comparison, reason: `FAIL at ${comparison.ratio.toFixed(3)}x` }];
    if (width > margin) {
      return [{ comparison, reason: `spread ±${width.toFixed(3)} wider than the margin ${margin.toFixed(3)}` }];
    }
    return [];
  });
}

/** One re-measurement: the targets it was for and the variants it loaded. */
interface Remeasurement {
  readonly rerun: number;
  readonly rounds: number;
  readonly targets: readonly { readonly id: string; readonly label: string; readonly reason: string }[];
  readonly variants: readonly string[];
}

async function runRounds(): Promise<void> {
  const { servers, skipped } = await startServers(selected);
  for (const [id, reason] of skipped) progress(`${id}: skipped: not available (${reason})`);
  if (warmupSeconds > 0) {
    progress(`warming up ${servers.length} servers ...`);
    for (const server of servers) await load(loader, server.url, warmupSeconds);
  }

  const windows = new Map<string, (Window | undefined)[]>(servers.map((s) => [s.variant.id, []]));
  const random = seededRandom(20261201);
  let totalRounds = 0;
  const measureRounds = async (list: readonly Server[], what: string): Promise<void> => {
    const order = [...list];
    for (let round = 0; round < rounds; round++, totalRounds++) {
      progress(`${what}round ${round + 1}/${rounds} ...`);
      shuffle(order, random);
      for (const server of order) {
        windows.get(server.variant.id)![totalRounds] = await measure(server, loader, seconds);
      }
    }
  };
  await measureRounds(servers, '');

  const remeasured: Remeasurement[] = [];
  for (let rerun = 1; rerun <= maxReruns; rerun++) {
    const unsettled = unsettledTargets(measurementsOf(servers, windows, totalRounds));
    if (unsettled.length === 0) break;
    const involved = new Set(
      unsettled.flatMap(({ comparison }) => [variantOf(comparison.numerator), variantOf(comparison.denominator)]),
    );
    const list = servers.filter((server) => involved.has(server.variant.id));
    remeasured.push({
      rerun,
      rounds,
      targets: unsettled.map(({ comparison, reason }) => ({ id: comparison.id, label: comparison.label, reason })),
      variants: list.map((server) => server.variant.id),
    });
    progress(
      `measuring again (${rerun}/${maxReruns}), ${unsettled.length} unsettled targets: ` +
        `${list.map((server) => server.variant.id).join(', ')}`,
    );
    await measureRounds(list, `again (${rerun}/${maxReruns}): `);
  }
  await closeAll();
  report(skipped, measurementsOf(servers, windows, totalRounds), totalRounds, remeasured);
}

/**
 * The ratios reported: every metric of every variant to its framework's "no
 * context" and, for the node:http variants, to raw als.run.
 */
function httpSpecs(): ComparisonSpec[] {
  const list: ComparisonSpec[] = [];
  for (const metric of METRICS) {
    for (const variant of VARIANTS) {
      const baselines = variant.baseline === 'none' ? ['none', 'als.run'] : [variant.baseline];
      for (const baseline of baselines) {
        if (variant.id === baseline || (baseline === 'als.run' && variant.id === 'none')) continue;
        list.push({
          id: `${metric.id}.${variant.id}/${baseline}`,
          label: `${metric.label}: ${variant.id} / ${baseline}`,
          numerator: measurementId(metric.id, variant.id),
          denominator: measurementId(metric.id, baseline),
        });
      }
    }
  }
  return list;
}

/** The targets, as ratios of CPU per request: each compares variants that do the same work. */
function targetSpecs(): ComparisonSpec[] {
  const cpu = (variant: string, baseline: string, limit: number, strict = false): ComparisonSpec => ({
    id: `target.cpu.${variant}/${baseline}`,
    label: `CPU per request: ${variant} / ${baseline}`,
    numerator: measurementId('cpu', variant),
    denominator: measurementId('cpu', baseline),
    limit,
    ...(strict ? { strict } : {}),
  });
  return [
    cpu('set', 'als.run', 1.03),
    cpu('context.run', 'als.run', 1.03),
    cpu('ten.context', 'ten.als', 1.05),
    cpu('ten.run', 'ten.als', 1.15),
    cpu('ten.using', 'ten.als', 1.25),
    cpu('fastify.plugin.1', 'fastify.request-context.1', 1),
    cpu('fastify.plugin.10', 'fastify.request-context.10', 1),
    ...VARIANTS.flatMap((v) => (v.rival === undefined ? [] : [cpu(v.id, v.rival, 1, true)])),
  ];
}

/** How many rounds measured both sides of a ratio. */
function pairedRounds(a: Measurement, b: Measurement): number {
  return a.samples.filter((value, round) => !Number.isNaN(value) && !Number.isNaN(b.samples[round] ?? Number.NaN))
    .length;
}

function report(
  skipped: ReadonlyMap<string, string>,
  measurements: ReadonlyMap<string, Measurement>,
  totalRounds: number,
  remeasured: readonly Remeasurement[],
): void {
  const comparisons = compare(measurements, groupOf, httpSpecs());
  const targets = targetSpecs();
  const verdicts = compare(measurements, groupOf, targets);

  const cell = (metric: string, variant: string, digits = 0): string => {
    const m = measurements.get(measurementId(metric, variant));
    if (m === undefined) return '';
    const value = digits === 0 ? formatNs(m.median) : m.median.toFixed(digits);
    return `${value} ${percent(m.spread)}`;
  };
  const ratioCell = (metric: string, variant: string, baseline: string): string => {
    if (variant === baseline) return '1';
    const a = measurements.get(measurementId(metric, variant));
    const b = measurements.get(measurementId(metric, baseline));
    if (a === undefined || b === undefined) return '';
    const r = pairedRatio(a, b);
    return `${r.median.toFixed(3)}x ${percent(r.spread)}`;
  };
  const rows = selected.map((v) => {
    const reason = skipped.get(v.id);
    if (reason !== undefined) return [v.id, v.label, 'skipped: not available', '', '', '', '', '', '', ''];
    return [
      v.id,
      v.label,
      cell('cpu', v.id, 2),
      ratioCell('cpu', v.id, v.baseline),
      v.baseline === 'none' ? ratioCell('cpu', v.id, 'als.run') : '',
      cell('rps', v.id),
      ratioCell('rps', v.id, v.baseline),
      cell('p50', v.id, 1),
      cell('p99', v.id, 1),
      cell('heap', v.id, 1),
    ];
  });
  const header = [
    `contextvars HTTP benchmark — Node ${process.version} (V8 ${process.versions.v8}), storage: ${storageKind}`,
    `${cpus()[0]?.model ?? 'unknown CPU'} ×${cpus().length}; node:http and Fastify on 127.0.0.1, autocannon, ${connections} connections${pipelining > 1 ? ` × ${pipelining} pipelined` : ''}; ` +
      `${quick ? 'quick run, ' : ''}${rounds} interleaved rounds of ${seconds} s per variant` +
      `${totalRounds > rounds ? ` (${totalRounds - rounds} more for the re-measured variants)` : ''}; ` +
      (pinned === undefined
        ? 'not pinned (no taskset or one CPU)'
        : `servers on CPU ${pinned[0]}, load generator on CPU ${pinned[1]}`),
    `load average ${loadAtStart.toFixed(1)} at the start, ${(loadavg()[0] ?? 0).toFixed(1)} at the end; ` +
      'medians over rounds ± half the interquartile range; ratios: median of the per-round ratios; ' +
      '"no context": none for node:http, fastify.none for Fastify',
  ].join('\n');
  console.log(`${header}\n`);
  console.log(
    table(
      [
        'variant',
        'what each request does',
        'CPU µs/req',
        'CPU / no context',
        'CPU / als.run',
        'req/s',
        'req/s / no context',
        'p50 ms',
        'p99 ms',
        'heap MB',
      ],
      rows,
      [false, false, true, true, true, true, true, true, true, true],
    ),
  );

  for (const [id, reason] of skipped) console.log(`skipped: ${id}: ${reason}`);

  const verdictById = new Map(verdicts.map((c) => [c.id, c]));
  const targetRows = targets.map((spec) => {
    const c: Comparison | undefined = verdictById.get(spec.id);
    const missing = [spec.numerator, spec.denominator].find((id) => !measurements.has(id));
    if (c === undefined) {
      const reason = skipped.get(variantOf(missing ?? ''));
      return [
        spec.label,
        '',
        '',
        '',
        limitText(spec as Comparison),
        reason === undefined ? 'not measured' : 'skipped: not available',
      ];
    }
    const rounds = pairedRounds(measurements.get(c.numerator)!, measurements.get(c.denominator)!);
    return [
      c.label,
      `${c.ratio.toFixed(3)}x`,
      percent(c.spread),
      String(rounds),
      limitText(c),
      c.pass === true ? 'PASS' : 'FAIL',
    ];
  });
  console.log('');
  console.log(
    table(['target', 'value', 'spread', 'rounds', 'target', 'result'], targetRows, [
      false,
      true,
      true,
      true,
      false,
      false,
    ]),
  );
  const failed = verdicts.filter((c) => c.pass === false);
  console.log(
    `\n${verdicts.length - failed.length}/${verdicts.length} targets PASS` +
      `${failed.length > 0 ? `; FAIL: ${failed.map((c) => c.id).join(', ')}` : ''}` +
      `${verdicts.length < targets.length ? `; ${targets.length - verdicts.length} skipped or not measured` : ''}`,
  );
  if (remeasured.length === 0) {
    console.log(
      maxReruns === 0
        ? 'Re-measured: none (re-measurement off)'
        : 'Re-measured: none (every target settled in the first rounds)',
    );
  }
  for (const r of remeasured) {
    console.log(
      `Re-measured (${r.rerun}/${maxReruns}, ${r.rounds} more round${r.rounds === 1 ? '' : 's'} of ${r.variants.join(', ')}): ` +
        r.targets.map((t) => `${t.label.replace('CPU per request: ', '')} (${t.reason})`).join('; '),
    );
  }

  const json = {
    benchmark: 'http',
    ...machineRecord(),
    quick,
    rounds,
    totalRounds,
    secondsPerMeasurement: seconds,
    warmupSeconds,
    connections,
    pipelining,
    pinned: pinned === undefined ? null : { server: pinned[0], load: pinned[1] },
    seconds: Math.round((Date.now() - started) / 1000),
    loadAverage: { start: loadAtStart, end: loadavg()[0] ?? 0 },
    variants: selected.map((v) => {
      const reason = skipped.get(v.id);
      return {
        id: v.id,
        label: v.label,
        baseline: v.baseline,
        ...(reason === undefined ? { status: 'measured' } : { status: 'skipped', reason }),
      };
    }),
    measurements: [...measurements.values()].map((m) => {
      const [, metric = ''] = m.id.split('.');
      const rounds = m.samples.flatMap((value, round) => (Number.isNaN(value) ? [] : [round]));
      return {
        id: m.id,
        variant: variantOf(m.id),
        metric,
        unit: METRICS.find((x) => x.id === metric)?.unit ?? '',
        label: m.label,
        value: m.median,
        spread: m.spread,
        samples: rounds.map((round) => m.samples[round]),
        rounds,
        requests: m.iterations,
      };
    }),
    comparisons: [...comparisons, ...verdicts].map(comparisonRecord),
    skippedTargets: targets.filter((t) => !verdictById.has(t.id)).map((t) => t.id),
    remeasured,
  };
  mkdirSync(dirname(outFile), { recursive: true });
  writeFileSync(outFile, `${JSON.stringify(json, null, 2)}\n`);
  console.log(`\nwrote ${outFile}`);
}

// ---------------------------------------------------------------------------

try {
  if (profiled.length > 0) await runProfiles();
  else await runRounds();
} finally {
  await closeAll();
}
