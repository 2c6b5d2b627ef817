/**
 * contextvars/propagation: declaring variables, writing them into a
 * carrier's baggage and running work with them set from one, over every
 * carrier shape (plain objects, node:http headers, Headers, Map), and the
 * rules for what is untrusted.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Context, ContextVar, copyContext } from '../../../src/index.ts';
import {
  BaggageEntryError,
  type Codec,
  codecs,
  extract,
  inject,
  MAX_BAGGAGE_LENGTH,
  MAX_BAGGAGE_MEMBERS,
  PropagationDeclarationError,
  propagate,
} from '../../../src/integrations/propagation/index.ts';
import { getText, listen } from '../../../examples/http.ts';

const errors: BaggageEntryError[] = [];
const tenant = propagate(new ContextVar<string>('tenant'));
const user = propagate(new ContextVar<number>('user.id'), {
  key: 'user',
  codec: codecs.number,
  onError: (error) => errors.push(error),
});
const beta = propagate(new ContextVar<boolean>('beta'), { codec: codecs.boolean });
const flags = propagate(new ContextVar<{ plan: string; seats?: number }>('flags'), {
  codec: codecs.json,
  onError: (error) => errors.push(error),
});
const local = new ContextVar<string>('local', { default: 'none' });

/** Plain-object headers, as `http.request` and `fetch` take them. */
type Plain = { accept?: string; baggage?: string };

describe('propagate', () => {
  test('returns the variable, and refuses a variable declared twice, even under another key', () => {
    const once = new ContextVar<string>('once');
    assert.equal(propagate(once), once);
    assert.throws(
      () => propagate(once, { key: 'twice' }),
      (error: unknown) => {
        assert.ok(error instanceof PropagationDeclarationError);
        assert.equal(error.name, 'PropagationDeclarationError');
        assert.match(error.message, /'once' is already propagated under the key 'once'/);
        return true;
      },
    );
  });

  test('refuses a key another variable uses, naming both', () => {
    assert.throws(
      () => propagate(new ContextVar<string>('tenant')),
      /the key 'tenant' already carries ContextVar 'tenant': give ContextVar 'tenant' another key/,
    );
  });

  test('refuses a key the baggage format cannot carry as it is', () => {
    for (const key of ['', 'a b', 'a,b', 'a;b', 'a=b', 'a%41', 'caf\u00e9', '"q"']) {
      assert.throws(() => propagate(new ContextVar<string>('k'), { key }), PropagationDeclarationError, key);
    }
    assert.throws(() => propagate(new ContextVar<string>('has space')), /pass propagate\(variable, \{ key \}\)/);
  });

  test('refuses what is not a ContextVar and options of the wrong type', () => {
    assert.throws(() => propagate({} as ContextVar<string>), TypeError);
    assert.throws(() => propagate(new ContextVar<string>('c1'), { codec: {} as never }), /encode and decode/);
    assert.throws(() => propagate(new ContextVar<string>('c2'), { onError: 1 as never }), /onError/);
    assert.throws(() => propagate(new ContextVar<string>('c3'), { key: 3 as never }), /key option/);
  });
});

describe('codecs', () => {
  test('number and boolean read only what they write', () => {
    assert.equal(codecs.number.decode(codecs.number.encode(-1.5)), -1.5);
    for (const bad of ['', ' ', 'NaN', 'Infinity', '1e400', 'x1']) assert.throws(() => codecs.number.decode(bad), bad);
    assert.equal(codecs.boolean.decode('true'), true);
    assert.equal(codecs.boolean.decode('false'), false);
    assert.throws(() => codecs.boolean.decode('TRUE'));
  });

  test('json drops __proto__, constructor and prototype at any depth', () => {
    const value = codecs.json.decode<Record<string, unknown>>(
      '{"a":{"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":1}},"b":2},"__proto__":{"x":1}}',
    );
    assert.deepEqual(value, { a: { b: 2 } });
    const merged = Object.assign({}, value['a']);
    assert.equal((merged as Record<string, unknown>)['polluted'], undefined);
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
    // A key written with escapes is the same key once parsed.
    assert.deepEqual(codecs.json.decode('{"\\u005f_proto__":{"polluted":1},"ok":1}'), { ok: 1 });
    assert.throws(() => codecs.json.encode(undefined), /JSON cannot write/);
  });

  test('json reads a value nested as deep as a header allows, and drops an unsafe key at the bottom', () => {
    const depth = 4000;
    let value: unknown = codecs.json.decode(
      `${'['.repeat(depth)}{"__proto__":{"polluted":1},"ok":1}${']'.repeat(depth)}`,
    );
    for (let level = 0; level < depth; level++) {
      assert.ok(Array.isArray(value) && value.length === 1, `level ${level}`);
      value = value[0];
    }
    assert.deepEqual(value, { ok: 1 });
  });
});

