/**
 * How the library's classes render: util.inspect and console.log show each
 * instance's toString(), and Object.prototype.toString names its class.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inspect } from 'node:util';
import { Context, ContextVar } from '../../src/index.ts';
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
