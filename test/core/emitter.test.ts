/**
 * bind(emitter) (docs/semantics.md, S11): listeners added to a bound
 * EventEmitter or EventTarget run with the values current when each was
 * added; removal with the original function, once, listeners() and binding
 * twice keep working. The node:http cases show the defect bind fixes: a
 * request's 'data'/'end' listeners otherwise run with the socket's values.
 */
import assert from 'node:assert/strict';
import { EventEmitter, once } from 'node:events';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import { bind, ContextVar, copyContext } from '../../src/index.ts';

const v = new ContextVar<string>('v', { default: 'd' });

/** Runs `fn` in a fresh copy of the current context with `v` set to `value`. */
const inCopy = <T>(value: string, fn: () => T): T =>
  copyContext().run(() => {
    v.set(value);
    return fn();
  });

describe('bind(EventEmitter)', () => {
  test('returns the emitter; each listener sees the values current when it was added', () => {
    const emitter = new EventEmitter();
    assert.equal(bind(emitter), emitter);
    const seen: string[] = [];
    inCopy('first', () => emitter.on('e', () => seen.push(`on:${v.get()}`)));
    inCopy('second', () => emitter.prependListener('e', () => seen.push(`prepend:${v.get()}`)));
    inCopy('third', () => emitter.addListener('e', () => seen.push(`add:${v.get()}`)));
    inCopy('emitter', () => emitter.emit('e'));
    assert.deepEqual(seen, ['prepend:second', 'on:first', 'add:third']);
  });

  test('without bind a listener runs with the values of whoever emits', () => {
    const emitter = new EventEmitter();
    let seen = '';
    inCopy('added', () => emitter.on('e', () => (seen = v.get())));
    inCopy('emitter', () => emitter.emit('e'));
    assert.equal(seen, 'emitter');
  });

  test('a listener set inside its call does not reach the emitter or the next call', () => {
    const emitter = bind(new EventEmitter());
    const seen: string[] = [];
    inCopy('added', () =>
      emitter.on('e', () => {
        seen.push(v.get());
        v.set('changed');
      }),
    );
    emitter.emit('e');
    emitter.emit('e');
    assert.deepEqual(seen, ['added', 'added']);
    assert.equal(v.get(), 'd');
  });

  test('arguments and this reach the listener', () => {
    const emitter = bind(new EventEmitter());
    let received: unknown[] = [];
    let self: unknown;
    emitter.on('e', function (this: unknown, ...args: unknown[]) {
      self = this;
      received = args;
    });
    emitter.emit('e', 1, 'two');
    assert.deepEqual(received, [1, 'two']);
    assert.equal(self, emitter);
  });

  test('off and removeListener with the original function remove it', () => {
    const emitter = bind(new EventEmitter());
    let calls = 0;
    const listener = () => calls++;
    emitter.on('e', listener);
    emitter.on('f', listener);
    assert.equal(emitter.listenerCount('e'), 1);
    emitter.off('e', listener);
    emitter.removeListener('f', listener);
    emitter.emit('e');
    emitter.emit('f');
    assert.equal(calls, 0);
    assert.equal(emitter.listenerCount('e') + emitter.listenerCount('f'), 0);
  });

  test('a listener added twice is removed one registration at a time', () => {
    const emitter = bind(new EventEmitter());
    const seen: string[] = [];
    const listener = () => seen.push(v.get());
    inCopy('a', () => emitter.on('e', listener));
    inCopy('b', () => emitter.on('e', listener));
    emitter.emit('e');
    emitter.off('e', listener);
    emitter.emit('e');
    emitter.off('e', listener);
    emitter.emit('e');
    assert.deepEqual(seen, ['a', 'b', 'a']);
  });

  test('once and prependOnceListener run once with their values, and can be removed before', () => {
    const emitter = bind(new EventEmitter());
    const seen: string[] = [];
    inCopy('once', () => emitter.once('e', () => seen.push(`once:${v.get()}`)));
    inCopy('prepend', () => emitter.prependOnceListener('e', () => seen.push(`prepend:${v.get()}`)));
    const removed = () => seen.push('removed');
    emitter.once('e', removed);
    emitter.off('e', removed);
    emitter.emit('e');
    emitter.emit('e');
    assert.deepEqual(seen, ['prepend:prepend', 'once:once']);
  });

  test('a once listener that ran does not hide an earlier registration from off', () => {
    const emitter = bind(new EventEmitter());
    let calls = 0;
    const listener = () => calls++;
    emitter.on('e', listener);
    emitter.once('e', listener);
    emitter.emit('e'); // both run; the once registration is gone
    emitter.off('e', listener); // removes the remaining `on` registration
    emitter.emit('e');
    assert.equal(calls, 2);
    assert.equal(emitter.listenerCount('e'), 0);
  });

  test('listeners() gives the original functions; rawListeners() the callable wrappers', () => {
    const emitter = bind(new EventEmitter());
    const a = () => 'a';
    const b = () => 'b';
    emitter.on('e', a);
    emitter.once('e', b);
    assert.deepEqual(emitter.listeners('e'), [a, b]);
    const raw = emitter.rawListeners('e');
    assert.equal(raw.length, 2);
    assert.ok(raw.every((listener) => typeof listener === 'function' && listener !== a && listener !== b));
  });

  test("'newListener' and 'removeListener' events report the original function", () => {
    const emitter = bind(new EventEmitter());
    const reported: unknown[] = [];
    const listener = () => {};
    emitter.on('newListener', (event, added) => event === 'e' && reported.push(added));
    emitter.on('removeListener', (event, removed) => event === 'e' && reported.push(removed));
    emitter.on('e', listener);
    emitter.off('e', listener);
    assert.deepEqual(reported, [listener, listener]);
  });

  test('binding twice wraps once', () => {
    const emitter = new EventEmitter();
    bind(emitter);
    assert.equal(bind(emitter), emitter);
    const seen: string[] = [];
    const listener = () => seen.push(v.get());
    inCopy('added', () => emitter.on('e', listener));
    inCopy('emitter', () => emitter.emit('e'));
    emitter.off('e', listener);
    emitter.emit('e');
    assert.deepEqual(seen, ['added']);
  });

  test('listeners added before bind keep running with the emitter’s values', () => {
    const emitter = new EventEmitter();
    const seen: string[] = [];
    inCopy('before', () => emitter.on('e', () => seen.push(v.get())));
    bind(emitter);
    inCopy('emitter', () => emitter.emit('e'));
    assert.deepEqual(seen, ['emitter']);
  });

  test('anything else is a TypeError naming bind', () => {
    for (const value of [undefined, null, 42, 'on', {}, { on() {} }]) {
      assert.throws(() => bind(value as never), { name: 'TypeError', message: /^bind expects a function/ });
    }
  });
});

