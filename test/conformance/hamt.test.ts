// Port of CPython's `class HamtTest` (Lib/test/test_context.py), one test per
// CPython method, same names:
//
//   test_hashkey_helper_1  test_hamt_basics_1  test_hamt_basics_2
//   test_hamt_basics_3     test_hamt_basics_4  test_hamt_collision_1
//   test_hamt_collision_3  test_hamt_stress    test_hamt_delete_1
//   test_hamt_delete_2     test_hamt_delete_3  test_hamt_delete_4
//   test_hamt_delete_5     test_hamt_items_1   test_hamt_items_2
//   test_hamt_keys_1       test_hamt_items_3   test_hamt_eq_1
//   test_hamt_eq_2         test_hamt_gc_1      test_hamt_gc_2
//   test_hamt_in_1         test_hamt_getitem_1
//
// Our keys compare by identity, so where CPython builds an equal-by-value
// twin (`AA = HashKey(100, 'A')`) the port checks that the twin is a distinct
// key, and where CPython makes `__eq__` raise, the port checks the distinct
// same-hash key instead. CPython's HaskKeyCrasher(error_on_hash) becomes a
// key whose `hash` getter throws. The trie shapes CPython documents in
// comments (`__dump__()` output) are asserted here with __dump.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { Hamt } from '../../src/hamt.ts';
import { __checkInvariants, __dump } from '../support/hamt-debug.ts';
import { CrashingHashKey, HashKey, HashingError, stringHash } from '../support/hash-key.ts';
import { collectAndSettle } from '../support/gc.ts';
import { seeded } from '../support/random.ts';

type Map_ = Hamt<HashKey, unknown>;

/** An empty map of HashKeys, as CPython's `hamt()`. */
function hamt(): Map_ {
  return Hamt.empty<HashKey, unknown>();
}

/** A map built by setting the pairs in order, as CPython's tests build theirs. */
function hamtOf(...pairs: Array<[HashKey, unknown]>): Map_ {
  let h = hamt();
  for (const [key, value] of pairs) h = h.set(key, value);
  return h;
}

/** Asserts the structural invariants and the exact trie shape. */
function assertShape(h: Hamt<HashKey, unknown>, expected: string): void {
  __checkInvariants(h);
  const lines = expected.split('\n').filter((line) => line.trim() !== '');
  const indent = Math.min(...lines.map((line) => line.length - line.trimStart().length));
  assert.equal(__dump(h), lines.map((line) => line.slice(indent)).join('\n'));
}

/** Mapping equality, CPython's `hamt.__eq__`: same size, same keys, equal values. */
function sameMapping(a: Map_, b: Map_): boolean {
  if (a.size !== b.size) return false;
  const missing = Symbol('missing');
  for (const [key, value] of a) {
    const other = b.lookup(key, missing);
    if (other === missing || !Object.is(other, value)) return false;
  }
  return true;
}

/**
 * Asserts `items` holds exactly `expected`'s entries (keys by identity,
 * values by Object.is), in linear time (deepEqual on Maps with object keys
 * is quadratic).
 */
function assertSameItems<T>(
  items: Iterable<T>,
  expected: Iterable<T>,
  key: (item: T) => unknown,
  value: (item: T) => unknown,
): void {
  const want = new Map<unknown, unknown>();
  for (const item of expected) want.set(key(item), value(item));
  let count = 0;
  for (const item of items) {
    count++;
    if (!want.has(key(item))) assert.fail(`unexpected ${String(key(item))}`);
    if (!Object.is(want.get(key(item)), value(item))) assert.fail(`wrong value for ${String(key(item))}`);
  }
  assert.equal(count, want.size);
}

test('test_hashkey_helper_1', () => {
  const k1 = new HashKey(10, 'aaa');
  const k2 = new HashKey(10, 'bbb');

  assert.notEqual(k1, k2);
  assert.equal(k1.hash, k2.hash);

  const d = new Map<HashKey, string>();
  d.set(k1, 'a');
  d.set(k2, 'b');

  assert.equal(d.get(k1), 'a');
  assert.equal(d.get(k2), 'b');
});

