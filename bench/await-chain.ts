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
import { clockName, median, relativeSpread, type Measurement } from './harness.ts';

const CHILD = fileURLToPath(new URL('./await-chain-child.ts', import.meta.url));
export const AWAIT_MODES = ['library', 'als', 'none'] as const;
const LABELS: Record<(typeof AWAIT_MODES)[number], string> = {
  library: 'await chain in ctx.run (10 vars)',
  als: 'await chain in als.run(store)',
  none: 'await chain, no AsyncLocalStorage',
};

interface ChildResult {
  readonly nsPerAwait: number[];
}

function runChild(mode: string, awaits: number, repeats: number): number[] {
  const result = spawnSync(process.execPath, [...process.execArgv, CHILD, mode, String(awaits), String(repeats), clockName()], {
    encoding: 'utf8',
  });
  if (result.status !== 0) {
    throw new Error(`await-chain child (${mode}) failed with status ${result.status}: ${result.stderr}`);
  }
  const parsed = JSON.parse(result.stdout.trim().split('\n').pop() ?? '') as ChildResult;
  return parsed.nsPerAwait;
}

/** ns per await of each mode; a round's sample is the median of its child's repeats. */
export function measureAwaitChain(options: { awaits: number; rounds: number; repeats: number }): Measurement[] {
  const samples = AWAIT_MODES.map((): number[] => []);
  for (let round = 0; round < options.rounds; round++) {
    for (let k = 0; k < AWAIT_MODES.length; k++) {
      const index = (k + round) % AWAIT_MODES.length;
      samples[index]!.push(median(runChild(AWAIT_MODES[index]!, options.awaits, options.repeats)));
    }
  }
  return AWAIT_MODES.map((mode, index) => {
    const values = samples[index]!;
    return {
      id: `awaitChain.${mode}`,
      label: `${LABELS[mode]} ×${options.awaits.toLocaleString('en-US')}`,
      samples: values,
      median: median(values),
      spread: relativeSpread(values),
      iterations: options.awaits,
    };
  });
}
