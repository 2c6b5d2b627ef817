/**
 * Values that fight back and arguments of the wrong type, through the core
 * API: each call gives its documented error (never a crash inside the
 * library), renders nothing unsafely, and leaves the current context as it
 * was.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inspect } from 'node:util';
import { Context, ContextVar, copyContext, Token, TokenUsedError, TokenVarMismatchError } from '../../src/index.ts';

function revokedProxy(): object {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  return proxy;
}

/** Values whose inspection throws, each named for the test titles. */
const HOSTILE: Record<string, () => unknown> = {
  'a revoked Proxy': revokedProxy,
  'an object whose getters throw': () =>
    new Proxy(
      {},
      {
        get() {
          throw new Error('getter');
        },
        getPrototypeOf() {
          throw new Error('prototype');
        },
      },
    ),
  'an object whose toString throws': () => ({
    toString() {
      throw new Error('toString');
    },
  }),
  'an object whose Symbol.toPrimitive throws': () => ({
    [Symbol.toPrimitive]() {
      throw new Error('toPrimitive');
    },
  }),
  'an object with a throwing constructor getter': () =>
    Object.defineProperty({}, 'constructor', {
      get() {
        throw new Error('constructor');
      },
    }),
};

/** What the running frame reads, to compare before and after each call. */
function snapshotOf(): [string, unknown][] {
  return [...copyContext()].map(([variable, value]) => [variable.name, value]);
}

function unchangedAfter(action: () => void): void {
  const before = snapshotOf();
  action();
  assert.deepEqual(snapshotOf(), before);
}

for (const [name, make] of Object.entries(HOSTILE)) {
  test(`${name} as a value: tokens keep their errors, and repr and inspect never throw`, () =>
    new Context().run(() => {
      const v = new ContextVar<unknown>('v');
      const w = new ContextVar<unknown>('w');
      const value = make();
      const token = v.set(value);
      assert.equal(v.get(), value);
      assert.equal(typeof String(copyContext()), 'string');
      assert.equal(typeof inspect(copyContext()), 'string');
      assert.equal(typeof String(token), 'string');
      unchangedAfter(() => assert.throws(() => w.reset(token as never), TokenVarMismatchError));
      v.reset(token);
      unchangedAfter(() => assert.throws(() => v.reset(token), TokenUsedError));
      unchangedAfter(() =>
        assert.throws(() => v.reset(value as never), { name: 'TypeError', message: /expects a Token/ }),
      );
    }));

  test(`${name} as a default: the variable renders, reads and resets normally`, () =>
    new Context().run(() => {
      const value = make();
      const v = new ContextVar<unknown>('v', { default: value });
      assert.equal(typeof String(v), 'string');
      assert.equal(typeof inspect(v), 'string');
      assert.equal(v.get(), value);
      const token = v.set(1);
      v.reset(token);
      assert.equal(v.get(), value);
    }));
}

/** Each call with a wrong argument, the error it must give, and what its message must say. */
const MISUSE: [string, () => unknown, RegExp][] = [
  ['new ContextVar(1)', () => new ContextVar(1 as never), /ContextVar name must be a string, got 1/],
  [
    'new ContextVar(name, null)',
    () => new ContextVar('x', null as never),
    /new ContextVar expects its options as an object/,
  ],
  ['new ContextVar(name, 5)', () => new ContextVar('x', 5 as never), /new ContextVar expects its options as an object/],
  [
    'v.reset({})',
    () => new ContextVar('x').reset({} as never),
    /reset expects a Token made by set\(\), got \[object Object\]/,
  ],
  ['v.reset(null)', () => new ContextVar('x').reset(null as never), /reset expects a Token made by set\(\), got null/],
  [
    'v.reset(a token forged with Object.create)',
    () => new ContextVar('x').reset(Object.create(Token.prototype) as never),
    /reset expects a Token made by set\(\), got a Token object set\(\) did not make/,
  ],
  ['v.reset(a revoked Proxy)', () => new ContextVar('x').reset(revokedProxy() as never), /reset expects a Token/],
  ['v.run(x, not a function)', () => new ContextVar('x').run(1, 5 as never), /run expects a function, got 5/],
  ['ctx.run(not a function)', () => new Context().run(null as never), /Context.run expects a function, got null/],
  ['ctx.get(not a ContextVar)', () => new Context().get({} as never), /Context.get expects a ContextVar/],
  ['ctx.has(a revoked Proxy)', () => new Context().has(revokedProxy() as never), /Context.has expects a ContextVar/],
  ['new Token()', () => new (Token as unknown as new () => unknown)(), /Tokens are made by ContextVar.set\(\)/],
];

for (const [call, action, message] of MISUSE) {
  test(`${call} gives a TypeError naming the API and what it expected`, () =>
    new Context().run(() => {
      new ContextVar('present').set('kept');
      unchangedAfter(() =>
        assert.throws(action, (error: unknown) => error instanceof TypeError && message.test(error.message)),
      );
    }));
}

test('String(token) and token.used are safe on a forged token', () => {
  const forged = Object.create(Token.prototype) as Token<unknown>;
  assert.equal(forged.used, false);
  assert.doesNotThrow(() => String(forged));
});

test('a ContextVar hash cannot be changed, so a set value is always found', () =>
  new Context().run(() => {
    const v = new ContextVar<string>('v');
    v.set('x');
    assert.throws(() => {
      (v as unknown as { hash: number }).hash = 42;
    }, TypeError);
    assert.equal(v.get(), 'x');
    assert.equal(copyContext().get(v), 'x');
    assert.equal(Object.keys(v).includes('hash'), false, 'the hash is not enumerable');
  }));
