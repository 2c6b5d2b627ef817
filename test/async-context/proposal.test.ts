/**
 * The proposal's own test file (tc39/proposal-async-context,
 * tests/async-context.test.ts), ported as behaviour: its 19 cases, each run
 * from three states, as the original does — the initial state, inside a
 * fresh `run` (a new mapping), and inside a `run` that has been snapshotted
 * (`Snapshot.wrap` taken first), because a snapshotted mapping must not be
 * changed in place. Case names are the original's, under the original's
 * describe blocks ("sync > run and get", "sync > wrap").
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AsyncContext } from '../../src/async-context/index.ts';

const { Snapshot, Variable } = AsyncContext;
type Value = { id: number };

/** Runs `fn` from the initial state, from a fresh run, and from a run whose mapping was snapshotted. */
function fromThreeStates(name: string, fn: () => void): void {
  test(name, () => {
    fn();
    const throwaway = new Variable<null>();
    throwaway.run(null, fn);
    throwaway.run(null, () => {
      Snapshot.wrap(() => {});
      fn();
    });
  });
}

describe('sync', () => {
  describe('run and get', () => {
    fromThreeStates('has initial undefined state', () => {
      const ctx = new Variable<Value>();
      assert.equal(ctx.get(), undefined);
    });

    fromThreeStates('return value', () => {
      const ctx = new Variable<Value>();
      const expected = { id: 1 };
      assert.equal(
        ctx.run({ id: 2 }, () => expected),
        expected,
      );
    });

    fromThreeStates('get returns current context value', () => {
      const ctx = new Variable<Value>();
      const expected = { id: 1 };
      ctx.run(expected, () => assert.equal(ctx.get(), expected));
    });

    fromThreeStates('get within nesting contexts', () => {
      const ctx = new Variable<Value>();
      const first = { id: 1 };
      const second = { id: 2 };
      ctx.run(first, () => {
        assert.equal(ctx.get(), first);
        ctx.run(second, () => assert.equal(ctx.get(), second));
        assert.equal(ctx.get(), first);
      });
      assert.equal(ctx.get(), undefined);
    });

    fromThreeStates('get within nesting different contexts', () => {
      const a = new Variable<Value>();
      const b = new Variable<Value>();
      const first = { id: 1 };
      const second = { id: 2 };
      a.run(first, () => {
        assert.deepEqual([a.get(), b.get()], [first, undefined]);
        b.run(second, () => assert.deepEqual([a.get(), b.get()], [first, second]));
        assert.deepEqual([a.get(), b.get()], [first, undefined]);
      });
      assert.deepEqual([a.get(), b.get()], [undefined, undefined]);
    });
  });

  describe('wrap', () => {
    fromThreeStates('stores initial undefined state', () => {
      const ctx = new Variable<Value>();
      const wrapped = Snapshot.wrap(() => ctx.get());
      ctx.run({ id: 1 }, () => assert.equal(wrapped(), undefined));
    });

    fromThreeStates('stores current state', () => {
      const ctx = new Variable<Value>();
      const expected = { id: 1 };
      const wrapped = ctx.run(expected, () => {
        const wrapped = Snapshot.wrap(() => ctx.get());
        assert.equal(wrapped(), expected);
        assert.equal(ctx.get(), expected);
        return wrapped;
      });
      assert.equal(wrapped(), expected);
      assert.equal(ctx.get(), undefined);
    });

    /** The body of the original's two identical "runs within wrap" cases. */
    function runsWithinWrap(): void {
      const ctx = new Variable<Value>();
      const first = { id: 1 };
      const second = { id: 2 };
      const nested = (): void => {
        assert.equal(ctx.get(), first);
        ctx.run(second, () => assert.equal(ctx.get(), second));
        assert.equal(ctx.get(), first);
      };
      const [wrap1, wrap2] = ctx.run(first, () => {
        const wrap1 = Snapshot.wrap(nested);
        assert.equal(ctx.get(), first);
        ctx.run(second, () => assert.equal(ctx.get(), second));
        const wrap2 = Snapshot.wrap(nested);
        assert.equal(ctx.get(), first);
        return [wrap1, wrap2];
      });
      wrap1();
      wrap2();
      assert.equal(ctx.get(), undefined);
    }
    fromThreeStates('runs within wrap', runsWithinWrap);
    fromThreeStates('runs within wrap (the second, identical case)', runsWithinWrap);

    /** "runs different context within wrap" and its ", 2": between the wraps, `between` runs a or b. */
    function runsDifferentContextWithinWrap(between: 'a' | 'b'): void {
      const a = new Variable<Value>();
      const b = new Variable<Value>();
      const first = { id: 1 };
      const second = { id: 2 };
      const nested = (): void => {
        assert.deepEqual([a.get(), b.get()], [first, undefined]);
        b.run(second, () => assert.deepEqual([a.get(), b.get()], [first, second]));
        assert.deepEqual([a.get(), b.get()], [first, undefined]);
      };
      const [wrap1, wrap2] = a.run(first, () => {
        const wrap1 = Snapshot.wrap(nested);
        (between === 'a' ? a : b).run(second, () => {});
        const wrap2 = Snapshot.wrap(nested);
        assert.deepEqual([a.get(), b.get()], [first, undefined]);
        return [wrap1, wrap2];
      });
      wrap1();
      wrap2();
      assert.deepEqual([a.get(), b.get()], [undefined, undefined]);
    }
    fromThreeStates('runs different context within wrap', () => runsDifferentContextWithinWrap('a'));
    fromThreeStates('runs different context within wrap, 2', () => runsDifferentContextWithinWrap('b'));

    fromThreeStates('wrap within nesting contexts', () => {
      const ctx = new Variable<Value>();
      const first = { id: 1 };
      const second = { id: 2 };
      const [firstWrap, secondWrap] = ctx.run(first, () => {
        const firstWrap = Snapshot.wrap(() => assert.equal(ctx.get(), first));
        firstWrap();
        const secondWrap = ctx.run(second, () => {
          const secondWrap = Snapshot.wrap(() => {
            firstWrap();
            assert.equal(ctx.get(), second);
          });
          firstWrap();
          secondWrap();
          assert.equal(ctx.get(), second);
          return secondWrap;
        });
        firstWrap();
        secondWrap();
        assert.equal(ctx.get(), first);
        return [firstWrap, secondWrap];
      });
      firstWrap();
      secondWrap();
      assert.equal(ctx.get(), undefined);
    });

    fromThreeStates('wrap within nesting different contexts', () => {
      const a = new Variable<Value>();
      const b = new Variable<Value>();
      const first = { id: 1 };
      const second = { id: 2 };
      const [firstWrap, secondWrap] = a.run(first, () => {
        const firstWrap = Snapshot.wrap(() => assert.deepEqual([a.get(), b.get()], [first, undefined]));
        firstWrap();
        const secondWrap = b.run(second, () => {
          const secondWrap = Snapshot.wrap(() => {
            firstWrap();
            assert.deepEqual([a.get(), b.get()], [first, second]);
          });
          firstWrap();
          secondWrap();
          assert.deepEqual([a.get(), b.get()], [first, second]);
          return secondWrap;
        });
        firstWrap();
        secondWrap();
        assert.deepEqual([a.get(), b.get()], [first, undefined]);
        return [firstWrap, secondWrap];
      });
      firstWrap();
      secondWrap();
      assert.deepEqual([a.get(), b.get()], [undefined, undefined]);
    });

    /**
     * "wrap within nesting different contexts, 2" to ", 6": a wrap taken in
     * a, b, c nested runs sees all three; the original's variants differ in
     * where an extra, unused `Snapshot.wrap` is taken (which freezes that
     * level's mapping): nowhere, in b before c, in a before b, in b after c,
     * in a after b.
     */
    function nestedWrapWithExtraSnapshot(extra: 'none' | 'b-before' | 'a-before' | 'b-after' | 'a-after'): void {
      const a = new Variable<Value>();
      const b = new Variable<Value>();
      const c = new Variable<Value>();
      const first = { id: 1 };
      const second = { id: 2 };
      const third = { id: 3 };
      const values = (): unknown[] => [a.get(), b.get(), c.get()];
      const wrap = a.run(first, () => {
        if (extra === 'a-before') Snapshot.wrap(() => {});
        const wrap = b.run(second, () => {
          if (extra === 'b-before') Snapshot.wrap(() => {});
          const wrap = c.run(third, () => Snapshot.wrap(() => assert.deepEqual(values(), [first, second, third])));
          if (extra === 'b-after') Snapshot.wrap(() => {});
          assert.deepEqual(values(), [first, second, undefined]);
          return wrap;
        });
        if (extra === 'a-after') Snapshot.wrap(() => {});
        assert.deepEqual(values(), [first, undefined, undefined]);
        return wrap;
      });
      assert.deepEqual(values(), [undefined, undefined, undefined]);
      wrap();
      assert.deepEqual(values(), [undefined, undefined, undefined]);
    }
    fromThreeStates('wrap within nesting different contexts, 2', () => nestedWrapWithExtraSnapshot('none'));
    fromThreeStates('wrap within nesting different contexts, 3', () => nestedWrapWithExtraSnapshot('b-before'));
    fromThreeStates('wrap within nesting different contexts, 4', () => nestedWrapWithExtraSnapshot('a-before'));
    fromThreeStates('wrap within nesting different contexts, 5', () => nestedWrapWithExtraSnapshot('b-after'));
    fromThreeStates('wrap within nesting different contexts, 6', () => nestedWrapWithExtraSnapshot('a-after'));

    fromThreeStates('wrap out of order', () => {
      const ctx = new Variable<Value>();
      const first = { id: 1 };
      const second = { id: 2 };
      const firstWrap = ctx.run(first, () => Snapshot.wrap(() => assert.equal(ctx.get(), first)));
      const secondWrap = ctx.run(second, () => Snapshot.wrap(() => assert.equal(ctx.get(), second)));
      firstWrap();
      secondWrap();
      firstWrap();
      secondWrap();
    });
  });
});
