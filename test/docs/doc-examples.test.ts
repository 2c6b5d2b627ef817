/**
 * Every fenced code block in README.md, bench/README.md and docs/**\/*.md (except the generated
 * docs/api) is a test named `<file>:<line>`:
 *
 * - ```ts / ```js blocks run as standalone ES modules with `node --import tsx`,
 *   written under tmp/doc-examples-XXXX/ inside the repository so that
 *   `import ... from 'contextvars'` resolves through the package's own
 *   "exports" to the built dist/ (`npm test` builds it first); every ts
 *   block must also type-check against the published types;
 * - ```python blocks run with python3;
 * - ```sh blocks are not run, but every `npm run <script>`, `npm start` and
 *   `npm test` they mention must exist in package.json;
 * - mermaid, text and other blocks are prose;
 * - every relative link and #anchor outside code blocks must resolve, and so
 *   must every link to a file of the repository on GitHub (README.md uses
 *   those, so its links work on the npm page, which has no docs/ beside it).
 *
 * A block passes when it exits 0 within the timeout; it shows its results
 * with node:assert (or Python's assert), so a wrong claim in the docs fails.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { canRun, needs } from '../support/programs.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
// Generous: on a loaded two-core machine one block can take 30 s; a block that hangs still fails.
const TIMEOUT_MS = 120_000;

/** Languages a block is executed in, by the info string after the fence. */
interface Runner {
  readonly extension: string;
  readonly command: (file: string) => [string, string[]];
}
const RUNNERS: Record<string, Runner> = {
  ts: { extension: '.ts', command: (file) => [process.execPath, ['--import', 'tsx', file]] },
  typescript: { extension: '.ts', command: (file) => [process.execPath, ['--import', 'tsx', file]] },
  js: { extension: '.mjs', command: (file) => [process.execPath, ['--import', 'tsx', file]] },
  javascript: { extension: '.mjs', command: (file) => [process.execPath, ['--import', 'tsx', file]] },
  python: { extension: '.py', command: (file) => ['python3', [file]] },
  py: { extension: '.py', command: (file) => ['python3', [file]] },
};
const SHELL_LANGUAGES = new Set(['sh', 'bash', 'shell', 'console']);

interface CodeBlock {
  /** Path relative to the repository root, with forward slashes. */
  readonly file: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
  readonly language: string;
  readonly code: string;
}

function markdownFiles(): string[] {
  const files = [join(ROOT, 'README.md'), join(ROOT, 'bench', 'README.md')];
  const walk = (dir: string): void => {
    if (!existsSync(dir)) return;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (path !== join(ROOT, 'docs', 'api')) walk(path);
      } else if (entry.name.endsWith('.md')) {
        files.push(path);
      }
    }
  };
  walk(join(ROOT, 'docs'));
  return files.sort();
}