test('test_hamt_basics_1', () => {
  // CPython only creates and drops a hamt; here: creating one works, and the
  // empty map is one shared instance (hamt.c caches its empty HAMT too).
  const h = hamt();
  assert.equal(h.size, 0);
  assert.equal(Hamt.empty(), h);
  __checkInvariants(h);
});

test('test_hamt_basics_2', () => {
  // CPython uses str keys 'a' and 'b'; ours are HashKeys with a string hash.
  const a = new HashKey(stringHash('a'), 'a');
  const b = new HashKey(stringHash('b'), 'b');

  const h = hamt();
  assert.equal(h.size, 0);

  const h2 = h.set(a, 'b');
  assert.notEqual(h, h2);
  assert.equal(h.size, 0);
  assert.equal(h2.size, 1);

  assert.equal(h.get(a), undefined);
  assert.equal(h.lookup(a, 42), 42);

  assert.equal(h2.get(a), 'b');

  const h3 = h2.set(b, 10);
  assert.notEqual(h2, h3);
  assert.equal(h.size, 0);
  assert.equal(h2.size, 1);
  assert.equal(h3.size, 2);
  assert.equal(h3.get(a), 'b');
  assert.equal(h3.get(b), 10);

  assert.equal(h.get(b), undefined);
  assert.equal(h2.get(b), undefined);

  assert.equal(h.get(a), undefined);
  assert.equal(h2.get(a), 'b');
  __checkInvariants(h3);
});

test('test_hamt_basics_3', () => {
  const key = new HashKey(stringHash('1'), '1');
  const o = {};
  const h1 = hamt().set(key, o);
  const h2 = h1.set(key, o);
  assert.equal(h1, h2);
});

test('test_hamt_basics_4', () => {
  const key = new HashKey(stringHash('key'), 'key');
  const h1 = hamt().set(key, []);
  const h2 = h1.set(key, []);
  assert.notEqual(h1, h2);
  assert.equal(h1.size, 1);
  assert.equal(h2.size, 1);
  assert.notEqual(h1.get(key), h2.get(key));
});

test('test_hamt_collision_1', () => {
  const k1 = new HashKey(10, 'aaa');
  const k2 = new HashKey(10, 'bbb');
  const k3 = new HashKey(10, 'ccc');

  const h = hamt();
  const h2 = h.set(k1, 'a');
  const h3 = h2.set(k2, 'b');

  assert.equal(h.get(k1), undefined);
  assert.equal(h.get(k2), undefined);

  assert.equal(h2.get(k1), 'a');
  assert.equal(h2.get(k2), undefined);

  assert.equal(h3.get(k1), 'a');
  assert.equal(h3.get(k2), 'b');

  const h4 = h3.set(k2, 'cc');
  const h5 = h4.set(k3, 'aa');

  assert.equal(h3.get(k1), 'a');
  assert.equal(h3.get(k2), 'b');
  assert.equal(h4.get(k1), 'a');
  assert.equal(h4.get(k2), 'cc');
  assert.equal(h4.get(k3), undefined);
  assert.equal(h5.get(k1), 'a');
  assert.equal(h5.get(k2), 'cc');
  assert.equal(h5.get(k2), 'cc');
  assert.equal(h5.get(k3), 'aa');

  assert.equal(h.size, 0);
  assert.equal(h2.size, 1);
  assert.equal(h3.size, 2);
  assert.equal(h4.size, 2);
  assert.equal(h5.size, 3);

  assertShape(
    h5,
    `
    HAMT(size=3):
        BitmapNode(count=1 bitmap=0b10000000000):
            NULL:
                CollisionNode(count=3 hash=10):
                    <Key name:aaa hash:10>: 'a'
                    <Key name:bbb hash:10>: 'cc'
                    <Key name:ccc hash:10>: 'aa'
    `,
  );
});