describe('bind(EventTarget)', () => {
  test('listeners, handleEvent objects and once see the values current when added', () => {
    const target = new EventTarget();
    assert.equal(bind(target), target);
    const seen: string[] = [];
    inCopy('function', () => target.addEventListener('e', () => seen.push(`function:${v.get()}`)));
    inCopy('object', () => target.addEventListener('e', { handleEvent: () => seen.push(`object:${v.get()}`) }));
    inCopy('once', () => target.addEventListener('e', () => seen.push(`once:${v.get()}`), { once: true }));
    inCopy('dispatcher', () => target.dispatchEvent(new Event('e')));
    inCopy('dispatcher', () => target.dispatchEvent(new Event('e')));
    assert.deepEqual(seen, ['function:function', 'object:object', 'once:once', 'function:function', 'object:object']);
  });

  test('removeEventListener with the original function removes it; adding twice adds once', () => {
    const target = bind(new EventTarget());
    let calls = 0;
    const listener = () => calls++;
    target.addEventListener('e', listener);
    target.addEventListener('e', listener);
    target.dispatchEvent(new Event('e'));
    assert.equal(calls, 1);
    target.removeEventListener('e', listener);
    target.dispatchEvent(new Event('e'));
    assert.equal(calls, 1);
  });

  test('the capture flag keeps registrations apart, as EventTarget does', () => {
    const target = bind(new EventTarget());
    let calls = 0;
    const listener = () => calls++;
    target.addEventListener('e', listener, { capture: true });
    target.addEventListener('e', listener);
    target.removeEventListener('e', listener, { capture: true });
    target.dispatchEvent(new Event('e'));
    assert.equal(calls, 1);
  });

  test('a once listener that ran can be added again', () => {
    const target = bind(new EventTarget());
    const seen: string[] = [];
    const listener = () => seen.push(v.get());
    inCopy('first', () => target.addEventListener('e', listener, { once: true }));
    target.dispatchEvent(new Event('e'));
    inCopy('second', () => target.addEventListener('e', listener, { once: true }));
    target.dispatchEvent(new Event('e'));
    assert.deepEqual(seen, ['first', 'second']);
  });
});

describe('bind(req) in a node:http server', () => {
  const REQUESTS = 200;

  /**
   * 200 concurrent POSTs; each handler sets `v` from its header and answers
   * with what its 'data' and 'end' listeners read. Returns the answers that
   * are not the request's own value throughout.
   */
  async function mismatches(prepare: (req: IncomingMessage) => void): Promise<string[]> {
    const server = createServer((req, res) => {
      v.set(String(req.headers['x-id']));
      prepare(req);
      const seen: string[] = [];
      req.on('data', () => seen.push(v.get()));
      req.on('end', () => {
        seen.push(v.get());
        res.end(seen.join(','));
      });
    });
    await once(server.listen(0, '127.0.0.1'), 'listening');
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const wrong: string[] = [];
      await Promise.all(
        Array.from({ length: REQUESTS }, async (_, i) => {
          const response = await fetch(base, { method: 'POST', headers: { 'x-id': `r${i}` }, body: 'x'.repeat(64) });
          const body = await response.text();
          if (body.split(',').some((seen) => seen !== `r${i}`)) wrong.push(`r${i} saw ${body}`);
        }),
      );
      return wrong;
    } finally {
      server.close();
      server.closeAllConnections();
    }
  }

  test("without bind, a body listener runs with the socket's values", async () => {
    const wrong = await mismatches(() => {});
    assert.ok(wrong.length > 0, 'every listener saw its own request value: the defect bind(req) fixes is gone');
    assert.ok(
      wrong.every((line) => line.endsWith(',d') || line.includes('saw d')),
      `the listeners that missed saw the socket's (empty) values: ${wrong.slice(0, 3).join('; ')}`,
    );
  });

  test(`with bind(req), ${REQUESTS} concurrent requests: 0 mismatches`, async () => {
    assert.deepEqual(await mismatches((req) => bind(req)), []);
  });
});
