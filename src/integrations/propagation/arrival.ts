/**
 * Entering values that arrived from elsewhere (a header, a job, an
 * OpenTelemetry context) in one frame. Kept out of the core module so that
 * the core entry does not carry it.
 *
 * @module
 */
import type { ContextVar } from '../../context-var.ts';
import type { HamtKey } from '../../hamt.ts';
import { Cell, copyCurrent, runInFlow, settle } from '../../scope.ts';

/**
 * Calls `fn(...args)` in a new Context holding the current values with
 * `entries` over them (a later entry wins), as
 * `new Context([...copyContext(), ...entries]).run(fn, ...args)` would, but
 * without iterating the current mapping: a unit of work that arrives with
 * values (`extract`, the OpenTelemetry manager entering extracted values)
 * starts in one frame.
 */
export function runWithEntries<A extends unknown[], R>(
  entries: ReadonlyArray<readonly [ContextVar<unknown>, unknown]>,
  fn: (...args: A) => R,
  args: A,
): R {
  const flow = copyCurrent();
  let mapping = settle(flow);
  for (const [variable, value] of entries)
    mapping = mapping.set(variable as unknown as HamtKey, new Cell(value, false));
  flow.mapping = mapping;
  return runInFlow(flow, fn, args);
}