test('test_hamt_collision_3', () => {
  // Iteration over the deepest tree possible (CPython gh-93065): C and D
  // collide fully, E differs from them only in the top bit.
  const C = new HashKey(0b10000000_00000000_00000000_00000000, 'C');
  const D = new HashKey(0b10000000_00000000_00000000_00000000, 'D');
  const E = new HashKey(0b00000000_00000000_00000000_00000000, 'E');

  const h = hamtOf([C, 'C'], [D, 'D'], [E, 'E']);

  assertShape(
    h,
    `
    HAMT(size=3):
        BitmapNode(count=1 bitmap=0b1):
            NULL:
                BitmapNode(count=1 bitmap=0b1):
                    NULL:
                        BitmapNode(count=1 bitmap=0b1):
                            NULL:
                                BitmapNode(count=1 bitmap=0b1):
                                    NULL:
                                        BitmapNode(count=1 bitmap=0b1):
                                            NULL:
                                                BitmapNode(count=1 bitmap=0b1):
                                                    NULL:
                                                        BitmapNode(count=2 bitmap=0b101):
                                                            <Key name:E hash:0>: 'E'
                                                            NULL:
                                                                CollisionNode(count=2 hash=2147483648):
                                                                    <Key name:C hash:2147483648>: 'C'
                                                                    <Key name:D hash:2147483648>: 'D'
    `,
  );
  assert.equal(__checkInvariants(h).depth, 8);

  assert.deepEqual(new Set([...h.keys()].map((k) => k.name)), new Set(['C', 'D', 'E']));
});

test(
  'test_hamt_stress',
  seeded((random) => {
    // CPython's sizes and rhythm, with a seeded generator. KeyStr(i) becomes a
    // HashKey with a string hash (salted per run, as Python salts str hashes);
    // "crash on hash" becomes a key whose hash getter throws, and "crash on
    // eq" (a lookup with an equal-by-value twin) becomes: the twin is not found.
    const COLLECTION_SIZE = 7000;
    const TEST_ITERS_EVERY = 647;
    const CRASH_HASH_EVERY = 97;
    const CRASH_EQ_EVERY = 11;
    const RUN_XTIMES = 3;
    const crashing = new CrashingHashKey() as unknown as HashKey;

    for (let run = 0; run < RUN_XTIMES; run++) {
      const keys: HashKey[] = [];
      for (let i = 0; i < COLLECTION_SIZE; i++) keys.push(new HashKey(stringHash(`${run}:${i}`), String(i)));
      const twin = (key: HashKey): HashKey => new HashKey(key.hash, key.name);

      let h = hamt();
      const d = new Map<HashKey, unknown>();

      for (let i = 0; i < COLLECTION_SIZE; i++) {
        const key = keys[i] as HashKey;

        if (i % CRASH_HASH_EVERY === 0) {
          const before = h;
          assert.throws(() => h.set(crashing, i), HashingError);
          assert.equal(h, before);
        }

        h = h.set(key, i);

        if (i % CRASH_EQ_EVERY === 0) {
          assert.equal(h.lookup(twin(key), 'not found'), 'not found');
        }

        d.set(key, i);
        assert.equal(h.size, d.size);

        if (i % TEST_ITERS_EVERY === 0) {
          assertSameItems(
            h.entries(),
            d,
            ([k]) => k,
            ([, v]) => v,
          );
          __checkInvariants(h);
        }
      }

      assert.equal(h.size, COLLECTION_SIZE);

      for (let i = 0; i < COLLECTION_SIZE; i++) {
        assert.equal(h.lookup(keys[i] as HashKey, 'not found'), i);
      }

      const keysToDelete = [...keys.keys()];
      for (let i = keysToDelete.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [keysToDelete[i], keysToDelete[j]] = [keysToDelete[j] as number, keysToDelete[i] as number];
      }

      let hm: Map_ | undefined;
      let dm: Map<HashKey, unknown> | undefined;
      keysToDelete.forEach((index, iterI) => {
        const key = keys[index] as HashKey;

        if (iterI % CRASH_HASH_EVERY === 0) {
          const before = h;
          assert.throws(() => h.delete(crashing), HashingError);
          assert.equal(h, before);
        }

        if (iterI % CRASH_EQ_EVERY === 0) {
          assert.equal(h.delete(twin(key)), h);
        }

        h = h.delete(key);
        assert.equal(h.lookup(key, 'not found'), 'not found');
        d.delete(key);
        assert.equal(h.size, d.size);

        if (iterI === Math.floor(COLLECTION_SIZE / 2)) {
          hm = h;
          dm = new Map(d);
        }

        if (iterI % TEST_ITERS_EVERY === 0) {
          assertSameItems(
            h.keys(),
            d.keys(),
            (k) => k,
            () => true,
          );
          __checkInvariants(h);
        }
      });

      assert.equal(d.size, 0);
      assert.equal(h.size, 0);

      // ============ the version saved halfway is untouched by later deletes

      assert.ok(hm !== undefined && dm !== undefined);
      for (const [key, value] of dm) assert.equal(hm.get(key), value);
      assert.equal(hm.size, dm.size);

      keysToDelete.forEach((index, i) => {
        const key = keys[index] as HashKey;
        hm = (hm as Map_).delete(key);
        assert.equal(hm.lookup(key, 'not found'), 'not found');
        (dm as Map<HashKey, unknown>).delete(key);
        assert.equal(hm.size, (dm as Map<HashKey, unknown>).size);

        if (i % TEST_ITERS_EVERY === 0) {
          assertSameItems(
            hm.values(),
            (dm as Map<HashKey, unknown>).values(),
            (v) => v,
            () => true,
          );
        }
      });

      assert.equal(dm.size, 0);
      assert.equal(hm.size, 0);
      assert.deepEqual([...h.entries()], []);
      assert.deepEqual([...hm.entries()], []);
    }
  }),
);

