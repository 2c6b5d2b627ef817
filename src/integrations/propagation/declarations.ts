/**
 * Which variables cross process boundaries, under which key, with which
 * codec: one table per copy of the library, read by `inject`/`extract`, by
 * the OpenTelemetry propagator and by contextvars/worker's
 * `carry: 'propagated'`.
 *
 * @module
 */
import { repr } from '../../brand.ts';
import { readOptions } from '../../checks.ts';
import { ContextVar } from '../../index.ts';
import { errorClass } from '../../errors.ts';
import { isBaggageKey } from './baggage.ts';

/**
 * How a propagated variable's value is written as text and read back.
 * `decode` receives untrusted text: it throws when the text is not a value
 * of the variable's type (the entry is then dropped).
 *
 * @example
 * ```ts
 * const day: Codec<Date> = {
 *   encode: (value) => value.toISOString(),
 *   decode: (text) => {
 *     const date = new Date(text);
 *     if (Number.isNaN(date.getTime())) throw new TypeError(`not a date: ${text}`);
 *     return date;
 *   },
 * };
 * ```
 */
export interface Codec<T> {
  /** The text that stands for `value` (percent-encoding is added on the wire). */
  encode(value: T): string;
  /** The value `text` stands for; throws when it stands for none. */
  decode(text: string): T;
}

/**
 * The codec of JSON values: `encode` is `JSON.stringify`, `decode` is
 * `JSON.parse` without the keys `__proto__`, `constructor` and `prototype`
 * anywhere in the value, so that merging a decoded object into another can
 * never reach a prototype. Its `decode` is typed for the variable it is
 * given to; it does not check the shape: write a codec of your own to
 * validate one.
 *
 * @example
 * ```ts
 * const flags = propagate(new ContextVar<{ beta: boolean }>('flags'), { codec: codecs.json });
 * ```
 */
export interface JsonCodec {
  /** `JSON.stringify(value)`; throws for a value JSON cannot write (a BigInt, a cycle, `undefined`). */
  encode(value: unknown): string;
  /** `JSON.parse(text)` without prototype-related keys. */
  decode<T>(text: string): T;
}

/** Text that could name an unsafe key: one of them as it is, or any escape (which could spell one). */
const MAY_NAME_UNSAFE_KEY = /__proto__|constructor|prototype|\\/;

/** Whether `key` is one of the keys the JSON codec leaves out: `__proto__`, `constructor`, `prototype`. */
function isUnsafeKey(key: string): boolean {
  return key === '__proto__' || key === 'constructor' || key === 'prototype';
}

/**
 * `value` (what JSON.parse made: plain objects and arrays with own data
 * properties only) with the unsafe keys deleted at every depth, as a
 * reviver returning undefined for them would leave it. Walked with a list
 * rather than by recursion: a header's 8192 bytes nest 4096 levels deep,
 * deeper than JSON.parse's reviver reaches (it overflows the stack).
 */
function withoutUnsafeKeys(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const pending: object[] = [value];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    if (Array.isArray(next)) {
      for (const item of next) if (typeof item === 'object' && item !== null) pending.push(item);
      continue;
    }
    const record = next as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      if (isUnsafeKey(key)) {
        delete record[key];
        continue;
      }
      const child = record[key];
      if (typeof child === 'object' && child !== null) pending.push(child);
    }
  }
  return value;
}

/**
 * The codecs this library provides: `string` (the default; values as they
 * are), `number` (finite numbers), `boolean` (`true`/`false`) and `json`.
 *
 * @example
 * ```ts
 * propagate(new ContextVar<number>('retries'), { codec: codecs.number });
 * propagate(new ContextVar<boolean>('beta'), { codec: codecs.boolean });
 * ```
 */
