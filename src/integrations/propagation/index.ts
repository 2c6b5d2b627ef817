/**
 * Context that follows the work across processes and services: variables
 * declared with {@link propagate} travel in the W3C `baggage` header (or any
 * string carrier: job data, message metadata). {@link inject} writes their
 * current values; {@link extract} runs the receiving work with them set.
 *
 * Only declared variables cross, each decoded by its codec; inbound text is
 * untrusted and bounded (docs/semantics.md, S13). docs/propagation.md is the
 * guide: OpenTelemetry, queues, workers, other languages.
 *
 * @example
 * ```ts
 * import { ContextVar } from 'contextvars';
 * import { extract, inject, propagate } from 'contextvars/propagation';
 *
 * const tenant = propagate(new ContextVar<string>('tenant'));
 * // calling side
 * const headers: Record<string, string> = {};
 * inject(headers); // headers.baggage === 'tenant=acme' where tenant is 'acme'
 * // receiving side
 * http.createServer((request, response) => extract(request.headers, handle, request, response));
 * ```
 *
 * @module contextvars/propagation
 */
import { repr } from '../../brand.ts';
import { assertFunction } from '../../checks.ts';
import { runWithEntries } from './arrival.ts';
import { arrivedEntries, type HeaderValue, oneHeader, outgoingHeader } from './wire.ts';

export type { HeaderValue } from './wire.ts';

export { MAX_BAGGAGE_LENGTH, MAX_BAGGAGE_MEMBERS } from './baggage.ts';
export {
  BaggageEntryError,
  type Codec,
  codecs,
  type JsonCodec,
  propagate,
  type PropagateArguments,
  PropagationDeclarationError,
  type PropagateOptions,
  type WithCodec,
} from './declarations.ts';

/**
 * Where {@link extract} reads the `baggage` header from: node:http's
 * `request.headers` (a string, or an array for a header sent twice), a
 * fetch `Headers`, a `Map`, or a plain object with a `baggage` property.
 *
 * @example
 * ```ts
 * const sources: BaggageSource[] = [request.headers, new Headers({ baggage: 'tenant=acme' }), { baggage: 'tenant=acme' }];
 * ```
 */
export type BaggageSource =
  | {
      /** Returns the header named `name` (`Headers.get`, `Map.get`). */
      readonly get: (name: string) => HeaderValue;
    }
  | {
      readonly [name: string]: unknown;
      /** The `baggage` header, as node:http's `request.headers` has it. */
      readonly baggage?: HeaderValue;
    };

/**
 * Where {@link inject} writes the `baggage` header: a plain object (such as
 * the headers of `http.request` or `fetch`), a fetch `Headers`, a `Map`, or
 * anything with `set(name, value)` (and `get(name)`, to keep what is there).
 *
 * @example
 * ```ts
 * const targets: BaggageTarget[] = [{}, new Headers(), new Map<string, string>()];
 * ```
 */
export type BaggageTarget =
  | {
      /** Sets the header named `name` (`Headers.set`, `Map.set`). */
      readonly set: (name: string, value: string) => unknown;
      /** Returns the header named `name`, whose entries `inject` keeps. */
      readonly get?: (name: string) => unknown;
    }
  | {
      [name: string]: unknown;
      /** The `baggage` header: its entries are kept, then it is replaced by a string. */
      baggage?: string | number | readonly string[] | undefined;
    };

type MethodCarrier = { set?: unknown; get?: unknown; baggage?: unknown };

/** The carrier as an object, or a TypeError naming the API. */
function carrierOf(carrier: unknown, api: string): MethodCarrier {
  if ((typeof carrier !== 'object' && typeof carrier !== 'function') || carrier === null) {
    throw new TypeError(`${api} expects headers (a plain object, Headers or Map), got ${repr(carrier)}`);
  }
  return carrier as MethodCarrier;
}

/** What `carrier` holds under `baggage`: through `get` when it has one, else its own property. */
function baggageOf(carrier: MethodCarrier): string | undefined {
  const { get } = carrier;
  if (typeof get === 'function') return oneHeader(get.call(carrier, 'baggage'));
  return Object.hasOwn(carrier, 'baggage') ? oneHeader(carrier.baggage) : undefined;
}

/**
 * Writes the current values of the declared variables into `carrier`'s
 * `baggage` header, percent-encoded, keeping the entries already there (an
 * entry of a declared key is replaced by the variable's value). A declared
 * variable without a value is not written. An entry that fails to encode,
 * or would break the limits (64 entries, 8192 bytes), is left out and
 * reported to the variable's `onError`. Returns the carrier.
 *
 * @throws {TypeError} when `carrier` is not an object.
 *
 * @example
 * ```ts
 * tenant.set('acme');
 * const headers = inject({ accept: 'application/json' }); // { accept: ..., baggage: 'tenant=acme' }
 * await fetch(url, { headers: inject(new Headers()) });
 * ```
 */
export function inject<C extends BaggageTarget>(carrier: C): C {
  const target = carrierOf(carrier, 'inject');
  const { set } = target;
  const header = outgoingHeader(baggageOf(target));
  if (header === undefined) return carrier;
  if (typeof set === 'function') set.call(target, 'baggage', header);
  else target.baggage = header;
  return carrier;
}

/**
 * Calls `fn(...args)` in a new Context holding the current values with the
 * declared variables found in `carrier`'s `baggage` set over them (one
 * frame), and returns fn's result. What fn sets stays in that Context.
 *
 * The header is untrusted: only declared keys are read, each by its
 * variable's codec; an entry that fails to decode is dropped and reported
 * to the variable's `onError`; entries past the limits (64 entries, 8192
 * bytes) are not parsed; entries that are not declared are ignored. When a
 * key occurs twice the later entry wins. Nothing in the header makes
 * `extract` throw.
 *
 * @throws {TypeError} when `carrier` is not an object or `fn` is not a function.
 *
 * @example
 * ```ts
 * http.createServer((request, response) =>
 *   extract(request.headers, async () => {
 *     response.end(`hello ${tenant.get('nobody')}`);
 *   }),
 * );
 * ```
 */
export function extract<A extends unknown[], R>(carrier: BaggageSource, fn: (...args: A) => R, ...args: A): R {
  const source = carrierOf(carrier, 'extract');
  assertFunction(fn, 'extract');
  return runWithEntries(arrivedEntries(baggageOf(source)), fn, args);
}