test('test_hamt_delete_1', () => {
  const A = new HashKey(100, 'A');
  const B = new HashKey(101, 'B');
  const C = new HashKey(102, 'C');
  const D = new HashKey(103, 'D');
  const E = new HashKey(104, 'E');
  const Z = new HashKey(-100, 'Z');

  // CPython's Er raises from __eq__ against D; ours is simply another key
  // with D's hash, so deleting it is a no-op.
  const Er = new HashKey(103, 'Er');

  let h = hamtOf([A, 'a'], [B, 'b'], [C, 'c'], [D, 'd'], [E, 'e']);

  const origLen = h.size;

  assertShape(
    h,
    `
    HAMT(size=5):
        BitmapNode(count=5 bitmap=0b111110000):
            <Key name:A hash:100>: 'a'
            <Key name:B hash:101>: 'b'
            <Key name:C hash:102>: 'c'
            <Key name:D hash:103>: 'd'
            <Key name:E hash:104>: 'e'
    `,
  );

  h = h.delete(C);
  assert.equal(h.size, origLen - 1);

  assert.equal(h.delete(Er), h);

  h = h.delete(D);
  assert.equal(h.size, origLen - 2);

  const h2 = h.delete(Z);
  assert.equal(h2, h);

  h = h.delete(A);
  assert.equal(h.size, origLen - 3);

  assert.equal(h.lookup(A, 42), 42);
  assert.equal(h.get(B), 'b');
  assert.equal(h.get(E), 'e');
  __checkInvariants(h);
});

