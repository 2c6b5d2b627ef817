// The HAMT against a plain Map: random operation sequences over small key
// pools whose hashes collide on purpose (a tiny set of hashes, hashes sharing
// their low 10 or 25 bits, full-width hashes), checked after every step; then
// the behaviours the design promises, one example each.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';

import { Hamt } from '../../src/hamt.ts';
import { __checkInvariants, __dump } from '../support/hamt-debug.ts';
import { HashKey } from '../support/hash-key.ts';
import { TEST_SEED } from '../support/random.ts';

type Map_ = Hamt<HashKey, unknown>;

const MISSING = Symbol('missing');

// Values chosen so that "same value" (Object.is) has edge cases: NaN is the
// same as NaN, 0 is not -0, two objects are never the same.
const VALUES: readonly unknown[] = [undefined, null, 0, -0, NaN, 1, 'a', { id: 'x' }, { id: 'y' }];

/** Hashes from a tiny set: many full collisions, and 0 / 2**30 / 2**31 share their low 30 bits. */
const tinyHash = fc.constantFrom(0, 1, 31, 32, 33, 1024, 2 ** 30, -(2 ** 31), 2 ** 31, -1, 2 ** 32 - 1, 0x7fffffff);
/** Hashes sharing their low 25 bits: the trie goes deep before they part. */
const sharedLow25 = fc.integer({ min: 0, max: 127 }).map((high) => (high << 25) | 0x0123457);
/** Hashes sharing their low 10 bits. */
const sharedLow10 = fc.integer({ min: 0, max: 2 ** 22 - 1 }).map((high) => (high << 10) | 0x2a5);
/** Any 32-bit hash, written signed or unsigned. */
const fullWidth = fc.integer({ min: -(2 ** 31), max: 2 ** 32 - 1 });

type Op =
  | { type: 'set'; key: number; value: number }
  | { type: 'delete'; key: number }
  | { type: 'get'; key: number }
  | { type: 'iterate' }
  | { type: 'rewind'; back: number };

function opArbitrary(setWeight: number, deleteWeight: number): fc.Arbitrary<Op> {
  return fc.oneof(
    {
      weight: setWeight,
      arbitrary: fc.record({ type: fc.constant('set' as const), key: fc.nat(1023), value: fc.nat(VALUES.length - 1) }),
    },
    { weight: deleteWeight, arbitrary: fc.record({ type: fc.constant('delete' as const), key: fc.nat(1023) }) },
    { weight: 1, arbitrary: fc.record({ type: fc.constant('get' as const), key: fc.nat(1023) }) },
    { weight: 1, arbitrary: fc.record({ type: fc.constant('iterate' as const) }) },
    { weight: 1, arbitrary: fc.record({ type: fc.constant('rewind' as const), back: fc.nat(16) }) },
  );
}

function makePool(hashes: readonly number[]): HashKey[] {
  return hashes.map((hash, i) => new HashKey(hash, `k${i}`));
}

/** A hash's position in iteration order: its 5-bit digits, least significant first, as one number. */
function trieOrder(hash: number): number {
  let rest = hash >>> 0;
  let order = 0;
  for (let level = 0; level < 7; level++) {
    order = order * 32 + (rest & 31);
    rest >>>= 5;
  }
  return order;
}

/** `h` answers every lookup on `pool` as `model` does. */
function assertSameLookups(h: Map_, model: ReadonlyMap<HashKey, unknown>, pool: readonly HashKey[]): void {
  assert.equal(h.size, model.size);
  for (const key of pool) {
    const expected = model.has(key) ? model.get(key) : MISSING;
    if (!Object.is(h.lookup(key, MISSING), expected)) assert.fail(`lookup(${String(key)}) disagrees with the model`);
    if (h.has(key) !== model.has(key)) assert.fail(`has(${String(key)}) disagrees with the model`);
    if (!Object.is(h.get(key), model.get(key))) assert.fail(`get(${String(key)}) disagrees with the model`);
  }
}

/** Every iterator of `h` yields exactly `model`'s entries, in the documented order. */
function assertIteration(h: Map_, model: ReadonlyMap<HashKey, unknown>): void {
  const entries = [...h.entries()];
  const keys = [...h.keys()];
  const values = [...h.values()];
  const items = [...h];
  assert.equal(entries.length, model.size);
  assert.equal(new Set(keys).size, model.size);
  entries.forEach(([key, value], i) => {
    assert.ok(model.has(key), `iteration yields absent ${String(key)}`);
    assert.ok(Object.is(model.get(key), value), `iteration yields a wrong value for ${String(key)}`);
    assert.equal(keys[i], key);
    assert.ok(Object.is(values[i], value));
    assert.equal(items[i]?.[0], key);
    assert.ok(Object.is(items[i]?.[1], value));
    const previous = entries[i - 1];
    if (previous !== undefined) {
      // Ordered by hash digits; keys with equal hashes are therefore adjacent.
      assert.ok(trieOrder(previous[0].hash) <= trieOrder(key.hash), 'iteration out of hash-digit order');
    }
  });
}