describe('inject', () => {
  test('writes the variables that have a value, percent-encoded, and nothing for the others', () => {
    new Context().run(() => {
      const empty: Record<string, string> = {};
      assert.equal(inject(empty), empty);
      assert.deepEqual(empty, {});
      tenant.set('acme, inc; "eu"');
      user.set(42);
      flags.set({ plan: 'pro' });
      const headers = inject<Plain>({ accept: 'text/plain' });
      assert.equal(headers.accept, 'text/plain');
      assert.equal(headers.baggage, 'tenant=acme%2C%20inc%3B%20%22eu%22,user=42,flags=%7B%22plan%22%3A%22pro%22%7D');
    });
  });

  test('keeps the entries already there and replaces those of a declared key', () => {
    new Context().run(() => {
      tenant.set('acme');
      const headers = inject({ baggage: 'other=1;prop=x, tenant=stale,user=7' });
      // user has no value here: its entry is left as it was
      assert.equal(headers.baggage, 'other=1;prop=x,user=7,tenant=acme');
    });
  });

  test('writes through set/get: Headers and Map', () => {
    new Context().run(() => {
      beta.set(true);
      const headers = inject(new Headers({ baggage: 'other=1' }));
      assert.equal(headers.get('baggage'), 'other=1,beta=true');
      const map = inject(new Map<string, string>());
      assert.equal(map.get('baggage'), 'beta=true');
    });
  });

  test('a value that fails to encode is left out and reported', () => {
    errors.length = 0;
    new Context().run(() => {
      tenant.set('acme');
      flags.set({ plan: 'x', seats: 1n } as never);
      assert.equal(inject<Plain>({}).baggage, 'tenant=acme');
    });
    assert.equal(errors.length, 1);
    assert.ok(errors[0] instanceof BaggageEntryError);
    assert.equal(errors[0].key, 'flags');
    assert.match(errors[0].message, /ContextVar 'flags' did not encode; it was not sent/);
  });

  test('an entry that would break the limits is left out and reported', () => {
    errors.length = 0;
    const full = Array.from({ length: MAX_BAGGAGE_MEMBERS }, (_, i) => `k${i}=v`).join(',');
    new Context().run(() => {
      user.set(1);
      assert.equal(inject({ baggage: full }).baggage, full);
      const long = `big=${'x'.repeat(MAX_BAGGAGE_LENGTH - 10)}`;
      assert.equal(inject({ baggage: long }).baggage, long);
    });
    assert.deepEqual(
      errors.map((error) => error.key),
      ['user', 'user'],
    );
    assert.match(errors[0]?.message ?? '', /does not fit in the baggage limits/);
  });

  test('refuses a carrier that is not an object', () => {
    assert.throws(() => inject('baggage' as never), /inject expects headers/);
  });
});