test('test_hamt_delete_2', () => {
  const A = new HashKey(100, 'A');
  const B = new HashKey(201001, 'B');
  const C = new HashKey(101001, 'C');
  const D = new HashKey(103, 'D');
  const E = new HashKey(104, 'E');
  const Z = new HashKey(-100, 'Z');

  // CPython's Er raises from __eq__ against B; ours is another key with B's hash.
  const Er = new HashKey(201001, 'Er');

  let h = hamtOf([A, 'a'], [B, 'b'], [C, 'c'], [D, 'd'], [E, 'e']);

  const origLen = h.size;

  assertShape(
    h,
    `
    HAMT(size=5):
        BitmapNode(count=4 bitmap=0b1110010000):
            <Key name:A hash:100>: 'a'
            <Key name:D hash:103>: 'd'
            <Key name:E hash:104>: 'e'
            NULL:
                BitmapNode(count=2 bitmap=0b100000000001000000000):
                    <Key name:B hash:201001>: 'b'
                    <Key name:C hash:101001>: 'c'
    `,
  );

  assert.equal(h.delete(Er), h);

  h = h.delete(Z);
  assert.equal(h.size, origLen);

  h = h.delete(C);
  assert.equal(h.size, origLen - 1);
  // B, left alone in the sub-node, is inlined back into the root.
  assertShape(
    h,
    `
    HAMT(size=4):
        BitmapNode(count=4 bitmap=0b1110010000):
            <Key name:A hash:100>: 'a'
            <Key name:D hash:103>: 'd'
            <Key name:E hash:104>: 'e'
            <Key name:B hash:201001>: 'b'
    `,
  );

  h = h.delete(B);
  assert.equal(h.size, origLen - 2);

  h = h.delete(A);
  assert.equal(h.size, origLen - 3);

  assert.equal(h.get(D), 'd');
  assert.equal(h.get(E), 'e');

  h = h.delete(A);
  h = h.delete(B);
  h = h.delete(D);
  h = h.delete(E);
  assert.equal(h.size, 0);
  assert.equal(h, Hamt.empty());
});

test('test_hamt_delete_3', () => {
  const A = new HashKey(100, 'A');
  const B = new HashKey(101, 'B');
  const C = new HashKey(100100, 'C');
  const D = new HashKey(100100, 'D');
  const E = new HashKey(104, 'E');

  let h = hamtOf([A, 'a'], [B, 'b'], [C, 'c'], [D, 'd'], [E, 'e']);

  const origLen = h.size;

  assertShape(
    h,
    `
    HAMT(size=5):
        BitmapNode(count=3 bitmap=0b100110000):
            NULL:
                BitmapNode(count=2 bitmap=0b1000000000000000000001000):
                    <Key name:A hash:100>: 'a'
                    NULL:
                        CollisionNode(count=2 hash=100100):
                            <Key name:C hash:100100>: 'c'
                            <Key name:D hash:100100>: 'd'
            <Key name:B hash:101>: 'b'
            <Key name:E hash:104>: 'e'
    `,
  );

  h = h.delete(A);
  assert.equal(h.size, origLen - 1);
  // The sub-node now holds only a sub-node: a tree level, which stays.
  assertShape(
    h,
    `
    HAMT(size=4):
        BitmapNode(count=3 bitmap=0b100110000):
            NULL:
                BitmapNode(count=1 bitmap=0b1000000000000000000000000):
                    NULL:
                        CollisionNode(count=2 hash=100100):
                            <Key name:C hash:100100>: 'c'
                            <Key name:D hash:100100>: 'd'
            <Key name:B hash:101>: 'b'
            <Key name:E hash:104>: 'e'
    `,
  );

  h = h.delete(E);
  assert.equal(h.size, origLen - 2);

  assert.equal(h.get(C), 'c');
  assert.equal(h.get(B), 'b');
  __checkInvariants(h);
});

