/*
Persistent hash array mapped trie (HAMT)
========================================

This module is the immutable mapping behind every context snapshot. It
follows the design of CPython's Python/hamt.c, the structure behind Python's
own contextvars, so that the two behave (and scale) alike:

  * copy is O(1): a Hamt never changes, so a copy is the same reference;
  * set and delete are O(log32 n): they copy only the nodes on the path from
    the root to the key, and every other node is shared with the old version
    (structural sharing);
  * lookup is O(log32 n) and allocates nothing.

With 32-bit hashes the trie is at most seven levels deep, so in practice the
"log" is a small constant: up to ~1000 keys are reached in two steps.


The trie
--------

Every key carries a precomputed 32-bit hash (HamtKey.hash). The hash is cut
into 5-bit digits, least significant first; the digit at `shift` (0, 5, 10,
..., 30) picks one of 32 slots on that level of the trie:

    hash  = 0b10_01011_10100_10101_01110_00001_10011
    level   (7)  (6)   (5)   (4)   (3)   (2)   (1)      digit = (hash >>> shift) & 31

The last level has only two bits left, so a path is at most seven nodes long.
The hash is read as 32 bits: `hash >>> 0` and `hash | 0` name the same bits,
and this module keeps the `| 0` form because it is always a small integer in
V8. Keys are compared by identity (===), never by value: two keys with equal
hashes are two different keys.

Why 32 ways: a 32-bit bitmap fits one machine word, and a popcount over it
turns a slot number into an array index in a few instructions. Wider nodes
would need 64-bit bitmaps (slow in JavaScript) and copy more on every
update; narrower ones would make the trie deeper and every lookup slower.


Node kinds
----------

Nodes are immutable; changing one means copying it. There are three kinds.

Bitmap node: a 32-bit `bitmap` and a packed `array` holding two cells per
set bit, in slot order:

    bitmap = (1 << 17) | (1 << 11) | (1 << 4)
    array  = [ k4, v4,  k11, v11,  undefined, node17 ]

The pair for slot s sits at index 2 * popcount(bitmap & ~(-1 << s)), twice
the number of used slots below s.
A pair is either a key and its value, or `undefined` and a sub-node for the
next level (keys are objects, so `undefined` can never be a key; values may
be anything, `undefined` included). A bitmap node holds at most 16 pairs.

Array node: 32 child slots, each a node or `undefined`, plus the count of
used slots. It stores no keys: it is pure indirection, faster to index than
a bitmap node and worth its fixed size once a level is dense. A bitmap node
that would grow past 16 pairs becomes an array node (each of its key/value
pairs moves one level down into a one-pair bitmap node); an array node that
shrinks below 16 children becomes a bitmap node again, pulling one-pair
children back up. So an array node always has 16 to 32 children. Maps of
fewer than ~30 keys usually have no array node at all.

Collision node: two or more keys whose full 32-bit hashes are equal, kept as
a flat [k1, v1, k2, v2, ...] list in the order they were added and searched
linearly. It appears wherever the digits run out: two keys that share all 32
bits cannot be told apart by any level of the trie.


Shape rules
-----------

The trie for a given set of keys is kept small by these rules, each enforced
where noted and checked by __checkInvariants (test/support/hamt-debug.ts):

  * Adding a key to a slot already holding another key pushes both one level
    down (pairNode): into a collision node if their full hashes are equal,
    otherwise into a bitmap node, itself nesting further while their digits
    keep agreeing.
  * A bitmap node never sits below another bitmap node holding one key/value
    pair: deleting from a sub-node that leaves a lone pair inlines that pair
    into the parent's slot (BitmapNode.without), so deletes shrink the trie
    back. Below an array node a one-pair bitmap node is normal.
  * A collision node that drops to one key becomes a one-pair bitmap node
    (and is then inlined by the rule above).
  * Deleting the last key gives the shared empty Hamt.


Iteration order
---------------

Iteration is depth first, slots in ascending order, with no sorting and no
allocation beyond the iterator and the yielded items. Because a slot is a
hash digit, keys with different hashes come out ordered by their hash
digits read least significant first (compare digit 1, then digit 2, ...;
that is ascending order of the hash with its 5-bit digits reversed). The
order therefore depends only on the hashes of the keys present, never on the
order of the sets and deletes that built the map, and two maps holding the
same keys iterate them in the same order. The one exception is keys with
identical full hashes: they share a collision node and come out in the order
they were added to it.


Further reading: CPython's Python/hamt.c, and Phil Bagwell, "Ideal Hash
Trees" (2001), the paper that introduced the structure.
*/