/** The fenced blocks of a CommonMark document (``` or ~~~ fences, closed by a fence at least as long). */
function codeBlocks(file: string, text: string): CodeBlock[] {
  const blocks: CodeBlock[] = [];
  const lines = text.split(/\r?\n/);
  let open: { fence: string; indent: number; language: string; line: number; body: string[] } | undefined;
  lines.forEach((line, index) => {
    if (open === undefined) {
      const opening = /^( {0,3})(`{3,}|~{3,})\s*([^\s`]*)/.exec(line);
      if (opening) {
        open = {
          indent: opening[1]!.length,
          fence: opening[2]!,
          language: opening[3]!.toLowerCase(),
          line: index + 1,
          body: [],
        };
      }
      return;
    }
    const close = /^ {0,3}(`{3,}|~{3,})\s*$/.exec(line);
    if (close && close[1]![0] === open.fence[0] && close[1]!.length >= open.fence.length) {
      blocks.push({ file, line: open.line, language: open.language, code: `${open.body.join('\n')}\n` });
      open = undefined;
      return;
    }
    open.body.push(line.slice(Math.min(open.indent, line.length - line.trimStart().length)));
  });
  assert.equal(open, undefined, `${file}:${open?.line}: code block is never closed`);
  return blocks;
}

interface Outcome {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly output: string;
  readonly timedOut: boolean;
}

function execute(command: string, args: string[], timeoutMs: number): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    // A block that uses node:test must report as a top-level run, not to this test runner.
    const { NODE_TEST_CONTEXT: _, ...env } = process.env;
    const child = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, output, timedOut });
    });
  });
}

const packageJson = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  scripts?: Record<string, string>;
};
const scripts = packageJson.scripts ?? {};

/** The npm scripts a shell block invokes: `npm run x`, `npm run-script x`, `npm start`, `npm test`. */
function npmScriptsIn(code: string): string[] {
  const runScripts = [...code.matchAll(/\bnpm\s+(?:run|run-script)\s+([\w:.-]+)/g)].map((m) => m[1]!);
  const lifecycle = [...code.matchAll(/\bnpm\s+(start|test|t)\b/g)].map((m) => (m[1] === 't' ? 'test' : m[1]!));
  return [...runScripts, ...lifecycle];
}

const files = markdownFiles();
const blocks = files.flatMap((path) =>
  codeBlocks(relative(ROOT, path).split('\\').join('/'), readFileSync(path, 'utf8')),
);

interface Example {
  readonly block: CodeBlock;
  readonly name: string;
  readonly runner: Runner;
  /** Where the block is written, inside the repository so that 'contextvars' resolves to dist/. */
  readonly path: string;
}

// One directory per run, so that two runs at once (two engineers, two terminals) never
// delete each other's files; it is kept when a block fails, for a look at what ran.
mkdirSync(join(ROOT, 'tmp'), { recursive: true });
const WORK_DIR = mkdtempSync(join(ROOT, 'tmp', 'doc-examples-'));
let anyFailed = false;
after(() => {
  if (!anyFailed) rmSync(WORK_DIR, { recursive: true, force: true });
});
const examples: Example[] = blocks.flatMap((block) => {
  const runner = RUNNERS[block.language];
  if (runner === undefined) return [];
  const path = join(WORK_DIR, `${block.file.replace(/[^\w.-]+/g, '_')}_${block.line}${runner.extension}`);
  writeFileSync(path, block.code);
  return [{ block, name: `${block.file}:${block.line}`, runner, path }];
});

test('the README has a runnable TypeScript quickstart', () => {
  assert.ok(
    blocks.some((block) => block.file === 'README.md' && (block.language === 'ts' || block.language === 'typescript')),
    'README.md should contain at least one ```ts block',
  );
});

describe('documentation code blocks', { concurrency: 4 }, () => {
  const python = needs('python3', canRun('python3'));
  for (const { block, name, runner, path } of examples) {
    const [testName, options] = runner.extension === '.py' ? [python.name(name), python.options] : [name, {}];
    test(testName, options, async () => {
      if (runner.extension !== '.py') assertBuilt();
      const [command, args] = runner.command(path);
      const outcome = await execute(command, args, TIMEOUT_MS);
      const how = outcome.timedOut
        ? `did not finish within ${TIMEOUT_MS / 1000} s (a server or timer left open?)`
        : `exited with ${outcome.code ?? outcome.signal}`;
      anyFailed ||= outcome.timedOut || outcome.code !== 0;
      assert.ok(
        !outcome.timedOut && outcome.code === 0,
        `${name}: the ${block.language} block ${how} (written to ${relative(ROOT, path)}).\n` +
          `--- output ---\n${outcome.output}`,
      );
    });
  }

  for (const block of blocks.filter((b) => SHELL_LANGUAGES.has(b.language))) {
    const name = `${block.file}:${block.line}`;
    test(name, () => {
      for (const script of npmScriptsIn(block.code)) {
        assert.ok(
          script in scripts,
          `${name}: the shell block runs \`npm run ${script}\`, but package.json has no "${script}" script`,
        );
      }
    });
  }

  test('every ts block type-checks against the published types', async () => {
    const typescript = examples.filter((example) => example.runner.extension === '.ts');
    if (typescript.length === 0) return;
    assertBuilt();
    writeFileSync(
      join(WORK_DIR, 'tsconfig.json'),
      // skipLibCheck: the blocks are checked, not the frameworks' own .d.ts files (hono's need DOM types).
      JSON.stringify(
        { extends: join(ROOT, 'tsconfig.json'), compilerOptions: { skipLibCheck: true }, include: ['*.ts'] },
        null,
        2,
      ),
    );
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const outcome = await execute(process.execPath, [tsc, '-p', join(WORK_DIR, 'tsconfig.json')], 2 * TIMEOUT_MS);
    // Point each diagnostic at the Markdown line it comes from.
    const byFile = new Map(typescript.map((example) => [relative(ROOT, example.path), example.block]));
    const output = outcome.output.replace(/^(\S+?)\((\d+),(\d+)\)/gm, (match, file: string, line: string) => {
      const block = byFile.get(file);
      return block === undefined ? match : `${block.file}:${block.line + Number(line)} (${match})`;
    });
    anyFailed ||= outcome.timedOut || outcome.code !== 0;
    assert.ok(!outcome.timedOut && outcome.code === 0, `tsc found type errors in documentation blocks:\n${output}`);
  });
});

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const [, heading] of withoutCodeBlocks(markdown).matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const slug = heading!
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