test('test_hamt_delete_4', () => {
  const A = new HashKey(100, 'A');
  const B = new HashKey(101, 'B');
  const C = new HashKey(100100, 'C');
  const D = new HashKey(100100, 'D');
  const E = new HashKey(100100, 'E');

  let h = hamtOf([A, 'a'], [B, 'b'], [C, 'c'], [D, 'd'], [E, 'e']);

  const origLen = h.size;

  assertShape(
    h,
    `
    HAMT(size=5):
        BitmapNode(count=2 bitmap=0b110000):
            NULL:
                BitmapNode(count=2 bitmap=0b1000000000000000000001000):
                    <Key name:A hash:100>: 'a'
                    NULL:
                        CollisionNode(count=3 hash=100100):
                            <Key name:C hash:100100>: 'c'
                            <Key name:D hash:100100>: 'd'
                            <Key name:E hash:100100>: 'e'
            <Key name:B hash:101>: 'b'
    `,
  );

  h = h.delete(D);
  assert.equal(h.size, origLen - 1);

  h = h.delete(E);
  assert.equal(h.size, origLen - 2);
  // The collision node left with C becomes a one-pair node, inlined upward.
  assertShape(
    h,
    `
    HAMT(size=3):
        BitmapNode(count=2 bitmap=0b110000):
            NULL:
                BitmapNode(count=2 bitmap=0b1000000000000000000001000):
                    <Key name:A hash:100>: 'a'
                    <Key name:C hash:100100>: 'c'
            <Key name:B hash:101>: 'b'
    `,
  );

  h = h.delete(C);
  assert.equal(h.size, origLen - 3);
  assertShape(
    h,
    `
    HAMT(size=2):
        BitmapNode(count=2 bitmap=0b110000):
            <Key name:A hash:100>: 'a'
            <Key name:B hash:101>: 'b'
    `,
  );

  h = h.delete(A);
  assert.equal(h.size, origLen - 4);

  h = h.delete(B);
  assert.equal(h.size, 0);
  assert.equal(h, Hamt.empty());
});

test('test_hamt_delete_5', () => {
  let h = hamt();

  const keys: HashKey[] = [];
  for (let i = 0; i < 17; i++) {
    const key = new HashKey(i, String(i));
    keys.push(key);
    h = h.set(key, `val-${i}`);
  }

  const collisionKey16 = new HashKey(16, '18');
  h = h.set(collisionKey16, 'collision');

  // The 17th slot turned the root into an array node.
  __checkInvariants(h);
  const dump = __dump(h).split('\n');
  assert.equal(dump[1], '    ArrayNode(count=17):');
  assert.deepEqual(dump.slice(2, 5), [
    '        0::',
    '            BitmapNode(count=1 bitmap=0b1):',
    "                <Key name:0 hash:0>: 'val-0'",
  ]);
  assert.deepEqual(dump.slice(-6), [
    '        16::',
    '            BitmapNode(count=1 bitmap=0b1):',
    '                NULL:',
    '                    CollisionNode(count=2 hash=16):',
    "                        <Key name:16 hash:16>: 'val-16'",
    "                        <Key name:18 hash:16>: 'collision'",
  ]);

  assert.equal(h.size, 18);

  h = h.delete(keys[2] as HashKey);
  assert.equal(h.size, 17);

  h = h.delete(collisionKey16);
  assert.equal(h.size, 16);
  assert.match(__dump(h), /ArrayNode\(count=16\)/);
  h = h.delete(keys[16] as HashKey);
  assert.equal(h.size, 15);
  // Below 16 children the array node becomes a bitmap node again.
  assertShape(
    h,
    [
      'HAMT(size=15):',
      '    BitmapNode(count=15 bitmap=0b1111111111111011):',
      ...keys
        .slice(0, 16)
        .filter((_, i) => i !== 2)
        .map((key) => `        ${String(key)}: 'val-${key.name}'`),
    ].join('\n'),
  );

  h = h.delete(keys[1] as HashKey);
  assert.equal(h.size, 14);
  h = h.delete(keys[1] as HashKey);
  assert.equal(h.size, 14);

  for (const key of keys) h = h.delete(key);
  assert.equal(h.size, 0);
  assert.equal(h, Hamt.empty());
});

