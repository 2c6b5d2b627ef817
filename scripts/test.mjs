// Runs every test/**/*.test.ts file with Node's own test runner (Node 20's
// `--test` does not expand globs, so the files are listed here).
// Usage: node scripts/test.mjs [path-substring ...] [--except path-substring ...]
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { testFiles } from './test-files.mjs';

const { values, positionals: filters } = parseArgs({
  allowPositionals: true,
  options: { except: { type: 'string', multiple: true, default: [] } },
});
const files = testFiles('test')
  .filter((file) => filters.length === 0 || filters.some((f) => file.includes(f)))
  .filter((file) => !values.except.some((f) => file.includes(f)));
if (files.length === 0) {
  console.error(`no test files match ${filters.join(' ')}`);
  process.exit(1);
}
const result = spawnSync(
  process.execPath,
  ['--expose-gc', '--import', 'tsx', '--test', '--test-reporter=spec', ...files],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
