/**
 * CPython's C implementation of contextvars on the same machine in the same
 * run: bench/cpython_contextvars.py times it with timeit and this module
 * turns its samples into measurements with ids `cpython.<case id>`.
 *
 * @module
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { median, relativeSpread, type Measurement } from './harness.ts';

const SCRIPT = fileURLToPath(new URL('./cpython_contextvars.py', import.meta.url));

export interface CPythonOptions {
  readonly rounds: number;
  readonly sampleSeconds: number;
  readonly setResetSizes: readonly number[];
  readonly copySizes: readonly number[];
  readonly clock: 'cpu' | 'wall';
}

export interface CPythonResult {
  readonly version: string;
  readonly measurements: Measurement[];
}

const LABELS: Record<string, string> = {
  'get.set': 'ContextVar.get() (value set)',
  'get.default': 'ContextVar.get() (default)',
  run: 'Context.run(fn)',
};

function label(id: string): string {
  const known = LABELS[id];
  if (known !== undefined) return known;
  const [operation = id, size = ''] = id.split('.');
  return operation === 'setReset' ? `v.set(x); v.reset(t) @${size} vars` : `copy_context() @${size} vars`;
}

/** The CPython measurements, or undefined (with the reason) when python3 cannot run them. */
export function measureCPython(options: CPythonOptions): CPythonResult | { readonly skipped: string } {
  const python = process.env['PYTHON'] ?? 'python3';
  const result = spawnSync(python, [SCRIPT, JSON.stringify(options)], { encoding: 'utf8' });
  if (result.error !== undefined) return { skipped: `${python} did not start: ${result.error.message}` };
  if (result.status !== 0) return { skipped: `${python} failed with status ${result.status}: ${result.stderr}` };
  const parsed = JSON.parse(result.stdout) as { python: string; implementation: string; samples: Record<string, number[]> };
  const measurements = Object.entries(parsed.samples).map(([id, samples]) => ({
    id: `cpython.${id}`,
    label: `CPython ${label(id)}`,
    samples,
    median: median(samples),
    spread: relativeSpread(samples),
    iterations: 0,
  }));
  return { version: `${parsed.implementation} ${parsed.python}`, measurements };
}