test('test_hamt_items_1', () => {
  const A = new HashKey(100, 'A');
  const B = new HashKey(201001, 'B');
  const C = new HashKey(101001, 'C');
  const D = new HashKey(103, 'D');
  const E = new HashKey(104, 'E');
  const F = new HashKey(110, 'F');

  const h = hamtOf([A, 'a'], [B, 'b'], [C, 'c'], [D, 'd'], [E, 'e'], [F, 'f']);

  const it = h.entries();
  assert.deepEqual(
    new Set([...it].map(([k, v]) => `${k.name}=${String(v)}`)),
    new Set(['A=a', 'B=b', 'C=c', 'D=d', 'E=e', 'F=f']),
  );
  assert.deepEqual(
    new Map(h.entries()),
    new Map<HashKey, unknown>([
      [A, 'a'],
      [B, 'b'],
      [C, 'c'],
      [D, 'd'],
      [E, 'e'],
      [F, 'f'],
    ]),
  );
});

test('test_hamt_items_2', () => {
  const A = new HashKey(100, 'A');
  const B = new HashKey(101, 'B');
  const C = new HashKey(100100, 'C');
  const D = new HashKey(100100, 'D');
  const E = new HashKey(100100, 'E');
  const F = new HashKey(110, 'F');

  const h = hamtOf([A, 'a'], [B, 'b'], [C, 'c'], [D, 'd'], [E, 'e'], [F, 'f']);

  const it = h.entries();
  assert.deepEqual(
    new Map(it),
    new Map<HashKey, unknown>([
      [A, 'a'],
      [B, 'b'],
      [C, 'c'],
      [D, 'd'],
      [E, 'e'],
      [F, 'f'],
    ]),
  );
});

test('test_hamt_keys_1', () => {
  const A = new HashKey(100, 'A');
  const B = new HashKey(101, 'B');
  const C = new HashKey(100100, 'C');
  const D = new HashKey(100100, 'D');
  const E = new HashKey(100100, 'E');
  const F = new HashKey(110, 'F');

  const h = hamtOf([A, 'a'], [B, 'b'], [C, 'c'], [D, 'd'], [E, 'e'], [F, 'f']);

  assert.deepEqual(new Set(h.keys()), new Set([A, B, C, D, E, F]));
  // Python's iter(hamt) yields keys; a TypeScript map iterates entries, as Map does.
  assert.deepEqual(new Set([...h].map(([key]) => key)), new Set([A, B, C, D, E, F]));
});

test('test_hamt_items_3', () => {
  const h = hamt();
  assert.equal([...h.entries()].length, 0);
  assert.deepEqual([...h.entries()], []);
  assert.deepEqual(h.entries().next(), { done: true, value: undefined });
});

test('test_hamt_eq_1', () => {
  // TypeScript has no `==` overloading; CPython's `h1 == h2` is mapping
  // equality, checked here through the public API (sameMapping).
  const A = new HashKey(100, 'A');
  const B = new HashKey(101, 'B');
  const C = new HashKey(100100, 'C');
  const D = new HashKey(100100, 'D');
  const E = new HashKey(120, 'E');

  let h1 = hamt();
  h1 = h1.set(A, 'a');
  h1 = h1.set(B, 'b');
  h1 = h1.set(C, 'c');
  h1 = h1.set(D, 'd');

  let h2 = hamt();
  h2 = h2.set(A, 'a');

  assert.equal(sameMapping(h1, h2), false);

  h2 = h2.set(B, 'b');
  assert.equal(sameMapping(h1, h2), false);

  h2 = h2.set(C, 'c');
  assert.equal(sameMapping(h1, h2), false);

  h2 = h2.set(D, 'd2');
  assert.equal(sameMapping(h1, h2), false);

  h2 = h2.set(D, 'd');
  assert.equal(sameMapping(h1, h2), true);
  assert.equal(sameMapping(h2, h1), true);
  // Built in the same order, the two tries have the same shape.
  assert.equal(__dump(h1), __dump(h2));

  h2 = h2.set(E, 'e');
  assert.equal(sameMapping(h1, h2), false);

  h2 = h2.delete(D);
  assert.equal(sameMapping(h1, h2), false);

  h2 = h2.set(E, 'd');
  assert.equal(sameMapping(h1, h2), false);
});

