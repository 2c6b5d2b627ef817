/**
 * How a thrown value travels between threads (src/integrations/worker/protocol.ts),
 * unit-tested on the sources: what the calling thread rebuilds from what a
 * task threw, for the values and errors that structured clone alone would
 * mangle or refuse, and for errors whose parts cannot even be read.
 * worker.test.ts covers the same encoding end to end through real workers.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  decodeThrown,
  encodeThrown,
  firstLine,
  type EncodedError,
  type EncodedThrown,
} from '../../../src/integrations/worker/protocol.ts';

/** What the calling thread gets: encoded, posted (structured clone), decoded. */
function roundTrip(thrown: unknown, what = 'the task'): unknown {
  return decodeThrown(structuredClone(encodeThrown(thrown, what)));
}

function encodedError(encoded: EncodedThrown): EncodedError {
  assert.ok('error' in encoded, `expected an encoded error, got ${JSON.stringify(encoded)}`);
  return encoded.error;
}

describe('encodeThrown: values structured clone cannot copy', () => {
  test('a thrown function becomes a TypeError that names what could not be copied and says what to throw', () => {
    const received = roundTrip(() => 42, 'add() from tasks.js');
    assert.ok(received instanceof TypeError);
    assert.match(received.message, /^add\(\) from tasks\.js cannot be copied back to the calling thread \(/);
    assert.match(received.message, /throw an Error, or data that structured clone can copy$/);
  });

  test('a thrown revoked Proxy becomes the same TypeError (it is not read as an Error)', () => {
    const { proxy, revoke } = Proxy.revocable(new Error('hidden'), {});
    revoke();
    const received = roundTrip(proxy);
    assert.ok(received instanceof TypeError);
    assert.match(received.message, /^the task cannot be copied back to the calling thread/);
    assert.doesNotMatch(received.message, /hidden/);
  });

  test('a cloneable non-Error travels as data', () => {
    assert.deepEqual(roundTrip({ code: 'E_PLAIN', list: [1, 2] }), { code: 'E_PLAIN', list: [1, 2] });
  });
});

describe('encodeThrown: errors with odd parts', () => {
  test('a non-string name falls back to the built-in type; a non-string message becomes empty', () => {
    const error = new RangeError('ignored');
    Object.defineProperty(error, 'name', { value: 42, configurable: true });
    Object.defineProperty(error, 'message', { value: { not: 'a string' }, configurable: true });
    const encoded = encodedError(encodeThrown(error, 'the task'));
    assert.equal(encoded.name, 'RangeError');
    assert.equal(encoded.message, '');
    const received = roundTrip(error);
    assert.ok(received instanceof RangeError);
    assert.equal(received.name, 'RangeError');
    assert.equal(received.message, '');
  });

  test('a non-string stack is left out, and the rebuilt error keeps a string stack of its own', () => {
    const error = new Error('no stack');
    Object.defineProperty(error, 'stack', { value: 7, configurable: true });
    assert.equal(encodedError(encodeThrown(error, 'the task')).stack, undefined);
    const received = roundTrip(error);
    assert.ok(received instanceof Error);
    assert.equal(typeof received.stack, 'string');
    assert.notEqual(received.stack, 7);
  });

  test('an own enumerable name is restored as the name, not copied as an enumerable property', () => {
    const error = new Error('named');
    error.name = 'ConfigError'; // assignment makes `name` an own enumerable property
    (error as Error & { code: string }).code = 'E_CONFIG';
    const encoded = encodedError(encodeThrown(error, 'the task'));
    assert.deepEqual(encoded.properties, [['code', 'E_CONFIG']]);
    const received = roundTrip(error) as Error & { code?: string };
    assert.equal(received.name, 'ConfigError');
    assert.equal(received.code, 'E_CONFIG');
    assert.deepEqual(Object.keys(received), ['code']);
  });

  test('an inherited `code` (a getter on the prototype) travels as an own property', () => {
    class CodedError extends Error {
      get code(): string {
        return 'E_INHERITED';
      }
    }
    const error = new CodedError('coded');
    assert.equal(Object.hasOwn(error, 'code'), false);
    const received = roundTrip(error) as Error & { code?: string };
    assert.ok(received instanceof Error);
    assert.equal(Object.hasOwn(received, 'code'), true);
    assert.equal(received.code, 'E_INHERITED');
  });

  test('a property structured clone cannot copy is left out; the others arrive', () => {
    const error = Object.assign(new TypeError('with a callback'), {
      callback: () => 1,
      errno: -2,
      detail: { path: '/tmp/x' },
    });
    const received = roundTrip(error) as TypeError & Record<string, unknown>;
    assert.ok(received instanceof TypeError);
    assert.equal('callback' in received, false);
    assert.equal(received['errno'], -2);
    assert.deepEqual(received['detail'], { path: '/tmp/x' });
  });

  test('an error whose own keys cannot be listed arrives with its message and no properties', () => {
    const target = Object.assign(new Error('keys throw'), { code: 'E_LOST' });
    const error = new Proxy(target, {
      ownKeys() {
        throw new Error('ownKeys trap');
      },
      has() {
        throw new Error('has trap');
      },
    });
    const encoded = encodedError(encodeThrown(error, 'the task'));
    assert.deepEqual(encoded.properties, []);
    const received = roundTrip(error);
    assert.ok(received instanceof Error);
    assert.equal(received.message, 'keys throw');
    assert.equal(Object.hasOwn(received, 'code'), false);
  });

  test('an error whose prototype cannot be read again is rebuilt as a plain Error that keeps its name', () => {
    // `instanceof Error` reads the prototype once (it is an Error); reading it again throws.
    let reads = 0;
    const error = new Proxy(new TypeError('shifty'), {
      getPrototypeOf(target) {
        reads += 1;
        if (reads > 1) throw new Error('getPrototypeOf trap');
        return Object.getPrototypeOf(target) as object;
      },
    });
    const encoded = encodedError(encodeThrown(error, 'the task'));
    assert.equal(encoded.base, 'Error');
    const received = decodeThrown(structuredClone({ error: encoded }));
    assert.ok(received instanceof Error);
    assert.equal(received instanceof TypeError, false);
    assert.equal(received.name, 'TypeError');
    assert.equal(received.message, 'shifty');
  });
});

describe('encodeThrown: causes and aggregated errors', () => {
  /** An error whose cause chain is `length` errors long: level 0 caused by level 1, ... */
  function chain(length: number, last: (message: string) => Error = (message) => new Error(message)): Error {
    let error = last(`level ${length - 1}`);
    for (let level = length - 2; level >= 0; level -= 1) error = new Error(`level ${level}`, { cause: error });
    return error;
  }

  function levels(error: unknown): Error[] {
    const seen: Error[] = [];
    let current: unknown = error;
    while (current instanceof Error) {
      seen.push(current);
      current = Object.hasOwn(current, 'cause') ? current.cause : undefined;
    }
    return seen;
  }

  test('a cause chain deeper than 8 is cut: the ninth error arrives with its message and no cause', () => {
    const received = levels(roundTrip(chain(12)));
    assert.deepEqual(
      received.map((error) => error.message),
      Array.from({ length: 9 }, (_, level) => `level ${level}`),
    );
    assert.equal(Object.hasOwn(received[8]!, 'cause'), false);
  });

  test('an AggregateError past the depth limit arrives as an AggregateError with no errors', () => {
    const deepest = (message: string): Error => new AggregateError([new Error('inner')], message);
    const received = levels(roundTrip(chain(9, deepest)));
    assert.equal(received.length, 9);
    const last = received[8]!;
    assert.ok(last instanceof AggregateError);
    assert.equal(last.message, 'level 8');
    assert.deepEqual(last.errors, []);
  });

  test('an AggregateError within the limit keeps its errors, each rebuilt', () => {
    const received = roundTrip(new AggregateError([new RangeError('one'), 'two'], 'both'));
    assert.ok(received instanceof AggregateError);
    assert.equal(received.errors.length, 2);
    assert.ok(received.errors[0] instanceof RangeError);
    assert.equal((received.errors[0] as RangeError).message, 'one');
    assert.equal(received.errors[1], 'two');
  });

  test('a cause that cannot be copied becomes a TypeError naming it as the cause', () => {
    const received = roundTrip(new Error('outer', { cause: Symbol('unclonable') }), 'fail() from tasks.js');
    assert.ok(received instanceof Error);
    const { cause } = received;
    assert.ok(cause instanceof TypeError);
    assert.match(cause.message, /^the cause of fail\(\) from tasks\.js cannot be copied back to the calling thread/);
  });
});

describe('decodeThrown: an encoding from another version of the protocol', () => {
  test('an unknown base type is rebuilt as a plain Error with the name it carried', () => {
    const encoded = {
      error: { base: 'FutureError', name: 'FutureError', message: 'from later', stack: undefined, properties: [] },
    } as unknown as EncodedThrown;
    const received = decodeThrown(encoded);
    assert.ok(received instanceof Error);
    assert.equal(Object.getPrototypeOf(received), Error.prototype);
    assert.equal(received.name, 'FutureError');
    assert.equal(received.message, 'from later');
  });
});

describe('firstLine', () => {
  test("an Error's first line of message", () => {
    assert.equal(firstLine(new Error('first\nsecond')), 'first');
  });

  test('a non-Error is converted with String()', () => {
    assert.equal(firstLine('plain\ntext'), 'plain');
    assert.equal(firstLine(404), '404');
  });

  test('a value that cannot be converted to a string', () => {
    const unprintable = {
      toString(): string {
        throw new Error('no');
      },
    };
    assert.equal(firstLine(unprintable), 'an unreadable error');
    assert.equal(firstLine(Object.create(null)), 'an unreadable error');
  });
});
