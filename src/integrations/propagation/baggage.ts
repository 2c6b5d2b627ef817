/**
 * The W3C Baggage header, as far as this library reads and writes it: a
 * comma-separated list of `key=value` members, each value percent-encoded
 * UTF-8, optionally followed by `;`-separated properties.
 *
 * Inbound text is untrusted. Only the first {@link MAX_BAGGAGE_LENGTH}
 * characters of a header are looked at (the member that straddles the limit
 * is dropped whole), only the first {@link MAX_BAGGAGE_MEMBERS} members are
 * parsed, and a member whose value holds a character the format does not
 * allow, or bad percent-encoding, is skipped. When a key occurs twice, the
 * later member wins, as OpenTelemetry's W3CBaggagePropagator does.
 *
 * @module
 */

/** Members honoured per header (W3C Baggage: at least 64); later ones are ignored, not parsed. */
export const MAX_BAGGAGE_MEMBERS = 64;
/** Characters (bytes, for a header) honoured per header (W3C Baggage: at least 8192); the rest is not parsed. */
export const MAX_BAGGAGE_LENGTH = 8192;

/**
 * A key this library writes: a token of RFC 9110 without `%`, so that it
 * needs no encoding and reads back the same through OpenTelemetry (which
 * percent-decodes keys).
 */
const KEY = /^[!#$&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Whether `key` can be written as a baggage key as it is. */
export function isBaggageKey(key: string): boolean {
  return KEY.test(key);
}

/** The part of `header` within the length limit, ending at a member boundary. */
function bounded(header: string): string {
  if (header.length <= MAX_BAGGAGE_LENGTH) return header;
  // A comma right after the limit still closes a member that fits.
  const end = header.lastIndexOf(',', MAX_BAGGAGE_LENGTH);
  return end === -1 ? '' : header.slice(0, end);
}

/** `text` without the optional whitespace (spaces, tabs) around it. */
function trimmed(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && (text.charCodeAt(start) === 32 || text.charCodeAt(start) === 9)) start++;
  while (end > start && (text.charCodeAt(end - 1) === 32 || text.charCodeAt(end - 1) === 9)) end--;
  return start === 0 && end === text.length ? text : text.slice(start, end);
}

/** `text` percent-decoded, or undefined when the encoding is malformed. */
function percentDecoded(text: string): string | undefined {
  if (!text.includes('%')) return text;
  return decodedOrUndefined(text);
}

