/**
 * Before/after rows for a hot-path change: the core operations of another
 * revision (default HEAD) and of the working tree, measured in the same
 * process and the same interleaved rounds, reported as after/before ratios.
 * Two runs back to back on a shared machine disagree by more than most
 * changes are worth; the same rounds do not.
 *
 *   npm run bench:ab                    # working tree vs HEAD
 *   npm run bench:ab -- --base v0.1.0   # working tree vs a tag or commit
 *   npm run bench:ab -- --rounds 21
 *
 * Both trees' `src/` are exported (the working tree through `git stash
 * create`) into temporary directories, with their process-wide keys
 * (`Symbol.for('contextvars.…')`) renamed, so that the copies share no store.
 * The copy loaded first measures differently from the one loaded second
 * (docs/performance.md, "Measurements behind the tools"), so two child processes measure
 * them in opposite load orders, and the reported ratio is the geometric mean
 * of the two orders' ratios (each order's ratio is printed beside it).
 *
 * @module
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath, pathToFileURL as toUrl } from 'node:url';
import { type BenchCase, hasGc, measureGroup, type Measurement, pairedRatio, sinkValue } from '../lib/harness.ts';

type Library = typeof import('../../src/index.ts');
type Propagation = typeof import('../../src/integrations/propagation/index.ts');

const { values: flags } = parseArgs({
  options: {
    base: { type: 'string', default: 'HEAD' },
    /** Another revision instead of the working tree (an A/A run shows the tool's own noise). */
    against: { type: 'string' },
    rounds: { type: 'string', default: '15' },
    // Internal: a child measures the two exported trees, loading `first` first.
    first: { type: 'string' },
    second: { type: 'string' },
  },
});
const rounds = Number(flags.rounds);

/** A revision's src/ in a temporary directory, with its process-wide keys renamed after `tag`. */
function exportRevision(revision: string, tag: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'contextvars-ab-'));
  const archive = execFileSync('git', ['archive', '--format=tar', revision, 'src'], { maxBuffer: 1 << 28 });
  execFileSync('tar', ['-x', '-C', dir], { input: archive });
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
  const visit = (path: string): void => {
    for (const name of readdirSync(path)) {
      const file = join(path, name);
      if (statSync(file).isDirectory()) visit(file);
      else if (file.endsWith('.ts')) {
        const source = readFileSync(file, 'utf8');
        writeFileSync(file, source.replaceAll("Symbol.for('contextvars.", `Symbol.for('contextvars-ab-${tag}.`));
      }
    }
  };
  visit(join(dir, 'src'));
  return dir;
}

/**
 * Compiles `body` (an expression of `i` and the names in `scope`) into an op
 * of its own: closures made from one function literal share their type
 * feedback in V8, so one op literal called with both copies' ContextVars
 * would be polymorphic on one side only, and an A/A run would not read 1.
 */
function compile(body: string, scope: Record<string, unknown>): (i: number) => unknown {
  const names = Object.keys(scope);
  return new Function(...names, `return (i) => ${body};`)(...names.map((n) => scope[n])) as (i: number) => unknown;
}

/** A case before it is compiled: `body` is an expression of `i` and the names in scope. */
interface CaseSpec {
  readonly id: string;
  readonly label: string;
  readonly body: string;
  readonly within?: (batch: () => unknown) => unknown;
}

/**
 * contextvars/propagation's two halves of a request (bench/propagation):
 * `inject` of three declared variables where they are set, and `extract` of
 * the header it wrote around a handler where nothing is set.
 */
function propagationCases(
  lib: Library,
  propagation: Propagation,
): { cases: CaseSpec[]; scope: Record<string, unknown> } {
  const { ContextVar, copyContext } = lib;
  const { codecs, extract, inject, propagate } = propagation;
  const tenant = propagate(new ContextVar<string>('tenant'));
  const user = propagate(new ContextVar<number>('user'), { codec: codecs.number });
  const flags = propagate(new ContextVar<{ beta: boolean }>('flags'), { codec: codecs.json });
  const caller = copyContext();
  caller.run(() => {
    tenant.set('acme');
    user.set(42);
    flags.set({ beta: true });
  });
  const headers = caller.run(() => inject<Record<string, string>>({}));
  const handle = (): number => user.get() + tenant.get().length;
  return {
    cases: [
      { id: 'inject', label: 'inject({}), 3 propagated', body: 'inject({})', within: (batch) => caller.run(batch) },
      { id: 'extract', label: 'extract(headers, fn), 3 propagated', body: 'extract(headers, handle)' },
    ],
    scope: { inject, extract, headers, handle },
  };
}