/** A key usable in a Hamt: a precomputed 32-bit hash. Keys are compared by identity (===). */
export interface HamtKey {
  readonly hash: number;
}

type Node = BitmapNode | ArrayNode | CollisionNode;

// Node kinds. Dispatching on this field is faster in V8 than `instanceof`
// (measured on the lookup path), and narrows the Node union.
const BITMAP = 0;
const ARRAY = 1;
const COLLISION = 2;

/** Bits of hash consumed per level. */
const BITS_PER_LEVEL = 5;
/** A bitmap node holds at most this many pairs; one more turns it into an array node. */
const MAX_BITMAP_PAIRS = 16;
/** An array node keeps at least this many children; one fewer turns it into a bitmap node. */
const MIN_ARRAY_CHILDREN = 16;
/** Longest root-to-leaf path: seven trie levels (shifts 0..30) plus a collision node. */
const MAX_DEPTH = 8;

/**
 * Set by `assoc` when the key was not in the map before; read once per
 * Hamt#set. Set only after any read of a stored key's `hash` (user code).
 */
let addedLeaf = false;

/** Number of set bits in a 32-bit integer (SWAR bit counting, no loop). */
function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

/** The one-hot bit of the slot that `hash` selects at `shift`. */
function bitpos(hash: number, shift: number): number {
  return 1 << ((hash >>> shift) & 31);
}

/**
 * Index of the first cell of `slot`'s pair in a bitmap node's array: twice
 * the number of used slots below it. The mask is `~(-1 << slot)` rather than
 * `(1 << slot) - 1` because the latter overflows int32 at slot 31, which
 * makes V8 deoptimize.
 */
function pairIndex(bitmap: number, slot: number): number {
  return popcount(bitmap & ~(-1 << slot)) << 1;
}

/** A copy of `array` with `cell` replaced. */
function replaced<T>(array: readonly T[], cell: number, value: T): T[] {
  const copy = array.slice();
  copy[cell] = value;
  return copy;
}

/**
 * A copy of `array` with the pair `a, b` inserted at `cell`. The copy is
 * allocated at its final length and filled by index: growing it by `push`
 * reallocates on the way (bench:ab measured the difference when it changed).
 */
function inserted(array: readonly unknown[], cell: number, a: unknown, b: unknown): unknown[] {
  const length = array.length;
  const copy = new Array<unknown>(length + 2);
  for (let i = 0; i < cell; i++) copy[i] = array[i];
  copy[cell] = a;
  copy[cell + 1] = b;
  for (let i = cell; i < length; i++) copy[i + 2] = array[i];
  return copy;
}

/** A copy of `array` without the pair starting at `cell`. */
function removed(array: readonly unknown[], cell: number): unknown[] {
  const copy = array.slice(0, cell);
  for (let i = cell + 2; i < array.length; i++) copy.push(array[i]);
  return copy;
}

/** A node holding two distinct keys, for the level at `shift` (a collision node if their hashes are equal). */
function pairNode(shift: number, key1: HamtKey, value1: unknown, hash2: number, key2: HamtKey, value2: unknown): Node {
  const hash1 = key1.hash | 0;
  if (hash1 === hash2) return new CollisionNode(hash1, [key1, value1, key2, value2]);
  const slot1 = (hash1 >>> shift) & 31;
  const slot2 = (hash2 >>> shift) & 31;
  if (slot1 === slot2) {
    return new BitmapNode(1 << slot1, [undefined, pairNode(shift + BITS_PER_LEVEL, key1, value1, hash2, key2, value2)]);
  }
  const bitmap = (1 << slot1) | (1 << slot2);
  return slot1 < slot2
    ? new BitmapNode(bitmap, [key1, value1, key2, value2])
    : new BitmapNode(bitmap, [key2, value2, key1, value1]);
}

/** True when `node` is a bitmap node holding exactly one key/value pair (which a parent may inline). */
function isLonePair(node: Node): node is BitmapNode {
  return node.kind === BITMAP && node.array.length === 2 && node.array[0] !== undefined;
}

/** Sparse node: `bitmap` says which of the 32 slots are used, `array` holds a pair per used slot. */
class BitmapNode {
  declare readonly kind: typeof BITMAP;
  declare readonly bitmap: number;
  declare readonly array: readonly unknown[];

