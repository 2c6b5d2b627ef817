// Test keys for the HAMT, after CPython's HashKey in Lib/test/test_context.py:
// the test chooses each key's hash, so collisions and deep tries are made on
// purpose. Unlike CPython's HashKey, keys compare by identity: a key with the
// same hash and name is still a different key, as every ContextVar is.
import type { HamtKey } from '../../src/hamt.ts';

/** A key whose 32-bit hash is chosen by the test. */
export class HashKey implements HamtKey {
  readonly hash: number;
  readonly name: string;

  constructor(hash: number, name: string) {
    this.hash = hash;
    this.name = name;
  }

  toString(): string {
    return `<Key name:${this.name} hash:${this.hash}>`;
  }
}

/** Thrown by CrashingHashKey's hash, as CPython's HaskKeyCrasher makes `__hash__` raise. */
export class HashingError extends Error {
  override name = 'HashingError';
}

/** A key whose hash cannot be read: every Hamt operation given it must throw HashingError. */
export class CrashingHashKey implements HamtKey {
  get hash(): number {
    throw new HashingError('hash requested');
  }
}

/** A 32-bit hash of `text` (FNV-1a), standing in for Python's str hash. */
export function stringHash(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash | 0;
}
