/**
 * OpenTelemetry's own context-manager cases, ported: the `it` blocks of
 * opentelemetry-js packages/opentelemetry-context-async-hooks/test/
 * AsyncHooksContextManager.test.ts that its AsyncLocalStorageContextManager
 * runs, including the `.attach()` block that runs for it alone. Each test
 * keeps the original case's name (suite names are the original describe
 * blocks); the bodies are rewritten for node:test against
 * ContextVarContextManager.
 */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { context, createContextKey, ROOT_CONTEXT, type Context as OtelContext } from '@opentelemetry/api';
import { Context } from '../../../src/index.ts';
import { ContextVarContextManager } from '../../../src/integrations/opentelemetry/index.ts';

/** The original passes plain strings as contexts in several cases; the manager stores any value. */
const scope = (name: string): OtelContext => name as unknown as OtelContext;

describe('ContextVarContextManager (ported from AsyncLocalStorageContextManager)', () => {
  let contextManager: ContextVarContextManager;
  let otherContextManager: ContextVarContextManager | undefined;
  const key1 = createContextKey('test key 1');

  beforeEach(() => {
    contextManager = new ContextVarContextManager();
    contextManager.enable();
  });

  afterEach(() => {
    contextManager.disable();
    otherContextManager?.disable();
  });

  // The original's enable()/disable() cases only check the returned `this`; here they
  // also check what enabling and disabling do, so each can fail.
  describe('.enable()', () => {
    it('should work', async () => {
      contextManager = new ContextVarContextManager();
      assert.equal(contextManager.enable(), contextManager);
      const context = ROOT_CONTEXT.setValue(key1, 'enabled');
      const seen = await contextManager.with(context, async () => {
        await new Promise<void>((resolve) => setImmediate(resolve));
        return contextManager.active();
      });
      assert.equal(seen, context, 'an enabled manager carries the context across an await');
      assert.equal(contextManager.active(), ROOT_CONTEXT);
    });
  });

  describe('.disable()', () => {
    it('should work', () => {
      const context = ROOT_CONTEXT.setValue(key1, 'before');
      contextManager.attach(context);
      assert.equal(contextManager.active(), context);
      assert.equal(contextManager.disable(), contextManager);
      assert.equal(contextManager.active(), ROOT_CONTEXT, 'disable() forgets the attached context');
      contextManager.enable();
      assert.equal(contextManager.active(), ROOT_CONTEXT, 'enable() does not bring it back');
    });
  });

  describe('.with()', () => {
    it('should run the callback (null as target)', (_t, done) => {
      // JavaScript callers can pass null where the types want a Context.
      contextManager.with(null as unknown as OtelContext, done);
    });

    it('should run the callback (object as target)', (_t, done) => {
      const test = ROOT_CONTEXT.setValue(key1, 1);
      contextManager.with(test, () => {
        assert.equal(contextManager.active(), test, 'should have context');
        done();
      });
    });

    it('should run the callback (when disabled)', (_t, done) => {
      contextManager.disable();
      contextManager.with(ROOT_CONTEXT, () => {
        contextManager.enable();
        done();
      });
    });

    it('should rethrow errors', () => {
      assert.throws(
        () =>
          contextManager.with(ROOT_CONTEXT, () => {
            throw new Error('This should be rethrown');
          }),
        /This should be rethrown/,
      );
    });

    it('should forward this, arguments and return value', () => {
      function fnWithThis(this: string, a: string, b: number): string {
        assert.equal(this, 'that');
        // biome-ignore lint/complexity/noArguments: the case checks how many arguments arrived, which a rest parameter would hide
        assert.equal(arguments.length, 2);
        assert.equal(a, 'one');
        assert.equal(b, 2);
        return 'done';
      }
      assert.equal(contextManager.with(ROOT_CONTEXT, fnWithThis, 'that', 'one', 2), 'done');
      assert.equal(
        contextManager.with(ROOT_CONTEXT, () => 3.14),
        3.14,
      );
    });

    it('should finally restore an old context', (_t, done) => {
      const ctx1 = ROOT_CONTEXT.setValue(key1, 'ctx1');
      const ctx2 = ROOT_CONTEXT.setValue(key1, 'ctx2');
      contextManager.with(ctx1, () => {
        assert.equal(contextManager.active(), ctx1);
        contextManager.with(ctx2, () => {
          assert.equal(contextManager.active(), ctx2);
        });
        assert.equal(contextManager.active(), ctx1);
        done();
      });
    });

    // The original file has two cases of this name; this is the second (a timer inside with).
    it('should finally restore an old context (timer inside with)', (_t, done) => {
      const ctx1 = ROOT_CONTEXT.setValue(key1, 'ctx1');
      contextManager.with(ctx1, () => {
        assert.equal(contextManager.active(), ctx1);
        setTimeout(() => {
          assert.equal(contextManager.active(), ctx1);
          done();
        });
      });
    });

    it('async function called from nested "with" sync function should return nested context', (_t, done) => {
      const scope1 = scope('1');
      const scope2 = scope('2');
      const asyncFuncCalledDownstreamFromSync = async (): Promise<void> => {
        await (async () => {})();
        assert.equal(contextManager.active(), scope2);
        done();
      };
      contextManager.with(scope1, () => {
        assert.equal(contextManager.active(), scope1);
        contextManager.with(scope2, () => asyncFuncCalledDownstreamFromSync());
        assert.equal(contextManager.active(), scope1);
      });
      assert.equal(contextManager.active(), ROOT_CONTEXT);
    });

    it('should not loose the context', (_t, done) => {
      const scope1 = scope('1');
      contextManager.with(scope1, async () => {
        assert.equal(contextManager.active(), scope1);
        await new Promise((resolve) => setTimeout(resolve, 100));
        assert.equal(contextManager.active(), scope1);
        done();
      });
      assert.equal(contextManager.active(), ROOT_CONTEXT);
    });

    it('should correctly restore context using async/await', async () => {
      const [scope1, scope2, scope3, scope4] = ['1', '2', '3', '4'].map(scope) as [
        OtelContext,
        OtelContext,
        OtelContext,
        OtelContext,
      ];
      await contextManager.with(scope1, async () => {
        assert.equal(contextManager.active(), scope1);
        await contextManager.with(scope2, async () => {
          assert.equal(contextManager.active(), scope2);
          await contextManager.with(scope3, async () => {
            assert.equal(contextManager.active(), scope3);
            await contextManager.with(scope4, async () => {
              assert.equal(contextManager.active(), scope4);
            });
            assert.equal(contextManager.active(), scope3);
          });
          assert.equal(contextManager.active(), scope2);
        });
        assert.equal(contextManager.active(), scope1);
      });
      assert.equal(contextManager.active(), ROOT_CONTEXT);
    });

    // The original orders the two timers by their lengths (20 and 100 ms); here a gate
    // orders them: scope1's timer goes on once scope2's timer has run with(scope4).
    it('should works with multiple concurrent operations', (_t, done) => {
      const [scope1, scope2, scope3, scope4] = ['1', '2', '3', '4'].map(scope) as [
        OtelContext,
        OtelContext,
        OtelContext,
        OtelContext,
      ];
      let scope4Called = false;
      let scope4Ran!: () => void;
      const scope4Done = new Promise<void>((resolve) => (scope4Ran = resolve));
      contextManager.with(scope1, async () => {
        assert.equal(contextManager.active(), scope1);
        setTimeout(async () => {
          await scope4Done;
          assert.equal(contextManager.active(), scope1);
          await contextManager.with(scope3, async () => {
            assert.equal(contextManager.active(), scope3);
          });
          assert.equal(contextManager.active(), scope1);
          assert.equal(scope4Called, true);
          done();
        });
        assert.equal(contextManager.active(), scope1);
      });
      assert.equal(contextManager.active(), ROOT_CONTEXT);
      contextManager.with(scope2, async () => {
        assert.equal(contextManager.active(), scope2);
        setTimeout(() => {
          contextManager.with(scope4, async () => {
            assert.equal(contextManager.active(), scope4);
            scope4Called = true;
            scope4Ran();
          });
          assert.equal(contextManager.active(), scope2);
        });
        assert.equal(contextManager.active(), scope2);
      });
      assert.equal(contextManager.active(), ROOT_CONTEXT);
    });

    it('should work with timers using the same timeout', (_t, done) => {
      let count = 3;
      const countDown = (): void => {
        count -= 1;
        if (count === 0) done();
        if (count < 0) throw new Error('too many calls to countDown()');
      };
      const time1 = 2;
      const time2 = time1 + 1;
      const rootCtx = contextManager.active();
      const innerCtx = rootCtx.setValue(Symbol('test'), 23);
      contextManager.with(innerCtx, () => {
        setTimeout(() => {
          assert.equal(contextManager.active(), innerCtx);
          countDown();
        }, time1);
      });
      setTimeout(() => {
        assert.equal(contextManager.active(), rootCtx);
        countDown();
      }, time1);
      setTimeout(() => {
        assert.equal(contextManager.active(), rootCtx);
        countDown();
      }, time2);
    });

    it('should not influence other instances', () => {
      otherContextManager = new ContextVarContextManager().enable();
      const other = otherContextManager;
      const context = ROOT_CONTEXT.setValue(key1, 2);
      const otherContext = ROOT_CONTEXT.setValue(key1, 3);
      contextManager.with(context, () => {
        assert.equal(contextManager.active(), context);
        assert.equal(other.active(), ROOT_CONTEXT);
        other.with(otherContext, () => {
          assert.equal(contextManager.active(), context);
          assert.equal(other.active(), otherContext);
        });
      });
    });
  });

  describe('.bind(function)', () => {
    it('should return the same target (when enabled)', () => {
      const test = { a: 1 };
      assert.equal(contextManager.bind(ROOT_CONTEXT, test), test);
    });

    it('should return the same target (when disabled)', () => {
      contextManager.disable();
      const test = { a: 1 };
      assert.equal(contextManager.bind(ROOT_CONTEXT, test), test);
      contextManager.enable();
    });

    it('should return current context (when enabled)', (_t, done) => {
      const context = ROOT_CONTEXT.setValue(key1, 1);
      const fn = contextManager.bind(context, () => {
        assert.equal(contextManager.active(), context, 'should have context');
        done();
      });
      fn();
    });

    it('should return current context (when disabled)', (_t, done) => {
      contextManager.disable();
      const context = ROOT_CONTEXT.setValue(key1, 1);
      const fn = contextManager.bind(context, () => {
        assert.equal(contextManager.active(), context, 'should have context');
        done();
      });
      fn();
    });

    // The name is the original's; its body (kept) asserts that the context survives the timer.
    it('should fail to return current context with async op', (_t, done) => {
      const context = ROOT_CONTEXT.setValue(key1, 1);
      const fn = contextManager.bind(context, () => {
        assert.equal(contextManager.active(), context);
        setTimeout(() => {
          assert.equal(contextManager.active(), context);
          done();
        }, 100);
      });
      fn();
    });

    it('should not influence other instances', () => {
      otherContextManager = new ContextVarContextManager().enable();
      const other = otherContextManager;
      const context = ROOT_CONTEXT.setValue(key1, 2);
      const otherContext = ROOT_CONTEXT.setValue(key1, 3);
      let called = false;
      const fn = other.bind(
        otherContext,
        contextManager.bind(context, () => {
          assert.equal(contextManager.active(), context);
          assert.equal(other.active(), otherContext);
          called = true;
        }),
      );
      fn();
      assert.ok(called);
    });
  });

  describe('.bind(event-emitter)', () => {
    it('should return the same target (when enabled)', () => {
      const ee = new EventEmitter();
      assert.equal(contextManager.bind(ROOT_CONTEXT, ee), ee);
    });

    it('should return the same target (when disabled)', () => {
      const ee = new EventEmitter();
      contextManager.disable();
      assert.equal(contextManager.bind(ROOT_CONTEXT, ee), ee);
    });

    it('should return current context and removeListener (when enabled)', (_t, done) => {
      const ee = new EventEmitter();
      const context = ROOT_CONTEXT.setValue(key1, 1);
      const patchedEE = contextManager.bind(context, ee);
      const handler = (): void => {
        assert.equal(contextManager.active(), context);
        patchedEE.removeListener('test', handler);
        assert.equal(patchedEE.listeners('test').length, 0);
        done();
      };
      patchedEE.on('test', handler);
      assert.equal(patchedEE.listeners('test').length, 1);
      patchedEE.emit('test');
    });

    it('should return current context and removeAllListener (when enabled)', (_t, done) => {
      const ee = new EventEmitter();
      const context = ROOT_CONTEXT.setValue(key1, 1);
      const patchedEE = contextManager.bind(context, ee);
      const handler = (): void => {
        assert.equal(contextManager.active(), context);
        patchedEE.removeAllListeners('test');
        assert.equal(patchedEE.listeners('test').length, 0);
        done();
      };
      patchedEE.on('test', handler);
      assert.equal(patchedEE.listeners('test').length, 1);
      patchedEE.emit('test');
    });

    it('should remove event handler enabled by .once using removeListener (when enabled)', () => {
      const ee = new EventEmitter();
      const context = ROOT_CONTEXT.setValue(key1, 1);
      const patchedEE = contextManager.bind(context, ee);
      function handler(): void {}
      patchedEE.once('test', handler);
      assert.equal(patchedEE.listeners('test').length, 1);
      patchedEE.removeListener('test', handler);
      assert.equal(patchedEE.listeners('test').length, 0);
    });

    it('should remove event handler enabled by .once using off (when enabled)', () => {
      const ee = new EventEmitter();
      const context = ROOT_CONTEXT.setValue(key1, 1);
      const patchedEE = contextManager.bind(context, ee);
      const handler = (): void => {};
      patchedEE.once('test', handler);
      assert.equal(patchedEE.listeners('test').length, 1);
      patchedEE.off('test', handler);
      assert.equal(patchedEE.listeners('test').length, 0);
    });

    it('should return current context and removeAllListeners (when enabled)', (_t, done) => {
      const ee = new EventEmitter();
      const context = ROOT_CONTEXT.setValue(key1, 1);
      const patchedEE = contextManager.bind(context, ee);
      const handler = (): void => {
        assert.equal(contextManager.active(), context);
        patchedEE.removeAllListeners();
        assert.equal(patchedEE.listeners('test').length, 0);
        assert.equal(patchedEE.listeners('test1').length, 0);
        done();
      };
      patchedEE.on('test', handler);
      patchedEE.on('test1', handler);
      assert.equal(patchedEE.listeners('test').length, 1);
      assert.equal(patchedEE.listeners('test1').length, 1);
      patchedEE.emit('test');
    });

    it('should return context (when disabled)', (_t, done) => {
      contextManager.disable();
      const ee = new EventEmitter();
      const context = ROOT_CONTEXT.setValue(key1, 1);
      const patchedEE = contextManager.bind(context, ee);
      const handler = (): void => {
        assert.equal(contextManager.active(), context);
        patchedEE.removeListener('test', handler);
        assert.equal(patchedEE.listeners('test').length, 0);
        done();
      };
      patchedEE.on('test', handler);
      assert.equal(patchedEE.listeners('test').length, 1);
      patchedEE.emit('test');
    });

    // The name is the original's; its body (kept) asserts that the context survives setImmediate.
    it('should not return current context with async op', (_t, done) => {
      const ee = new EventEmitter();
      const context = ROOT_CONTEXT.setValue(key1, 1);
      const patchedEE = contextManager.bind(context, ee);
      const handler = (): void => {
        assert.equal(contextManager.active(), context);
        setImmediate(() => {
          assert.equal(contextManager.active(), context);
          patchedEE.removeAllListeners('test');
          assert.equal(patchedEE.listeners('test').length, 0);
          done();
        });
      };
      patchedEE.on('test', handler);
      assert.equal(patchedEE.listeners('test').length, 1);
      patchedEE.emit('test');
    });

    it('should not influence other instances', () => {
      const ee = new EventEmitter();
      otherContextManager = new ContextVarContextManager().enable();
      const other = otherContextManager;
      const context = ROOT_CONTEXT.setValue(key1, 2);
      const otherContext = ROOT_CONTEXT.setValue(key1, 3);
      const patchedEE = other.bind(otherContext, contextManager.bind(context, ee));
      let called = false;
      patchedEE.on('test', () => {
        assert.equal(contextManager.active(), context);
        assert.equal(other.active(), otherContext);
        called = true;
      });
      patchedEE.emit('test');
      assert.ok(called);
    });
  });

  describe('.attach()', () => {
    it('should attach and restore context via token.dispose()', () => {
      const context1 = ROOT_CONTEXT.setValue(key1, 1);
      assert.equal(contextManager.active(), ROOT_CONTEXT);
      const token1 = contextManager.attach(context1);
      assert.equal(contextManager.active(), context1);
      token1.dispose();
      assert.equal(contextManager.active(), ROOT_CONTEXT);
    });

    it('should support nested attach with token.dispose()', () => {
      const [context1, context2, context3] = [1, 2, 3].map((n) => ROOT_CONTEXT.setValue(key1, n)) as [
        OtelContext,
        OtelContext,
        OtelContext,
      ];
      assert.equal(contextManager.active(), ROOT_CONTEXT);
      const token1 = contextManager.attach(context1);
      assert.equal(contextManager.active(), context1);
      const token2 = contextManager.attach(context2);
      assert.equal(contextManager.active(), context2);
      const token3 = contextManager.attach(context3);
      assert.equal(contextManager.active(), context3);
      token3.dispose();
      assert.equal(contextManager.active(), context2);
      token2.dispose();
      assert.equal(contextManager.active(), context1);
      token1.dispose();
      assert.equal(contextManager.active(), ROOT_CONTEXT);
    });

    it('should work with async operations', async () => {
      const context1 = ROOT_CONTEXT.setValue(key1, 1);
      const token1 = contextManager.attach(context1);
      assert.equal(contextManager.active(), context1);
      await new Promise<void>((resolve) => {
        setImmediate(() => {
          assert.equal(contextManager.active(), context1);
          resolve();
        });
      });
      assert.equal(contextManager.active(), context1);
      token1.dispose();
      assert.equal(contextManager.active(), ROOT_CONTEXT);
    });

    it('should interact correctly with .with()', () => {
      const context1 = ROOT_CONTEXT.setValue(key1, 1);
      const context2 = ROOT_CONTEXT.setValue(key1, 2);
      const token1 = contextManager.attach(context1);
      assert.equal(contextManager.active(), context1);
      contextManager.with(context2, () => {
        assert.equal(contextManager.active(), context2);
      });
      assert.equal(contextManager.active(), context1);
      token1.dispose();
      assert.equal(contextManager.active(), ROOT_CONTEXT);
    });

    it('should maintain context across attach inside with()', () => {
      const [context1, context2, context3] = [1, 2, 3].map((n) => ROOT_CONTEXT.setValue(key1, n)) as [
        OtelContext,
        OtelContext,
        OtelContext,
      ];
      const token1 = contextManager.attach(context1);
      assert.equal(contextManager.active(), context1);
      contextManager.with(context2, () => {
        assert.equal(contextManager.active(), context2);
        const token3 = contextManager.attach(context3);
        assert.equal(contextManager.active(), context3);
        token3.dispose();
        assert.equal(contextManager.active(), context2);
      });
      assert.equal(contextManager.active(), context1);
      token1.dispose();
      assert.equal(contextManager.active(), ROOT_CONTEXT);
    });

    it('should work with bound functions after attach', () => {
      const context1 = ROOT_CONTEXT.setValue(key1, 1);
      const context2 = ROOT_CONTEXT.setValue(key1, 2);
      const token1 = contextManager.attach(context1);
      assert.equal(contextManager.active(), context1);
      const fn = contextManager.bind(context2, () => contextManager.active());
      assert.equal(fn(), context2);
      assert.equal(contextManager.active(), context1);
      token1.dispose();
      assert.equal(contextManager.active(), ROOT_CONTEXT);
    });

    it('should handle multiple attach/dispose sequences', () => {
      const context1 = ROOT_CONTEXT.setValue(key1, 1);
      const context2 = ROOT_CONTEXT.setValue(key1, 2);
      const token1 = contextManager.attach(context1);
      assert.equal(contextManager.active(), context1);
      token1.dispose();
      assert.equal(contextManager.active(), ROOT_CONTEXT);
      const token2 = contextManager.attach(context2);
      assert.equal(contextManager.active(), context2);
      token2.dispose();
      assert.equal(contextManager.active(), ROOT_CONTEXT);
    });

    it('should propagate context to promises after attach', async () => {
      const context1 = ROOT_CONTEXT.setValue(key1, 1);
      const token1 = contextManager.attach(context1);
      assert.equal(contextManager.active(), context1);
      const result = await Promise.resolve().then(() => contextManager.active());
      assert.equal(result, context1);
      assert.equal(contextManager.active(), context1);
      token1.dispose();
      assert.equal(contextManager.active(), ROOT_CONTEXT);
    });

    // The original orders the two chains by timer lengths; here gates order them:
    // each chain checks its context only once both have attached.
    it('should not leak an attached context into a concurrent sibling async chain', async () => {
      const contextA = ROOT_CONTEXT.setValue(key1, 'A');
      const contextB = ROOT_CONTEXT.setValue(key1, 'B');
      let attachedCount = 0;
      let bothAttached!: () => void;
      const attached = new Promise<void>((resolve) => (bothAttached = resolve));
      const chain = (context: OtelContext): Promise<void> =>
        new Promise<void>((resolve, reject) => {
          setTimeout(() => {
            const token = contextManager.attach(context);
            assert.equal(contextManager.active(), context);
            if (++attachedCount === 2) bothAttached();
            void attached.then(() => {
              setTimeout(() => {
                try {
                  assert.equal(contextManager.active(), context, 'the sibling chain must not change this context');
                  token.dispose();
                  resolve();
                } catch (error) {
                  reject(error);
                }
              });
            });
          });
        });
      await Promise.all([chain(contextA), chain(contextB)]);
      assert.equal(attachedCount, 2);
      // Both attached in timer callbacks, frames of their own: this frame never saw them.
      assert.equal(contextManager.active(), ROOT_CONTEXT);
    });

    it('should work correctly when disabled', () => {
      contextManager.disable();
      const context1 = ROOT_CONTEXT.setValue(key1, 1);
      const token1 = contextManager.attach(context1);
      assert.equal(contextManager.active(), context1);
      token1.dispose();
      assert.equal(contextManager.active(), ROOT_CONTEXT);
      contextManager.enable();
    });
  });

  // Beyond the port: what the ContextManagementToken of API 1.10 promises, and how this manager's differs.
  describe('.attach() token', () => {
    it('dispose() is idempotent: a second call does not undo a later attach', () => {
      const context1 = ROOT_CONTEXT.setValue(key1, 1);
      const context2 = ROOT_CONTEXT.setValue(key1, 2);
      const token1 = contextManager.attach(context1);
      token1.dispose();
      contextManager.attach(context2);
      token1.dispose();
      assert.equal(contextManager.active(), context2);
    });

    it('Symbol.dispose restores the previous context, once (using)', () => {
      const context1 = ROOT_CONTEXT.setValue(key1, 1);
      const context2 = ROOT_CONTEXT.setValue(key1, 2);
      const token1 = contextManager.attach(context1);
      const token2 = contextManager.attach(context2);
      token2[Symbol.dispose]();
      assert.equal(contextManager.active(), context1);
      token2.dispose();
      token2[Symbol.dispose]();
      assert.equal(contextManager.active(), context1);
      token1[Symbol.dispose]();
      assert.equal(contextManager.active(), ROOT_CONTEXT);
    });

    it("context.attach(ctx).dispose() through @opentelemetry/api's global context API", () => {
      assert.equal(context.setGlobalContextManager(contextManager), true);
      try {
        const context1 = ROOT_CONTEXT.setValue(key1, 1);
        const token = context.attach(context1);
        assert.equal(context.active(), context1);
        token.dispose();
        assert.equal(context.active(), ROOT_CONTEXT);
      } finally {
        context.disable();
      }
    });

    it('dispose() in another flow makes the earlier context active there, without throwing', () => {
      const context1 = ROOT_CONTEXT.setValue(key1, 1);
      const context2 = ROOT_CONTEXT.setValue(key1, 2);
      const token1 = contextManager.attach(context1);
      const token2 = contextManager.attach(context2);
      const seen = new Context().run(() => {
        token2.dispose();
        return contextManager.active();
      });
      assert.equal(seen, context1);
      // This flow keeps its own context: the dispose happened elsewhere.
      assert.equal(contextManager.active(), context2);
      token1.dispose();
      assert.equal(contextManager.active(), ROOT_CONTEXT);
    });

    it('an attach in an awaited async function, disposed after its await, is gone for the caller too', async () => {
      const context1 = ROOT_CONTEXT.setValue(key1, 1);
      const inner = async (): Promise<OtelContext> => {
        const token = contextManager.attach(context1);
        await new Promise<void>((resolve) => setImmediate(resolve));
        const seen = contextManager.active();
        token.dispose();
        return seen;
      };
      assert.equal(await inner(), context1);
      assert.equal(contextManager.active(), ROOT_CONTEXT);
    });
  });

  // Beyond the port: what disable() means here, pinned.
  describe('.disable() forgets entered contexts', () => {
    it('a continuation started inside with() sees ROOT_CONTEXT after disable()', async () => {
      const context = ROOT_CONTEXT.setValue(key1, 'inside');
      let resume!: () => void;
      const paused = new Promise<void>((resolve) => (resume = resolve));
      const seen = contextManager.with(context, async () => {
        assert.equal(contextManager.active(), context);
        await paused;
        return contextManager.active();
      });
      contextManager.disable();
      resume();
      assert.equal(await seen, ROOT_CONTEXT);
    });
  });
});