  constructor(bitmap: number, array: readonly unknown[]) {
    this.kind = BITMAP;
    this.bitmap = bitmap;
    this.array = array;
  }

  /** This node with `key` mapped to `value`; `this` when nothing changes. */
  assoc(shift: number, hash: number, key: HamtKey, value: unknown): Node {
    const bitmap = this.bitmap;
    const array = this.array;
    const slot = (hash >>> shift) & 31;
    const bit = 1 << slot;
    const cell = pairIndex(bitmap, slot);
    if ((bitmap & bit) !== 0) {
      const existingKey = array[cell];
      const existingValue = array[cell + 1];
      if (existingKey === undefined) {
        const child = existingValue as Node;
        const newChild = child.assoc(shift + BITS_PER_LEVEL, hash, key, value);
        return newChild === child ? this : new BitmapNode(bitmap, replaced(array, cell + 1, newChild));
      }
      if (existingKey === key) {
        return Object.is(existingValue, value) ? this : new BitmapNode(bitmap, replaced(array, cell + 1, value));
      }
      const child = pairNode(shift + BITS_PER_LEVEL, existingKey as HamtKey, existingValue, hash, key, value);
      const copy = replaced(array, cell + 1, child);
      copy[cell] = undefined;
      addedLeaf = true;
      return new BitmapNode(bitmap, copy);
    }
    const node =
      array.length >= 2 * MAX_BITMAP_PAIRS
        ? this.toArrayNode(shift, hash, key, value)
        : new BitmapNode(bitmap | bit, inserted(array, cell, key, value));
    addedLeaf = true;
    return node;
  }

  /** The array node replacing this full bitmap node once `key` (in a new slot) is added. */
  private toArrayNode(shift: number, hash: number, key: HamtKey, value: unknown): ArrayNode {
    const bitmap = this.bitmap;
    const array = this.array;
    const below = shift + BITS_PER_LEVEL;
    const newSlot = (hash >>> shift) & 31;
    const children: (Node | undefined)[] = [];
    let cell = 0;
    for (let slot = 0; slot < 32; slot++) {
      if (slot === newSlot) {
        children.push(new BitmapNode(bitpos(hash, below), [key, value]));
      } else if ((bitmap & (1 << slot)) === 0) {
        children.push(undefined);
      } else {
        const k = array[cell] as HamtKey | undefined;
        children.push(
          k === undefined ? (array[cell + 1] as Node) : new BitmapNode(bitpos(k.hash, below), [k, array[cell + 1]]),
        );
        cell += 2;
      }
    }
    return new ArrayNode(array.length / 2 + 1, children);
  }

  /** This node without `key`: `this` if absent, `undefined` if nothing would remain. */
  without(shift: number, hash: number, key: HamtKey): Node | undefined {
    const bitmap = this.bitmap;
    const slot = (hash >>> shift) & 31;
    const bit = 1 << slot;
    if ((bitmap & bit) === 0) return this;
    const array = this.array;
    const cell = pairIndex(bitmap, slot);
    const existingKey = array[cell];
    if (existingKey === undefined) {
      const child = array[cell + 1] as Node;
      const newChild = child.without(shift + BITS_PER_LEVEL, hash, key);
      if (newChild === child) return this;
      // A sub-node below a bitmap node always holds two keys or more (shape
      // rules above), so it cannot become empty here (__checkInvariants checks it).
      const survivor = newChild as Node;
      if (isLonePair(survivor)) {
        const copy = replaced(array, cell + 1, survivor.array[1]);
        copy[cell] = survivor.array[0];
        return new BitmapNode(bitmap, copy);
      }
      return new BitmapNode(bitmap, replaced(array, cell + 1, survivor));
    }
    if (existingKey !== key) return this;
    if (array.length === 2) return undefined;
    return new BitmapNode(bitmap & ~bit, removed(array, cell));
  }
}

/** Dense node: 32 child slots, `count` of them used (always 16..32). */
class ArrayNode {
  declare readonly kind: typeof ARRAY;
  declare readonly count: number;
  declare readonly children: readonly (Node | undefined)[];

  constructor(count: number, children: readonly (Node | undefined)[]) {
    this.kind = ARRAY;
    this.count = count;
    this.children = children;
  }

