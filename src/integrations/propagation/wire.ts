/**
 * The declared variables to and from a baggage header: what `inject`,
 * `extract` and the OpenTelemetry propagator share.
 *
 * @module
 */
import type { ContextVar } from '../../index.ts';
import { baggageMember, baggageMembers, MAX_BAGGAGE_LENGTH, MAX_BAGGAGE_MEMBERS, readBaggage } from './baggage.ts';
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
 * twice: the later entry that decodes wins.
 */
export function arrivedEntries(header: string | undefined): ArrivedEntry[] {
  const found: Array<[ContextVar<unknown>, unknown]> = [];
  if (header === undefined || header === '') return found;
  readBaggage(header, (key, text) => {
    const declaration = declarationOf(key);
    if (declaration === undefined) return;
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
  });
  return found;
}

const UNSET: unique symbol = Symbol('unset');

/** The members of the declared variables that have a value now, with their declarations. */
function currentMembers(): Array<readonly [Declaration, string]> {
  const members: Array<readonly [Declaration, string]> = [];
  for (const declaration of declarations()) {
    const value = declaration.variable.get(UNSET);
    if (value === UNSET) continue;
    try {
      members.push([declaration, baggageMember(declaration.key, declaration.codec.encode(value))]);
    } catch (cause) {
      report(
        declaration,
        new BaggageEntryError(
          declaration.key,
          `the value of ContextVar '${declaration.variable.name}' did not encode; it was not sent`,
          { cause },
        ),
      );
    }
  }
  return members;
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
  const ours = currentMembers();
  const kept: string[] = [];
  if (existing !== undefined && existing !== '') {
    for (const [key, member] of baggageMembers(existing)) {
      if (key === undefined || !ours.some(([declaration]) => declaration.key === key)) kept.push(member);
    }
  }
  if (ours.length === 0) return kept.length === 0 ? undefined : kept.join(',');
  let header = kept.join(',');
  let count = kept.length;
  for (const [declaration, member] of ours) {
    const longer = header === '' ? member : `${header},${member}`;
    if (count >= MAX_BAGGAGE_MEMBERS || longer.length > MAX_BAGGAGE_LENGTH) {
      report(
        declaration,
        new BaggageEntryError(
          declaration.key,
          `the value of ContextVar '${declaration.variable.name}' does not fit in the baggage limits ` +
            `(${MAX_BAGGAGE_MEMBERS} entries, ${MAX_BAGGAGE_LENGTH} bytes); it was not sent`,
        ),
      );
      continue;
    }
    header = longer;
    count++;
  }
  return header === '' ? undefined : header;
}
