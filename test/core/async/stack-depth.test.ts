/**
 * Runs nest as deep as the runtime's own: `ContextVar.run`, `Context.run`
 * and `AsyncContext.Variable.run` call fn from their own frame (one frame
 * per run, as `AsyncLocalStorage.run`), so recursive code that scopes a
 * value per level (a tree walk, a recursive descent parser, nested
 * middleware) overflows no sooner than it would on AsyncLocalStorage.
 * Node's own AsyncLocalStorage tests nest 1,000 runs; so do these, on every
 * runtime.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { AsyncContext } from '../../../src/async-context/index.ts';
import { Context, ContextVar, copyContext } from '../../../src/index.ts';

const level = new ContextVar<number>('level', { default: -1 });
const variable = new AsyncContext.Variable<number>({ name: 'level', defaultValue: -1 });

const KINDS = ['ContextVar.run', 'Context.run', 'copyContext().run', 'AsyncContext.Variable.run'];
const PROBE = fileURLToPath(new URL('./fixtures/stack-depth-probe.ts', import.meta.url));

/**
 * V8's compilers off: every frame is the interpreter's, as in a program's
 * first deep recursion, and the depth does not depend on when a background
 * compile finishes (with them on, the same probe reaches different depths
 * from run to run).
 */
const INTERPRETED = ['--no-opt', '--no-maglev', '--no-sparkplug'];

/** How deep `kind` nests in a fresh process of this runtime (cold: nothing has warmed it up). */
function reach(kind: string): number {
  const versions = process.versions as Record<string, string | undefined>;
  const args =
    versions['bun'] !== undefined
      ? [PROBE, kind]
      : versions['deno'] !== undefined
        ? ['run', '-A', '--no-check', `--v8-flags=${INTERPRETED.join(',')}`, PROBE, kind]
        : [...INTERPRETED, '--import', 'tsx', PROBE, kind];
  const child = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 120_000 });
  assert.equal(child.status, 0, `the ${kind} probe failed: ${child.stderr}`);
  return (JSON.parse(child.stdout.trim().split('\n').at(-1) ?? '') as { deepest: number }).deepest;
}

test('each kind of run nests at least as deep as AsyncLocalStorage.run', () => {
  const floor = reach('AsyncLocalStorage.run');
  assert.ok(floor >= 1_000, `AsyncLocalStorage.run reached ${floor}`);
  for (const kind of KINDS) {
    const depth = reach(kind);
    assert.ok(depth >= floor, `${kind} reached ${depth} nested runs, AsyncLocalStorage.run ${floor}`);
  }
});

test('1,000 nested ContextVar.run: each level reads its own value, and each is back when its run returns', () => {
  const seen: number[] = [];
  const descend = (depth: number): number => {
    seen.push(level.get());
    if (depth === 1_000) return depth;
    const reached = level.run(depth, descend, depth + 1);
    assert.equal(level.get(), depth - 1, `back at level ${depth}`);
    return reached;
  };
  assert.equal(level.run(0, descend, 1), 1_000);
  assert.deepEqual(
    seen,
    Array.from({ length: 1_000 }, (_, i) => i),
  );
  assert.equal(level.get(), -1);
});

test('1,000 nested Context.run and copyContext().run: each level records its own value; the outer flows keep theirs', () => {
  const contexts: Context[] = [];
  const descend = (depth: number): void => {
    level.set(depth);
    if (depth === 1_000) return;
    const ctx = depth % 2 === 0 ? new Context() : copyContext();
    contexts.push(ctx);
    ctx.run(descend, depth + 1);
    assert.equal(level.get(), depth, `back at level ${depth}`);
  };
  new Context().run(descend, 0);
  assert.equal(contexts.length, 1_000);
  for (const [i, ctx] of contexts.entries()) assert.equal(ctx.get(level), i + 1);
  assert.equal(level.get(), -1);
});

test('1,000 nested AsyncContext.Variable.run', () => {
  const descend = (depth: number): number => {
    assert.equal(variable.get(), depth - 1);
    return depth === 1_000 ? depth : variable.run(depth, descend, depth + 1);
  };
  assert.equal(variable.run(0, descend, 1), 1_000);
  assert.equal(variable.get(), -1);
});

test('1,000 nested runs that each await: every level resumes with its own value', async () => {
  const descend = async (depth: number): Promise<number[]> => {
    if (depth === 1_000) return [];
    const inner = level.run(depth, descend, depth + 1);
    await null;
    const rest = await inner;
    return [level.get(), ...rest];
  };
  // Level d runs inside the run level d - 1 made (level 0 inside -2's), and resumes there.
  assert.deepEqual(await level.run(-2, descend, 0), [-2, ...Array.from({ length: 999 }, (_, i) => i)]);
  const own = async (depth: number): Promise<number[]> => {
    if (depth === 1_000) return [];
    return level.run(depth, async () => {
      const rest = await own(depth + 1);
      await null;
      return [level.get(), ...rest];
    });
  };
  assert.deepEqual(
    await own(0),
    Array.from({ length: 1_000 }, (_, i) => i),
  );
});