/** The cases of one library copy, labelled with `side`. */
function casesOf(lib: Library, side: string, propagation?: Propagation): BenchCase[] {
  const { Context, ContextVar, copyContext } = lib;
  const filled = (count: number, prefix: string) => {
    const vars = Array.from({ length: count }, (_, i) => new ContextVar<number>(`${prefix}${i}`, { default: -1 }));
    const context = new Context();
    context.run(() => {
      for (const [i, v] of vars.entries()) v.set(i);
    });
    return { vars, context };
  };
  const { vars, context } = filled(10, 'v');
  const wide = filled(1000, 'w');
  const scope = {
    context,
    present: vars[3],
    absent: new ContextVar<number>('absent', { default: 7 }),
    first: wide.vars[0],
    work: (): number => 1,
    copyContext,
    Context,
    // A request's start: ten variables set in a fresh Context (each set adds a key).
    tenSets: compile(`(${vars.map((_, n) => `vars[${n}].set(i)`).join(', ')})`, { vars }),
  };
  const inContext =
    (ctx: InstanceType<Library['Context']>) =>
    (batch: () => unknown): unknown =>
      ctx.run(batch);
  const setReset = (target: string) => `{ const token = ${target}.set(i); ${target}.reset(token); return token; }`;
  const cases: CaseSpec[] = [
    { id: 'get.set', label: 'v.get() (value set)', body: 'present.get()', within: inContext(context) },
    { id: 'get.default', label: 'v.get() (default)', body: 'absent.get()', within: inContext(context) },
    { id: 'setReset.1', label: 'v.set(x); v.reset(t) @10 vars', body: setReset('present'), within: inContext(context) },
    {
      id: 'setReset.1000',
      label: 'v.set(x); v.reset(t) @1000 vars',
      body: setReset('first'),
      within: inContext(wide.context),
    },
    { id: 'ctxRun', label: 'ctx.run(fn)', body: 'context.run(work)' },
    { id: 'varRun', label: 'v.run(x, fn)', body: 'present.run(i, work)', within: inContext(context) },
    { id: 'copy', label: 'copyContext()', body: 'copyContext()', within: inContext(context) },
    { id: 'request', label: 'new Context().run(10 sets)', body: 'new Context().run(tenSets, i)' },
  ];
  const requests = propagation === undefined ? { cases: [], scope: {} } : propagationCases(lib, propagation);
  return [...cases, ...requests.cases].map(({ body, ...c }) => ({
    ...c,
    op: compile(body, { ...scope, ...requests.scope }),
    id: `${side}.${c.id}`,
    label: `${side}: ${c.label}`,
  }));
}

type Rows = Record<string, { label: string; before: number; after: number; ratio: number; spread: number }>;

/** In a child: loads `first` then `second`, measures both in the same rounds, prints the rows as JSON. */
async function measureChild(first: string, second: string): Promise<void> {
  const load = async (root: string): Promise<Library> =>
    (await import(toUrl(join(root, 'src', 'index.ts')).href)) as Library;
  // A revision before contextvars/propagation existed has no propagation rows.
  const loadPropagation = async (root: string): Promise<Propagation | undefined> => {
    const file = join(root, 'src', 'integrations', 'propagation', 'index.ts');
    return existsSync(file) ? ((await import(toUrl(file).href)) as Propagation) : undefined;
  };
  const firstLib = await load(first);
  const secondLib = await load(second);
  const byRoot = new Map([
    [first, firstLib],
    [second, secondLib],
  ]);
  const propagationByRoot = new Map([
    [first, await loadPropagation(first)],
    [second, await loadPropagation(second)],
  ]);
  const bothPropagate = [...propagationByRoot.values()].every((p) => p !== undefined);
  const [beforeRoot, afterRoot] = JSON.parse(process.env['CONTEXTVARS_AB_ROOTS']!) as [string, string];
  // An operation one of the revisions lacks (v.run before it existed) is left out on both sides.
  const works = (c: BenchCase): boolean => {
    try {
      (c.within ?? ((batch) => batch()))(() => c.op(0));
      return true;
    } catch {
      return false;
    }
  };
  const operation = (c: BenchCase): string => c.id.slice(c.id.indexOf('.') + 1);
  const propagationOf = (root: string) => (bothPropagate ? propagationByRoot.get(root) : undefined);
  const baseAll = casesOf(byRoot.get(beforeRoot)!, 'before', propagationOf(beforeRoot));
  const newAll = casesOf(byRoot.get(afterRoot)!, 'after', propagationOf(afterRoot));
  const failing = new Set([...baseAll, ...newAll].filter((c) => !works(c)).map(operation));
  const baseCases = baseAll.filter((c) => !failing.has(operation(c)));
  const newCases = newAll.filter((c) => !failing.has(operation(c)));
  const results: Measurement[] = measureGroup([...baseCases, ...newCases], { rounds, batchMs: 10 });
  const byId = new Map(results.map((m) => [m.id, m]));
  const rows: Rows = {};
  for (const c of baseCases) {
    const id = c.id.slice('before.'.length);
    const b = byId.get(`before.${id}`)!;
    const a = byId.get(`after.${id}`)!;
    const ratio = pairedRatio(a, b);
    rows[id] = {
      label: c.label.slice('before: '.length),
      before: b.median,
      after: a.median,
      ratio: ratio.median,
      spread: ratio.spread,
    };
  }
  if (sinkValue() === Symbol.for('never')) console.error('');
  console.log(JSON.stringify(rows));
}

