/**
 * The TC39 facade beyond what test262 checks: the spec's order of
 * operations in the Variable constructor, subclassing, error messages that
 * name the API, and bindGenerator (the opt-in for the proposal's generator
 * semantics).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AsyncContext, bindGenerator } from '../../src/async-context/index.ts';
import { ContextVar } from '../../src/index.ts';

const { Snapshot, Variable } = AsyncContext;

test('new Variable(options) reads name, then defaultValue, then newTarget.prototype, as the spec orders them', () => {
  const steps: string[] = [];
  const options = new Proxy(
    { name: 'n', defaultValue: 'd' },
    {
      // biome-ignore lint/complexity/noCommaOperator: a ported test262 case checks the evaluation order of a comma expression
      has: (target, key) => (steps.push(`has ${String(key)}`), key in target),
      // biome-ignore lint/complexity/noCommaOperator: a ported test262 case checks the evaluation order of a comma expression
      get: (target, key) => (steps.push(`get ${String(key)}`), target[key as keyof typeof target]),
    },
  );
  // biome-ignore lint/complexity/useArrowFunction: an arrow function is not a constructor; newTarget must be one
  const newTarget = function () {}.bind(null);
  // biome-ignore lint/complexity/noCommaOperator: a ported test262 case checks the evaluation order of a comma expression
  Object.defineProperty(newTarget, 'prototype', { get: () => (steps.push('get prototype'), Variable.prototype) });
  const variable = Reflect.construct(Variable, [options], newTarget) as AsyncContext.Variable<string>;
  assert.deepEqual(steps, ['has name', 'get name', 'get defaultValue', 'get prototype']);
  assert.deepEqual([variable.name, variable.get()], ['n', 'd']);
});

test('Variable and Snapshot can be subclassed, with the subclass prototype and fields', () => {
  class NamedVariable extends Variable {
    readonly label = 'sub';
    constructor() {
      super({ name: 'named', defaultValue: 'x' });
    }
    describe(): string {
      return `${this.label}:${this.name}=${this.get()}`;
    }
  }
  const variable = new NamedVariable();
  assert.ok(variable instanceof NamedVariable && variable instanceof Variable);
  assert.equal(
    variable.run('y', () => variable.describe()),
    'sub:named=y',
  );

  class TaggedSnapshot extends Snapshot {
    readonly tag = 't';
  }
  const snapshot = variable.run('z', () => new TaggedSnapshot());
  assert.ok(snapshot instanceof TaggedSnapshot);
  assert.equal(snapshot.tag, 't');
  assert.equal(
    snapshot.run(() => variable.get()),
    'z',
  );
});

test('TypeErrors name the API that was called and what it needs', () => {
  const get = Variable.prototype.get as (this: unknown) => unknown;
  assert.throws(() => get.call({}), {
    name: 'TypeError',
    message: /AsyncContext\.Variable\.prototype\.get .*AsyncContext\.Variable/,
  });
  const run = Snapshot.prototype.run as (this: unknown, fn: () => void) => unknown;
  assert.throws(() => run.call(new Variable(), () => {}), {
    name: 'TypeError',
    message: /AsyncContext\.Snapshot\.prototype\.run/,
  });
  const loose = Snapshot.wrap as (fn: unknown) => unknown;
  assert.throws(() => loose(42), {
    name: 'TypeError',
    message: /AsyncContext\.Snapshot\.wrap expects a function, got 42/,
  });
  const variable = new Variable();
  assert.throws(() => (variable.run as (value: unknown, fn: unknown) => unknown)(1, 'nope'), {
    name: 'TypeError',
    message: /AsyncContext\.Variable\.prototype\.run expects a function, got the string 'nope'/,
  });
});

test('a Variable is its own key: two Variables with one name never see each other', () => {
  const first = new Variable({ name: 'same' });
  const second = new Variable({ name: 'same' });
  first.run('one', () => assert.equal(second.get(), undefined));
});

test('bindGenerator: each step, return() and throw() included, runs in the snapshot of creation', () => {
  const phase = new Variable({ defaultValue: 'none' });
  const seen: string[] = [];
  const gen = bindGenerator(function* () {
    try {
      seen.push(`start:${phase.get()}`);
      try {
        yield 1;
      } catch (error) {
        seen.push(`caught ${String(error)}:${phase.get()}`);
      }
      yield 2;
    } finally {
      seen.push(`finally:${phase.get()}`);
    }
  });
  const generator = phase.run('created', () => gen());
  phase.run('first', () => generator.next());
  phase.run('second', () => generator.throw('boom'));
  phase.run('third', () => generator.return(undefined));
  assert.deepEqual(seen, ['start:created', 'caught boom:created', 'finally:created']);
  assert.equal(phase.get(), 'none');
});

test("bindGenerator: this and arguments pass through; name and length are the generator function's", () => {
  const target = { factor: 3 };
  const scaled = bindGenerator(function* scale(this: { factor: number }, a: number, b: number) {
    yield a * this.factor;
    yield b * this.factor;
  });
  assert.equal(scaled.name, 'scale');
  assert.equal(scaled.length, 2);
  assert.deepEqual([...scaled.call(target, 1, 2)], [3, 6]);
});

test('bindGenerator: the generator is an iterator (for…of, spread, Symbol.iterator returns itself)', () => {
  const user = new Variable({ defaultValue: 'anonymous' });
  const users = bindGenerator(function* () {
    yield user.get();
    yield user.get();
  });
  const generator = user.run('ada', () => users());
  assert.equal(generator[Symbol.iterator](), generator);
  assert.equal(Object.prototype.toString.call(generator), '[object Generator]');
  const collected: string[] = [];
  user.run('bob', () => {
    for (const value of generator) collected.push(value);
  });
  assert.deepEqual(collected, ['ada', 'ada']);
  assert.deepEqual(
    user.run('eve', () => [...user.run('ada', () => users())]),
    ['ada', 'ada'],
  );
});

test('bindGenerator: async generators with for await, and with values from ContextVars too', async () => {
  const contextVar = new ContextVar('cv', { default: 'default' });
  const ticks = bindGenerator(async function* (count: number) {
    for (let i = 0; i < count; i++) {
      await new Promise((resolve) => setTimeout(resolve, 1));
      yield `${i}:${contextVar.get()}`;
    }
  });
  const generator = contextVar.run('created', () => ticks(2));
  assert.equal(generator[Symbol.asyncIterator](), generator);
  assert.equal(Object.prototype.toString.call(generator), '[object AsyncGenerator]');
  const seen: string[] = [];
  await contextVar.run('consumer', async () => {
    for await (const tick of generator) seen.push(tick);
  });
  assert.deepEqual(seen, ['0:created', '1:created']);
});

test('bindGenerator: a step that sets a ContextVar does not reach the next step or the caller', () => {
  const contextVar = new ContextVar('cv', { default: 'default' });
  const gen = bindGenerator(function* () {
    contextVar.set('set in step 1');
    yield contextVar.get();
    yield contextVar.get();
  });
  const generator = gen();
  assert.equal(generator.next().value, 'set in step 1');
  assert.equal(contextVar.get(), 'default');
  assert.equal(generator.next().value, 'default');
});

test('bindGenerator: TypeError for a non-function, and for a function that returns no generator', () => {
  assert.throws(() => (bindGenerator as (fn: unknown) => unknown)(42), {
    name: 'TypeError',
    message: /bindGenerator expects a generator function, got 42/,
  });
  const notAGenerator = bindGenerator((() => 42) as unknown as () => Generator<number>);
  assert.throws(() => notAGenerator(), {
    name: 'TypeError',
    message: /not a generator: pass a function\* or async function\*/,
  });
});

test("bindGenerator: the runtime's iterator helpers apply where it has them", {
  skip: !('Iterator' in globalThis),
}, () => {
  const user = new Variable({ defaultValue: 'anonymous' });
  const gen = bindGenerator(function* () {
    yield 1;
    yield 2;
  });
  const generator = user.run('ada', () => gen()) as unknown as { map(fn: (n: number) => string): Iterable<string> };
  // The helper pulls each step with next() (run at creation, 'ada'); its callback runs in the consumer's context.
  const mapped = user.run('bob', () => [...generator.map((n) => `${n}:${user.get()}`)]);
  assert.deepEqual(mapped, ['1:bob', '2:bob']);
});
