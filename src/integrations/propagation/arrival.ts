/**
 * Entering values that arrived from elsewhere (a header, a job, an
 * OpenTelemetry context) in one frame, through the core's public faces
 * only: `new Context(entries)` builds the mapping in one step and
 * `Context.run` enters it as one frame. Kept out of the core module so that
 * the core entry does not carry it.
 *
 * @module
 */
import { Context, type ContextEntry, copyContext } from '../../index.ts';

/**
 * Calls `fn(...args)` in a new Context holding the current values with
 * `entries` over them (a later entry wins), as
 * `new Context([...copyContext(), ...entries]).run(fn, ...args)` would: a
 * unit of work that arrives with values (`extract`, the OpenTelemetry
 * manager entering extracted values) starts in one frame, and what it sets
 * is recorded in that Context, not the caller's.
 *
 * Where nothing is set around it (a server's handler, a queue's worker: the
 * usual case) the Context is `new Context(entries)`. Otherwise the current
 * mapping is not iterated (a Context is copied in O(1), iterated in O(n)):
 * the entries are set in the copy's frame before fn runs, which leaves the
 * same values in it.
 */
export function runWithEntries<A extends unknown[], R>(
  entries: readonly ContextEntry[],
  fn: (...args: A) => R,
  args: A,
): R {
  const current = copyContext();
  if (entries.length === 0) return current.run(fn, ...args);
  if (current.size === 0) return new Context(entries).run(fn, ...args);
  return current.run(enterThenCall, entries, fn, args);
}

/** Sets each of `entries` in the running frame, then calls `fn(...args)`: a function of its own, so no call makes a closure. */
function enterThenCall<A extends unknown[], R>(entries: readonly ContextEntry[], fn: (...args: A) => R, args: A): R {
  for (let index = 0; index < entries.length; index++) {
    const entry = entries[index] as ContextEntry;
    entry[0].set(entry[1]);
  }
  return fn(...args);
}
