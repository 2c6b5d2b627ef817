/**
 * CPython's Lib/test/test_context.py, class ContextTest, ported as behaviour.
 * Each test keeps the CPython method name. Ported:
 *   test_context_var_new_1, test_context_var_repr_1, test_token_repr_1,
 *   test_context_subclassing_1, test_context_new_1, test_context_typerrors_1,
 *   test_context_get_context_1, test_context_run_1 … test_context_run_7,
 *   test_context_getset_1 … test_context_getset_5, test_context_copy_1,
 *   test_context_threads_1,
 *   the 3.14 Token context-manager cases (test_token_contextmanager_*), and the
 *   Context context-manager cases of CPython's main branch (test_context_manager*),
 *   whose closest TypeScript meaning is a `Context.run` block.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  Context,
  ContextReentryError,
  ContextVar,
  copyContext,
  LookupError,
  Token,
  TokenContextError,
  TokenUsedError,
} from '../../src/index.ts';
import { gather } from '../../src/asyncio/index.ts';
import { seeded } from '../support/random.ts';

/** Python's @isolated_context: each test runs in a fresh, empty Context. */
function isolated(fn: () => void): () => void {
  return () => new Context().run(fn);
}

test('test_context_var_new_1', () => {
  // ContextVar() without a name does not compile; at run time it is a TypeError.
  assert.throws(() => new (ContextVar as new (...args: unknown[]) => unknown)(), TypeError);
  assert.throws(() => new ContextVar(1 as unknown as string), { name: 'TypeError', message: /must be a string/ });

  const c = new ContextVar('aaa');
  assert.equal(c.name, 'aaa');
  // `name` is readonly: assigning fails to compile, and at run time the write is refused.
  assert.throws(() => {
    (c as { name: string }).name = 'bbb';
  }, TypeError);
  // Python: hash(c) != hash('aaa'). Ours: the key hash does not come from the name.
  const hashOf = (variable: ContextVar<unknown>) => (variable as unknown as { hash: number }).hash;
  assert.notEqual(hashOf(c), hashOf(new ContextVar('aaa')));
});

test(
  'test_context_var_repr_1',
  isolated(() => {
    let c = new ContextVar('a');
    assert.match(String(c), /'a'/);

    c = new ContextVar('a', { default: 123 });
    assert.match(String(c), /123/);

    // Python guards a self-containing default with '...'; ours never recurses
    // into an object default, so a cycle cannot loop.
    const lst: unknown[] = [];
    const cyclic = new ContextVar('a', { default: lst });
    lst.push(cyclic);
    assert.match(String(cyclic), /name='a'/);

    const t = cyclic.set([1]);
    assert.ok(String(t).includes(String(cyclic)));
    assert.doesNotMatch(String(t), / used /);
    cyclic.reset(t);
    assert.match(String(t), / used /);
  }),
);

test(
  'test_token_repr_1',
  isolated(() => {
    const c = new ContextVar('a');
    const tok = c.set(1);
    // Python shows addresses (`at 0x…`); JavaScript has none to show.
    assert.equal(String(tok), "<Token var=<ContextVar name='a'>>");
  }),
);

test('test_context_subclassing_1', () => {
  // Python refuses these as base types; ours refuses at construction time.
  class MyContextVar extends ContextVar<number> {}
  assert.throws(() => new MyContextVar('a'), { name: 'TypeError', message: /cannot be subclassed/ });
  class MyContext extends Context {}
  assert.throws(() => new MyContext(), { name: 'TypeError', message: /cannot be subclassed/ });
  // Token's constructor is private: `new Token()` does not compile, and at run time it is refused.
  assert.throws(() => new (Token as unknown as new () => unknown)(), { name: 'TypeError', message: /ContextVar\.set/ });
});

test('test_context_new_1', () => {
  // Python's Context() takes no arguments (TypeError); ours takes one optional
  // iterable of [ContextVar, value] pairs, so what Python rejects is still a TypeError.
  const AnyContext = Context as unknown as new (...args: unknown[]) => Context;
  assert.throws(() => new AnyContext(1), { name: 'TypeError', message: /new Context expects/ });
  assert.throws(() => new AnyContext(1, { a: 1 }), { name: 'TypeError', message: /new Context expects/ });
  assert.throws(() => new AnyContext({ a: 1 }), { name: 'TypeError', message: /new Context expects/ });
  assert.equal(new AnyContext().size, 0);
  assert.equal(new AnyContext([]).size, 0);
});

