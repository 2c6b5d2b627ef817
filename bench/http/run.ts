/**
 * The HTTP benchmark: `npm run bench:http` (add `-- --quick` for a
 * seconds-long smoke run). What the library costs a real node:http server,
 * next to the same server with no context, with a raw AsyncLocalStorage and
 * with cls-hooked.
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
 * per-round ratios. Prints the table and the targets (PASS/FAIL) and writes
 * the JSON to bench/results/http-<node version>.json.
 *
 * Options:
 *   --quick              1 round of 0.2 s per variant, no warm-up, 10 connections; writes http-<version>.quick.tmp.json
 *   --rounds <n>         rounds (default 8)
 *   --seconds <s>        load per variant and round (default 2: a server's first half second after
 *                        an idle spell costs more CPU per request, and shorter windows report that)
 *   --warmup <s>         load per server before the first round (default 3)
 *   --connections <n>    concurrent connections (default 50)
 *   --pipelining <n>     requests in flight per connection (default 1: none)
 *   --only <id>          measure only this variant (repeatable; "none" and "als.run" are always kept)
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
  /** A contextvars variant: must be cheaper than cls-hooked. */
  readonly library: boolean;
}

const VARIANTS: readonly Variant[] = [
  { id: 'none', label: 'no context (id passed as an argument)', library: false },
  { id: 'als.run', label: 'raw als.run({ requestId }, handler)', library: false },
  { id: 'als.enterWith', label: 'raw als.enterWith({ requestId })', library: false },
  { id: 'set', label: 'requestId.set(id)', library: true },
  { id: 'context.run', label: 'new Context().run(handler), set inside', library: true },
  { id: 'ten.run', label: '10 vars set + 3 helpers with v.run', library: true },
  { id: 'ten.using', label: '10 vars set + 3 helpers with using', library: true },
  { id: 'ten.als', label: 'the same 10 values + 3 helpers on raw ALS', library: false },
  { id: 'cls-hooked', label: 'cls-hooked ns.run + ns.set', library: false },
  { id: 'asyncContext.run', label: 'AsyncContext.Variable run', library: true },
];
const BASELINES = ['none', 'als.run'];
const known = new Set(VARIANTS.map((v) => v.id));
for (const id of [...(flags.only ?? []), ...profiled]) {
  if (!known.has(id)) throw new TypeError(`unknown variant '${id}'; known: ${[...known].join(', ')}`);
}
const only = flags.only ?? [];
const selected = VARIANTS.filter((v) => only.length === 0 || only.includes(v.id) || BASELINES.includes(v.id));

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

async function runRounds(): Promise<void> {
  const { servers, skipped } = await startServers(selected);
  for (const [id, reason] of skipped) progress(`${id}: skipped: not available (${reason})`);
  if (warmupSeconds > 0) {
    progress(`warming up ${servers.length} servers ...`);
    for (const server of servers) await load(loader, server.url, warmupSeconds);
  }

  const windows = new Map<string, Window[]>(servers.map((s) => [s.variant.id, []]));
  const order = [...servers];
  const random = seededRandom(20261201);
  for (let round = 0; round < rounds; round++) {
    progress(`round ${round + 1}/${rounds} ...`);
    shuffle(order, random);
    for (const server of order) windows.get(server.variant.id)!.push(await measure(server, loader, seconds));
  }
  await closeAll();
  report(servers, skipped, windows);
}

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