export const codecs: {
  /** Strings as they are (the default codec). */
  readonly string: Codec<string>;
  /** Finite numbers; anything else fails to decode. */
  readonly number: Codec<number>;
  /** `true` and `false`; anything else fails to decode. */
  readonly boolean: Codec<boolean>;
  /** JSON values, without prototype-related keys (see {@link JsonCodec}). */
  readonly json: JsonCodec;
} = Object.freeze({
  string: Object.freeze({ encode: (value: string) => String(value), decode: (text: string) => text }),
  number: Object.freeze({
    encode: (value: number) => String(value),
    decode: (text: string) => {
      const value = text.trim() === '' ? Number.NaN : Number(text);
      if (!Number.isFinite(value)) throw new TypeError(`expected a finite number, got ${repr(text)}`);
      return value;
    },
  }),
  boolean: Object.freeze({
    encode: (value: boolean) => (value ? 'true' : 'false'),
    decode: (text: string) => {
      if (text === 'true') return true;
      if (text === 'false') return false;
      throw new TypeError(`expected 'true' or 'false', got ${repr(text)}`);
    },
  }),
  json: Object.freeze({
    encode: (value: unknown) => {
      const text = JSON.stringify(value);
      if (text === undefined) throw new TypeError(`JSON cannot write ${repr(value)}`);
      return text;
    },
    // Scanning the text costs less than walking the value: only a value whose text could name an unsafe key is walked.
    decode: <T>(text: string): T => {
      const value: unknown = JSON.parse(text);
      return (MAY_NAME_UNSAFE_KEY.test(text) ? withoutUnsafeKeys(value) : value) as T;
    },
  }),
});

/**
 * A propagated entry could not be written or read: its value failed to
 * encode or decode, or it did not fit in the baggage limits. It is passed to
 * the variable's `onError` hook; the entry is dropped and the request goes on.
 *
 * @example
 * ```ts
 * propagate(new ContextVar<number>('retries'), {
 *   codec: codecs.number,
 *   onError: (error) => log.warn(error.message), // error.key === 'retries'
 * });
 * ```
 */
export class BaggageEntryError extends Error {
  /** The baggage key of the entry. */
  readonly key: string;

  /**
   * Made by `inject`, `extract` and the OpenTelemetry propagator.
   *
   * @param key - the baggage key of the entry.
   * @param message - what went wrong, and what happened to the entry.
   * @param options - `cause`: what the codec threw.
   */
  constructor(key: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.key = key;
  }
}
errorClass(BaggageEntryError, 'BaggageEntryError');

/**
 * `propagate` was called for a variable that is already propagated, or with
 * a key another variable uses, or a key the baggage format cannot carry.
 *
 * @example
 * ```ts
 * propagate(tenant);
 * propagate(tenant, { key: 'org' }); // throws PropagationDeclarationError: tenant already travels as 'tenant'
 * ```
 */
export class PropagationDeclarationError extends Error {
  /** The key that was asked for. */
  readonly key: string;

  /**
   * Made by `propagate`.
   *
   * @param key - the key that was asked for.
   * @param message - why it cannot be used, and what to do.
   */
  constructor(key: string, message: string) {
    super(message);
    this.key = key;
  }
}
errorClass(PropagationDeclarationError, 'PropagationDeclarationError');

/** Options of {@link propagate}. */
export interface PropagateOptions<T> {
  /** The baggage key the variable travels under. Default: its name. */
  readonly key?: string;
  /** How its value is written and read. Default: {@link codecs}.string. */
  readonly codec?: Codec<T>;
  /** Called with each entry of this variable that is dropped (see {@link BaggageEntryError}). Never rethrown. */
  readonly onError?: (error: BaggageEntryError) => void;
}

/** A propagated variable as the table holds it. */
export interface Declaration {
  readonly variable: ContextVar<unknown>;
  readonly key: string;
  readonly codec: Codec<unknown>;
  readonly onError: ((error: BaggageEntryError) => void) | undefined;
}

/**
 * The declarations by key (a Map: no key, `__proto__` included, reaches a
 * prototype) and by variable, shared by every copy of the library in the
 * process (the ESM and CommonJS builds), as ContextVars are.
 */
interface Table {
  readonly byKey: Map<string, Declaration>;
  readonly byVariable: Map<ContextVar<unknown>, Declaration>;
}
const TABLE = Symbol.for('contextvars.propagation.declarations.v1');
const shared = globalThis as { [TABLE]?: Table };
shared[TABLE] ??= { byKey: new Map(), byVariable: new Map() };
const { byKey, byVariable } = shared[TABLE];

/** The declaration for the baggage key `key`, if any. */
export function declarationOf(key: string): Declaration | undefined {
  return byKey.get(key);
}

let listed: readonly Declaration[] = [];

/**
 * Every declaration, in the order they were made: an array kept until the
 * next declaration, so that `inject` walks it without an iterator per call.
 * Declarations are only ever added, so a size that changed means one was
 * (here or by another copy of the library).
 */
export function declarations(): readonly Declaration[] {
  if (listed.length !== byKey.size) listed = [...byKey.values()];
  return listed;
}

