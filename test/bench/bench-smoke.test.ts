/**
 * The benchmark suites run end to end: `npm run bench -- --quick` and
 * `npm run bench:http -- --quick` finish, print their tables and write the
 * JSON report with every expected row. No timing is asserted here (timing
 * belongs to the benchmark itself); the ratios only have to be real numbers.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { canRun, needs } from '../support/programs.ts';

interface Report {
  node: string;
  storage: string;
  quick: boolean;
  measurements: { id: string; nsPerOp: number; samples: number[] }[];
  comparisons: { id: string; ratio: number; limit?: number; pass?: boolean }[];
}

const EXPECTED_MEASUREMENTS = [
  'get.set',
  'get.default',
  'raw.get.set',
  'raw.get.default',
  'setReset.1',
  'setReset.1000',
  'raw.setReset.1',
  'raw.setReset.1000',
  'raw.enterPair',
  'copyContext.1',
  'copyContext.10000',
  'raw.copy.1',
  'raw.copy.10000',
  'run',
  'raw.run',
  'raw.run.scoped',
  'varRun',
  'otel.with.contextvars',
  'otel.with.als',
  'tc39.get',
  'tc39.run',
  'tc39.wrap',
  'raw.bind',
  ...['hamt', 'immutable', 'cowMap'].flatMap((impl) =>
    ['get', 'set', 'delete', 'iterate'].flatMap((operation) => [`${impl}.${operation}.8`, `${impl}.${operation}.1024`]),
  ),
  'awaitChain.library',
  'awaitChain.als',
  'awaitChain.none',
  'jobLoop.first',
  'jobLoop.last',
  'cpython.get.set',
  'cpython.get.default',
  'cpython.setReset.1',
  'cpython.setReset.1000',
  'cpython.copyContext.1',
  'cpython.copyContext.10000',
  'cpython.run',
];

const EXPECTED_TARGETS = [
  'get.set/raw',
  'get.default/raw',
  'copyContext.10000/1',
  'setReset.1000/1',
  'awaitChain.library/als',
  'jobLoop.last/first',
  'otel.with/als',
  'varRun/raw.scoped',
  'tc39.get/raw',
  'tc39.run/raw.scoped',
  'tc39.wrap/raw',
  ...['get', 'set', 'iterate'].flatMap((operation) => [8, 1024].map((size) => `hamt.${operation}.${size}/immutable`)),
  ...['get.set', 'get.default', 'setReset.1', 'setReset.1000', 'copyContext.1', 'copyContext.10000', 'run'].map(
    (id) => `${id}/cpython`,
  ),
];

// Without python3 the bench measures no CPython rows; outside CI the test then expects none.
const python = needs('python3', canRun(process.env['PYTHON'] ?? 'python3'));
const withCpython = python.options.skip === false;
const isCpython = (id: string): boolean => id.startsWith('cpython.') || id.endsWith('/cpython');
const expectedMeasurements = EXPECTED_MEASUREMENTS.filter((id) => withCpython || !isCpython(id));
/**
 * Where the store lives in AsyncContextFrames, set+reset is promised against
 * the raw enterWith pair, and CPython's set+reset and run rows are reported only.
 */
const FRAME_BOUND = new Set(['setReset.1/cpython', 'setReset.1000/cpython', 'run/cpython']);
const expectedTargets = (storage: string): string[] =>
  storage === 'async-context-frame'
    ? [...EXPECTED_TARGETS.filter((id) => !FRAME_BOUND.has(id)), 'setReset.1/raw.enterPair']
    : EXPECTED_TARGETS;
const name = 'npm run bench -- --quick writes a JSON report with every expected row';