test('test_context_typerrors_1', () => {
  const ctx = new Context();
  const notAVar = 1 as unknown as ContextVar<unknown>;
  assert.throws(() => ctx.get(notAVar), { name: 'TypeError', message: /ContextVar/ });
  assert.throws(() => ctx.has(notAVar), { name: 'TypeError', message: /ContextVar/ });
  assert.throws(() => ctx.get(notAVar, 'default'), { name: 'TypeError', message: /ContextVar/ });
});

test('test_context_get_context_1', () => {
  const ctx = copyContext();
  assert.ok(ctx instanceof Context);
});

test('test_context_run_1', () => {
  const ctx = new Context();
  // ctx.run() without a function does not compile; at run time it is a TypeError.
  assert.throws(() => (ctx.run as (...args: unknown[]) => unknown)(), { name: 'TypeError', message: /function/ });
});

test('test_context_run_2', () => {
  const ctx = new Context();
  // Python's **kwargs become a trailing options object.
  function func(...args: unknown[]): unknown[] {
    return [...args, 'bar'];
  }
  const bound = func.bind(null);
  for (const f of [func, bound]) {
    assert.deepEqual(ctx.run(f), ['bar']);
    assert.deepEqual(ctx.run(f, 1), [1, 'bar']);
    assert.deepEqual(ctx.run(f, { a: 2 }), [{ a: 2 }, 'bar']);
    assert.deepEqual(ctx.run(f, 11, { a: 2 }), [11, { a: 2 }, 'bar']);
    const a = {};
    assert.deepEqual(ctx.run(f, 11, a), [11, a, 'bar']);
    assert.deepEqual(a, {});
  }
});

test('test_context_run_3', () => {
  const ctx = new Context();
  class ZeroDivisionError extends Error {}
  function func(..._args: unknown[]): never {
    throw new ZeroDivisionError();
  }
  assert.throws(() => ctx.run(func), ZeroDivisionError);
  assert.throws(() => ctx.run(func, 1, 2), ZeroDivisionError);
  assert.throws(() => ctx.run(func, 1, 2, { a: 123 }), ZeroDivisionError);
  // The context is not left entered by the throws.
  assert.equal(
    ctx.run(() => 'ok'),
    'ok',
  );
});

test(
  'test_context_run_4',
  isolated(() => {
    const ctx1 = new Context();
    const ctx2 = new Context();
    const variable = new ContextVar<string>('var');

    function func2(): void {
      assert.equal(variable.get(null), null);
    }
    function func1(): Context {
      assert.equal(variable.get(null), null);
      variable.set('spam');
      ctx2.run(func2);
      assert.equal(variable.get(null), 'spam');

      const cur = copyContext();
      assert.equal(cur.size, 1);
      assert.equal(cur.get(variable), 'spam');
      return cur;
    }

    const returned = ctx1.run(func1);
    // Python compares contexts as mappings.
    assert.deepEqual([...ctx1], [...returned]);
    assert.equal(returned.get(variable), 'spam');
    assert.ok(returned.has(variable));
  }),
);

test('test_context_run_5', () => {
  const ctx = new Context();
  const variable = new ContextVar<string>('var');
  function func(): never {
    assert.equal(variable.get(null), null);
    variable.set('spam');
    throw new RangeError('1 / 0');
  }
  assert.throws(() => ctx.run(func), RangeError);
  assert.equal(variable.get(null), null);
  // The Context keeps what fn set before it threw.
  assert.equal(ctx.get(variable), 'spam');
});

test('test_context_run_6', () => {
  const ctx = new Context();
  const c = new ContextVar('a', { default: 0 });
  let ran = false;
  ctx.run(() => {
    assert.equal(c.get(), 0);
    assert.equal(ctx.get(c), undefined);
    c.set(42);
    assert.equal(c.get(), 42);
    assert.equal(ctx.get(c), 42);
    ran = true;
  });
  assert.ok(ran);
});