/** Whether any variable is propagated (then, and only then, can values arrive). */
export function anyDeclared(): boolean {
  return byKey.size !== 0;
}

/** Whether `variable` is propagated. */
export function isPropagated(variable: ContextVar<unknown>): boolean {
  return byVariable.has(variable);
}

/** Reports `error` to the declaration's hook; a hook that throws does not fail the request. */
export function report(declaration: Declaration, error: BaggageEntryError): void {
  try {
    declaration.onError?.(error);
  } catch {
    // The hook is a report; the request it is about goes on.
  }
}

/**
 * The options of {@link propagate} for a variable of type `T`: a `string`
 * variable may omit them (the string codec is the default); any other type
 * must give its codec.
 */
export type PropagateArguments<T> = [T] extends [string]
  ? string extends T
    ? [options?: PropagateOptions<T>]
    : [options: WithCodec<T>]
  : [options: WithCodec<T>];

/**
 * {@link PropagateOptions} with the codec required: the options of a
 * variable whose type is not exactly `string`.
 *
 * @example
 * ```ts
 * const options: WithCodec<number> = { codec: codecs.number, key: 'user' };
 * ```
 */
export interface WithCodec<T> extends PropagateOptions<T> {
  /** How its value is written and read: required, as no default fits a type other than `string`. */
  readonly codec: Codec<T>;
}

/**
 * Declares `variable` as propagated: `inject` writes its current value into
 * a carrier's `baggage` under `key` (default: its name), and `extract` sets
 * it from there for the work that receives it. Returns the variable.
 *
 * A variable is declared once, each key belongs to one variable: a second
 * declaration of either is a {@link PropagationDeclarationError}, at once
 * rather than as values crossing under the wrong name.
 *
 * @throws {TypeError} when `variable` is not a ContextVar, or an option has the wrong type.
 * @throws {PropagationDeclarationError} when the variable or the key is already declared, or the key is not a token.
 *
 * @example
 * ```ts
 * import { ContextVar } from 'contextvars';
 * import { codecs, propagate } from 'contextvars/propagation';
 *
 * export const tenant = propagate(new ContextVar<string>('tenant'));
 * export const userId = propagate(new ContextVar<number>('userId'), { key: 'user', codec: codecs.number });
 * ```
 */
export function propagate<T>(variable: ContextVar<T>, ...options: PropagateArguments<T>): ContextVar<T> {
  if (!(variable instanceof ContextVar)) {
    throw new TypeError(`propagate expects a ContextVar, got ${repr(variable)}`);
  }
  const read = readOptions(options[0], 'propagate', ['key', 'codec', 'onError']);
  const key = read.key ?? variable.name;
  if (typeof key !== 'string') throw new TypeError(`propagate's key option must be a string, got ${repr(key)}`);
  const codec = (read.codec ?? codecs.string) as Codec<unknown>;
  if (typeof codec?.encode !== 'function' || typeof codec.decode !== 'function') {
    throw new TypeError(`propagate's codec option must have encode and decode functions, got ${repr(codec)}`);
  }
  const onError = read.onError;
  if (onError !== undefined && typeof onError !== 'function') {
    throw new TypeError(`propagate's onError option must be a function, got ${repr(onError)}`);
  }
  if (!isBaggageKey(key)) {
    throw new PropagationDeclarationError(
      key,
      `cannot propagate ContextVar '${variable.name}' under the key ${repr(key)}: a baggage key is letters, digits ` +
        `and !#$&'*+-.^_\`|~ only; pass propagate(variable, { key }) with such a key`,
    );
  }
  const declared = byVariable.get(variable as ContextVar<unknown>);
  if (declared !== undefined) {
    throw new PropagationDeclarationError(
      key,
      `ContextVar '${variable.name}' is already propagated under the key '${declared.key}': ` +
        `declare each variable once, where it is created`,
    );
  }
  const owner = byKey.get(key);
  if (owner !== undefined) {
    throw new PropagationDeclarationError(
      key,
      `the key '${key}' already carries ContextVar '${owner.variable.name}': ` +
        `give ContextVar '${variable.name}' another key with propagate(variable, { key })`,
    );
  }
  const declaration: Declaration = {
    variable: variable as ContextVar<unknown>,
    key,
    codec,
    onError: onError as Declaration['onError'],
  };
  byKey.set(key, declaration);
  byVariable.set(declaration.variable, declaration);
  return variable;
}
