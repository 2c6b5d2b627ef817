/**
 * The snapshot map on its own: the HAMT next to immutable-js's Map (also a
 * HAMT) and a copy-on-write native Map, keyed by ContextVars as snapshots are.
 *
 * @module
 */
import { Map as ImmutableMap } from 'immutable';
import { ContextVar } from '../../src/index.ts';
import { Hamt, type HamtKey } from '../../src/hamt.ts';
import type { BenchCase } from '../lib/harness.ts';
import type { BenchGroup } from './context-ops.ts';

export const HAMT_SIZES = [1, 8, 64, 1024, 100000] as const;
export const HAMT_OPERATIONS = ['get', 'set', 'delete', 'iterate'] as const;
export const HAMT_IMPLEMENTATIONS = ['hamt', 'immutable', 'cowMap'] as const;

/** ContextVars as the trie sees them (their hash is not public API). */
type Key = ContextVar<unknown> & HamtKey;

/** Keys to visit, in a fixed pseudo-random order; the length is a power of two so `i & mask` indexes it. */
function visitOrder(keys: readonly Key[]): Key[] {
  const order: Key[] = [];
  let seed = 12345;
  for (let i = 0; i < 1024; i++) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    order.push(keys[seed % keys.length]!);
  }
  return order;
}

const MASK = 1023;

function sizeGroup(size: number): BenchGroup {
  const keys: Key[] = Array.from({ length: size }, (_, i) => new ContextVar<unknown>(`k${i}`) as Key);
  const order = visitOrder(keys);

  let hamt = Hamt.empty<Key, number>();
  for (let i = 0; i < size; i++) hamt = hamt.set(keys[i]!, i);
  const immutable = ImmutableMap<Key, number>().withMutations((map) => {
    for (let i = 0; i < size; i++) map.set(keys[i]!, i);
  });
  const cowMap = new Map<Key, number>(keys.map((key, i) => [key, i]));

  const cases: BenchCase[] = [
    { id: `hamt.get.${size}`, label: `Hamt lookup @${size}`, op: (i) => hamt.lookup(order[i & MASK]!, -1) },
    {
      id: `immutable.get.${size}`,
      label: `immutable Map.get @${size}`,
      op: (i) => immutable.get(order[i & MASK]!, -1),
    },
    { id: `cowMap.get.${size}`, label: `Map.get @${size}`, op: (i) => cowMap.get(order[i & MASK]!) },

    { id: `hamt.set.${size}`, label: `Hamt set @${size}`, op: (i) => hamt.set(order[i & MASK]!, i) },
    { id: `immutable.set.${size}`, label: `immutable Map.set @${size}`, op: (i) => immutable.set(order[i & MASK]!, i) },
    {
      id: `cowMap.set.${size}`,
      label: `new Map(m).set @${size}`,
      op: (i) => new Map(cowMap).set(order[i & MASK]!, i),
    },

    { id: `hamt.delete.${size}`, label: `Hamt delete @${size}`, op: (i) => hamt.delete(order[i & MASK]!) },
    {
      id: `immutable.delete.${size}`,
      label: `immutable Map.delete @${size}`,
      op: (i) => immutable.delete(order[i & MASK]!),
    },
    {
      id: `cowMap.delete.${size}`,
      label: `new Map(m).delete @${size}`,
      op: (i) => {
        const copy = new Map(cowMap);
        copy.delete(order[i & MASK]!);
        return copy;
      },
    },

    {
      id: `hamt.iterate.${size}`,
      label: `for..of Hamt @${size}`,
      op: () => {
        let total = 0;
        for (const [, value] of hamt) total += value;
        return total;
      },
    },
    {
      id: `immutable.iterate.${size}`,
      label: `for..of immutable Map @${size}`,
      op: () => {
        let total = 0;
        for (const [, value] of immutable) total += value;
        return total;
      },
    },
    {
      id: `cowMap.iterate.${size}`,
      label: `for..of Map @${size}`,
      op: () => {
        let total = 0;
        for (const [, value] of cowMap) total += value;
        return total;
      },
    },
  ];
  return { name: `hamt@${size}`, cases };
}

export function hamtGroups(quick: boolean): BenchGroup[] {
  return (quick ? [8, 1024] : HAMT_SIZES).map(sizeGroup);
}