test('test_context_run_7', () => {
  const ctx = new Context();
  let checked = false;
  function fun(): void {
    assert.throws(() => ctx.run(fun), { name: 'ContextReentryError', message: /already running/ });
    checked = true;
  }
  ctx.run(fun);
  assert.ok(checked);
  assert.ok(new ContextReentryError('x') instanceof Error);
});

test(
  'test_context_getset_1',
  isolated(() => {
    const c = new ContextVar<unknown>('c');
    assert.throws(() => c.get(), LookupError);
    assert.equal(c.get(null), null);

    const t0 = c.set(42);
    assert.equal(c.get(), 42);
    assert.equal(c.get(null), 42);
    assert.equal(t0.oldValue, Token.MISSING);
    assert.equal(t0.var, c);

    const t = c.set('spam');
    assert.equal(c.get(), 'spam');
    assert.equal(c.get(null), 'spam');
    assert.equal(t.oldValue, 42);
    c.reset(t);

    assert.equal(c.get(), 42);
    assert.equal(c.get(null), 42);

    c.set('spam2');
    assert.throws(() => c.reset(t), { name: 'TokenUsedError', message: /has already been used/ });
    assert.equal(c.get(), 'spam2');

    const ctx1 = copyContext();
    assert.ok(ctx1.has(c));

    c.reset(t0);
    assert.throws(() => c.reset(t0), TokenUsedError);
    assert.equal(c.get(null), null);

    assert.ok(ctx1.has(c));
    assert.equal(ctx1.get(c), 'spam2');
    assert.equal(ctx1.get(c, 'aa'), 'spam2');
    assert.equal(ctx1.size, 1);
    assert.deepEqual([...ctx1.entries()], [[c, 'spam2']]);
    assert.deepEqual([...ctx1.values()], ['spam2']);
    assert.deepEqual([...ctx1.keys()], [c]);
    // Python iterates keys; a Map-shaped Context iterates [key, value] pairs.
    assert.deepEqual([...ctx1], [[c, 'spam2']]);

    const ctx2 = copyContext();
    assert.ok(!ctx2.has(c));
    assert.equal(ctx2.get(c), undefined); // Python's KeyError
    assert.equal(ctx2.get(c, 'aa'), 'aa');
    assert.equal(ctx2.size, 0);
    assert.deepEqual([...ctx2], []);
  }),
);

test(
  'test_context_getset_2',
  isolated(() => {
    const v1 = new ContextVar('v1');
    const v2 = new ContextVar('v2');
    const t1 = v1.set(42);
    assert.throws(() => v2.reset(t1), { name: 'TokenVarMismatchError', message: /v1.*not.*v2/ });
    assert.equal(v1.get(), 42); // the failed reset changed nothing
    assert.ok(!t1.used);
  }),
);

test(
  'test_context_getset_3',
  isolated(() => {
    const c = new ContextVar('c', { default: 42 });
    const ctx = new Context();
    let ran = false;
    ctx.run(() => {
      assert.equal(c.get(), 42);
      assert.ok(!ctx.has(c));
      assert.equal(ctx.get(c), undefined);
      assert.equal(ctx.get(c, 'spam'), 'spam');
      assert.deepEqual([...ctx.keys()], []);

      const t = c.set(1);
      assert.deepEqual([...ctx.keys()], [c]);
      assert.equal(ctx.get(c), 1);

      c.reset(t);
      assert.deepEqual([...ctx.keys()], []);
      assert.ok(!ctx.has(c));
      ran = true;
    });
    assert.ok(ran);
  }),
);

test(
  'test_context_getset_4',
  isolated(() => {
    const c = new ContextVar('c', { default: 42 });
    const ctx = new Context();
    const tok = ctx.run((value: number) => c.set(value), 1);
    assert.throws(() => c.reset(tok), { name: 'TokenContextError', message: /different Context/ });
    assert.ok(new TokenContextError('x') instanceof Error);
    assert.equal(c.get(), 42);
  }),
);

