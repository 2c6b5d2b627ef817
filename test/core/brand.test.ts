/**
 * How the library's classes render: util.inspect and console.log show each
 * instance's toString(), and Object.prototype.toString names its class.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inspect } from 'node:util';
import { Context, ContextVar, Token } from '../../src/index.ts';
import { createTask } from '../../src/asyncio/index.ts';

test('util.inspect shows ContextVar, Token, Context and Task as their toString(), also nested', async () => {
  const v = new ContextVar('v', { default: 1 });
  const ctx = new Context();
  const token = ctx.run(() => v.set(2));
  const task = createTask(async () => 'done');
  assert.equal(inspect(v), "<ContextVar name='v' default=1>");
  assert.equal(inspect(token), "<Token var=<ContextVar name='v' default=1>>");
  assert.equal(inspect(ctx), '<Context {v: 2}>');
  assert.match(inspect(task), /^<Task name='Task-\d+' (pending|done)>$/);
  assert.equal(inspect({ nested: [v] }), "{ nested: [ <ContextVar name='v' default=1> ] }");
  await task;
  assert.match(inspect(task), /^<Task name='Task-\d+' done>$/);
});

test('Object.prototype.toString names each class', () => {
  const v = new ContextVar('v');
  const tag = (value: unknown): string => Object.prototype.toString.call(value);
  assert.equal(tag(v), '[object ContextVar]');
  assert.equal(tag(new Context().run(() => v.set(1))), '[object Token]');
  assert.equal(tag(new Context()), '[object Context]');
});

test("Token.MISSING renders as Python's repr everywhere a string is made of it, and is frozen", () => {
  const { MISSING } = Token;
  assert.equal(String(MISSING), '<Token.MISSING>');
  assert.equal(`${MISSING}`, '<Token.MISSING>');
  assert.equal(`old: ${new ContextVar('fresh').set(1).oldValue}`, 'old: <Token.MISSING>');
  // biome-ignore lint/style/useTemplate: the + operator is what this line checks
  assert.equal(MISSING + '', '<Token.MISSING>');
  assert.equal(inspect(MISSING), '<Token.MISSING>');
  assert.equal(inspect({ old: MISSING }), '{ old: <Token.MISSING> }');
  assert.equal(Object.prototype.toString.call(MISSING), '[object Token.MISSING]');
  assert.equal(typeof MISSING, 'object');
  assert.ok(Object.isFrozen(MISSING));
  assert.throws(() => {
    (MISSING as unknown as { extra: number }).extra = 1;
  }, TypeError);
});

test('Token.isMissing is true for Token.MISSING alone', () => {
  const v = new ContextVar<unknown>('v');
  const first = v.set(1);
  assert.equal(Token.isMissing(first.oldValue), true);
  assert.equal(Token.isMissing(v.set(2).oldValue), false);
  for (const other of [undefined, null, 0, '', '<Token.MISSING>', {}, Symbol.for('contextvars.Token.MISSING')]) {
    assert.equal(Token.isMissing(other), false, String(other));
  }
});