describe('extract', () => {
  test('runs fn with the arguments and the declared values, returns its result, and leaves the caller alone', () => {
    tenant.set('outer');
    local.set('kept');
    const result = extract(
      { baggage: 'tenant=acme,user=7,beta=false' },
      (a: number, b: number) => {
        assert.equal(tenant.get(), 'acme');
        assert.equal(user.get(), 7);
        assert.equal(beta.get(), false);
        assert.equal(local.get(), 'kept', 'the current values stay under the extracted ones');
        tenant.set('changed inside');
        return a + b;
      },
      1,
      2,
    );
    assert.equal(result, 3);
    assert.equal(tenant.get(), 'outer');
    assert.equal(user.get(0), 0);
  });

  test('the values stay for the work fn schedules, across await and timers', async () => {
    const seen = await extract({ baggage: 'tenant=later' }, async () => {
      await sleep(1);
      return new Promise<string>((resolve) => setTimeout(() => resolve(tenant.get()), 1));
    });
    assert.equal(seen, 'later');
  });

  test('enters one Context: what fn sets is recorded in it', () => {
    const seen = extract({ baggage: 'tenant=a' }, () => {
      tenant.set('b');
      return copyContext().get(tenant);
    });
    assert.equal(seen, 'b');
  });

  test('reads Headers, Map and node:http headers, a repeated header as one list', async () => {
    assert.equal(
      extract(new Headers({ baggage: 'tenant=h' }), () => tenant.get()),
      'h',
    );
    assert.equal(
      extract(new Map([['baggage', 'tenant=m']]), () => tenant.get()),
      'm',
    );
    assert.equal(
      extract({ baggage: ['tenant=x', 'user=3'] }, () => `${tenant.get()} ${user.get()}`),
      'x 3',
    );
    const server = http.createServer((request, response) =>
      extract(request.headers, () => response.end(`${tenant.get('-')} ${user.get(-1)}`)),
    );
    const port = await listen(server);
    try {
      // Two baggage header lines: node:http joins them with ', '.
      const reply = await new Promise<string>((resolve, reject) => {
        const request = http.request({ host: '127.0.0.1', port, headers: { baggage: ['tenant=two', 'user=9'] } });
        request.on('response', (response) => {
          let text = '';
          response
            .setEncoding('utf8')
            .on('data', (chunk) => (text += chunk))
            .on('end', () => resolve(text));
        });
        request.on('error', reject).end();
      });
      assert.equal(reply, 'two 9');
      assert.equal(await getText(port, '/'), '- -1');
    } finally {
      server.close();
    }
  });

  test('ignores what is not declared and what is malformed, and keeps the later of two entries', () => {
    const seen = extract(
      { baggage: ' other=1 ,tenant = first ; p=1;q, =x,novalue,tenant=%E0%A4%A,tenant=%20second%20,user=1;x' },
      () => [tenant.get('-'), user.get(-1), local.get()],
    );
    // bad percent-encoding drops that entry only; the later well-formed one wins
    assert.deepEqual(seen, [' second ', 1, 'none']);
  });

  test('reads a key as it decodes: a percent-encoded key is the declared one, a prefix or a longer key is not', () => {
    const seen = extract({ baggage: 'ten%61nt=encoded,tenan=short,tenants=long,use%=bad,%75ser=5' }, () => [
      tenant.get('-'),
      user.get(-1),
    ]);
    assert.deepEqual(seen, ['encoded', 5]);
  });

  test('a value the codec refuses is dropped and reported; the request goes on', () => {
    errors.length = 0;
    const seen = extract({ baggage: 'user=abc,tenant=t,flags=%7Bnot%20json' }, () => [
      tenant.get(),
      user.get(-1),
      flags.get(null),
    ]);
    assert.deepEqual(seen, ['t', -1, null]);
    assert.deepEqual(
      errors.map((error) => [error.name, error.key]),
      [
        ['BaggageEntryError', 'user'],
        ['BaggageEntryError', 'flags'],
      ],
    );
    assert.ok(errors[0]?.cause instanceof TypeError);
  });

  test('an onError hook that throws does not fail the request', () => {
    const loud = propagate(new ContextVar<number>('loud'), {
      codec: codecs.number,
      onError: () => {
        throw new Error('hook failed');
      },
    });
    assert.equal(
      extract({ baggage: 'loud=x' }, () => loud.get(0)),
      0,
    );
  });

  test('keys that name prototype properties set nothing', () => {
    const before = Object.getOwnPropertyNames(Object.prototype).join();
    const seen = extract({ baggage: '__proto__=x,constructor=y,toString=z,hasOwnProperty=1,tenant=safe' }, () =>
      tenant.get(),
    );
    assert.equal(seen, 'safe');
    assert.equal(Object.getOwnPropertyNames(Object.prototype).join(), before);
    assert.equal(typeof Object.prototype.toString, 'function');
  });

  test('only the first 64 entries and 8192 bytes are read', () => {
    const filler = Array.from({ length: MAX_BAGGAGE_MEMBERS - 1 }, (_, i) => `k${i}=v`);
    assert.equal(
      extract({ baggage: [...filler, 'tenant=in'].join(',') }, () => tenant.get('-')),
      'in',
    );
    assert.equal(
      extract({ baggage: [...filler, 'x=1', 'tenant=out'].join(',') }, () => tenant.get('-')),
      '-',
    );
    const pad = `pad=${'p'.repeat(MAX_BAGGAGE_LENGTH - 4 - ',tenant=in'.length)}`;
    assert.equal(
      extract({ baggage: `${pad},tenant=in` }, () => tenant.get('-')),
      'in',
    );
    assert.equal(
      extract({ baggage: `${pad}p,tenant=in` }, () => tenant.get('-')),
      '-',
    );
  });

  test('keys written percent-encoded (as OpenTelemetry writes them) are read', () => {
    const hash = propagate(new ContextVar<string>('a#b'));
    assert.equal(
      extract({ baggage: 'a%23b=1' }, () => hash.get()),
      '1',
    );
  });

  test('refuses a carrier that is not an object, or a non-function', () => {
    assert.throws(() => extract(undefined as never, () => 1), /extract expects headers/);
    assert.throws(() => extract({}, 1 as never), /extract expects a function/);
  });
});

describe('a round trip', () => {
  test('what inject writes, extract reads back, for every codec and awkward text', () => {
    const awkward = 'a,b;c=d "e" \\ % é 🙂 \t';
    const sent = new Context().run(() => {
      tenant.set(awkward);
      user.set(-0.25);
      beta.set(true);
      flags.set({ plan: awkward, seats: 3 });
      return inject<Plain>({});
    });
    const received = extract(sent, () => [tenant.get(), user.get(), beta.get(), flags.get()]);
    assert.deepEqual(received, [awkward, -0.25, true, { plan: awkward, seats: 3 }]);
  });

  test('a codec of your own', () => {
    const date: Codec<Date> = {
      encode: (value) => value.toISOString(),
      decode: (text) => {
        const value = new Date(text);
        if (Number.isNaN(value.getTime())) throw new TypeError(`not a date: ${text}`);
        return value;
      },
    };
    const since = propagate(new ContextVar<Date>('since'), { codec: date });
    const sent = new Context([[since, new Date(0)]]).run(() => inject<Plain>({}));
    assert.equal(sent.baggage, 'since=1970-01-01T00:00:00.000Z');
    assert.equal(
      extract(sent, () => since.get().getTime()),
      0,
    );
  });
});
