/**
 * The percent-encoding of baggage values: a value of baggage-octets is sent
 * as it is, any other through encodeURIComponent. Held to the format and to
 * decodeURIComponent on seeded random text (TEST_SEED; fast-check prints
 * the seed and the text of a failure).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { baggageValue } from '../../../src/integrations/propagation/baggage.ts';
import { TEST_SEED } from '../../support/random.ts';

/** Text where `%`, escapes (good and bad) and characters beyond ASCII are common. */
const escaped = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        '%',
        '%2',
        '%25',
        '%2C',
        '%7b',
        '%7B',
        '%e9',
        '%C3%A9',
        '%C3',
        '%E2%82%AC',
        '%F0%9F%98%80',
        '%GG',
      ),
      fc.constantFrom('0', 'a', 'F', 'g', ' ', ',', 'é', '\uD800'),
      fc.string({ maxLength: 4, unit: 'binary' }),
    ),
    { maxLength: 12 },
  )
  .map((pieces) => pieces.join(''));

/** Whether `text` is all baggage-octets (printable ASCII but `"`, `,`, `;` and backslash). */
function isOctets(text: string): boolean {
  return /^[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]*$/.test(text);
}

test('baggageValue writes only baggage-octets, escapes %, and reads back through decodeURIComponent', () => {
  assert.equal(baggageValue('{"beta":true}'), '%7B%22beta%22%3Atrue%7D');
  assert.equal(baggageValue('2026-12-08T00:00:00.000Z'), '2026-12-08T00:00:00.000Z');
  assert.equal(baggageValue('acme, inc; "eu" 100%'), 'acme%2C%20inc%3B%20%22eu%22%20100%25');
  assert.equal(baggageValue('crème'), 'cr%C3%A8me');
  assert.throws(() => baggageValue('\uD800'), URIError);
  fc.assert(
    fc.property(fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme-ascii' }), escaped), (value) => {
      let encoded: string;
      try {
        encoded = baggageValue(value);
      } catch (error) {
        // Only a lone surrogate, as encodeURIComponent: UTF-8 cannot write it.
        return error instanceof URIError && encodeThrows(value);
      }
      return isOctets(encoded) && !/%(?![0-9A-F]{2})/.test(encoded) && decodeURIComponent(encoded) === value;
    }),
    { seed: TEST_SEED, numRuns: 20_000 },
  );
});

/** Whether encodeURIComponent throws for `value` (it holds a lone surrogate). */
function encodeThrows(value: string): boolean {
  try {
    encodeURIComponent(value);
    return false;
  } catch {
    return true;
  }
}
