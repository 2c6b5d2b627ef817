// Runs the test suite on the extra runtimes pinned in tools/runtimes (see
// docs/runtimes.md): the whole suite on Node 22, 24 and 26, and the
// conformance, async, core API and AsyncContext suites on Bun and Deno through their own test runners.
// The system Node (20 in CI) runs the suite through `npm test`.
//
// Usage: node scripts/test-runtimes.mjs [node20.15|node20.16|node22|node24|node26|bun|deno ...]
// Needs: npm ci --prefix tools/runtimes, and a built dist/ (npm run build).
//
// A test that fails on Bun or Deno is run again alone in a fresh process. On
// Deno a value set in a net socket callback outlives the callback and reaches
// the tests after it, so there a later test can fail for that earlier cause
// and is judged by its run alone; elsewhere a test that passes only alone is
// flaky and fails this script. A test failing alone fails this script unless
// KNOWN_FAILURES lists it for that runtime; a listed test that passes also
// fails it, so the list and docs/runtimes.md stay true.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { testFiles } from './test-files.mjs';

const root = resolve(import.meta.dirname, '..');
const modules = join(root, 'tools/runtimes/node_modules');

/** Runtime behaviour we document instead of hiding: test name -> reason. */
const KNOWN_FAILURES = {
  deno: {
    "a value set in one connection's data callback does not reach the next connection":
      "Deno's AsyncLocalStorage.enterWith in a node:net socket callback outlives the callback: the next " +
      "connection's callback, and code the event loop runs next, start with it (docs/runtimes.md, Deno).",
    '10,000 concurrent flows through every scheduler and 500 sockets: zero mismatches':
      'The same Deno leak: a server socket callback sees the value the previous connection set.',
    'S1: request handlers start from the values set before listen() (server at the root)':
      "Deno's node:http server calls its request handler in an empty AsyncLocalStorage context, not in the one " +
      'current at listen() (docs/runtimes.md, Deno). No value leaks between requests.',
    'S1: request handlers start from the values set before listen() (server in a Context)':
      "The same: Deno's node:http request handlers do not start from the listen-time values.",
    "a value set in a process 'uncaughtException' handler does not reach later node:http requests":
      "Deno's AsyncLocalStorage.enterWith in a process 'uncaughtException' handler outlives the handler: every " +
      'later node:http request starts with it (docs/runtimes.md, Deno).',
  },
};

/** The conformance, async and AsyncContext suites, the core API's own suites and the callback-scoping check: what Bun and Deno run. */
const portableFiles = () => [
  ...testFiles('test/conformance'),
  ...testFiles('test/core/async'),
  ...testFiles('test/async-context'),
  'test/core/context.test.ts',
  'test/core/context-var.test.ts',
  'test/core/errors.test.ts',
  'test/core/scope.test.ts',
  'test/asyncio/tasks.test.ts',
  'test/runtime/callback-scoping.test.ts',
];

const escapeRegExp = (text) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

function nodeRuntime(name, files) {
  const bin = join(modules, name, 'bin/node');
  return {
    name,
    bin,
    // The whole suite, with this Node first on PATH so that child processes
    // (npm, node) run on the same version; but for the Chromium pages: what
    // they test runs in the browser, and the Node 20 run has them already
    // (test/bundler runs the plugins on every version).
    env: { PATH: `${dirname(bin)}${delimiter}${process.env.PATH}` },
    command: () =>
      files === undefined
        ? [bin, 'scripts/test.mjs', '--except', 'test/browser/']
        : [bin, '--expose-gc', '--import', 'tsx', '--test', '--test-reporter=spec', ...files()],
    // --no-warnings: the synchronous fallback's warning (Node 20.15) would be read as the storage's name.
    probe: (file) => [bin, '--no-warnings', '--import', 'tsx', file],
    // A node:test run: the spec reporter lists failures after "✖ failing tests:".
    parse(output) {
      const passed = Number(/^ℹ pass (\d+)$/m.exec(output)?.[1] ?? NaN);
      const failedCount = Number(/^ℹ fail (\d+)$/m.exec(output)?.[1] ?? NaN);
      const failingSection = output.split('✖ failing tests:')[1] ?? '';
      const failed = [...failingSection.matchAll(/^✖ (.+?) \(\d[\d.]*m?s\)$/gm)].map((m) => m[1]);
      return { passed, failedCount, failed };
    },
    // The whole suite is not re-run per test on Node: any failure is a failure.
    rerun: undefined,
  };
}

