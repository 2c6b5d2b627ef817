/**
 * Debugging aids for the HAMT tests, kept out of the shipped src/hamt.ts:
 * the trie's shape as text, in the style of CPython's `hamt.__dump__()`, and
 * a check of every structural invariant the header of src/hamt.ts states.
 */
import {
  ArrayNode,
  BITS_PER_LEVEL,
  BitmapNode,
  CollisionNode,
  EMPTY_ROOT,
  Hamt,
  type HamtKey,
  isLonePair,
  MAX_BITMAP_PAIRS,
  MAX_DEPTH,
  MIN_ARRAY_CHILDREN,
  type Node,
  popcount,
} from '../../src/hamt.ts';

function rootOf(map: Hamt<HamtKey, unknown>): Node {
  return map['root'];
}

function formatValue(value: unknown): string {
  return typeof value === 'string' ? `'${value}'` : String(value);
}

/**
 * Internal: the trie's shape as text, in the style of CPython's
 * `hamt.__dump__()`, so tests can pin the exact structure.
 */
export function __dump(map: Hamt<HamtKey, unknown>): string {
  const lines = [`HAMT(size=${map.size}):`];
  const dumpNode = (node: Node, indent: string): void => {
    if (node instanceof BitmapNode) {
      lines.push(`${indent}BitmapNode(count=${node.array.length / 2} bitmap=0b${(node.bitmap >>> 0).toString(2)}):`);
      for (let i = 0; i < node.array.length; i += 2) {
        const key = node.array[i];
        if (key === undefined) {
          lines.push(`${indent}    NULL:`);
          dumpNode(node.array[i + 1] as Node, `${indent}        `);
        } else {
          lines.push(`${indent}    ${String(key)}: ${formatValue(node.array[i + 1])}`);
        }
      }
    } else if (node instanceof ArrayNode) {
      lines.push(`${indent}ArrayNode(count=${node.count}):`);
      node.children.forEach((child, slot) => {
        if (child === undefined) return;
        lines.push(`${indent}    ${slot}::`);
        dumpNode(child, `${indent}        `);
      });
    } else {
      lines.push(`${indent}CollisionNode(count=${node.array.length / 2} hash=${node.hash >>> 0}):`);
      for (let i = 0; i < node.array.length; i += 2) {
        lines.push(`${indent}    ${String(node.array[i])}: ${formatValue(node.array[i + 1])}`);
      }
    }
  };
  dumpNode(rootOf(map), '    ');
  return lines.join('\n');
}

/** Internal: what __checkInvariants found in a trie. */
export interface __TrieStats {
  /** Nodes on the longest root-to-leaf path (at most 8). */
  depth: number;
  bitmapNodes: number;
  arrayNodes: number;
  collisionNodes: number;
}

/**
 * Internal: throws an Error naming the first broken structural invariant of
 * `map` (slot placement, node fill limits, collapse rules, size); otherwise
 * returns counts of what the trie is made of.
 */
export function __checkInvariants(map: Hamt<HamtKey, unknown>): __TrieStats {
  const stats: __TrieStats = { depth: 0, bitmapNodes: 0, arrayNodes: 0, collisionNodes: 0 };
  const seen = new Set<unknown>();
  const fail = (message: string): never => {
    throw new Error(`Hamt invariant broken: ${message}`);
  };
  // `prefix` holds the hash bits below `shift` that every key under `node` must have.
  const checkKey = (key: unknown, shift: number, prefix: number): number => {
    if (typeof key !== 'object' && typeof key !== 'function') fail(`key slot holds a ${typeof key}`);
    if (seen.has(key)) fail(`key ${String(key)} appears twice`);
    seen.add(key);
    const hash = (key as HamtKey).hash | 0;
    const low = shift >= 32 ? hash : hash & ((1 << shift) - 1);
    if (shift > 0 && low !== prefix) fail(`key ${String(key)} is under the wrong path at shift ${shift}`);
    return hash;
  };
  const checkNode = (node: Node, shift: number, prefix: number, parent: 'root' | 'bitmap' | 'array'): number => {
    if (shift > 35) fail(`trie deeper than ${MAX_DEPTH} levels`);
    if (node instanceof BitmapNode) {
      stats.bitmapNodes++;
      const count = popcount(node.bitmap);
      if (node.array.length !== 2 * count) fail(`bitmap node has ${node.array.length} cells for ${count} bits`);
      if (count > MAX_BITMAP_PAIRS) fail(`bitmap node holds ${count} pairs`);
      if (count === 0 && !(parent === 'root' && node === EMPTY_ROOT)) fail('empty bitmap node');
      if (shift > 30) fail(`bitmap node at shift ${shift}`);
      if (parent === 'bitmap' && isLonePair(node)) fail('one-pair bitmap node below a bitmap node');
      let depth = 1;
      let cell = 0;
      for (let slot = 0; slot < 32; slot++) {
        if ((node.bitmap & (1 << slot)) === 0) continue;
        const slotPrefix = prefix | (slot << shift);
        const key = node.array[cell];
        const value = node.array[cell + 1];
        if (key === undefined) {
          if (!(value instanceof BitmapNode || value instanceof ArrayNode || value instanceof CollisionNode)) {
            fail(`sub-node slot ${slot} holds no node`);
          }
          depth = Math.max(depth, 1 + checkNode(value as Node, shift + BITS_PER_LEVEL, slotPrefix, 'bitmap'));
        } else {
          const hash = checkKey(key, shift, prefix);
          if (((hash >>> shift) & 31) !== slot) fail(`key ${String(key)} in slot ${slot} at shift ${shift}`);
        }
        cell += 2;
      }
      return depth;
    }
    if (node instanceof ArrayNode) {
      stats.arrayNodes++;
      if (node.children.length !== 32) fail(`array node has ${node.children.length} slots`);
      const used = node.children.filter((c) => c !== undefined).length;
      if (used !== node.count) fail(`array node counts ${node.count} children but has ${used}`);
      if (used < MIN_ARRAY_CHILDREN) fail(`array node with only ${used} children`);
      let depth = 1;
      node.children.forEach((child, slot) => {
        if (child === undefined) return;
        depth = Math.max(depth, 1 + checkNode(child, shift + BITS_PER_LEVEL, prefix | (slot << shift), 'array'));
      });
      return depth;
    }
    if (node instanceof CollisionNode) {
      stats.collisionNodes++;
      if (parent === 'root') fail('collision node at the root');
      const count = node.array.length / 2;
      if (!Number.isInteger(count) || count < 2) fail(`collision node with ${count} keys`);
      for (let i = 0; i < node.array.length; i += 2) {
        const hash = checkKey(node.array[i], shift, prefix);
        if (hash !== node.hash) fail(`key ${String(node.array[i])} in collision node of hash ${node.hash}`);
      }
      return 1;
    }
    return fail('unknown node kind');
  };
  stats.depth = checkNode(rootOf(map), 0, 0, 'root');
  if (seen.size !== map.size) fail(`size is ${map.size} but the trie holds ${seen.size} keys`);
  if (map.size === 0 && map !== Hamt.empty()) fail('an empty map that is not the shared empty map');
  return stats;
}
