/**
 * The built entry points (dist/, through the package's own "exports"), each
 * in a fresh Node process: every integration works with the core of the same
 * format (one copy of the core per format, shared through chunks), CommonJS
 * workers run the CommonJS worker script, the core entry loads none of the
 * optional peers, and an idle WorkerPool does not keep a process alive.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
// Inside the repository, so 'contextvars' resolves through the package's own "exports".
const SCRIPTS = join(ROOT, 'tmp', 'entry-points');
let scripts = 0;

/**
 * Runs `code` as a script file with plain node (no tsx) from the repository
 * root; resolves with its stdout lines. A file, not `node -e`: workers
 * inherit the parent's flags, and `--input-type` is refused for a file.
 */
async function run(code: string, type: 'commonjs' | 'module'): Promise<string[]> {
  mkdirSync(SCRIPTS, { recursive: true });
  const file = join(SCRIPTS, `script-${process.pid}-${++scripts}.${type === 'module' ? 'mjs' : 'cjs'}`);
  writeFileSync(file, code);
  const child = spawn(process.execPath, [file], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exitCode = await new Promise<number | null>((resolve) => child.on('close', resolve));
  assert.equal(exitCode, 0, `the script failed:\n${stderr}`);
  return stdout.trim().split('\n');
}

test('CommonJS: require()d integrations share the classes of require("contextvars")', async () => {
  const lines = await run(
    `
    const { Context, ContextVar, copyContext } = require('contextvars');
    const { logFields } = require('contextvars/logging');
    const { sharedContextVar, runInWorker } = require('contextvars/worker');
    const { ContextVarContextManager } = require('contextvars/opentelemetry');
    const { ROOT_CONTEXT, createContextKey } = require('@opentelemetry/api');
    const { pathToFileURL } = require('node:url');

    const requestId = sharedContextVar('test.cjs.requestId');
    console.log(requestId instanceof ContextVar);
    const user = new ContextVar('user');
    new Context().run(() => {
      user.set('ada');
      console.log(JSON.stringify(logFields({ user })()));
    });
    const manager = new ContextVarContextManager();
    const key = createContextKey('k');
    manager.with(ROOT_CONTEXT.setValue(key, 'otel'), () => {
      console.log(copyContext().run(() => manager.active().getValue(key)));
    });
    const context = new Context();
    context.run(() => requestId.set('r-cjs'));
    const tasks = pathToFileURL(require('node:path').resolve('test/integrations/worker/fixtures/worker-tasks.cjs'));
    runInWorker(tasks, 'readRequestId', [], { context })
      .then((seen) => console.log(seen))
      .then(() => runInWorker(tasks, 'workerScript', []))
      .then((script) => console.log(script));
    `,
    'commonjs',
  );
  assert.deepEqual(lines, ['true', '{"user":"ada"}', 'otel', 'r-cjs', 'worker-thread.cjs']);
});

test('contextvars/asyncio, required and imported, makes tasks on the core of its format', async () => {
  const cjs = await run(
    `
    const { Context, ContextVar } = require('contextvars');
    const { createTask, CancelledError } = require('contextvars/asyncio');
    const v = new ContextVar('v', { default: 'd' });
    const task = createTask(() => v.set('in task'));
    console.log(Object.getPrototypeOf(task.context) === Context.prototype, task.context.get(v));
    task.then(() => console.log(new CancelledError('x').name));
    `,
    'commonjs',
  );
  assert.deepEqual(cjs, ['true in task', 'CancelledError']);
  const esm = await run(
    `
    import { Context, ContextVar } from 'contextvars';
    import { createTask, currentTask } from 'contextvars/asyncio';
    const v = new ContextVar('v', { default: 'd' });
    const task = createTask(() => v.set('in task'));
    console.log(Object.getPrototypeOf(task.context) === Context.prototype, task.context.get(v));
    console.log(await createTask(() => currentTask() !== undefined));
    `,
    'module',
  );
  assert.deepEqual(esm, ['true in task', 'true']);
});

test('ESM: imported integrations share the classes of "contextvars"', async () => {
  const lines = await run(
    `
    import { Context, ContextVar } from 'contextvars';
    import { logFields } from 'contextvars/logging';
    import { sharedContextVar, runInWorker } from 'contextvars/worker';
    import { ContextVarContextManager } from 'contextvars/opentelemetry';

    const requestId = sharedContextVar('test.requestId');
    console.log(requestId instanceof ContextVar, typeof ContextVarContextManager);
    const user = new ContextVar('user', { default: 'anonymous' });
    console.log(JSON.stringify(logFields({ user })()));
    const context = new Context();
    context.run(() => requestId.set('r-esm'));
    const tasks = new URL('./test/integrations/worker/fixtures/worker-tasks.mjs', 'file://' + process.cwd() + '/');
    const seen = await runInWorker(tasks, 'describeContext', [], { context });
    console.log(seen.requestId);
    `,
    'module',
  );
  assert.deepEqual(lines, ['true function', '{"user":"anonymous"}', 'r-esm']);
});

test('the core entry imports none of the optional peers (@opentelemetry/api, pino)', () => {
  for (const entry of ['index.js', 'index.cjs']) {
    const seen = new Set<string>();
    const visit = (file: string): void => {
      if (seen.has(file)) return;
      seen.add(file);
      const code = readFileSync(join(ROOT, 'dist', file), 'utf8');
      assert.doesNotMatch(code, /@opentelemetry|['"]pino['"]/, `${file} refers to a peer`);
      for (const [, local] of code.matchAll(/(?:from|require\()\s*['"]\.\/([^'"]+)['"]/g)) visit(local!);
    };
    visit(entry);
    assert.ok(seen.size > 1, `${entry} was followed into its chunks`);
  }
  const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
    peerDependencies: Record<string, string>;
    peerDependenciesMeta: Record<string, { optional?: boolean }>;
  };
  assert.equal(manifest.dependencies, undefined, 'no runtime dependencies');
  for (const peer of ['@opentelemetry/api', 'pino']) {
    assert.ok(manifest.peerDependencies[peer], `${peer} is a peer dependency`);
    assert.equal(manifest.peerDependenciesMeta[peer]?.optional, true, `${peer} is optional`);
  }
});

test('an idle WorkerPool does not keep the process alive', async () => {
  // The script never calls terminate(): it exits (and run() resolves) only if idle workers are unref'd.
  const lines = await run(
    `
    import { WorkerPool } from 'contextvars/worker';
    const pool = new WorkerPool({ size: 2 });
    const tasks = new URL('./test/integrations/worker/fixtures/worker-tasks.mjs', 'file://' + process.cwd() + '/');
    console.log(await pool.run(tasks, 'add', [1, 2]));
    `,
    'module',
  );
  assert.deepEqual(lines, ['3']);
});
