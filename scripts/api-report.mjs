// The public surface, one report per package entry point (api/<entry>.api.md),
// made by API Extractor from the emitted declarations in dist/. Any change to
// what users can import shows as a diff of these files.
//
// Usage: node scripts/api-report.mjs           check: fails when a report differs from dist/
//        node scripts/api-report.mjs --write   regenerate the reports (npm run api)
// Needs: a built dist/ (npm run build).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Extractor, ExtractorConfig } from '@microsoft/api-extractor';

const root = resolve(import.meta.dirname, '..');
const write = process.argv.includes('--write');
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
/** Each entry of "exports" but package.json itself: '.' is dist/index.d.ts, './worker' is dist/worker.d.ts. */
const entries = Object.keys(manifest.exports)
  .filter((key) => key !== './package.json')
  .map((key) => (key === '.' ? 'index' : key.slice(2)));

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
        apiReport: {
          enabled: true,
          reportFileName: `${entry}.api.md`,
          reportFolder: join(root, 'api'),
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
      localBuild: write,
      messageCallback(message) {
        // Findings are written into the report itself, where a diff shows them;
        // a changed report is shown below as a diff.
        if (message.category === 'Extractor' || message.messageId.startsWith('console-')) message.handled = true;
      },
    });
    if (result.apiReportChanged && !write) {
      const committed = join(root, 'api', `${entry}.api.md`);
      spawnSync(
        'diff',
        [
          '-u',
          '--label',
          `api/${entry}.api.md`,
          '--label',
          `dist/${entry}.d.ts`,
          committed,
          join(scratch, `${entry}.api.md`),
        ],
        {
          stdio: 'inherit',
        },
      );
      console.error(`api/${entry}.api.md differs from dist/${entry}.d.ts: review the change and run \`npm run api\`.`);
      failed++;
    } else if (!result.succeeded) {
      failed++;
    }
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
if (failed === 0)
  console.log(`API reports ${write ? 'written' : 'match'}: ${entries.map((e) => `api/${e}.api.md`).join(', ')}`);
process.exit(failed === 0 ? 0 : 1);