test(
  'test_context_getset_5',
  isolated(() => {
    const c = new ContextVar<number[]>('c', { default: [42] });
    c.set([]);
    copyContext().run(() => {
      c.set([]);
      c.get().push(42);
      assert.deepEqual(c.get(), [42]);
    });
    assert.deepEqual(c.get(), []);
  }),
);

test('test_context_copy_1', () => {
  const ctx1 = new Context();
  const c = new ContextVar('c', { default: 42 });
  let ran = 0;

  function ctx2Fun(): void {
    assert.equal(c.get(), 10);
    c.set(30);
    assert.equal(c.get(), 30);
    ran++;
  }
  ctx1.run(() => {
    c.set(10);
    const ctx2 = ctx1.copy();
    assert.equal(ctx2.get(c), 10);

    c.set(20);
    assert.equal(ctx1.get(c), 20);
    assert.equal(ctx2.get(c), 10);

    ctx2.run(ctx2Fun);
    assert.equal(ctx1.get(c), 20);
    assert.equal(ctx2.get(c), 30);
    ran++;
  });
  assert.equal(ran, 2);
});

test(
  'test_context_threads_1',
  seeded(async (random) => {
    // Threads become concurrent asynchronous flows (each a task with its own copy).
    const cvar = new ContextVar<number>('cvar');
    async function sub(num: number): Promise<number> {
      for (let i = 0; i < 10; i++) {
        cvar.set(num + i);
        await sleep(random.int(1, 10));
        assert.equal(cvar.get(), num + i);
      }
      return num;
    }
    const results = await gather(...Array.from({ length: 10 }, (_, num) => () => sub(num)));
    assert.deepEqual(
      results,
      Array.from({ length: 10 }, (_, num) => num),
    );
    assert.throws(() => cvar.get(), LookupError);
  }),
);

// Python 3.14: `with var.set(value):` resets on exit. TypeScript: `using _ = var.set(value)`.

test('test_token_contextmanager_with_default', () => {
  const ctx = new Context();
  const c = new ContextVar('c', { default: 42 });
  ctx.run(() => {
    {
      using _ = c.set(36);
      assert.equal(c.get(), 36);
    }
    assert.equal(c.get(), 42);
  });
});

test('test_token_contextmanager_without_default', () => {
  const ctx = new Context();
  const c = new ContextVar<number>('c');
  ctx.run(() => {
    {
      using _ = c.set(36);
      assert.equal(c.get(), 36);
    }
    assert.throws(() => c.get(), { name: 'LookupError', message: /ContextVar 'c'/ });
  });
});

test('test_token_contextmanager_on_exception', () => {
  const ctx = new Context();
  const c = new ContextVar('c', { default: 42 });
  assert.throws(
    () =>
      ctx.run(() => {
        using _ = c.set(36);
        assert.equal(c.get(), 36);
        throw new RangeError('custom exception');
      }),
    { name: 'RangeError', message: 'custom exception' },
  );
  assert.equal(ctx.get(c), undefined);
});

test('test_token_contextmanager_reentrant', () => {
  const ctx = new Context();
  const c = new ContextVar('c', { default: 42 });
  ctx.run(() => {
    const token = c.set(36);
    assert.throws(
      () => {
        using _outer = token;
        using _inner = token;
        assert.equal(c.get(), 36);
      },
      (error: unknown) => {
        // The inner disposal resets; the outer one finds the token used.
        assert.ok(error instanceof TokenUsedError);
        assert.match(error.message, /<Token used var=<ContextVar name='c' default=42>> has already been used once/);
        return true;
      },
    );
    assert.equal(c.get(), 42);
  });
});

test('test_token_contextmanager_multiple_c_set', () => {
  const ctx = new Context();
  const c = new ContextVar('c', { default: 42 });
  ctx.run(() => {
    {
      using _ = c.set(36);
      assert.equal(c.get(), 36);
      c.set(24);
      assert.equal(c.get(), 24);
      c.set(12);
      assert.equal(c.get(), 12);
    }
    assert.equal(c.get(), 42);
  });
});

