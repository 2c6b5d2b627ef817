/**
 * Puts the committed reports of several Node versions side by side, as the
 * Markdown table of docs/performance.md: every target ratio and the headline
 * ns/op, one column per report.
 *
 * Usage: npm run bench:compare [-- report.json ...]
 * (default: every bench/results/v*.json that is not a .tmp.json)
 *
 * @module
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

interface Report {
  node: string;
  storage: string;
  cpython: string | null;
  measurements: { id: string; label: string; nsPerOp: number }[];
  comparisons: { id: string; label: string; ratio: number; limit?: number; strict?: boolean; pass?: boolean }[];
}

const directory = fileURLToPath(new URL('../results/', import.meta.url));
const files =
  process.argv.length > 2
    ? process.argv.slice(2)
    : readdirSync(directory)
        .filter((name) => /^v\d+\.\d+\.\d+\.json$/.test(name))
        .map((name) => `${directory}${name}`);
const major = (version: string): number => Number(/^v(\d+)/.exec(version)?.[1] ?? 0);
const reports = files
  .map((file) => JSON.parse(readFileSync(file, 'utf8')) as Report)
  .sort((a, b) => major(a.node) - major(b.node));
if (reports.length === 0) throw new Error(`no reports found in ${directory}: run npm run bench first`);

/** Ratios shown besides the targets: what the library costs over its raw counterpart. */
const INFORMATIVE = [
  'run/raw',
  'setReset.1/raw',
  'setReset.1000/raw',
  'copyContext.1/raw',
  'awaitChain.als/none',
  'awaitChain.library/none',
];
const HEADLINE_NS = [
  'get.set',
  'raw.get.set',
  'cpython.get.set',
  'get.default',
  'setReset.1',
  'raw.setReset.1',
  'cpython.setReset.1',
  'setReset.1000',
  'cpython.setReset.1000',
  'copyContext.1',
  'copyContext.10000',
  'cpython.copyContext.1',
  'run',
  'raw.run',
  'cpython.run',
  'awaitChain.library',
  'awaitChain.als',
  'awaitChain.none',
];

function cell(value: number | undefined, format: (n: number) => string): string {
  return value === undefined || !Number.isFinite(value) ? '–' : format(value);
}

const columns = reports.map((r) => `Node ${r.node} (${r.storage})`);
const lines: string[] = [];
lines.push(`| ratio (target) | ${columns.join(' | ')} |`);
lines.push(`|---|${columns.map(() => '---:').join('|')}|`);
const targetIds = [
  ...new Set(reports.flatMap((r) => r.comparisons.filter((c) => c.limit !== undefined).map((c) => c.id))),
];
for (const id of [...targetIds, ...INFORMATIVE]) {
  const sample = reports.flatMap((r) => r.comparisons).find((c) => c.id === id);
  if (sample === undefined) continue;
  const limit = sample.limit === undefined ? '' : ` (${sample.strict === true ? '<' : '≤'} ${sample.limit})`;
  const cells = reports.map((r) => {
    const c = r.comparisons.find((x) => x.id === id);
    return cell(c?.ratio, (n) => `${n.toFixed(2)}x${c?.pass === false ? ' FAIL' : ''}`);
  });
  lines.push(`| ${sample.label}${limit} | ${cells.join(' | ')} |`);
}
lines.push('');
lines.push(`| ns/op | ${columns.join(' | ')} |`);
lines.push(`|---|${columns.map(() => '---:').join('|')}|`);
for (const id of HEADLINE_NS) {
  const sample = reports.flatMap((r) => r.measurements).find((m) => m.id === id);
  if (sample === undefined) continue;
  const cells = reports.map((r) =>
    cell(r.measurements.find((m) => m.id === id)?.nsPerOp, (n) =>
      n < 100 ? n.toFixed(1) : Math.round(n).toLocaleString('en-US'),
    ),
  );
  lines.push(`| ${sample.label} | ${cells.join(' | ')} |`);
}
console.log(lines.join('\n'));
