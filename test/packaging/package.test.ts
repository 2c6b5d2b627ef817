/**
 * The published package, checked the way a user meets it: `npm pack`, the
 * linters publint and arethetypeswrong (every resolution mode) on the
 * tarball, then the tarball installed offline into an empty project and every
 * entry of `exports` loaded with import, with require, and type-checked by
 * TypeScript with skipLibCheck off under moduleResolution node10, node16,
 * nodenext (ESM and CommonJS files) and bundler, against `@opentelemetry/api`
 * 1.10 and 1.3 (the newest and the oldest of the peer range), with a `lib`
 * that has no `Symbol.dispose` and no @types/node.
 * Needs a built dist/ (`npm test` builds first).
 */
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { withEntries } from '../../scripts/entries.mjs';

const repo = join(import.meta.dirname, '../..');
const bin = (name: string) => join(repo, 'node_modules/.bin', name);

interface PackageJson {
  name: string;
  license: string;
  engines: Record<string, string>;
  repository: { type: string; url: string };
  homepage: string;
  bugs: { url: string };
  exports: Record<string, unknown>;
  peerDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  dependencies?: Record<string, string>;
}
const manifest = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as PackageJson;

/** Every code entry point a user can import: `contextvars`, `contextvars/<sub>`. */
const specifiers = Object.keys(manifest.exports)
  .filter((subpath) => !subpath.endsWith('.json') && !subpath.includes('*'))
  .map((subpath) => (subpath === '.' ? manifest.name : `${manifest.name}/${subpath.slice(2)}`));

const work = mkdtempSync(join(tmpdir(), 'contextvars-package-'));
const consumer = join(work, 'consumer');
/** The same install with `@opentelemetry/api` 1.3.0, the oldest release in our peer range. */
const consumerApi13 = join(work, 'consumer-api-1.3');
let tarball = '';

function run(command: string, args: string[], cwd: string): SpawnSyncReturns<string> {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.error) throw result.error;
  return result;
}

function assertSucceeded(result: SpawnSyncReturns<string>, what: string): void {
  assert.equal(result.status, 0, `${what} exited with ${result.status}:\n${result.stdout}\n${result.stderr}`);
}

before(() => {
  assert.ok(existsSync(join(repo, 'dist/index.js')), 'dist/ is not built: run `npm run build` (npm test does) first');
  const packed = run('npm', ['pack', '--json', '--pack-destination', work], repo);
  assertSucceeded(packed, 'npm pack');
  const [entry] = JSON.parse(packed.stdout) as { filename: string }[];
  assert.ok(entry, 'npm pack reported no tarball');
  tarball = join(work, entry.filename);

  mkdirSync(consumer);
  writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  // --offline: the package has no dependencies, so nothing may need the registry.
  const installed = run(
    'npm',
    ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', '--legacy-peer-deps', tarball],
    consumer,
  );
  assertSucceeded(installed, 'npm install <tarball>');
  // Peer and optional dependencies of integration entry points come from the
  // repo's own install, as the user's would come from theirs.
  for (const name of Object.keys({ ...manifest.peerDependencies, ...manifest.optionalDependencies })) {
    const target = join(consumer, 'node_modules', name);
    if (existsSync(target)) continue;
    mkdirSync(dirname(target), { recursive: true });
    symlinkSync(join(repo, 'node_modules', name), target, 'dir');
  }
  // A copy, not a link: TypeScript resolves our .d.ts files' imports from where they really are.
  mkdirSync(join(consumerApi13, 'node_modules/@opentelemetry'), { recursive: true });
  cpSync(join(consumer, 'package.json'), join(consumerApi13, 'package.json'));
  cpSync(join(consumer, 'node_modules', manifest.name), join(consumerApi13, 'node_modules', manifest.name), {
    recursive: true,
  });
  symlinkSync(
    join(repo, 'node_modules/@opentelemetry/api-1.3'),
    join(consumerApi13, 'node_modules/@opentelemetry/api'),
  );
  // contextvars/fastify's declarations import Fastify's
  symlinkSync(join(repo, 'node_modules/fastify'), join(consumerApi13, 'node_modules/fastify'), 'dir');
});

after(() => rmSync(work, { recursive: true, force: true }));

test('the package has no runtime dependencies', () => {
  assert.deepEqual(manifest.dependencies ?? {}, {});
});

test('package.json exports and typesVersions are what scripts/entries.mjs makes (run it after adding an entry)', () => {
  const expected = withEntries(manifest) as unknown as PackageJson & { typesVersions: unknown };
  assert.deepEqual(manifest.exports, expected.exports);
  assert.deepEqual((manifest as { typesVersions?: unknown }).typesVersions, expected.typesVersions);
});

test('package.json tells npm users where the project lives and what Node asynchronous propagation needs', () => {
  const base = 'https://github.com/contextvars-ts/contextvars';
  assert.deepEqual(manifest.repository, { type: 'git', url: `git+${base}.git` });
  assert.equal(manifest.homepage, `${base}#readme`);
  assert.deepEqual(manifest.bugs, { url: `${base}/issues` });
  assert.equal(manifest.license, 'MIT');
  assert.equal(manifest.engines['node'], '>=20.16');
});

