/**
 * What ending each callback's scope costs (S7): a chain of `setImmediate`
 * callbacks and a loop of keep-alive HTTP requests, each callback setting one
 * value with the library or with raw `enterWith`, each mode in its own child
 * process (callback-chain-child.ts), interleaved round by round. On Node 20
 * and 22 the library ends each callback's scope in an async_hooks `after`
 * hook; on Node 24+ the runtime's frames do it.
 *
 * @module
 */
import { fileURLToPath } from 'node:url';
import { measureInChildren } from './await-chain.ts';
import type { Measurement } from '../lib/harness.ts';

const CHILD = fileURLToPath(new URL('./callback-chain-child.ts', import.meta.url));
const LABELS: Record<string, string> = {
  'library.immediate': 'setImmediate chain, v.set(i) in each',
  'als.immediate': 'setImmediate chain, als.enterWith({ i }) in each',
  'library.http': 'keep-alive HTTP requests, v.set(i) in each',
  'als.http': 'keep-alive HTTP requests, als.enterWith({ i }) in each',
};

export function measureCallbackChains(options: {
  callbacks: number;
  requests: number;
  rounds: number;
  repeats: number;
}): Measurement[] {
  const common = { child: CHILD, field: 'nsPerCallback', rounds: options.rounds, repeats: options.repeats };
  return [
    ...measureInChildren({
      ...common,
      modes: ['library.immediate', 'als.immediate'],
      id: (mode) => `callbacks.${mode}`,
      label: (mode) => `${LABELS[mode]} ×${options.callbacks.toLocaleString('en-US')}`,
      count: options.callbacks,
    }),
    ...measureInChildren({
      ...common,
      modes: ['library.http', 'als.http'],
      id: (mode) => `callbacks.${mode}`,
      label: (mode) => `${LABELS[mode]} ×${options.requests.toLocaleString('en-US')}`,
      count: options.requests,
    }),
  ];
}
