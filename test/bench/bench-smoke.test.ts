/**
 * The benchmark suite runs end to end: `npm run bench -- --quick` finishes,
 * prints its tables and writes the JSON report with every expected row. No
 * timing is asserted here (timing belongs to the benchmark itself); the
 * ratios only have to be real numbers.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

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
  'copyContext.1',
  'copyContext.10000',
  'raw.copy.1',
  'raw.copy.10000',
  'run',
  'raw.run',
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
  'tc39.get/raw',
  'tc39.run/raw',
  'tc39.wrap/raw',
  ...['get', 'set', 'iterate'].flatMap((operation) => [8, 1024].map((size) => `hamt.${operation}.${size}/immutable`)),
  ...['get.set', 'get.default', 'setReset.1', 'setReset.1000', 'copyContext.1', 'copyContext.10000', 'run'].map(
    (id) => `${id}/cpython`,
  ),
];

test('npm run bench -- --quick writes a JSON report with every expected row', () => {
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
      EXPECTED_MEASUREMENTS.filter((id) => !measured.has(id)),
      [],
      'measurements missing from the report',
    );
    for (const m of report.measurements) {
      assert.ok(Number.isFinite(m.nsPerOp) && m.nsPerOp > 0, `${m.id}: ns/op ${m.nsPerOp}`);
      assert.ok(m.samples.length > 0, `${m.id}: no samples`);
    }

    const compared = new Map(report.comparisons.map((c) => [c.id, c]));
    assert.deepEqual(
      EXPECTED_TARGETS.filter((id) => !compared.has(id)),
      [],
      'targets missing from the report',
    );
    for (const id of EXPECTED_TARGETS) {
      const c = compared.get(id)!;
      assert.ok(Number.isFinite(c.ratio) && c.ratio > 0, `${id}: ratio ${c.ratio}`);
      assert.equal(typeof c.limit, 'number', `${id} has no limit`);
      assert.equal(typeof c.pass, 'boolean', `${id} has no verdict`);
    }
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
});