interface Coverage {
  maxDepth: number;
  collisionNodes: number;
  arrayNodes: number;
  arrayToBitmap: number;
  runs: number;
}

/** Plays `ops` on a Hamt and on a Map side by side, checking everything after every step. */
function playAgainstModel(pool: readonly HashKey[], ops: readonly Op[], coverage: Coverage): void {
  coverage.runs++;
  let h: Map_ = Hamt.empty();
  let model = new Map<HashKey, unknown>();
  const history: { h: Map_; model: Map<HashKey, unknown> }[] = [{ h, model: new Map(model) }];
  let hadArrayNode = false;

  for (const op of ops) {
    const previous = h;
    const previousModel = new Map(model);
    switch (op.type) {
      case 'set': {
        const key = pool[op.key % pool.length] as HashKey;
        const value = VALUES[op.value];
        const unchanged = model.has(key) && Object.is(model.get(key), value);
        h = h.set(key, value);
        model.set(key, value);
        assert.equal(h === previous, unchanged, 'set must return `this` exactly when the value is already there');
        break;
      }
      case 'delete': {
        const key = pool[op.key % pool.length] as HashKey;
        const present = model.has(key);
        h = h.delete(key);
        model.delete(key);
        assert.equal(h === previous, !present, 'delete must return `this` exactly when the key is absent');
        if (model.size === 0) assert.equal(h, Hamt.empty());
        break;
      }
      case 'get': {
        const key = pool[op.key % pool.length] as HashKey;
        assert.ok(Object.is(h.lookup(key, MISSING), model.has(key) ? model.get(key) : MISSING));
        break;
      }
      case 'iterate':
        assertIteration(h, model);
        break;
      case 'rewind': {
        // Continue from an older version: later steps branch off it.
        const version = history[Math.max(0, history.length - 1 - op.back)] as (typeof history)[number];
        h = version.h;
        model = new Map(version.model);
        break;
      }
    }

    const stats = __checkInvariants(h);
    coverage.maxDepth = Math.max(coverage.maxDepth, stats.depth);
    coverage.collisionNodes += stats.collisionNodes;
    coverage.arrayNodes += stats.arrayNodes;
    if (hadArrayNode && stats.arrayNodes === 0 && op.type === 'delete') coverage.arrayToBitmap++;
    hadArrayNode = stats.arrayNodes > 0;

    assertSameLookups(h, model, pool);
    assertIteration(h, model);
    assertSameLookups(previous, previousModel, pool);
    history.push({ h, model: new Map(model) });
  }

  // Persistence: no later operation changed any earlier version.
  for (const version of history) assertSameLookups(version.h, version.model, pool);
}

test('random set/delete/get/iterate sequences agree with a Map (colliding key pools)', () => {
  const coverage: Coverage = { maxDepth: 0, collisionNodes: 0, arrayNodes: 0, arrayToBitmap: 0, runs: 0 };
  fc.assert(
    fc.property(
      fc.array(fc.oneof(tinyHash, sharedLow25, sharedLow10, fullWidth), { minLength: 1, maxLength: 24, size: 'max' }),
      fc.array(opArbitrary(5, 3), { maxLength: 80, size: 'max' }),
      (hashes, ops) => playAgainstModel(makePool(hashes), ops, coverage),
    ),
    { seed: TEST_SEED, numRuns: 500 },
  );
  // The pools really reached the cases they exist for.
  assert.ok(coverage.collisionNodes > 0, 'no collision node was ever built');
  assert.equal(coverage.maxDepth, 8, 'the deepest trie (7 levels + a collision node) was never built');
});