// The suite calls gc(), as scripts/test.mjs passes --expose-gc to Node.
// --isolate: each file in a fresh global, as Node's test runner gives each file a process of its own
// (the leak tests' collections otherwise depend on what earlier files left on the heap).
const bunOptions = ['--timeout=60000', '--isolate', '--preload', './tools/runtimes/bun-expose-gc.mjs'];

const runtimes = {
  // Before process.getBuiltinModule: no asynchronous propagation, and a set that would bleed is refused (S10).
  'node20.15': nodeRuntime('node20.15', () => ['test/core/async/no-silent-bleed.test.ts']),
  // The oldest Node the package supports (engines): the portable suites, which hold the model.
  'node20.16': nodeRuntime('node20.16', portableFiles),
  node22: nodeRuntime('node22'),
  node24: nodeRuntime('node24'),
  node26: nodeRuntime('node26'),
  bun: {
    name: 'bun',
    bin: join(modules, 'bun/bin/bun'),
    env: {},
    command: (files = portableFiles()) => [runtimes.bun.bin, 'test', ...bunOptions, ...files.map((f) => `./${f}`)],
    probe: (file) => [runtimes.bun.bin, file],
    parse(output) {
      const passed = Number(/^\s*(\d+) pass$/m.exec(output)?.[1] ?? NaN);
      const failedCount = Number(/^\s*(\d+) fail$/m.exec(output)?.[1] ?? NaN);
      const failed = [...output.matchAll(/^\(fail\) (.+?)(?: \[[\d.]+m?s\])?$/gm)].map((m) => m[1]);
      return { passed, failedCount, failed: [...new Set(failed)] };
    },
    rerun: (name, file) => [
      runtimes.bun.bin,
      'test',
      ...bunOptions,
      `./${file}`,
      '--test-name-pattern',
      `^${escapeRegExp(name.replaceAll(' > ', ' '))}$`,
    ],
  },
  deno: {
    name: 'deno',
    bin: join(modules, 'deno/deno'),
    env: { NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1' },
    // The documented leak (KNOWN_FAILURES) reaches the tests that run after
    // it in the same process; each of those is judged by a run of its own.
    leaksAcrossTests: true,
    // --no-check: tsc type-checks the suite already; Deno only runs it.
    command: (files = portableFiles()) => [
      runtimes.deno.bin,
      'test',
      '-A',
      '--no-check',
      '--node-modules-dir=manual',
      '--v8-flags=--expose-gc',
      ...files,
    ],
    probe: (file) => [runtimes.deno.bin, 'run', '-A', '--no-check', '--node-modules-dir=manual', file],
    parse(output) {
      // "ok | 66 passed (45 steps) | 0 failed": steps are node:test subtests.
      const summary = /^(?:ok|FAILED) \| (\d+) passed(?: \((\d+) steps?\))? \| (\d+) failed/m.exec(output);
      // Top-level tests only: a failing subtest is re-run through its parent.
      const failed = [...output.matchAll(/^(\S.*?) \.\.\. FAILED/gm)].map((m) => m[1]);
      return {
        passed: Number(summary?.[1] ?? NaN) + Number(summary?.[2] ?? 0),
        failedCount: Number(summary?.[3] ?? NaN),
        failed: [...new Set(failed)],
      };
    },
    rerun: (name, file) => [...runtimes.deno.command([file]), '--filter', `/^${escapeRegExp(name)}$/`],
  },
};

function run(argv, env, { echo }) {
  const [bin, ...args] = argv;
  const result = spawnSync(bin, args, {
    cwd: root,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    timeout: 15 * 60_000,
  });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`;
  if (echo) process.stdout.write(output);
  if (result.error) throw result.error;
  return { status: result.status, output };
}

/** Which propagation mechanism src/runtime picks on this runtime. */
function storageKind(runtime) {
  const dir = mkdtempSync(join(tmpdir(), 'contextvars-probe-'));
  try {
    const file = join(dir, 'probe.mjs');
    const scopeModule = pathToFileURL(join(root, 'src/scope.ts')).href;
    writeFileSync(
      file,
      `const { storageKind } = await import(${JSON.stringify(scopeModule)});\nconsole.log(storageKind);\n`,
    );
    const { status, output } = run(runtime.probe(file), runtime.env, { echo: false });
    return status === 0 ? output.trim().split('\n').at(-1) : `probe failed: ${output.trim()}`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The file a failing test lives in: the first portable file that names it. */
function fileDeclaring(name, files) {
  const bare = name.split(' > ').at(-1);
  return files.find((file) => spawnSync('grep', ['-qF', bare, file]).status === 0);
}

/**
 * Runs one runtime's suites. The report keeps failed tests (`failed`), tests
 * listed in KNOWN_FAILURES that failed as documented (`known`), tests that
 * failed only after Deno's leak (`isolated`), and anything else that makes
 * the run untrustworthy (`problems`).
 */
function testRuntime(runtime) {
  console.log(
    `\n=== ${runtime.name}: ${run([runtime.bin, '--version'], runtime.env, { echo: false }).output.trim().split('\n')[0]}`,
  );
  const kind = storageKind(runtime);
  console.log(`storage: ${kind}`);
  const { status, output } = run(runtime.command(), runtime.env, { echo: true });
  const { passed, failedCount, failed } = runtime.parse(output);
  const report = { name: runtime.name, kind, passed, failed: [], known: [], isolated: [], problems: [] };
  if (Number.isNaN(passed) || Number.isNaN(failedCount)) {
    report.passed = 0;
    report.problems.push(`no test summary in the output (exit ${status})`);
    return report;
  }
  if (failedCount !== failed.length) report.problems.push(`${failedCount} failed but ${failed.length} named`);
  if (status !== 0 && failedCount === 0) report.problems.push(`exit ${status} with no failed test`);
  if (!runtime.rerun) {
    report.failed.push(...failed);
    return report;
  }

  const known = KNOWN_FAILURES[runtime.name] ?? {};
  const files = portableFiles();
  for (const name of failed) {
    const file = fileDeclaring(name, files);
    if (!file) {
      report.failed.push(`${name} (cannot find its file to run it alone)`);
      continue;
    }
    const alone = run(runtime.rerun(name, file), runtime.env, { echo: false });
    const aloneResult = runtime.parse(alone.output);
    const passedAlone = aloneResult.passed >= 1 && aloneResult.failedCount === 0;
    if (name in known) {
      if (passedAlone) report.problems.push(`${name} is listed in KNOWN_FAILURES but passes alone`);
      else report.known.push(name);
    } else if (passedAlone && runtime.leaksAcrossTests) {
      report.isolated.push(name);
      report.passed++;
    } else if (passedAlone) {
      report.failed.push(`${name} (failed in the shared run, passed alone: flaky)`);
    } else {
      report.failed.push(name);
      process.stdout.write(`--- ${name}, run alone:\n${alone.output}`);
    }
  }
  for (const name of Object.keys(known)) {
    if (!failed.includes(name)) {
      report.problems.push(`${name} is listed in KNOWN_FAILURES but passed: update the list and docs/runtimes.md`);
    }
  }
  return report;
}

const requested = process.argv.slice(2);
const unknown = requested.filter((name) => !(name in runtimes));
if (unknown.length > 0) {
  console.error(`unknown runtime ${unknown.join(', ')}; known: ${Object.keys(runtimes).join(', ')}`);
  process.exit(2);
}
const missing = Object.values(runtimes).filter((runtime) => !existsSync(runtime.bin));
if (missing.length > 0) {
  console.error(`missing ${missing.map((r) => r.bin).join(', ')}: run \`npm ci --prefix tools/runtimes\` first.`);
  process.exit(1);
}
const selected = requested.length > 0 ? requested : Object.keys(runtimes);
// The whole suite (Node) includes the packaging, browser and docs tests, which use the build.
if (selected.some((name) => name.startsWith('node')) && !existsSync(join(root, 'dist/index.js'))) {
  console.error('dist/ is not built: run `npm run build` first.');
  process.exit(1);
}

