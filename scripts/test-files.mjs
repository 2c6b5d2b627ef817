// The test files below a folder: every *.test.ts, sorted, for scripts/test.mjs
// and scripts/test-runtimes.mjs (Node 20's `--test` does not expand globs).
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Every `*.test.ts` below `dir` (none when it does not exist), sorted. */
export function testFiles(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return testFiles(path);
      return entry.name.endsWith('.test.ts') ? [path] : [];
    })
    .sort();
}