test('random sequences over dense pools build array nodes and shrink them back', () => {
  const coverage: Coverage = { maxDepth: 0, collisionNodes: 0, arrayNodes: 0, arrayToBitmap: 0, runs: 0 };
  fc.assert(
    fc.property(
      fc.array(fc.oneof({ weight: 4, arbitrary: fullWidth }, { weight: 1, arbitrary: sharedLow10 }), {
        minLength: 20,
        maxLength: 64,
        size: 'max',
      }),
      fc.array(opArbitrary(6, 4), { minLength: 40, maxLength: 160, size: 'max' }),
      (hashes, ops) => playAgainstModel(makePool(hashes), ops, coverage),
    ),
    { seed: TEST_SEED, numRuns: 150 },
  );
  assert.ok(coverage.arrayNodes > 0, 'no array node was ever built');
  assert.ok(coverage.arrayToBitmap > 0, 'no array node ever turned back into a bitmap node');
});

test('iteration order depends only on the hashes, not on the order of insertion', () => {
  const poolAndPermutation = fc
    .array(fc.oneof(tinyHash, sharedLow25, sharedLow10, fullWidth), { minLength: 1, maxLength: 40, size: 'max' })
    .chain((hashes) =>
      fc.tuple(
        fc.constant(hashes),
        fc.shuffledSubarray([...hashes.keys()], { minLength: hashes.length, maxLength: hashes.length }),
      ),
    );
  fc.assert(
    fc.property(poolAndPermutation, ([hashes, permutation]) => {
      const pool = makePool(hashes);
      let h1: Map_ = Hamt.empty();
      let h2: Map_ = Hamt.empty();
      for (const i of permutation) h1 = h1.set(pool[i] as HashKey, i);
      for (const key of [...pool].reverse()) h2 = h2.set(key, key.name);
      const hashes1 = [...h1.keys()].map((k) => k.hash >>> 0);
      assert.deepEqual(
        [...h2.keys()].map((k) => k.hash >>> 0),
        hashes1,
      );
      assert.deepEqual(
        hashes1,
        [...hashes1].sort((a, b) => trieOrder(a) - trieOrder(b)),
      );
      // Keys with a hash of their own come out in the same order from both maps.
      const alone = (h: Map_): HashKey[] =>
        [...h.keys()].filter((k) => hashes1.filter((x) => x === k.hash >>> 0).length === 1);
      assert.deepEqual(alone(h1), alone(h2));
    }),
    { seed: TEST_SEED, numRuns: 300 },
  );
});

test('Hamt.of builds the trie that setting its pairs one by one builds (repeated keys: the last wins)', () => {
  const pairs = fc
    .array(fc.oneof(tinyHash, sharedLow25, sharedLow10, fullWidth), { minLength: 1, maxLength: 48, size: 'max' })
    .chain((hashes) =>
      fc.tuple(
        fc.constant(hashes),
        fc.array(fc.tuple(fc.nat(hashes.length - 1), fc.nat(VALUES.length - 1)), { maxLength: 64, size: 'max' }),
      ),
    );
  fc.assert(
    fc.property(pairs, ([hashes, picks]) => {
      const pool = makePool(hashes);
      const keys = picks.map(([key]) => pool[key] as HashKey);
      const values = picks.map(([, value]) => VALUES[value]);
      let oneByOne: Map_ = Hamt.empty();
      keys.forEach((key, i) => {
        oneByOne = oneByOne.set(key, values[i]);
      });
      const built: Map_ = Hamt.of(keys, values);
      __checkInvariants(built);
      assert.equal(__dump(built), __dump(oneByOne));
      assertSameLookups(built, new Map([...oneByOne]), pool);
      assert.deepEqual([...built.entries()], [...oneByOne.entries()]);
    }),
    { seed: TEST_SEED, numRuns: 400 },
  );
});

test('set returns the same map when the key already holds that very value (Object.is)', () => {
  const k = new HashKey(7, 'k');
  const object = {};
  const h = Hamt.empty<HashKey, unknown>().set(k, object);
  assert.equal(h.set(k, object), h);
  assert.notEqual(h.set(k, {}), h);

  const nan = Hamt.empty<HashKey, unknown>().set(k, NaN);
  assert.equal(nan.set(k, NaN), nan);
  const zero = Hamt.empty<HashKey, unknown>().set(k, 0);
  assert.notEqual(zero.set(k, -0), zero);
  assert.ok(Object.is(zero.set(k, -0).get(k), -0));

  // Also inside a collision node.
  const twin = new HashKey(7, 'twin');
  const both = h.set(twin, 'v');
  assert.equal(both.set(twin, 'v'), both);
  assert.equal(both.set(k, object), both);
});