test('test_hamt_eq_2', () => {
  // CPython's Er raises from __eq__ against A. Ours is an equal-hash but
  // distinct key, so the two single-entry maps are simply not equal.
  const A = new HashKey(100, 'A');
  const Er = new HashKey(100, 'Er');

  const h1 = hamt().set(A, 'a');
  const h2 = hamt().set(Er, 'a');

  assert.equal(sameMapping(h1, h2), false);
  assert.equal(sameMapping(h2, h1), false);
  assert.equal(h1.has(Er), false);
  assert.equal(h2.has(A), false);
});

test('test_hamt_gc_1', async () => {
  // CPython checks a reference cycle through a hamt is collected; here the
  // same cycle is built and a WeakRef shows the garbage collector frees it.
  const build = (): WeakRef<object> => {
    const A = new HashKey(100, 'A');
    let h = hamt().set(new HashKey(0, '0'), 0);
    const ref = new WeakRef(h);

    const a: unknown[] = [];
    a.push(a);
    a.push(h);
    const b: unknown[] = [];
    a.push(b);
    b.push(a);
    h = h.set(A, b);
    assert.equal((h.get(A) as unknown[])[0], a);
    return ref;
  };
  const ref = build();

  await collectAndSettle(3);

  assert.equal(ref.deref(), undefined);
});

test('test_hamt_gc_2', async () => {
  // A map holding an older version of itself, with a live partly consumed
  // iterator; once both are dropped they are collected. Also: a finished
  // iterator that stays alive keeps nothing of the map alive.
  const build = (): { ref: WeakRef<object>; valueRef: WeakRef<object>; finished: Iterator<unknown> } => {
    const A = new HashKey(100, 'A');

    let h = hamt();
    h = h.set(A, 'a');
    h = h.set(A, h);

    const ref = new WeakRef(h);
    const hi = h.entries();
    assert.equal(hi.next().done, false);

    const value = { payload: 'x' };
    const finished = hamt().set(A, value).values();
    assert.equal(finished.next().value, value);
    assert.equal(finished.next().done, true);
    return { ref, valueRef: new WeakRef(value), finished };
  };
  const { ref, valueRef, finished } = build();

  await collectAndSettle(3);

  assert.equal(ref.deref(), undefined);
  assert.equal(valueRef.deref(), undefined);
  assert.equal(finished.next().done, true);
});

test('test_hamt_in_1', () => {
  const A = new HashKey(100, 'A');
  const AA = new HashKey(100, 'A');

  const B = new HashKey(101, 'B');

  const h = hamt().set(A, 1);

  assert.equal(h.has(A), true);
  assert.equal(h.has(B), false);

  // CPython finds AA through __eq__ (and makes that __eq__ raise); keys
  // compare by identity here, so the equal-by-value twin is absent.
  assert.equal(h.has(AA), false);

  // HaskKeyCrasher(error_on_hash=True): reading the key's hash fails.
  assert.throws(() => h.has(new CrashingHashKey() as unknown as HashKey), HashingError);
});

test('test_hamt_getitem_1', () => {
  const A = new HashKey(100, 'A');
  const AA = new HashKey(100, 'A');

  const B = new HashKey(101, 'B');

  const h = hamt().set(A, 1);
  const missing = Symbol('missing');

  assert.equal(h.get(A), 1);
  assert.equal(h.lookup(A, missing), 1);
  // The equal-by-value twin is a different key (CPython: found via __eq__).
  assert.equal(h.lookup(AA, missing), missing);

  // Python's KeyError is Map's convention here: get() gives undefined.
  assert.equal(h.get(B), undefined);
  assert.equal(h.lookup(B, missing), missing);

  assert.throws(() => h.get(new CrashingHashKey() as unknown as HashKey), HashingError);
});