/** The ratios reported (to "no context" and to raw als.run, every metric) and the targets (CPU per request). */
function httpSpecs(): ComparisonSpec[] {
  const list: ComparisonSpec[] = [];
  for (const metric of METRICS) {
    for (const baseline of BASELINES) {
      for (const variant of VARIANTS) {
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
  // The library's ten-variable request against the same work written on raw AsyncLocalStorage.
  for (const variant of ['ten.run', 'ten.using']) {
    list.push({
      id: `cpu.${variant}/ten.als`,
      label: `CPU per request: ${variant} / ten.als`,
      numerator: measurementId('cpu', variant),
      denominator: measurementId('cpu', 'ten.als'),
    });
  }
  return list;
}

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
    cpu('ten.run', 'als.run', 1.15),
    cpu('ten.using', 'als.run', 1.15),
    ...VARIANTS.filter((v) => v.library).map((v) => cpu(v.id, 'cls-hooked', 1, true)),
  ];
}

function report(
  servers: readonly Server[],
  skipped: ReadonlyMap<string, string>,
  windows: ReadonlyMap<string, Window[]>,
): void {
  const measurements = new Map<string, Measurement>();
  for (const server of servers) {
    const list = windows.get(server.variant.id)!;
    for (const metric of METRICS) {
      const samples = list.map(metric.of);
      const id = measurementId(metric.id, server.variant.id);
      measurements.set(id, {
        id,
        label: `${server.variant.label}: ${metric.label} (${metric.unit})`,
        samples,
        median: median(samples),
        spread: relativeSpread(samples),
        iterations: list.reduce((sum, w) => sum + w.requests, 0),
      });
    }
  }
  // Every measurement shares the rounds: every ratio is paired.
  const groupOf = (): string => 'http';
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
      ratioCell('cpu', v.id, 'none'),
      ratioCell('cpu', v.id, 'als.run'),
      cell('rps', v.id),
      ratioCell('rps', v.id, 'none'),
      cell('p50', v.id, 1),
      cell('p99', v.id, 1),
      cell('heap', v.id, 1),
    ];
  });
  const header = [
    `contextvars HTTP benchmark — Node ${process.version} (V8 ${process.versions.v8}), storage: ${storageKind}`,
    `${cpus()[0]?.model ?? 'unknown CPU'} ×${cpus().length}; node:http on 127.0.0.1, autocannon, ${connections} connections${pipelining > 1 ? ` × ${pipelining} pipelined` : ''}; ` +
      `${quick ? 'quick run, ' : ''}${rounds} interleaved rounds of ${seconds} s per variant; ` +
      (pinned === undefined
        ? 'not pinned (no taskset or one CPU)'
        : `servers on CPU ${pinned[0]}, load generator on CPU ${pinned[1]}`),
    `load average ${loadAtStart.toFixed(1)} at the start, ${(loadavg()[0] ?? 0).toFixed(1)} at the end; ` +
      'medians over rounds ± half the interquartile range; ratios: median of the per-round ratios',
  ].join('\n');
  console.log(`${header}\n`);
  console.log(
    table(
      [
        'variant',
        'what each request does',
        'CPU µs/req',
        'CPU / none',
        'CPU / als.run',
        'req/s',
        'req/s / none',
        'p50 ms',
        'p99 ms',
        'heap MB',
      ],
      rows,
      [false, false, true, true, true, true, true, true, true, true],
    ),
  );

  for (const [id, reason] of skipped) console.log(`skipped: ${id}: ${reason}`);
  const againstRaw = ['ten.run', 'ten.using']
    .map((variant) => [variant, ratioCell('cpu', variant, 'ten.als')] as const)
    .filter(([, ratio]) => ratio !== '');
  if (againstRaw.length > 0) {
    const ratios = againstRaw.map(([variant, ratio]) => `${variant} ${ratio}`).join(', ');
    console.log(`CPU per request against the same ten values and helpers on raw ALS (ten.als): ${ratios}\n`);
  }

  const verdictById = new Map(verdicts.map((c) => [c.id, c]));
  const targetRows = targets.map((spec) => {
    const c: Comparison | undefined = verdictById.get(spec.id);
    const missing = [spec.numerator, spec.denominator].find((id) => !measurements.has(id));
    if (c === undefined) {
      const variant = missing?.split('.').slice(2).join('.') ?? '';
      const reason = skipped.get(variant);
      return [
        spec.label,
        '',
        '',
        limitText(spec as Comparison),
        reason === undefined ? 'not measured' : 'skipped: not available',
      ];
    }
    return [c.label, `${c.ratio.toFixed(3)}x`, percent(c.spread), limitText(c), c.pass === true ? 'PASS' : 'FAIL'];
  });
  console.log('');
  console.log(table(['target', 'value', 'spread', 'target', 'result'], targetRows, [false, true, true, false, false]));
  const failed = verdicts.filter((c) => c.pass === false);
  console.log(
    `\n${verdicts.length - failed.length}/${verdicts.length} targets PASS` +
      `${failed.length > 0 ? `; FAIL: ${failed.map((c) => c.id).join(', ')}` : ''}` +
      `${verdicts.length < targets.length ? `; ${targets.length - verdicts.length} skipped or not measured` : ''}`,
  );

  const json = {
    benchmark: 'http',
    ...machineRecord(),
    quick,
    rounds,
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
        ...(reason === undefined ? { status: 'measured' } : { status: 'skipped', reason }),
      };
    }),
    measurements: [...measurements.values()].map((m) => {
      const [, metric = '', ...variant] = m.id.split('.');
      return {
        id: m.id,
        variant: variant.join('.'),
        metric,
        unit: METRICS.find((x) => x.id === metric)?.unit ?? '',
        label: m.label,
        value: m.median,
        spread: m.spread,
        samples: m.samples,
        requests: m.iterations,
      };
    }),
    comparisons: [...comparisons, ...verdicts].map(comparisonRecord),
    skippedTargets: targets.filter((t) => !verdictById.has(t.id)).map((t) => t.id),
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