test('delete returns the same map when the key is absent', () => {
  const empty = Hamt.empty<HashKey, unknown>();
  const a = new HashKey(1, 'a');
  assert.equal(empty.delete(a), empty);
  const h = empty.set(a, 1);
  assert.equal(h.delete(new HashKey(1, 'a')), h); // same hash and name, another key
  assert.equal(h.delete(new HashKey(33, 'b')), h); // same slot at the root
  assert.equal(h.delete(new HashKey(2, 'c')), h);
  const collision = h.set(new HashKey(1, 'd'), 2);
  assert.equal(collision.delete(new HashKey(1, 'e')), collision);
});

test('undefined is a value like any other: has() and lookup() tell it from absence', () => {
  const k = new HashKey(3, 'k');
  const h = Hamt.empty<HashKey, undefined>().set(k, undefined);
  assert.equal(h.size, 1);
  assert.equal(h.has(k), true);
  assert.equal(h.lookup(k, MISSING), undefined);
  assert.equal(h.lookup(new HashKey(3, 'other'), MISSING), MISSING);
  assert.equal(h.set(k, undefined), h);
  assert.deepEqual([...h], [[k, undefined]]);
});

test('a hash is read as 32 bits: -1 and 2**32 - 1 are the same hash, and so are 5 and 2**32 + 5', () => {
  const a = new HashKey(-1, 'a');
  const b = new HashKey(2 ** 32 - 1, 'b');
  const c = new HashKey(5, 'c');
  const d = new HashKey(2 ** 32 + 5, 'd');
  const h = Hamt.empty<HashKey, string>().set(a, 'a').set(b, 'b').set(c, 'c').set(d, 'd');
  const stats = __checkInvariants(h);
  assert.equal(stats.collisionNodes, 2);
  assert.deepEqual(
    [a, b, c, d].map((k) => h.get(k)),
    ['a', 'b', 'c', 'd'],
  );
  assert.equal(
    [c, d, a, b].reduce((m, k) => m.delete(k), h),
    Hamt.empty(),
  );
});

test('a bitmap node becomes an array node at 17 slots and a bitmap node again below 16, at any level', () => {
  for (const shift of [0, 5, 25]) {
    // Keys that agree on every digit below `shift` and differ in the digit at `shift`.
    const low = shift === 0 ? 0 : 0b10101;
    const keys = Array.from({ length: 18 }, (_, i) => new HashKey((i << shift) | low, `k${i}`));
    let h = Hamt.empty<HashKey, number>();
    for (const [i, key] of keys.slice(0, 16).entries()) h = h.set(key, i);
    assert.equal(__checkInvariants(h).arrayNodes, 0);
    h = h.set(keys[16] as HashKey, 16);
    assert.equal(__checkInvariants(h).arrayNodes, 1, `17 slots at shift ${shift}`);
    h = h.set(keys[17] as HashKey, 17);
    h = h.delete(keys[17] as HashKey).delete(keys[16] as HashKey);
    assert.equal(__checkInvariants(h).arrayNodes, 1, 'an array node keeps 16 children');
    h = h.delete(keys[0] as HashKey);
    const stats = __checkInvariants(h);
    assert.equal(stats.arrayNodes, 0, `15 children at shift ${shift}`);
    assert.equal(h.size, 15);
    for (const [i, key] of keys.slice(1, 16).entries()) assert.equal(h.get(key), i + 1);
    // Left: one bitmap node per level down to where the array node was.
    assert.equal(stats.bitmapNodes, shift / 5 + 1);
  }
});

test('the deepest trie collapses back to a flat root as keys are deleted', () => {
  const C = new HashKey(2 ** 31, 'C');
  const D = new HashKey(2 ** 31, 'D');
  const E = new HashKey(0, 'E');
  const F = new HashKey(2 ** 30, 'F');
  let h = Hamt.empty<HashKey, string>().set(C, 'c').set(D, 'd').set(E, 'e').set(F, 'f');
  assert.equal(__checkInvariants(h).depth, 8);
  h = h.delete(C);
  assert.equal(__checkInvariants(h).depth, 7);
  h = h.delete(E).delete(F);
  assert.equal(__checkInvariants(h).depth, 1);
  assert.equal(
    __dump(h),
    ['HAMT(size=1):', '    BitmapNode(count=1 bitmap=0b1):', "        <Key name:D hash:2147483648>: 'd'"].join('\n'),
  );
  assert.equal(h.delete(D), Hamt.empty());
});