  /** This node with `key` mapped to `value`; `this` when nothing changes. */
  assoc(shift: number, hash: number, key: HamtKey, value: unknown): Node {
    const slot = (hash >>> shift) & 31;
    const child = this.children[slot];
    if (child === undefined) {
      addedLeaf = true;
      const leaf = new BitmapNode(bitpos(hash, shift + BITS_PER_LEVEL), [key, value]);
      return new ArrayNode(this.count + 1, replaced(this.children, slot, leaf));
    }
    const newChild = child.assoc(shift + BITS_PER_LEVEL, hash, key, value);
    if (newChild === child) return this;
    return new ArrayNode(this.count, replaced(this.children, slot, newChild));
  }

  /** This node without `key`: `this` if absent, `undefined` if nothing would remain. */
  without(shift: number, hash: number, key: HamtKey): Node | undefined {
    const slot = (hash >>> shift) & 31;
    const children = this.children;
    const child = children[slot];
    if (child === undefined) return this;
    const newChild = child.without(shift + BITS_PER_LEVEL, hash, key);
    if (newChild === child) return this;
    if (newChild !== undefined) {
      return new ArrayNode(this.count, replaced(children, slot, newChild));
    }
    if (this.count > MIN_ARRAY_CHILDREN) {
      return new ArrayNode(this.count - 1, replaced(children, slot, undefined));
    }
    // Below MIN_ARRAY_CHILDREN: pack the survivors into a bitmap node,
    // inlining one-pair children as a bitmap node stores them.
    let bitmap = 0;
    const array: unknown[] = [];
    for (let i = 0; i < 32; i++) {
      const c = children[i];
      if (i === slot || c === undefined) continue;
      bitmap |= 1 << i;
      if (isLonePair(c)) array.push(c.array[0], c.array[1]);
      else array.push(undefined, c);
    }
    return new BitmapNode(bitmap, array);
  }
}

/** Keys sharing one full 32-bit `hash`, as a flat [key, value, ...] list in insertion order. */
class CollisionNode {
  declare readonly kind: typeof COLLISION;
  declare readonly hash: number;
  declare readonly array: readonly unknown[];

  constructor(hash: number, array: readonly unknown[]) {
    this.kind = COLLISION;
    this.hash = hash;
    this.array = array;
  }

  /** Index of `key`'s cell in `array`, or -1. */
  indexOf(key: HamtKey): number {
    const array = this.array;
    for (let i = 0; i < array.length; i += 2) if (array[i] === key) return i;
    return -1;
  }

  /** This node with `key` mapped to `value`; `this` when nothing changes. */
  assoc(shift: number, hash: number, key: HamtKey, value: unknown): Node {
    if (hash !== this.hash) {
      // A key with another hash: this level needs a bitmap node holding both.
      return new BitmapNode(bitpos(this.hash, shift), [undefined, this]).assoc(shift, hash, key, value);
    }
    const cell = this.indexOf(key);
    if (cell < 0) {
      addedLeaf = true;
      return new CollisionNode(hash, inserted(this.array, this.array.length, key, value));
    }
    if (Object.is(this.array[cell + 1], value)) return this;
    return new CollisionNode(hash, replaced(this.array, cell + 1, value));
  }

  /** This node without `key`: `this` if absent, `undefined` if nothing would remain. */
  without(shift: number, hash: number, key: HamtKey): Node | undefined {
    if (hash !== this.hash) return this;
    const cell = this.indexOf(key);
    if (cell < 0) return this;
    const array = this.array;
    if (array.length === 2) return undefined;
    if (array.length === 4) {
      const other = cell === 0 ? 2 : 0;
      return new BitmapNode(bitpos(hash, shift), [array[other], array[other + 1]]);
    }
    return new CollisionNode(hash, removed(array, cell));
  }
}

/** The root of every empty Hamt. */
const EMPTY_ROOT = new BitmapNode(0, []);

/** Private marker for "absent" in Hamt#has (values themselves may be undefined). */
const ABSENT: unique symbol = Symbol('absent');

const ITERATE_ENTRIES = 0;
const ITERATE_KEYS = 1;
const ITERATE_VALUES = 2;
type IterationMode = typeof ITERATE_ENTRIES | typeof ITERATE_KEYS | typeof ITERATE_VALUES;

/**
 * Depth-first walk over a trie: the current node and position live in fields,
 * and the ancestors' (node, position) pairs on a stack (one empty array per
 * iterator) that grows only when the walk descends into a sub-node.
 * Measured faster than a recursive generator at 1 to 100 000 keys.
 * Typed as a MapIterator so a Hamt can back a ReadonlyMap.
 */