test('test_token_contextmanager_with_explicit_reset_the_same_token', () => {
  const ctx = new Context();
  const c = new ContextVar('c', { default: 42 });
  ctx.run(() => {
    assert.throws(() => {
      using token = c.set(36);
      assert.equal(c.get(), 36);
      c.reset(token);
      assert.equal(c.get(), 42);
    }, TokenUsedError);
    assert.equal(c.get(), 42);
  });
});

test('test_token_contextmanager_with_explicit_reset_another_token', () => {
  const ctx = new Context();
  const c = new ContextVar('c', { default: 42 });
  ctx.run(() => {
    {
      using _ = c.set(36);
      assert.equal(c.get(), 36);
      const token = c.set(24);
      assert.equal(c.get(), 24);
      c.reset(token);
      assert.equal(c.get(), 36);
    }
    assert.equal(c.get(), 42);
  });
});

// CPython's main branch makes Context a context manager (`with ctx:`). Its
// closest TypeScript meaning is a `ctx.run(() => { ... })` block.

test(
  'test_context_manager',
  isolated(() => {
    const cvar = new ContextVar('cvar', { default: 'initial' });
    assert.equal(cvar.get(), 'initial');
    copyContext().run(() => {
      assert.equal(cvar.get(), 'initial');
      cvar.set('updated');
      assert.equal(cvar.get(), 'updated');
    });
    assert.equal(cvar.get(), 'initial');
  }),
);

test('test_context_manager_as_binding', () => {
  const ctx = copyContext();
  // `with ctx as binding` binds ctx itself; inside run, copyContext() shows ctx's values.
  const v = new ContextVar('v');
  ctx.run(() => {
    v.set(1);
    assert.deepEqual([...copyContext()], [...ctx]);
  });
});

test(
  'test_context_manager_nested',
  isolated(() => {
    const cvar = new ContextVar('cvar', { default: 'default' });
    const outer = copyContext();
    outer.run(() => {
      cvar.set('outer');
      const inner = copyContext();
      inner.run(() => {
        assert.notEqual(outer, inner);
        assert.equal(cvar.get(), 'outer');
        cvar.set('inner');
        assert.equal(outer.get(cvar), 'outer');
        assert.equal(cvar.get(), 'inner');
      });
      assert.equal(cvar.get(), 'outer');
    });
    assert.equal(cvar.get(), 'default');
  }),
);

test(
  'test_context_manager_enter_again_after_exit',
  isolated(() => {
    const cvar = new ContextVar('cvar', { default: 'initial' });
    const ctx = copyContext();
    ctx.run(() => {
      cvar.set('updated');
      assert.equal(cvar.get(), 'updated');
    });
    assert.equal(cvar.get(), 'initial');
    ctx.run(() => assert.equal(cvar.get(), 'updated'));
    assert.equal(cvar.get(), 'initial');
  }),
);

test('test_context_manager_rejects_exit_from_different_thread', () => {
  // run() pairs enter and exit, so an exit elsewhere cannot be expressed; the
  // closest meaning: a Context left by a throw is not entered any more.
  const ctx = copyContext();
  assert.throws(() =>
    ctx.run(() => {
      throw new Error('leave');
    }),
  );
  assert.equal(
    ctx.run(() => 1),
    1,
  );
});

test('test_context_manager_is_not_reentrant', () => {
  const ctx = copyContext();
  ctx.run(() => {
    assert.throws(() => ctx.run(() => undefined), ContextReentryError);
    assert.throws(() => ctx.run(() => ctx.run(() => undefined)), ContextReentryError);
  });
});

test('test_context_manager_rejects_noncurrent_exit', () => {
  // Unbalanced exits cannot be written with run(); nested runs unwind in order.
  const outer = copyContext();
  const inner = copyContext();
  const order: string[] = [];
  outer.run(() => {
    inner.run(() => order.push('inner'));
    order.push('outer');
    assert.throws(() => outer.run(() => undefined), ContextReentryError);
  });
  assert.deepEqual(order, ['inner', 'outer']);
});

test('test_context_manager_rejects_nonentered_exit', () => {
  // There is no exit without an enter; a Context that was never run can be run.
  const ctx = copyContext();
  assert.equal(
    ctx.run(() => 'entered'),
    'entered',
  );
});