/** `decodeURIComponent(text)`, or undefined where it throws (bad or truncated `%XX`, invalid UTF-8). */
function decodedOrUndefined(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

/** Whether `code` is optional whitespace (space, tab). */
function isSpace(code: number): boolean {
  return code === 32 || code === 9;
}

/** Whether `code` is a baggage-octet: printable ASCII but `"`, `,`, `;` and backslash. */
function isValueOctet(code: number): boolean {
  return code >= 0x21 && code <= 0x7e && code !== 0x22 && code !== 0x2c && code !== 0x3b && code !== 0x5c;
}

/**
 * A key as a member holds it (`text` from `from` to `to`, trimmed, not
 * empty), percent-decoded; undefined when its encoding is malformed.
 */
export function baggageKey(text: string, from: number, to: number): string | undefined {
  const key = percentDecoded(text.slice(from, to));
  return key === '' ? undefined : key;
}

/**
 * For each well-formed member of `header` within the limits, in order:
 * `select(text, from, to)`, given where the member's key is (trimmed, not
 * empty; {@link baggageKey} reads it), says whether its value is wanted, and
 * `visit(state, selected, value)` receives the percent-decoded value of each
 * wanted one (properties dropped). The value of a member `select` does not
 * want is neither checked nor decoded. Members without `=` before their
 * properties, with an empty or malformed key or a malformed value are
 * skipped (they still count towards the member limit).
 *
 * The scan allocates only the strings it hands out, and decodes only text
 * that holds a `%`; a selector may match keys where they are, without a
 * string per key. The next `=` and `;` are searched once and kept until the
 * scan passes them, so a header of many members without either (`,,,,`) is
 * still read in linear time. `select` and `visit` are plain functions and
 * `state` their shared data, so that a call makes no closure.
 */
export function readBaggage<S, T>(
  header: string,
  state: S,
  select: (text: string, from: number, to: number) => T | undefined,
  visit: (state: S, selected: T, value: string) => void,
): void {
  const text = bounded(header);
  const length = text.length;
  let members = 0;
  let start = 0;
  let equals = -2;
  let semicolon = -2;
  while (start <= length && members < MAX_BAGGAGE_MEMBERS) {
    let end = text.indexOf(',', start);
    if (end === -1) end = length;
    if (equals !== -1 && equals < start) equals = text.indexOf('=', start);
    if (semicolon !== -1 && semicolon < start) semicolon = text.indexOf(';', start);
    const valueEnd = semicolon === -1 || semicolon > end ? end : semicolon;
    if (equals === -1 || equals >= valueEnd) {
      if (!isBlank(text, start, end)) members++;
      start = end + 1;
      continue;
    }
    members++;
    const next = end + 1;
    let from = start;
    let to = equals;
    while (from < to && isSpace(text.charCodeAt(from))) from++;
    while (to > from && isSpace(text.charCodeAt(to - 1))) to--;
    start = next;
    if (from === to) continue;
    const selected = select(text, from, to);
    if (selected === undefined) continue;
    from = equals + 1;
    to = valueEnd;
    while (from < to && isSpace(text.charCodeAt(from))) from++;
    while (to > from && isSpace(text.charCodeAt(to - 1))) to--;
    let valid = true;
    let percent = false;
    for (let at = from; at < to; at++) {
      const code = text.charCodeAt(at);
      if (!isValueOctet(code)) {
        valid = false;
        break;
      }
      if (code === 0x25) percent = true;
    }
    if (!valid) continue;
    const value = percent ? decodedOrUndefined(text.slice(from, to)) : text.slice(from, to);
    if (value !== undefined) visit(state, selected, value);
  }
}

/** Whether `text` between `start` and `end` is only optional whitespace. */
function isBlank(text: string, start: number, end: number): boolean {
  for (let at = start; at < end; at++) if (!isSpace(text.charCodeAt(at))) return false;
  return true;
}

/**
 * The members of `header` (trimmed, as they were written) within the limits,
 * with the key each one has: what `inject` keeps of a header it adds to.
 */
export function baggageMembers(header: string): Array<readonly [key: string | undefined, member: string]> {
  const members: Array<readonly [string | undefined, string]> = [];
  const text = bounded(header);
  let start = 0;
  while (start <= text.length && members.length < MAX_BAGGAGE_MEMBERS) {
    let end = text.indexOf(',', start);
    if (end === -1) end = text.length;
    const member = trimmed(text.slice(start, end));
    start = end + 1;
    if (member === '') continue;
    const separator = member.indexOf('=');
    members.push([separator === -1 ? undefined : percentDecoded(trimmed(member.slice(0, separator))), member]);
  }
  return members;
}

/**
 * A member `key=value` with the value percent-encoded where the format asks
 * for it. A value of baggage-octets but `%` (ids, names, numbers, dates) is
 * sent as it is, with no call to make; any other is encoded whole by
 * `encodeURIComponent` (UTF-8), which throws URIError for a lone surrogate.
 * Any percent-decoder (`decodeURIComponent`, OpenTelemetry's propagator,
 * Python's `unquote`) reads either back.
 */
export function baggageMember(key: string, value: string): string {
  return `${key}=${baggageValue(value)}`;
}

/** 1 at the ASCII codes a value carries as they are: the baggage-octets but `%`. */
const PLAIN = new Uint8Array(0x80);
for (let code = 0x21; code <= 0x7e; code++) PLAIN[code] = isValueOctet(code) && code !== 0x25 ? 1 : 0;

/** `value` percent-encoded for a baggage member (see {@link baggageMember}). */
export function baggageValue(value: string): string {
  for (let at = 0; at < value.length; at++) {
    const code = value.charCodeAt(at);
    if (code >= 0x80 || PLAIN[code] !== 1) return encodeURIComponent(value);
  }
  return value;
}
