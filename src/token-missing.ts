/**
 * `Token.MISSING`, the marker of "the variable had no value before the
 * set" (Python's `Token.MISSING`). It is an object, as Python's is, so that
 * it renders: `String`, template literals, `+` and `util.inspect` all give
 * Python's repr, `<Token.MISSING>`, where a symbol would throw a TypeError.
 *
 * One instance per process: every copy of the library (the ESM and
 * CommonJS builds, two installed versions) finds it under one global
 * symbol, so `oldValue === Token.MISSING` holds whichever copy made the
 * token.
 *
 * @module
 */
import { brand } from './brand.ts';

const REPR = '<Token.MISSING>';

/**
 * The type of {@link Token.MISSING}, its one instance. Compare with
 * `=== Token.MISSING`, or narrow with {@link Token.isMissing}.
 *
 * @example
 * ```ts
 * const marker: TokenMissing = Token.MISSING;
 * `${marker}`; // '<Token.MISSING>'
 * ```
 */
export class TokenMissing {
  /** Keeps the type nominal: no other object type is a TokenMissing. */
  declare private readonly marker: true;

  private constructor() {}

  /** Python's repr: `'<Token.MISSING>'`. */
  toString(): '<Token.MISSING>' {
    return REPR;
  }

  /** `'<Token.MISSING>'` for every hint, so template literals and `+` render it. */
  [Symbol.toPrimitive](): '<Token.MISSING>' {
    return REPR;
  }

  /** `'Token.MISSING'`, for `Object.prototype.toString` (set by brand()). */
  declare readonly [Symbol.toStringTag]: string;
}
// Cross-copy instanceof, repr() and util.inspect render it as its toString.
brand(TokenMissing, 'Token.MISSING');

const SHARED = Symbol.for('contextvars.Token.MISSING.v2');
const global = globalThis as { [SHARED]?: TokenMissing };
global[SHARED] ??= Object.freeze(new (TokenMissing as unknown as new () => TokenMissing)()) as TokenMissing;
/** The marker, the same object in every copy of the library in the process. */
export const MISSING: TokenMissing = global[SHARED];
