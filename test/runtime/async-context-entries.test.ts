/**
 * The TC39 entries as a process meets them: `contextvars/async-context`
 * without AsyncLocalStorage (the synchronous fallback, as in browsers), the
 * global entry defining `globalThis.AsyncContext` (or leaving the runtime's
 * own alone), and the built ESM and CommonJS copies sharing one store.
 * Each case runs in a child process of its own.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { pathToFileURL } from 'node:url';

const ROOT = join(import.meta.dirname, '../..');
const facade = pathToFileURL(join(ROOT, 'src/async-context/index.ts')).href;
const globalEntry = pathToFileURL(join(ROOT, 'src/async-context/global.ts')).href;
// Inside the repository, so 'contextvars/async-context' resolves through the package's own "exports".
mkdirSync(join(ROOT, 'tmp'), { recursive: true });
const work = mkdtempSync(join(ROOT, 'tmp', 'async-context-entries-'));
after(() => rmSync(work, { recursive: true, force: true }));
let scripts = 0;

/** Runs `code` (after `preload`, when given) with node and tsx; returns its last stdout line, parsed. */
function run(code: string, { preload = '', extension = 'mjs', tsx = true } = {}): unknown {
  const file = join(work, `script-${++scripts}.${extension}`);
  writeFileSync(file, code);
  const args = [file];
  if (tsx) args.unshift('--import', 'tsx');
  if (preload !== '') {
    const preloadFile = join(work, `preload-${scripts}.mjs`);
    writeFileSync(preloadFile, preload);
    args.unshift('--import', pathToFileURL(preloadFile).href);
  }
  const child = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8' });
  assert.equal(child.status, 0, `the script exited with ${child.status}:\n${child.stderr}`);
  return JSON.parse(child.stdout.trim().split('\n').at(-1) ?? 'null');
}

test('without AsyncLocalStorage (browsers): synchronous code, Snapshot, wrap and bindGenerator work', () => {
  const result = run(
    `
    import assert from 'node:assert/strict';
    const { AsyncContext, bindGenerator } = await import(${JSON.stringify(facade)});
    const { storageKind } = await import(${JSON.stringify(pathToFileURL(join(ROOT, 'src/scope.ts')).href)});
    const user = new AsyncContext.Variable({ defaultValue: 'anonymous' });
    assert.equal(user.run('ada', () => user.get()), 'ada');
    assert.equal(user.get(), 'anonymous');
    const snapshot = user.run('ada', () => new AsyncContext.Snapshot());
    assert.equal(user.run('bob', () => snapshot.run(() => user.get())), 'ada');
    // Explicit binding carries values across a timer, also without AsyncLocalStorage.
    const wrapped = user.run('ada', () => AsyncContext.Snapshot.wrap(() => user.get()));
    const fromTimer = await new Promise((resolve) => setTimeout(() => resolve(wrapped()), 1));
    const gen = bindGenerator(function* () { yield user.get(); yield user.get(); });
    const generator = user.run('ada', () => gen());
    const steps = user.run('bob', () => [generator.next().value, generator.next().value]);
    // Implicit propagation across await is what the fallback cannot do.
    const afterAwait = await user.run('ada', async () => { await null; return user.get(); });
    console.log(JSON.stringify({ kind: storageKind, fromTimer, steps, afterAwait }));
    `,
    {
      preload:
        'delete process.getBuiltinModule; process.removeAllListeners("warning"); process.on("warning", () => {});',
    },
  );
  assert.deepEqual(result, { kind: 'synchronous', fromTimer: 'ada', steps: ['ada', 'ada'], afterAwait: 'anonymous' });
});

test('the global entry defines globalThis.AsyncContext as writable, configurable, not enumerable', () => {
  const result = run(`
    const { AsyncContext: exported } = await import(${JSON.stringify(globalEntry)});
    const { AsyncContext: ours } = await import(${JSON.stringify(facade)});
    const { value, ...attributes } = Object.getOwnPropertyDescriptor(globalThis, 'AsyncContext');
    console.log(JSON.stringify({ attributes, same: value === ours && exported === ours }));
  `);
  assert.deepEqual(result, { attributes: { writable: true, enumerable: false, configurable: true }, same: true });
});

test("the global entry leaves a runtime's own AsyncContext alone and exports it", () => {
  const result = run(
    `
    const native = globalThis.AsyncContext;
    const { AsyncContext: exported } = await import(${JSON.stringify(globalEntry)});
    const { value, ...attributes } = Object.getOwnPropertyDescriptor(globalThis, 'AsyncContext');
    console.log(JSON.stringify({ attributes, kept: value === native, exported: exported === native, tag: native.tag }));
    `,
    {
      preload:
        "Object.defineProperty(globalThis, 'AsyncContext', { value: { tag: 'native' }, writable: false, enumerable: true, configurable: false });",
    },
  );
  assert.deepEqual(result, {
    attributes: { writable: false, enumerable: true, configurable: false },
    kept: true,
    exported: true,
    tag: 'native',
  });
});

test('built entries: the ESM and CommonJS copies of contextvars/async-context share one store', () => {
  assert.ok(existsSync(join(ROOT, 'dist/async-context.cjs')), 'dist/ is not built: run `npm run build` first');
  const result = run(
    `
    import { createRequire } from 'node:module';
    import { AsyncContext as esm } from 'contextvars/async-context';
    import { ContextVar } from 'contextvars';
    const cjs = createRequire(import.meta.url)('contextvars/async-context').AsyncContext;
    const fromCjs = new cjs.Variable({ defaultValue: 'default' });
    const contextVar = new ContextVar('cv', { default: 'default' });
    const snapshot = fromCjs.run('cjs', () => contextVar.run('core', () => new esm.Snapshot()));
    console.log(JSON.stringify({
      distinct: esm !== cjs,
      seen: snapshot.run(() => [fromCjs.get(), contextVar.get()]),
      wrapped: fromCjs.run('cjs', () => esm.Snapshot.wrap(() => fromCjs.get()))(),
    }));
    `,
    { tsx: false },
  );
  assert.deepEqual(result, { distinct: true, seen: ['cjs', 'core'], wrapped: 'cjs' });
});