test('the tarball holds the build, the README, the LICENSE and the CHANGELOG, not sources or tests', () => {
  const listed = run('tar', ['-tzf', tarball], work);
  assertSucceeded(listed, 'tar -tzf');
  const files = listed.stdout
    .trim()
    .split('\n')
    .map((file) => file.replace(/^package\//, ''));
  assert.ok(files.includes('dist/index.js') && files.includes('dist/index.cjs'), files.join('\n'));
  assert.ok(files.includes('README.md') && files.includes('package.json'), files.join('\n'));
  assert.ok(files.includes('LICENSE') && files.includes('CHANGELOG.md'), files.join('\n'));
  assert.deepEqual(
    files.filter((file) => /^(src|test|scripts|tools|bench)\//.test(file)),
    [],
    'sources and tests stay out of the tarball',
  );
  // The build is not minified, so stack traces read as the code; source maps would double the size.
  assert.deepEqual(
    files.filter((file) => file.endsWith('.map')),
    [],
    'no source maps in the tarball',
  );
  for (const name of ['index', 'opentelemetry', 'logging', 'worker', 'async-context', 'bundler']) {
    for (const file of [`${name}.js`, `${name}.cjs`, `${name}.d.ts`, `${name}.d.cts`]) {
      assert.ok(files.includes(`dist/${file}`), `dist/${file} (both formats and their types)`);
    }
  }
});

test('publint finds nothing to report on the tarball, suggestions included', () => {
  const linted = run(bin('publint'), ['run', tarball, '--strict', '--level', 'suggestion'], work);
  assertSucceeded(linted, 'publint');
  assert.match(linted.stdout, /All good!/, linted.stdout);
});

test('arethetypeswrong finds no problem in any entry point, in every resolution (node10, node16 CJS and ESM, bundler)', () => {
  // The default profile, "strict", checks every resolution mode, node10 included.
  const checked = run(bin('attw'), [tarball, '--format', 'json', '--profile', 'strict'], work);
  const report = JSON.parse(checked.stdout) as {
    problems?: Record<string, unknown[]>;
    analysis: { entrypoints: Record<string, { resolutions: Record<string, unknown> }> };
  };
  assert.deepEqual(report.problems ?? {}, {}, JSON.stringify(report.problems, null, 2));
  assert.equal(checked.status, 0, checked.stderr);
  assert.deepEqual(
    Object.keys(report.analysis.entrypoints).sort(),
    Object.keys(manifest.exports)
      .filter((subpath) => !subpath.includes('*'))
      .sort(),
    'attw checked every entry point',
  );
  for (const [entrypoint, { resolutions }] of Object.entries(report.analysis.entrypoints)) {
    assert.deepEqual(Object.keys(resolutions).sort(), ['bundler', 'node10', 'node16-cjs', 'node16-esm'], entrypoint);
  }
});

/** The names an entry exports, as loaded by `node` in the consumer project. */
function exportedNames(specifier: string, loader: 'import' | 'require'): string[] {
  const script =
    loader === 'import'
      ? `const m = await import(${JSON.stringify(specifier)}); console.log(JSON.stringify(Object.keys(m).filter((k) => k !== 'default' && k !== 'module.exports').sort()));`
      : `const m = require(${JSON.stringify(specifier)}); console.log(JSON.stringify(Object.keys(m).filter((k) => k !== 'default').sort()));`;
  const args = loader === 'import' ? ['--input-type=module', '-e', script] : ['--input-type=commonjs', '-e', script];
  const result = run(process.execPath, args, consumer);
  assertSucceeded(result, `${loader} ${specifier}`);
  return JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '[]') as string[];
}

for (const specifier of specifiers) {
  test(`${specifier}: import and require load the same non-empty set of exports`, () => {
    const fromImport = exportedNames(specifier, 'import');
    const fromRequire = exportedNames(specifier, 'require');
    assert.ok(fromImport.length > 0, `${specifier} exports nothing`);
    assert.deepEqual(fromRequire, fromImport);
  });
}

test('the core entry works from ESM and from CommonJS in one process, sharing values', () => {
  const script = `
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { Context, ContextVar, Token } from 'contextvars';
const cjs = createRequire(import.meta.url)('contextvars');
for (const lib of [{ Context, ContextVar, Token }, cjs]) {
  const v = new lib.ContextVar('v', { default: 'd' });
  const token = v.set('x');
  assert.ok(token instanceof lib.Token);
  assert.equal(v.get(), 'x');
  v.reset(token);
  assert.equal(v.get(), 'd');
  const ctx = new lib.Context();
  await ctx.run(async () => {
    v.set('before await');
    await new Promise((resolve) => setTimeout(resolve, 1));
    assert.equal(v.get(), 'before await');
  });
  assert.equal(ctx.get(v), 'before await');
  assert.equal(v.get(), 'd');
}
// Both builds in one process share one storage: each sees the other's values.
const esmVar = new ContextVar('esmVar');
const cjsVar = new cjs.ContextVar('cjsVar');
await new Context().run(async () => {
  esmVar.set('from ESM');
  cjsVar.set('from CommonJS');
  await new Promise((resolve) => setTimeout(resolve, 1));
  assert.equal(cjs.copyContext().get(esmVar), 'from ESM');
  assert.equal(cjsVar.get(), 'from CommonJS');
});
const cjsContext = new cjs.Context();
cjsContext.run(() => esmVar.set('set in a CommonJS Context'));
assert.equal(cjsContext.get(esmVar), 'set in a CommonJS Context');
console.log('ok');
`;
  const result = run(process.execPath, ['--input-type=module', '-e', script], consumer);
  assertSucceeded(result, 'ESM and CommonJS use of the installed package');
  assert.match(result.stdout, /^ok$/m);
});

/** A TypeScript project in the consumer: strict, checking our .d.ts files too. */
function typeCheck(
  name: string,
  compilerOptions: Record<string, unknown>,
  files: Record<string, string>,
  project: string = consumer,
): void {
  const dir = join(project, name);
  mkdirSync(dir, { recursive: true });
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
  const tsconfig = {
    compilerOptions: {
      strict: true,
      noEmit: true,
      skipLibCheck: false,
      target: 'ES2022',
      // No Symbol.dispose (lib esnext.disposable) and no @types/node: our declarations bring what they need.
      lib: ['ES2022', 'DOM'],
      types: [],
      ...compilerOptions,
    },
    include: ['*.ts', '*.mts', '*.cts'],
  };
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(tsconfig));
  const checked = run(process.execPath, [join(repo, 'node_modules/typescript/bin/tsc'), '-p', dir], dir);
  assertSucceeded(checked, `tsc (${name})`);
}

const typedUse = `
import { ContextVar, Token, Context, copyContext } from 'contextvars';
const requestId = new ContextVar<string>('requestId', { default: '-' });
const token: Token<string> = requestId.set('r-1');
const value: string = requestId.get();
const maybe: string | number = requestId.get(0);
requestId.reset(token);
const ctx: Context = copyContext();
const fromRun: number = ctx.run((n: number) => n + 1, 1);
// @ts-expect-error a ContextVar<string> takes only strings
requestId.set(1);
export { value, maybe, fromRun };
`;

const entryImports = specifiers
  .map((specifier, i) => `import * as entry${i} from '${specifier}';\nvoid entry${i};\n`)
  .join('');

const otelUse = `
import { context, ROOT_CONTEXT } from '@opentelemetry/api';
import { ContextVarContextManager } from 'contextvars/opentelemetry';
const manager = new ContextVarContextManager();
context.setGlobalContextManager(manager);
const attached = manager.attach(ROOT_CONTEXT);
attached.dispose();
attached[Symbol.dispose]();
`;

const cjsUse = `import contextvars = require('contextvars');
const v = new contextvars.ContextVar<number>('n', { default: 0 });
const t: contextvars.Token<number> = v.set(1);
v.reset(t);
${specifiers.map((specifier, i) => `import entry${i} = require('${specifier}');\nvoid entry${i};\n`).join('')}`;

for (const [api, project] of [
  ['1.10', consumer],
  ['1.3', consumerApi13],
] as const) {
  test(`TypeScript, moduleResolution node10 (api ${api}): every entry`, () => {
    typeCheck(
      'node10',
      // esModuleInterop: Fastify's declarations (imported by contextvars/fastify's) need it, as Fastify documents
      { module: 'commonjs', moduleResolution: 'node10', esModuleInterop: true },
      { 'use.ts': typedUse + entryImports + otelUse },
      project,
    );
  });

  for (const mode of ['node16', 'nodenext']) {
    test(`TypeScript, moduleResolution ${mode} (api ${api}): every entry from an ES module and a CommonJS module`, () => {
      typeCheck(
        mode,
        { module: mode, moduleResolution: mode },
        { 'use.mts': typedUse + entryImports + otelUse, 'use.cts': cjsUse },
        project,
      );
    });
  }

  test(`TypeScript, moduleResolution bundler (api ${api}): every entry`, () => {
    typeCheck(
      'bundler',
      { module: 'esnext', moduleResolution: 'bundler' },
      { 'use.ts': typedUse + entryImports + otelUse },
      project,
    );
  });
}

test('TypeScript with lib esnext.disposable and @types/node: our Symbol.dispose declarations merge with theirs', () => {
  typeCheck(
    'disposable-lib',
    {
      module: 'nodenext',
      moduleResolution: 'nodenext',
      lib: ['ES2022', 'ESNext.Disposable'],
      types: ['node'],
      typeRoots: [join(repo, 'node_modules/@types')],
    },
    {
      'use.mts': `${typedUse + entryImports + otelUse}
import { ContextVar as Var } from 'contextvars';
const level = new Var('level', { default: 0 });
{
  using _ = level.set(1);
}
`,
    },
  );
});
