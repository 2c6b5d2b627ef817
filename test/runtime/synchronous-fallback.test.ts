/**
 * A server runtime without what asynchronous propagation needs falls back to
 * synchronous propagation and says so once, naming what is missing. Each case
 * removes one primitive in a child process before the library loads.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';

const entry = pathToFileURL(join(import.meta.dirname, '../../src/index.ts')).href;
const asyncio = pathToFileURL(join(import.meta.dirname, '../../src/asyncio/index.ts')).href;
const scopeModule = pathToFileURL(join(import.meta.dirname, '../../src/scope.ts')).href;

/** Loads the library twice (two module instances), then reports what propagates. */
const probe = `
import assert from 'node:assert/strict';
const warnings = [];
process.on('warning', (w) => warnings.push({ name: w.name, code: w.code, message: w.message }));
const { Context, ContextVar, bind, copyContext } = await import(${JSON.stringify(entry)});
const { callSoon, createTask } = await import(${JSON.stringify(asyncio)});
const { storageKind } = await import(${JSON.stringify(`${scopeModule}?second-copy`)});
const v = new ContextVar('v', { default: 'd' });

// Synchronous propagation and explicit binding hold in every mode.
const ctx = new Context();
ctx.run(() => v.set('inside'));
assert.equal(ctx.get(v), 'inside');
assert.equal(v.get(), 'd');
const readLater = ctx.run(() => bind(() => v.get()));
assert.equal(readLater(), 'inside');
const seenBySoon = await new Promise((resolve) => callSoon(() => resolve(v.get()), { context: ctx }));
assert.equal(seenBySoon, 'inside');
const task = createTask(() => v.get(), { context: ctx.copy() });
assert.equal(await task, 'inside');
assert.equal(copyContext().run(() => v.get()), 'd');

// Asynchronous propagation: is the value still there after an await?
let afterAwait;
await new Context().run(async () => {
  v.set('before await');
  await new Promise((resolve) => setTimeout(resolve, 1));
  afterAwait = v.get();
});
await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on the next tick
console.log(JSON.stringify({ kind: storageKind, afterAwait, warnings }));
`;

const removals = {
  'process.getBuiltinModule': 'delete process.getBuiltinModule;',
  'node:async_hooks': `const original = process.getBuiltinModule;
process.getBuiltinModule = (id) => { if (id === 'node:async_hooks') throw new Error('no such module'); return original(id); };`,
  'AsyncLocalStorage enterWith and run':
    "delete process.getBuiltinModule('node:async_hooks').AsyncLocalStorage.prototype.enterWith;",
};

interface ProbeResult {
  kind: string;
  afterAwait: unknown;
  warnings: { name: string; code: string; message: string }[];
}

/** Runs `source` in a child process after `removal`, and returns the JSON its last line prints. */
function runProbe<R = ProbeResult>(removal: string, source: string = probe): R {
  const dir = mkdtempSync(join(tmpdir(), 'contextvars-fallback-'));
  try {
    writeFileSync(join(dir, 'remove.mjs'), removal);
    writeFileSync(join(dir, 'probe.mjs'), source);
    const child = spawnSync(
      process.execPath,
      ['--import', pathToFileURL(join(dir, 'remove.mjs')).href, '--import', 'tsx', join(dir, 'probe.mjs')],
      { encoding: 'utf8', cwd: join(import.meta.dirname, '../..') },
    );
    assert.equal(child.status, 0, `probe exited with ${child.status}:\n${child.stderr}`);
    return JSON.parse(child.stdout.trim().split('\n').at(-1) ?? '') as R;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

for (const [missing, removal] of Object.entries(removals)) {
  test(`without ${missing}: synchronous fallback with one warning naming it`, () => {
    const result = runProbe(removal);
    assert.equal(result.kind, 'synchronous');
    assert.equal(result.afterAwait, 'd', 'values do not cross await in the synchronous fallback');
    assert.equal(result.warnings.length, 1, JSON.stringify(result.warnings));
    const [warning] = result.warnings;
    assert.equal(warning?.name, 'ContextvarsWarning');
    assert.equal(warning?.code, 'CONTEXTVARS_SYNCHRONOUS_FALLBACK');
    assert.ok(warning?.message.includes(`no ${missing} (`), warning?.message);
    assert.match(warning?.message ?? '', /synchronous calls and explicit binding/);
  });
}

test('with AsyncLocalStorage: asynchronous propagation and no warning', () => {
  const result = runProbe('');
  assert.notEqual(result.kind, 'synchronous');
  assert.equal(result.afterAwait, 'before await');
  assert.deepEqual(result.warnings, []);
});

/** What the server probe prints. */
interface ServerProbeResult {
  topLevel: { name: string; isClass: boolean; message: string };
  refused: number;
  bled: number;
  wrongInRun: number;
  afterAll: string;
}

/** Without asynchronous propagation, a node:http server whose handler sets a request id (S10). */
const serverProbe = `
import { once } from 'node:events';
import { createServer } from 'node:http';
const { ContextVar, UnsupportedRuntimeError } = await import(${JSON.stringify(entry)});
const requestId = new ContextVar('requestId', { default: '-' });
let topLevel;
try {
  requestId.set('top');
  topLevel = 'set';
} catch (error) {
  topLevel = { name: error.name, isClass: error instanceof UnsupportedRuntimeError, message: error.message };
}
let refused = 0;
const server = createServer((req, res) => {
  try {
    requestId.set(String(req.headers['x-id']));
  } catch (error) {
    if (!(error instanceof UnsupportedRuntimeError)) throw error;
    refused++;
  }
  const inRun = requestId.run(String(req.headers['x-id']), () => requestId.get());
  setImmediate(() => res.end(JSON.stringify([requestId.get(), inRun])));
});
await once(server.listen(0, '127.0.0.1'), 'listening');
const { port } = server.address();
const ids = Array.from({ length: 200 }, (_, i) => 'r' + i);
const answers = await Promise.all(
  ids.map((id) => fetch('http://127.0.0.1:' + port, { headers: { 'x-id': id } }).then((r) => r.json())),
);
server.close();
const bled = answers.filter(([seen], i) => seen !== '-' && seen !== ids[i]).length;
const wrongInRun = answers.filter(([, inRun], i) => inRun !== ids[i]).length;
console.log(JSON.stringify({ topLevel, refused, bled, wrongInRun, afterAll: requestId.get() }));
`;

test('without asynchronous propagation, a set outside every run is refused, so no request reads another one’s id', () => {
  const result = runProbe<ServerProbeResult>(removals['process.getBuiltinModule'] ?? '', serverProbe);
  assert.equal(result.topLevel.name, 'UnsupportedRuntimeError');
  assert.equal(result.topLevel.isClass, true);
  assert.match(result.topLevel.message, /'requestId'/, 'the error names the variable');
  assert.match(result.topLevel.message, /process\.getBuiltinModule/, 'the error names what is missing');
  assert.match(result.topLevel.message, /requestId\.run\(value, fn\)/, 'the error says what to do');
  assert.equal(result.refused, 200, 'every handler set is refused');
  assert.equal(result.bled, 0, 'no response carries another request’s id');
  assert.equal(result.wrongInRun, 0, 'ContextVar.run still scopes the value to its synchronous call');
  assert.equal(result.afterAll, '-');
});
