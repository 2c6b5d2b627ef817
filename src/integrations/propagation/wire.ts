/**
 * The declared variables to and from a baggage header: what `inject`,
 * `extract` and the OpenTelemetry propagator share.
 *
 * @module
 */
import type { ContextVar } from '../../index.ts';
import {
  baggageKey,
  baggageMember,
  baggageMembers,
  MAX_BAGGAGE_LENGTH,
  MAX_BAGGAGE_MEMBERS,
  readBaggage,
} from './baggage.ts';
import { BaggageEntryError, type Declaration, declarationOf, declarations, report } from './declarations.ts';

/**
 * What a carrier can hold under `baggage`: one header, or several (a header
 * sent twice), or nothing.
 *
 * @example
 * ```ts
 * const repeated: HeaderValue = ['tenant=acme', 'user=7']; // read as 'tenant=acme,user=7'
 * ```
 */
export type HeaderValue = string | readonly string[] | null | undefined;

/** One header from what a carrier holds (repeated headers join as one list, as HTTP joins them). */
export function oneHeader(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.filter((item) => typeof item === 'string').join(',');
  return undefined;
}

/** A variable and the value that arrived for it. */
export type ArrivedEntry = readonly [ContextVar<unknown>, unknown];

/**
 * The declared variables found in `header`, decoded by their codecs; an
 * entry that fails to decode is dropped and reported. A key that occurs
 * twice: the later entry that decodes wins. The values of undeclared keys
 * are not even checked.
 */
export function arrivedEntries(header: string | undefined): ArrivedEntry[] {
  const found: Array<[ContextVar<unknown>, unknown]> = [];
  if (header === undefined || header === '') return found;
  readBaggage(header, found, declaredAt, addArrived);
  return found;
}

/** Up to this many declarations, a key is matched where it is in the header rather than sliced and hashed. */
const MATCHED_IN_PLACE = 8;

/** Whether `text` holds a '%' between `from` and `to` (a key: a few characters). */
function holdsPercent(text: string, from: number, to: number): boolean {
  for (let at = from; at < to; at++) if (text.charCodeAt(at) === 0x25) return true;
  return false;
}

/** Whether `text` holds exactly `key` between `from` and `to`. */
function holdsKey(text: string, from: number, to: number, key: string): boolean {
  if (key.length !== to - from) return false;
  for (let at = 0; at < key.length; at++) if (text.charCodeAt(from + at) !== key.charCodeAt(at)) return false;
  return true;
}

/**
 * The declaration of the key `text` holds from `from` to `to`, if any. A
 * declared key is a token without '%', so a key that matches one as it is
 * needs no decoding; one written percent-encoded ('%74enant') is decoded
 * and looked up.
 */
function declaredAt(text: string, from: number, to: number): Declaration | undefined {
  const list = declarations();
  if (list.length <= MATCHED_IN_PLACE) {
    for (let index = 0; index < list.length; index++) {
      const declaration = list[index] as Declaration;
      if (holdsKey(text, from, to, declaration.key)) return declaration;
    }
    if (!holdsPercent(text, from, to)) return undefined;
  }
  const key = baggageKey(text, from, to);
  return key === undefined ? undefined : declarationOf(key);
}

/**
 * Decodes `text` by `declaration`'s codec into `found` (replacing an
 * earlier entry of the same variable), or reports why it could not.
 */
export function addArrived(found: Array<[ContextVar<unknown>, unknown]>, declaration: Declaration, text: string): void {
  const key = declaration.key;
  let value: unknown;
  try {
    value = declaration.codec.decode(text);
  } catch (cause) {
    report(
      declaration,
      new BaggageEntryError(key, `the baggage entry '${key}' did not decode and was dropped`, { cause }),
    );
    return;
  }
  for (const entry of found) {
    if (entry[0] === declaration.variable) {
      entry[1] = value;
      return;
    }
  }
  found.push([declaration.variable, value]);
}

const UNSET: unique symbol = Symbol('unset');

/**
 * The member of `declaration`'s variable as it is now: undefined when it
 * has no value, or when the value does not encode (reported).
 */
function currentMember(declaration: Declaration): string | undefined {
  const value = declaration.variable.get(UNSET);
  if (value === UNSET) return undefined;
  try {
    return baggageMember(declaration.key, declaration.codec.encode(value));
  } catch (cause) {
    report(
      declaration,
      new BaggageEntryError(
        declaration.key,
        `the value of ContextVar '${declaration.variable.name}' did not encode; it was not sent`,
        { cause },
      ),
    );
    return undefined;
  }
}

/** Reports that `declaration`'s member was not written: it would break the limits. */
function reportTooLarge(declaration: Declaration): void {
  report(
    declaration,
    new BaggageEntryError(
      declaration.key,
      `the value of ContextVar '${declaration.variable.name}' does not fit in the baggage limits ` +
        `(${MAX_BAGGAGE_MEMBERS} entries, ${MAX_BAGGAGE_LENGTH} bytes); it was not sent`,
    ),
  );
}

/**
 * `existing` (a baggage header, or nothing) with the current values of the
 * declared variables written over it: their members replace those of the
 * same key, every other member is kept. A declared variable without a value
 * adds nothing and leaves an existing member of its key alone. A member that
 * would break the limits is not written, and reported. Undefined when there
 * is nothing to write.
 */
export function outgoingHeader(existing: string | undefined): string | undefined {
  if (existing === undefined || existing === '') return ownHeader();
  const ours: Array<readonly [Declaration, string]> = [];
  for (const declaration of declarations()) {
    const member = currentMember(declaration);
    if (member !== undefined) ours.push([declaration, member]);
  }
  const kept: string[] = [];
  for (const [key, member] of baggageMembers(existing)) {
    if (key === undefined || !ours.some(([declaration]) => declaration.key === key)) kept.push(member);
  }
  if (ours.length === 0) return kept.length === 0 ? undefined : kept.join(',');
  let header = kept.join(',');
  let count = kept.length;
  for (const [declaration, member] of ours) {
    const longer = header === '' ? member : `${header},${member}`;
    if (count >= MAX_BAGGAGE_MEMBERS || longer.length > MAX_BAGGAGE_LENGTH) {
      reportTooLarge(declaration);
      continue;
    }
    header = longer;
    count++;
  }
  return header === '' ? undefined : header;
}

/**
 * outgoingHeader with no header to keep (fresh headers: the usual case): the
 * members are written as they are made, with no list of them.
 */
function ownHeader(): string | undefined {
  const list = declarations();
  let header = '';
  let count = 0;
  for (let index = 0; index < list.length; index++) {
    const declaration = list[index] as Declaration;
    const member = currentMember(declaration);
    if (member === undefined) continue;
    const longer = header === '' ? member : `${header},${member}`;
    if (count >= MAX_BAGGAGE_MEMBERS || longer.length > MAX_BAGGAGE_LENGTH) {
      reportTooLarge(declaration);
      continue;
    }
    header = longer;
    count++;
  }
  return header === '' ? undefined : header;
}