const reports = selected.map((name) => testRuntime(runtimes[name]));

console.log('\n=== runtimes');
let totalPassed = 0;
let totalFailed = 0;
let totalKnown = 0;
for (const report of reports) {
  totalPassed += report.passed;
  totalFailed += report.failed.length + report.problems.length;
  totalKnown += report.known.length;
  const notes = [
    report.known.length > 0 ? `${report.known.length} known failures (documented)` : '',
    report.isolated.length > 0 ? `${report.isolated.length} passed only alone` : '',
  ].filter(Boolean);
  console.log(
    `${report.name} (${report.kind}): ${report.passed} passed, ${report.failed.length} failed${notes.length ? `; ${notes.join(', ')}` : ''}`,
  );
  for (const name of report.known) console.log(`  known failure: ${name}\n    ${KNOWN_FAILURES[report.name][name]}`);
  for (const name of report.isolated) console.log(`  failed in the shared run after the leak, passed alone: ${name}`);
  for (const name of report.failed) console.log(`  FAILED: ${name}`);
  for (const problem of report.problems) console.log(`  PROBLEM: ${problem}`);
}
if (totalKnown > 0) console.log(`${totalKnown} known failures, documented in docs/runtimes.md and listed above`);
console.log(`${totalPassed} passed, ${totalFailed} failed`);
process.exit(totalFailed === 0 ? 0 : 1);