test('iterators: over one version, independent of later ones; self-iterable; disposable', () => {
  const keys = Array.from({ length: 40 }, (_, i) => new HashKey(i * 0x9e3779b1, `k${i}`));
  let h = Hamt.empty<HashKey, number>();
  for (const [i, key] of keys.entries()) h = h.set(key, i);
  const it = h.keys();
  assert.equal(it[Symbol.iterator](), it);
  const first = it.next();
  assert.equal(first.done, false);
  const later = h.delete(first.value as HashKey).set(new HashKey(1, 'new'), -1);
  assert.equal(later.size, 40);
  const rest = [...it];
  assert.equal(rest.length, 39);
  assert.deepEqual(new Set([first.value, ...rest]), new Set(keys));
  assert.deepEqual(it.next(), { done: true, value: undefined });

  const disposed = h.values();
  disposed.next();
  disposed[Symbol.dispose]();
  assert.deepEqual(disposed.next(), { done: true, value: undefined });

  // Like Map iterators, they inherit from %IteratorPrototype% (iterator helpers where the runtime has them).
  const iteratorPrototype = Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]())) as object;
  assert.equal(Object.getPrototypeOf(Object.getPrototypeOf(h.entries())), iteratorPrototype);
});

test('the empty map is one shared instance, reached again by deleting every key', () => {
  const empty = Hamt.empty<HashKey, number>();
  assert.equal(Hamt.empty<HashKey, string>(), empty as unknown);
  assert.equal(empty.size, 0);
  assert.deepEqual([...empty], []);
  const a = new HashKey(1, 'a');
  const b = new HashKey(1, 'b');
  assert.equal(empty.set(a, 1).set(b, 2).delete(a).delete(b), empty);
});

// The invariant checker every HAMT test leans on must itself catch each broken
// rule; these tries are broken by hand from real ones.
test('__checkInvariants names the broken rule of a trie broken by hand', () => {
  type Raw = { root: RawNode; size: number };
  type RawNode = { bitmap?: number; array?: unknown[]; count?: number; children?: unknown[]; hash?: number };
  const raw = (map: Map_): Raw => map as unknown as Raw;
  const hamtWith = (root: unknown, size: number): Map_ =>
    new (Hamt as unknown as new (root: unknown, size: number) => Map_)(root, size);
  const remade = (node: RawNode, changes: RawNode): RawNode =>
    Object.assign(Object.create(Object.getPrototypeOf(node) as object) as RawNode, node, changes);
  const broken = (map: Map_, message: RegExp): void => {
    assert.throws(() => __checkInvariants(map), { message });
  };

  const [k1, k2] = [new HashKey(1, 'k1'), new HashKey(2, 'k2')];
  const two = Hamt.empty<HashKey, unknown>().set(k1, 'a').set(k2, 'b');
  const root = raw(two).root;
  __checkInvariants(two);
  broken(hamtWith(root, 3), /size is 3 but the trie holds 2 keys/);
  broken(hamtWith(remade(root, { bitmap: (1 << 1) | (1 << 3) }), 2), /in slot 3 at shift 0/);
  broken(hamtWith(remade(root, { array: [k1, 'a'] }), 2), /bitmap node has 2 cells for 2 bits/);
  broken(hamtWith(remade(root, { array: [7, 'a', k2, 'b'] }), 2), /key slot holds a number/);
  broken(hamtWith(remade(root, { array: [k1, 'a', k1, 'b'] }), 2), /appears twice/);
  broken(hamtWith(raw(Hamt.empty()).root, 0), /not the shared empty map/);
  broken(hamtWith({}, 0), /unknown node kind/);

  // Two keys of one hash: a collision node under the root's slot 5.
  const [c1, c2] = [new HashKey(5, 'c1'), new HashKey(5, 'c2')];
  const collided = raw(Hamt.empty<HashKey, unknown>().set(c1, 1).set(c2, 2)).root;
  const collision = collided.array![1] as RawNode;
  broken(hamtWith(collision, 2), /collision node at the root/);
  broken(
    hamtWith(remade(collided, { array: [undefined, remade(collision, { hash: 37 })] }), 2),
    /in collision node of hash 37/,
  );
  broken(
    hamtWith(remade(collided, { array: [undefined, remade(collision, { array: [c1, 1] })] }), 2),
    /collision node with 1 keys/,
  );

  // Seventeen keys in distinct root slots: an array node at the root.
  let wide = Hamt.empty<HashKey, unknown>();
  for (let i = 0; i < 17; i++) wide = wide.set(new HashKey(i, `w${i}`), i);
  const array = raw(wide).root;
  assert.equal(__checkInvariants(wide).arrayNodes, 1);
  broken(hamtWith(remade(array, { count: 18 }), 17), /array node counts 18 children but has 17/);
  broken(hamtWith(remade(array, { children: array.children!.slice(0, 31) }), 17), /array node has 31 slots/);
});