class HamtIterator<T> implements MapIterator<T> {
  declare private readonly mode: IterationMode;
  declare private node: Node;
  declare private pos: number;
  declare private readonly stack: unknown[];

  constructor(root: Node, mode: IterationMode) {
    this.mode = mode;
    this.node = root;
    this.pos = 0;
    this.stack = [];
  }

  next(): IteratorResult<T, undefined> {
    // The common steps, kept small so V8 inlines next() into the caller's
    // loop (and can then skip allocating the result): the pair at `pos` of a
    // bitmap or collision node, or a dense level's one-pair child at `pos`.
    const node = this.node;
    const pos = this.pos;
    if (node.kind === ARRAY) {
      if (pos < 32) {
        const child = node.children[pos];
        if (child !== undefined && child.kind === BITMAP && child.array.length === 2 && child.array[0] !== undefined) {
          this.pos = pos + 1;
          return this.result(child.array[0], child.array[1]);
        }
      }
    } else {
      const array = node.array;
      if (pos < array.length && array[pos] !== undefined) {
        this.pos = pos + 2;
        return this.result(array[pos], array[pos + 1]);
      }
    }
    return this.advance();
  }

  /** Every other step: skip empty slots, descend into sub-nodes, climb back up, finish. */
  private advance(): IteratorResult<T, undefined> {
    const stack = this.stack;
    let node = this.node;
    let pos = this.pos;
    for (;;) {
      if (node.kind === ARRAY) {
        const children = node.children;
        while (pos < 32 && children[pos] === undefined) pos++;
        if (pos < 32) {
          const child = children[pos] as Node;
          // Most children of a dense level hold a single pair: yield it here
          // instead of descending into it and coming back through the stack.
          if (child.kind === BITMAP && child.array.length === 2 && child.array[0] !== undefined) {
            this.node = node;
            this.pos = pos + 1;
            return this.result(child.array[0], child.array[1]);
          }
          stack.push(node, pos + 1);
          node = child;
          pos = 0;
          continue;
        }
      } else {
        const array = node.array;
        if (pos < array.length) {
          const key = array[pos];
          if (key === undefined) {
            stack.push(node, pos + 2);
            node = array[pos + 1] as Node;
            pos = 0;
            continue;
          }
          this.node = node;
          this.pos = pos + 2;
          return this.result(key, array[pos + 1]);
        }
      }
      if (stack.length === 0) break;
      pos = stack.pop() as number;
      node = stack.pop() as Node;
    }
    this.node = EMPTY_ROOT;
    this.pos = 0;
    return { done: true, value: undefined };
  }

  /** The step that yields one pair, as the iterator's mode wants it. */
  private result(key: unknown, value: unknown): IteratorResult<T, undefined> {
    const mode = this.mode;
    const item = mode === ITERATE_KEYS ? key : mode === ITERATE_VALUES ? value : [key, value];
    return { done: false, value: item as T };
  }

  [Symbol.iterator](): this {
    return this;
  }

  /** Ends the iteration early and drops the nodes, so the iterator keeps no map alive. */
  [Symbol.dispose](): void {
    this.node = EMPTY_ROOT;
    this.pos = 0;
    this.stack.length = 0;
  }
}

// Inherit from %IteratorPrototype%, as Map iterators do, so iterator helpers
// (`.map`, `.filter`, ...) work on runtimes that have them.
Object.setPrototypeOf(
  HamtIterator.prototype,
  Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]())) as object,
);

/** An immutable map from HamtKeys (by identity) to values; see the design notes at the top of this file. */
export class Hamt<K extends HamtKey, V> implements Iterable<[K, V]> {
  declare private readonly root: Node;
  /** Number of keys. */
  declare readonly size: number;

  private constructor(root: Node, size: number) {
    this.root = root;
    this.size = size;
  }

  private static readonly EMPTY: Hamt<HamtKey, unknown> = new Hamt(EMPTY_ROOT, 0);

  /** The empty map (one shared instance). */
  static empty<K extends HamtKey, V>(): Hamt<K, V> {
    return Hamt.EMPTY as Hamt<K, V>;
  }

