/**
 * Formatting shared by the benchmark scripts: numbers, spreads and Markdown
 * tables as bench/core/run.ts and bench/http/run.ts print them.
 *
 * @module
 */
import { cpus } from 'node:os';
import { storageKind } from '../../src/scope.ts';
import type { Comparison } from './targets.ts';

/** What every JSON report says of the machine and runtime it was measured on. */
export function machineRecord(): Record<string, unknown> {
  return {
    node: process.version,
    v8: process.versions.v8,
    storage: storageKind,
    platform: `${process.platform}-${process.arch}`,
    cpu: cpus()[0]?.model ?? 'unknown',
    cpus: cpus().length,
    date: new Date().toISOString(),
  };
}

/** A time in ns (or any unit) with as many digits as it deserves. */
export function formatNs(ns: number): string {
  if (!Number.isFinite(ns)) return '-';
  if (ns < 10) return ns.toFixed(2);
  if (ns < 1000) return ns.toFixed(1);
  return Math.round(ns).toLocaleString('en-US');
}

/** A relative spread (half the interquartile range over the median) as ±x.y%. */
export function percent(spread: number): string {
  return `±${(spread * 100).toFixed(1)}%`;
}

/** A Markdown table with padded columns; `alignRight[i]` right-aligns column i. */
export function table(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  alignRight: readonly boolean[],
): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    `| ${cells.map((cell, i) => (alignRight[i] === true ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (alignRight[i] === true ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}

/** A comparison's target as printed: `≤ 1.5`, `< 1`, or nothing when it is reported only. */
export function limitText(c: Comparison): string {
  if (c.limit === undefined) return '';
  return `${c.strict === true ? '<' : '≤'} ${c.limit}`;
}

/** A comparison as the results JSON records it. */
export function comparisonRecord(c: Comparison): Record<string, unknown> {
  return {
    id: c.id,
    label: c.label,
    numerator: c.numerator,
    denominator: c.denominator,
    ratio: c.ratio,
    spread: c.spread,
    paired: c.paired,
    ...(c.limit === undefined ? {} : { limit: c.limit, strict: c.strict === true, pass: c.pass }),
  };
}
