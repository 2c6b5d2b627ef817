/**
 * Puts the committed HTTP benchmark reports of several Node versions side by
 * side, as the Markdown tables of docs/performance.md: CPU per request and
 * its ratios to "no context" (Fastify's for the Fastify variants) and raw
 * `als.run`, requests per second, and the targets.
 *
 * Usage: npm run bench:http:compare [-- report.json ...]
 * (default: every bench/results/http-v*.json that is not a .tmp.json)
 *
 * @module
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { percent } from '../lib/report.ts';

interface Report {
  node: string;
  storage: string;
  rounds: number;
  loadAverage?: { start: number; end: number };
  /** `baseline`: the variant's "no context" (reports before the Fastify variants have none: `none`). */
  variants: { id: string; label: string; status: string; baseline?: string }[];
  measurements: { id: string; value: number; spread: number }[];
  comparisons: {
    id: string;
    label: string;
    ratio: number;
    spread: number;
    limit?: number;
    strict?: boolean;
    pass?: boolean;
  }[];
  skippedTargets: string[];
}

const directory = fileURLToPath(new URL('../results/', import.meta.url));
const files =
  process.argv.length > 2
    ? process.argv.slice(2)
    : readdirSync(directory)
        .filter((name) => /^http-v\d+\.\d+\.\d+\.json$/.test(name))
        .map((name) => `${directory}${name}`);
const major = (version: string): number => Number(/^v(\d+)/.exec(version)?.[1] ?? 0);
const reports = files
  .map((file) => JSON.parse(readFileSync(file, 'utf8')) as Report)
  .sort((a, b) => major(a.node) - major(b.node));
if (reports.length === 0) throw new Error(`no reports in ${directory}; run npm run bench:http first`);

const columns = reports.map(
  (r) =>
    `Node ${r.node} (${r.storage}, ${r.rounds} rounds` +
    `${r.loadAverage === undefined ? '' : `, load ${r.loadAverage.start.toFixed(0)}-${r.loadAverage.end.toFixed(0)}`})`,
);
const header = (first: string): string =>
  `| ${first} | ${columns.join(' | ')} |\n|---|${columns.map(() => '---:').join('|')}|`;

function measurement(report: Report, id: string): string {
  const m = report.measurements.find((x) => x.id === id);
  return m === undefined ? 'skipped' : `${m.value.toFixed(2)} ${percent(m.spread)}`;
}

function ratio(report: Report, id: string): string {
  const c = report.comparisons.find((x) => x.id === id);
  if (c === undefined) return report.skippedTargets.includes(id) ? 'skipped' : '';
  const verdict = c.pass === undefined ? '' : c.pass ? ' PASS' : ' FAIL';
  return `${c.ratio.toFixed(2)}x ${percent(c.spread)}${verdict}`;
}

/** Every variant of any report, in the order of the newest report that has it. */
const byId = new Map<string, Report['variants'][number]>();
for (const report of [...reports].reverse()) for (const v of report.variants) if (!byId.has(v.id)) byId.set(v.id, v);
const variants = [...byId.values()];
const baselineOf = (variant: string): string => variants.find((v) => v.id === variant)?.baseline ?? 'none';
const rows = (title: string, cell: (report: Report, variant: string) => string): string =>
  [header(title), ...variants.map((v) => `| ${v.label} | ${reports.map((r) => cell(r, v.id)).join(' | ')} |`)].join(
    '\n',
  );

console.log(rows('CPU µs per request', (r, v) => measurement(r, `http.cpu.${v}`)));
console.log('');
console.log(
  rows('CPU per request / no context', (r, v) => (v === baselineOf(v) ? '1' : ratio(r, `cpu.${v}/${baselineOf(v)}`))),
);
console.log('');
console.log(
  rows('CPU per request / raw als.run', (r, v) =>
    v === 'als.run' ? '1' : v === 'none' || baselineOf(v) !== 'none' ? '' : ratio(r, `cpu.${v}/als.run`),
  ),
);
console.log('');
console.log(
  rows('requests per second / no context', (r, v) =>
    v === baselineOf(v) ? '1' : ratio(r, `rps.${v}/${baselineOf(v)}`),
  ),
);
console.log('');
const targets = [
  ...new Set(
    reports.flatMap((r) => [
      ...r.comparisons.filter((c) => c.limit !== undefined).map((c) => c.id),
      ...r.skippedTargets,
    ]),
  ),
];
const labelOf = (id: string): string =>
  reports.flatMap((r) => r.comparisons).find((c) => c.id === id)?.label ??
  id.replace(/^target\.cpu\./, 'CPU per request: ').replace('/', ' / ');
const limitOf = (id: string): string => {
  const c = reports.flatMap((r) => r.comparisons).find((x) => x.id === id && x.limit !== undefined);
  return c === undefined ? '' : ` (${c.strict === true ? '<' : '≤'} ${c.limit})`;
};
console.log(
  [
    header('target'),
    ...targets.map((id) => `| ${labelOf(id)}${limitOf(id)} | ${reports.map((r) => ratio(r, id)).join(' | ')} |`),
  ].join('\n'),
);