/** The text with every fenced block's lines blanked, so line numbers stay right. */
function withoutCodeBlocks(markdown: string): string {
  let fence: string | undefined;
  return markdown
    .split(/\r?\n/)
    .map((line) => {
      const marker = /^ {0,3}(`{3,}|~{3,})/.exec(line)?.[1];
      if (fence === undefined && marker !== undefined) {
        fence = marker;
        return '';
      }
      if (fence !== undefined) {
        if (
          marker !== undefined &&
          marker[0] === fence[0] &&
          marker.length >= fence.length &&
          /^\s*[`~]+\s*$/.test(line)
        ) {
          fence = undefined;
        }
        return '';
      }
      return line;
    })
    .join('\n');
}

/** Where the repository's files are on GitHub (package.json `repository`); links there are checked locally. */
const REPOSITORY_FILES = 'https://github.com/contextvars-ts/contextvars/blob/main/';

describe('documentation links', () => {
  test('README.md links to files of the repository by absolute URL (the npm page shows it alone)', () => {
    const text = withoutCodeBlocks(readFileSync(join(ROOT, 'README.md'), 'utf8'));
    const relativeLinks = [...text.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)]
      .map(([, target]) => target!)
      .filter((target) => !/^[a-z][a-z+.-]*:/i.test(target) && !target.startsWith('#'));
    assert.deepEqual(relativeLinks, [], `use ${REPOSITORY_FILES}<path> instead`);
  });

  for (const path of files) {
    const file = relative(ROOT, path).split('\\').join('/');
    test(`${file}: relative links and anchors resolve`, () => {
      const text = withoutCodeBlocks(readFileSync(path, 'utf8'));
      const broken: string[] = [];
      text.split('\n').forEach((line, index) => {
        for (const [, target] of line.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
          const inRepository = target!.startsWith(REPOSITORY_FILES);
          if (!inRepository && /^[a-z][a-z+.-]*:/i.test(target!)) continue; // other http:, https:, mailto:
          const [linkPath, anchor] = (inRepository ? target!.slice(REPOSITORY_FILES.length) : target!).split(
            '#',
            2,
          ) as [string, string | undefined];
          const base = inRepository ? join(ROOT, 'README.md') : path;
          const resolved = linkPath === '' ? path : join(dirname(base), decodeURIComponent(linkPath));
          if (!existsSync(resolved)) {
            broken.push(`${file}:${index + 1}: ${target} — no file ${relative(ROOT, resolved)}`);
          } else if (
            anchor !== undefined &&
            resolved.endsWith('.md') &&
            !anchorsOf(readFileSync(resolved, 'utf8')).has(anchor)
          ) {
            broken.push(`${file}:${index + 1}: ${target} — no heading with anchor #${anchor}`);
          }
        }
      });
      assert.deepEqual(broken, [], `broken links:\n${broken.join('\n')}`);
    });
  }
});

function assertBuilt(): void {
  assert.ok(
    existsSync(join(ROOT, 'dist', 'index.js')),
    'dist/ is missing: run `npm run build` first (npm test does) so that blocks can import contextvars',
  );
}
