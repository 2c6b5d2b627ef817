// The public surface, one report per package entry point (api/<entry>.api.md),
// made by API Extractor from the emitted declarations in dist/. Any change to
// what users can import shows as a diff of these files.
//
// Usage: node scripts/api-report.mjs           check: fails when a report differs from dist/
//        node scripts/api-report.mjs --write   regenerate the reports (npm run api)
// Needs: a built dist/ (npm run build).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Extractor, ExtractorConfig } from '@microsoft/api-extractor';
import { distName, entries as packageEntries } from './entries.mjs';

const root = resolve(import.meta.dirname, '..');
const write = process.argv.includes('--write');
/** Each entry point by its dist name: '.' is dist/index.d.ts, './worker' is dist/worker.d.ts. */
const entries = packageEntries.map(({ subpath }) => distName(subpath));

/**
 * The report without what changes when nothing public does: the content hash
 * in a shared chunk's name (dist/context-AbC123xy.d.ts) and line:column
 * positions inside it.
 */
function normalized(report) {
  return report.replace(/(dist\/[\w.-]+?)-[\w-]{8}\.d\.ts(?::\d+:\d+)?/g, '$1.d.ts');
}

const scratch = mkdtempSync(join(tmpdir(), 'contextvars-api-'));
let failed = 0;
try {
  for (const entry of entries) {
    const config = ExtractorConfig.prepare({
      configObject: {
        projectFolder: root,
        mainEntryPointFilePath: join(root, `dist/${entry}.d.ts`),
        compiler: {
          overrideTsconfig: {
            compilerOptions: {
              target: 'ES2022',
              lib: ['ES2022', 'ESNext.Disposable'],
              module: 'NodeNext',
              moduleResolution: 'NodeNext',
              types: ['node'],
              strict: true,
            },
            files: [`dist/${entry}.d.ts`],
          },
        },
        // Written to a scratch folder, then compared with (or copied to) api/ here.
        apiReport: {
          enabled: true,
          reportFileName: `${entry}.api.md`,
          reportFolder: scratch,
          reportTempFolder: scratch,
        },
        docModel: { enabled: false },
        dtsRollup: { enabled: false },
        tsdocMetadata: { enabled: false },
        messages: {
          // The package uses no release tags (@public, @beta): every export is public.
          extractorMessageReporting: {
            default: { logLevel: 'warning', addToApiReportFile: true },
            'ae-missing-release-tag': { logLevel: 'none', addToApiReportFile: false },
          },
          tsdocMessageReporting: { default: { logLevel: 'none' } },
        },
      },
      configObjectFullPath: join(root, 'api', 'api-extractor.json'),
      packageJsonFullPath: join(root, 'package.json'),
    });
    const result = Extractor.invoke(config, {
      localBuild: true,
      // Findings are written into the report itself, where a diff shows them.
      messageCallback(message) {
        message.handled = true;
      },
    });
    if (!result.succeeded) {
      console.error(`API Extractor failed on dist/${entry}.d.ts (${result.errorCount} errors): is dist/ built?`);
      failed++;
      continue;
    }
    const fresh = normalized(readFileSync(join(scratch, `${entry}.api.md`), 'utf8'));
    const committedPath = join(root, 'api', `${entry}.api.md`);
    const committed = existsSync(committedPath) ? readFileSync(committedPath, 'utf8') : '';
    if (fresh === committed) continue;
    if (write) {
      writeFileSync(committedPath, fresh);
      console.log(`api/${entry}.api.md updated`);
      continue;
    }
    const freshPath = join(scratch, `${entry}.normalized.api.md`);
    writeFileSync(freshPath, fresh);
    spawnSync(
      'diff',
      ['-u', '--label', `api/${entry}.api.md`, '--label', `dist/${entry}.d.ts`, committedPath, freshPath],
      {
        stdio: 'inherit',
      },
    );
    console.error(`api/${entry}.api.md differs from dist/${entry}.d.ts: review the change and run \`npm run api\`.`);
    failed++;
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
if (failed === 0)
  console.log(`API reports ${write ? 'written' : 'match'}: ${entries.map((e) => `api/${e}.api.md`).join(', ')}`);
process.exit(failed === 0 ? 0 : 1);
