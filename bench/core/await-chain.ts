/**
 * The await chain: a loop of awaits inside a Context holding 10 variables,
 * under a raw AsyncLocalStorage with a store set, and with no
 * AsyncLocalStorage at all, each in its own child process (see
 * await-chain-child.ts for why), the three interleaved round by round.
 *
 * @module
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { clockName, median, relativeSpread, type Measurement } from '../lib/harness.ts';

const CHILD = fileURLToPath(new URL('./await-chain-child.ts', import.meta.url));
export const AWAIT_MODES = ['library', 'als', 'none'] as const;
const LABELS: Record<(typeof AWAIT_MODES)[number], string> = {
  library: 'await chain in ctx.run (10 vars)',
  als: 'await chain in als.run(store)',
  none: 'await chain, no AsyncLocalStorage',
};

/** Runs `child` with its arguments and returns the fields of the last JSON line it prints. */
export function runChildFields(child: string, args: readonly string[]): Record<string, number[]> {
  const result = spawnSync(process.execPath, [...process.execArgv, child, ...args, clockName()], { encoding: 'utf8' });
  if (result.status !== 0) {
    throw new Error(`${child} ${args.join(' ')} failed with status ${result.status}: ${result.stderr}`);
  }
  return JSON.parse(result.stdout.trim().split('\n').pop() ?? '') as Record<string, number[]>;
}

/** Runs `child` with `mode` and its arguments and returns the last JSON line's `field`. */
function runChild(child: string, field: string, args: readonly string[]): number[] {
  return runChildFields(child, args)[field] ?? [];
}

/**
 * Each mode in its own child process, the modes interleaved round by round
 * (each round starts with the next mode) so machine noise hits them alike.
 * A round's sample is the median of its child's repeats.
 */
export function measureInChildren(options: {
  readonly child: string;
  readonly field: string;
  readonly modes: readonly string[];
  readonly id: (mode: string) => string;
  readonly label: (mode: string) => string;
  readonly count: number;
  readonly rounds: number;
  readonly repeats: number;
}): Measurement[] {
  const samples = options.modes.map((): number[] => []);
  for (let round = 0; round < options.rounds; round++) {
    for (let k = 0; k < options.modes.length; k++) {
      const index = (k + round) % options.modes.length;
      const args = [options.modes[index]!, String(options.count), String(options.repeats)];
      samples[index]!.push(median(runChild(options.child, options.field, args)));
    }
  }
  return options.modes.map((mode, index) => {
    const values = samples[index]!;
    return {
      id: options.id(mode),
      label: options.label(mode),
      samples: values,
      median: median(values),
      spread: relativeSpread(values),
      iterations: options.count,
    };
  });
}

/** ns per await of each mode. */
export function measureAwaitChain(options: { awaits: number; rounds: number; repeats: number }): Measurement[] {
  return measureInChildren({
    child: CHILD,
    field: 'nsPerAwait',
    modes: AWAIT_MODES,
    id: (mode) => `awaitChain.${mode}`,
    label: (mode) => `${LABELS[mode as (typeof AWAIT_MODES)[number]]} ×${options.awaits.toLocaleString('en-US')}`,
    count: options.awaits,
    rounds: options.rounds,
    repeats: options.repeats,
  });
}