  /**
   * The map of `keys[i]` to `values[i]` (the last of equal keys wins): the
   * trie `set` would make one pair at a time, but its root filled in place
   * in one array instead of copied once per key. A key whose root slot
   * another key holds, and any beyond a bitmap node's capacity, are added
   * with `set`.
   */
  static of<K extends HamtKey, V>(keys: readonly K[], values: readonly V[]): Hamt<K, V> {
    let bitmap = 0;
    const array: unknown[] = [];
    const later: number[] = [];
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as K;
      const slot = key.hash & 31;
      const bit = 1 << slot;
      const cell = pairIndex(bitmap, slot);
      if ((bitmap & bit) === 0 && array.length < 2 * MAX_BITMAP_PAIRS) {
        array.push(undefined, undefined);
        for (let j = array.length - 1; j > cell + 1; j--) array[j] = array[j - 2];
        array[cell] = key;
        array[cell + 1] = values[i];
        bitmap |= bit;
      } else if (array[cell] === key) array[cell + 1] = values[i];
      else later.push(i);
    }
    let map: Hamt<K, V> =
      array.length === 0 ? Hamt.empty() : new Hamt(new BitmapNode(bitmap, array), array.length >> 1);
    for (const i of later) map = map.set(keys[i] as K, values[i] as V);
    return map;
  }

  /** The value for `key`, or `notFound` when `key` is absent. */
  lookup<D>(key: K, notFound: D): V | D {
    const hash = key.hash;
    let node: Node = this.root;
    let shift = 0;
    for (;;) {
      if (node.kind === BITMAP) {
        const bitmap = node.bitmap;
        const slot = (hash >>> shift) & 31;
        if ((bitmap & (1 << slot)) === 0) return notFound;
        const array = node.array;
        // No used slot below this one (always so in one-pair nodes): the pair is first.
        const below = bitmap & ~(-1 << slot);
        const cell = below === 0 ? 0 : popcount(below) << 1;
        const k = array[cell];
        if (k === key) return array[cell + 1] as V;
        if (k !== undefined) return notFound;
        node = array[cell + 1] as Node;
      } else if (node.kind === ARRAY) {
        const child = node.children[(hash >>> shift) & 31];
        if (child === undefined) return notFound;
        node = child;
      } else {
        if ((hash | 0) !== node.hash) return notFound;
        const cell = node.indexOf(key);
        return cell < 0 ? notFound : (node.array[cell + 1] as V);
      }
      shift += BITS_PER_LEVEL;
    }
  }

  /** The value for `key`, or undefined when absent (use `has`/`lookup` when values may be undefined). */
  get(key: K): V | undefined {
    return this.lookup(key, undefined);
  }

  /** Whether `key` is present. */
  has(key: K): boolean {
    return this.lookup(key, ABSENT) !== ABSENT;
  }

  /** A map with `key` mapped to `value`; `this` when it already maps to that very value (Object.is). */
  set(key: K, value: V): Hamt<K, V> {
    const hash = key.hash | 0;
    addedLeaf = false;
    const root = this.root.assoc(0, hash, key, value);
    if (root === this.root) return this;
    return new Hamt(root, addedLeaf ? this.size + 1 : this.size);
  }

  /** A map without `key`; `this` when `key` is absent. */
  delete(key: K): Hamt<K, V> {
    const hash = key.hash | 0;
    const root = this.root.without(0, hash, key);
    if (root === this.root) return this;
    if (root === undefined) return Hamt.empty();
    return new Hamt(root, this.size - 1);
  }

  /** [key, value] pairs in the trie's order (see "Iteration order" above). */
  entries(): MapIterator<[K, V]> {
    return new HamtIterator<[K, V]>(this.root, ITERATE_ENTRIES);
  }

  /** Keys in the trie's order. */
  keys(): MapIterator<K> {
    return new HamtIterator<K>(this.root, ITERATE_KEYS);
  }

  /** Values in the trie's order. */
  values(): MapIterator<V> {
    return new HamtIterator<V>(this.root, ITERATE_VALUES);
  }

  /** Same as entries(). */
  [Symbol.iterator](): MapIterator<[K, V]> {
    return new HamtIterator<[K, V]>(this.root, ITERATE_ENTRIES);
  }
}

// The trie's parts, for the structural checks the tests run
// (test/support/hamt-debug.ts); no entry point re-exports them.
export {
  ArrayNode,
  BITS_PER_LEVEL,
  BitmapNode,
  CollisionNode,
  EMPTY_ROOT,
  isLonePair,
  MAX_BITMAP_PAIRS,
  MAX_DEPTH,
  MIN_ARRAY_CHILDREN,
  type Node,
  popcount,
};