/**
 * A tsconfig that compiles both copies as the repository compiles src/ (and
 * as the build does: class fields as assignments). tsx reads one tsconfig,
 * the working directory's, and applies its options only to the files it
 * includes: the copies, outside it, were compiled with class fields defined.
 */
function compilerSettings(roots: readonly string[]): string {
  const file = join(roots[0]!, 'tsconfig.ab.json');
  const repo = fileURLToPath(new URL('../..', import.meta.url));
  const include = [join(repo, 'src'), join(repo, 'bench'), join(repo, 'tools'), ...roots.map((r) => join(r, 'src'))];
  writeFileSync(file, JSON.stringify({ extends: join(repo, 'tsconfig.json'), include }));
  return file;
}

/** Runs a child that loads `first` first, with `env` (both roots and the tsconfig); returns its rows. */
function runChild(first: string, second: string, env: NodeJS.ProcessEnv): Rows {
  const self = fileURLToPath(import.meta.url);
  const args = [
    '--expose-gc',
    '--import',
    'tsx',
    self,
    '--rounds',
    String(rounds),
    '--first',
    first,
    '--second',
    second,
  ];
  const out = execFileSync(process.execPath, args, { env, maxBuffer: 1 << 24 });
  return JSON.parse(out.toString().trim().split('\n').at(-1)!) as Rows;
}

if (flags.first !== undefined && flags.second !== undefined) {
  await measureChild(flags.first, flags.second);
} else {
  if (!hasGc()) console.warn('run with --expose-gc (npm run bench:ab does) for a GC before every batch');
  const working = flags.against ?? (execFileSync('git', ['stash', 'create']).toString().trim() || 'HEAD');
  const beforeDir = exportRevision(flags.base, 'before');
  const afterDir = exportRevision(working, 'after');
  try {
    const roots: [string, string] = [beforeDir, afterDir];
    const env = {
      ...process.env,
      CONTEXTVARS_AB_ROOTS: JSON.stringify(roots),
      TSX_TSCONFIG_PATH: compilerSettings(roots),
    };
    const beforeFirst = runChild(beforeDir, afterDir, env);
    const afterFirst = runChild(afterDir, beforeDir, env);
    const name = flags.against ?? 'working tree';
    console.log(
      `before: ${flags.base}, after: ${name}; Node ${process.version}; ${rounds} rounds each order, CPU time\n`,
    );
    console.log('| operation | before ns | after ns | after/before | before loaded first | after loaded first |');
    console.log('|---|---:|---:|---:|---:|---:|');
    const x = (r: { ratio: number; spread: number }) => `${r.ratio.toFixed(3)}x ±${(r.spread * 100).toFixed(0)}%`;
    for (const [id, one] of Object.entries(beforeFirst)) {
      const two = afterFirst[id]!;
      const mean = Math.sqrt(one.ratio * two.ratio);
      const ns = (a: number, b: number) => Math.sqrt(a * b).toFixed(1);
      console.log(
        `| ${one.label} | ${ns(one.before, two.before)} | ${ns(one.after, two.after)} | ${mean.toFixed(3)}x | ${x(one)} | ${x(two)} |`,
      );
    }
  } finally {
    rmSync(beforeDir, { recursive: true, force: true });
    rmSync(afterDir, { recursive: true, force: true });
  }
}