test(withCpython ? name : `${name} (CPython rows ${python.options.skip})`, () => {
  const directory = mkdtempSync(join(tmpdir(), 'contextvars-bench-'));
  try {
    const out = join(directory, 'quick.json');
    const result = spawnSync('npm', ['run', 'bench', '--', '--quick', '--out', out], { encoding: 'utf8' });
    assert.equal(result.status, 0, `bench exited with ${result.status}:\n${result.stdout}\n${result.stderr}`);
    assert.match(result.stdout, /\| target .*\| result \|/);
    assert.match(result.stdout, /targets PASS/);
    assert.ok(existsSync(out), `no report at ${out}`);

    const report = JSON.parse(readFileSync(out, 'utf8')) as Report;
    assert.equal(report.node, process.version);
    assert.equal(report.quick, true);
    assert.match(report.storage, /^(async-context-frame|async-hooks)$/);

    const measured = new Map(report.measurements.map((m) => [m.id, m]));
    assert.deepEqual(
      expectedMeasurements.filter((id) => !measured.has(id)),
      [],
      'measurements missing from the report',
    );
    for (const m of report.measurements) {
      assert.ok(Number.isFinite(m.nsPerOp) && m.nsPerOp > 0, `${m.id}: ns/op ${m.nsPerOp}`);
      assert.ok(m.samples.length > 0, `${m.id}: no samples`);
    }

    const compared = new Map(report.comparisons.map((c) => [c.id, c]));
    const targets = expectedTargets(report.storage).filter((id) => withCpython || !isCpython(id));
    assert.deepEqual(
      targets.filter((id) => !compared.has(id)),
      [],
      'targets missing from the report',
    );
    for (const id of targets) {
      const c = compared.get(id)!;
      assert.ok(Number.isFinite(c.ratio) && c.ratio > 0, `${id}: ratio ${c.ratio}`);
      assert.equal(typeof c.limit, 'number', `${id} has no limit`);
      assert.equal(typeof c.pass, 'boolean', `${id} has no verdict`);
    }
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
});

interface HttpReport {
  benchmark: string;
  node: string;
  quick: boolean;
  variants: { id: string; status: 'measured' | 'skipped'; reason?: string }[];
  measurements: { id: string; variant: string; metric: string; value: number; samples: number[]; requests: number }[];
  comparisons: { id: string; ratio: number; limit?: number; pass?: boolean }[];
  skippedTargets: string[];
  remeasured: { rerun: number; targets: { id: string }[]; variants: string[] }[];
}

/** Variants that exist on every supported Node; the others light up when their API does. */
const HTTP_ALWAYS = [
  'none',
  'als.run',
  'als.enterWith',
  'set',
  'context.run',
  'cls-hooked',
  'ten.als',
  'ten.using',
  'ten.cls-hooked',
  'fastify.none',
  'fastify.plugin.1',
  'fastify.request-context.1',
  'fastify.plugin.10',
  'fastify.request-context.10',
];
const HTTP_DETECTED = ['asyncContext.run', 'ten.run', 'ten.context'];
const HTTP_METRICS = ['cpu', 'rps', 'p50', 'p99', 'heap'];
const HTTP_TARGETS = [
  'target.cpu.set/als.run',
  'target.cpu.context.run/als.run',
  'target.cpu.ten.context/ten.als',
  'target.cpu.ten.run/ten.als',
  'target.cpu.ten.using/ten.als',
  'target.cpu.fastify.plugin.1/fastify.request-context.1',
  'target.cpu.fastify.plugin.10/fastify.request-context.10',
  ...['set', 'context.run', 'asyncContext.run'].map((id) => `target.cpu.${id}/cls-hooked`),
  ...['ten.run', 'ten.using', 'ten.context'].map((id) => `target.cpu.${id}/ten.cls-hooked`),
];

test('npm run bench:http -- --quick serves every variant and writes a JSON report', () => {
  const directory = mkdtempSync(join(tmpdir(), 'contextvars-bench-http-'));
  try {
    const out = join(directory, 'http.json');
    // One re-measurement at most: a quick run's targets are noise, so it usually takes place.
    const result = spawnSync('npm', ['run', 'bench:http', '--', '--quick', '--reruns', '1', '--out', out], {
      encoding: 'utf8',
    });
    assert.equal(result.status, 0, `bench:http exited with ${result.status}:\n${result.stdout}\n${result.stderr}`);
    assert.match(result.stdout, /\| variant +\|.*\| +CPU µs\/req \|/);
    assert.match(result.stdout, /targets PASS/);

    const report = JSON.parse(readFileSync(out, 'utf8')) as HttpReport;
    assert.equal(report.benchmark, 'http');
    assert.equal(report.node, process.version);
    assert.equal(report.quick, true);

    const status = new Map(report.variants.map((v) => [v.id, v]));
    for (const id of HTTP_ALWAYS) assert.equal(status.get(id)?.status, 'measured', `${id} was not measured`);
    for (const id of HTTP_DETECTED) {
      const variant = status.get(id);
      assert.ok(variant !== undefined, `${id} is missing from the report`);
      if (variant.status === 'skipped')
        assert.match(variant.reason ?? '', /not available/, `${id} skipped without saying why`);
    }

    const measured = new Map(report.measurements.map((m) => [m.id, m]));
    for (const variant of report.variants.filter((v) => v.status === 'measured')) {
      for (const metric of HTTP_METRICS) {
        const m = measured.get(`http.${metric}.${variant.id}`);
        assert.ok(m !== undefined, `no ${metric} for ${variant.id}`);
        assert.ok(m.samples.length > 0 && m.requests > 0, `${m.id}: no samples or no requests`);
        // Latency percentiles are whole milliseconds and may be 0 on a fast machine; requests per second
        // count what autocannon saw complete inside a 0.2 s window, none when a loaded machine stalls it
        // (the server's own count, `requests`, is checked above).
        const floor = metric === 'p50' || metric === 'p99' || metric === 'rps' ? 0 : Number.MIN_VALUE;
        assert.ok(Number.isFinite(m.value) && m.value >= floor, `${m.id}: ${m.value}`);
      }
    }

    const compared = new Map(report.comparisons.map((c) => [c.id, c]));
    for (const id of HTTP_TARGETS) {
      const c = compared.get(id);
      if (c === undefined) {
        assert.ok(report.skippedTargets.includes(id), `target ${id} neither measured nor reported as skipped`);
        continue;
      }
      assert.ok(Number.isFinite(c.ratio) && c.ratio > 0, `${id}: ratio ${c.ratio}`);
      assert.equal(typeof c.limit, 'number', `${id} has no limit`);
      assert.equal(typeof c.pass, 'boolean', `${id} has no verdict`);
    }
    assert.match(result.stdout, /^Re-measured/m);
    assert.ok(report.remeasured.length <= 1, `${report.remeasured.length} re-measurements, at most 1 asked for`);
    for (const rerun of report.remeasured) {
      for (const target of rerun.targets) assert.ok(HTTP_TARGETS.includes(target.id), `re-measured ${target.id}`);
      for (const id of rerun.variants) assert.equal(status.get(id)?.status, 'measured', `re-measured ${id}`);
    }
    for (const id of report.skippedTargets) {
      const [, variant] = /^target\.cpu\.(.+)\/[^/]+$/.exec(id) ?? [];
      assert.equal(status.get(variant ?? '')?.status, 'skipped', `${id} skipped although ${variant} was measured`);
    }
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
});

test('npm run bench:ab -- --against HEAD prints a before/after row for every core operation', () => {
  const result = spawnSync('npm', ['run', 'bench:ab', '--', '--rounds', '1', '--against', 'HEAD'], {
    encoding: 'utf8',
  });
  assert.equal(result.status, 0, `bench:ab exited with ${result.status}:\n${result.stdout}\n${result.stderr}`);
  assert.match(result.stdout, /before: HEAD, after: HEAD;/);
  const rows = new Map(
    [...result.stdout.matchAll(/^\| ([^|]+?) \| ([\d.]+) \| ([\d.]+) \| ([\d.]+)x \|/gm)].map((m) => [
      m[1],
      Number(m[4]),
    ]),
  );
  const operations = ['v.get() (value set)', 'v.get() (default)', 'ctx.run(fn)', 'v.run(x, fn)', 'copyContext()'];
  for (const operation of operations) {
    const ratio = rows.get(operation);
    assert.ok(ratio !== undefined && Number.isFinite(ratio) && ratio > 0, `${operation}: ${ratio}\n${result.stdout}`);
  }
  assert.equal([...rows.keys()].filter((label) => label?.startsWith('v.set(x); v.reset(t)')).length, 2);
});

for (const [script, prefix] of [
  ['bench:compare', 'v'],
  ['bench:http:compare', 'http-v'],
] as const) {
  test(`npm run ${script} puts every committed report in a column of its tables`, () => {
    const results = join(import.meta.dirname, '../../bench/results');
    const versions = readdirSync(results)
      .map((name) => new RegExp(`^${prefix}(\\d+\\.\\d+\\.\\d+)\\.json$`).exec(name)?.[1])
      .filter((version) => version !== undefined);
    assert.ok(versions.length > 0, `no committed ${prefix}*.json report in ${results}`);
    const result = spawnSync('npm', ['run', '--silent', script], { encoding: 'utf8' });
    assert.equal(result.status, 0, `${script} exited with ${result.status}:\n${result.stdout}\n${result.stderr}`);
    const header = result.stdout.split('\n').find((line) => line.startsWith('| '));
    for (const version of versions) assert.ok(header?.includes(`Node v${version} `), `v${version} in ${header}`);
    assert.match(result.stdout, /^\|---\|/m);
  });
}
