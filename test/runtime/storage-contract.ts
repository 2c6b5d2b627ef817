/**
 * The ScopeStorage contract (src/runtime/storage.ts) as one suite of cases,
 * run against every storage by storages.test.ts, as OpenTelemetry runs one
 * suite against each of its context managers. Each case is stated as the
 * contract states it; a storage declares what it cannot do (the synchronous
 * fallback carries nothing to scheduled work, the browser storage carries
 * nothing across a native `await` without the bundler transform), and
 * there the case pins what it must do instead: never show a scope to work
 * it does not belong to.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ScopeStorage } from '../../src/runtime/storage.ts';

/** A storage under test: how to make one, and what it propagates. */
export interface StorageUnderTest {
  readonly name: string;
  /** Why the storage cannot run in this process (then its cases are skipped, saying so), or undefined. */
  readonly unavailable: string | undefined;
  /** A fresh storage (called once, before the cases). */
  create(): ScopeStorage;
  /** Puts back what `create` changed in the process, if anything. */
  dispose?(): void;
  /** Whether scheduled work (timers, queueMicrotask, promise reactions) starts with the scope current when it was scheduled. */
  readonly schedules: boolean;
  /** Whether an async function resumes after a native `await` with the scope it had before it. */
  readonly awaits: boolean;
  /**
   * Why a scope entered after a native `await` cannot be tested, if it
   * cannot (such an enter is outside every frame the storage restores, and
   * would stay current for the cases after it); the cases that do it are
   * skipped, saying so.
   */
  readonly noEnterAfterAwait?: string;
}

/** A scope: the storage holds any object; a name makes failures readable. */
const scope = (name: string): object => ({ name, toString: () => name });

/** Resolves once `register` has called back (through setTimeout, queueMicrotask, ...), with what the callback returned. */
function viaCallback<T>(register: (callback: () => void) => void, read: () => T): Promise<T> {
  return new Promise((resolve, reject) => {
    register(() => {
      try {
        resolve(read());
      } catch (error) {
        reject(error);
      }
    });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** `fn(...args)` bracketed by open and close, as the library's runs call it. */
function run<A extends unknown[], R>(storage: ScopeStorage, entered: object, fn: (...args: A) => R, args: A): R {
  const mark = storage.open(entered);
  try {
    return fn(...args);
  } finally {
    storage.close(mark);
  }
}

/** Registers the contract's cases for `subject`. */
export function storageContract(subject: StorageUnderTest): void {
  describe(`ScopeStorage contract: ${subject.name}`, { skip: subject.unavailable ?? false }, () => {
    let storage: ScopeStorage;
    before(() => {
      storage = subject.create();
    });
    after(() => subject.dispose?.());

    test('kind names the storage', () => {
      assert.equal(storage.kind, subject.name);
    });

    test('current() is undefined before any scope was entered', () => {
      assert.equal(storage.current(), undefined);
    });

    test('run calls fn with its arguments and scope current, returns its result, and puts the previous scope back', () => {
      const a = scope('a');
      const result = run(
        storage,
        a,
        (x: number, y: string) => {
          assert.equal(storage.current(), a);
          return `${x}${y}`;
        },
        [1, 'b'],
      );
      assert.equal(result, '1b');
      assert.equal(storage.current(), undefined);
    });

    test('run puts the previous scope back when fn throws, and the error goes through unchanged', () => {
      const outer = scope('outer');
      const thrown = new Error('boom');
      run(
        storage,
        outer,
        () => {
          assert.throws(
            () =>
              run(
                storage,
                scope('inner'),
                () => {
                  throw thrown;
                },
                [],
              ),
            (error) => error === thrown,
          );
          assert.equal(storage.current(), outer);
        },
        [],
      );
      assert.equal(storage.current(), undefined);
    });

    test('runs nest: each puts back the scope of the run around it, at any depth', () => {
      const seen: unknown[] = [];
      const names = ['a', 'b', 'c', 'd'];
      const scopes = names.map(scope);
      const nest = (depth: number): void => {
        if (depth === scopes.length) return;
        run(
          storage,
          scopes[depth] as object,
          () => {
            seen.push(storage.current());
            nest(depth + 1);
            seen.push(storage.current());
          },
          [],
        );
      };
      nest(0);
      assert.deepEqual(seen.map(String), ['a', 'b', 'c', 'd', 'd', 'c', 'b', 'a']);
      assert.equal(storage.current(), undefined);
    });

    test('enter makes a scope current for the rest of the frame; the run around it puts the previous one back', () => {
      const outer = scope('outer');
      const entered = scope('entered');
      const later = scope('later');
      run(
        storage,
        outer,
        () => {
          run(
            storage,
            scope('inner'),
            () => {
              storage.enter(entered);
              assert.equal(storage.current(), entered);
              storage.enter(later);
              assert.equal(storage.current(), later);
            },
            [],
          );
          assert.equal(storage.current(), outer);
        },
        [],
      );
    });

    test('close(mark) makes current what was current before the open that returned mark, whatever was left open inside', () => {
      const outer = scope('outer');
      const first = storage.open(outer);
      const second = storage.open(scope('inner'));
      storage.open(scope('left open')); // an open whose caller threw before its try
      assert.ok(second > first, 'marks nest');
      storage.close(second);
      assert.equal(storage.current(), outer);
      storage.close(first);
      assert.equal(storage.current(), undefined);
    });

    test('unisolated, where the storage has it, reports what is missing outside every run and nothing inside one', () => {
      if (storage.unisolated === undefined) {
        // The storage always isolates: the cases below hold for an enter made anywhere.
        assert.notEqual(subject.schedules, false, 'a storage that carries nothing to scheduled work must say where');
        return;
      }
      assert.equal(typeof storage.unisolated(), 'string');
      assert.equal(
        run(storage, scope('a'), () => storage.unisolated?.(), []),
        undefined,
      );
      assert.equal(typeof storage.unisolated(), 'string');
    });

    /** The schedulers of the cases below: each calls back once, later. */
    const schedulers: Record<string, (callback: () => void) => void> = {
      setTimeout: (callback) => setTimeout(callback, 1),
      queueMicrotask: (callback) => queueMicrotask(callback),
      'Promise.prototype.then': (callback) => void Promise.resolve().then(callback),
    };

    for (const [name, schedule] of Object.entries(schedulers)) {
      test(`${name}: the callback starts with the scope current when it was scheduled, not a later one`, async () => {
        const scheduled = scope('scheduled');
        const seen = run(
          storage,
          scope('run'),
          () => {
            storage.enter(scheduled);
            const pending = viaCallback(schedule, () => storage.current());
            storage.enter(scope('entered after scheduling'));
            return pending;
          },
          [],
        );
        assert.equal(await seen, subject.schedules ? scheduled : undefined);
      });

      test(`${name}: a scope entered in one callback does not reach the next callback scheduled beside it`, async () => {
        const outer = scope('outer');
        const [, second] = run(
          storage,
          outer,
          () => [
            viaCallback(schedule, () => {
              if (storage.unisolated?.() !== undefined) return; // here a set is refused: nothing is entered
              storage.enter(scope('entered in the first callback'));
            }),
            viaCallback(schedule, () => storage.current()),
          ],
          [],
        );
        assert.equal(await second, subject.schedules ? outer : undefined);
      });
    }

    test('setInterval: a scope entered in one tick does not reach the next tick, which starts with the scope of setInterval', async () => {
      const outer = scope('outer');
      const ticks = await run(
        storage,
        outer,
        () =>
          new Promise<unknown[]>((resolve) => {
            const seen: unknown[] = [];
            const interval = setInterval(() => {
              seen.push(storage.current());
              if (storage.unisolated?.() === undefined) storage.enter(scope(`entered in tick ${seen.length}`));
              if (seen.length === 3) {
                clearInterval(interval);
                resolve(seen);
              }
            }, 1);
          }),
        [],
      );
      const expected = subject.schedules ? outer : undefined;
      assert.deepEqual(ticks, [expected, expected, expected]);
    });

    test('a promise reaction starts with the scope current at then(), not at resolve()', async () => {
      let resolve!: () => void;
      const promise = run(
        storage,
        scope('made'),
        () =>
          new Promise<void>((r) => {
            resolve = r;
          }),
        [],
      );
      const registered = scope('registered');
      const seen = run(storage, registered, () => promise.then(() => storage.current()), []);
      run(storage, scope('resolved'), () => resolve(), []);
      assert.equal(await seen, subject.schedules ? registered : undefined);
    });

    test('an async function resumes after await with its own scope, and its caller keeps its own', async () => {
      const inside = scope('inside');
      const after: unknown[] = [];
      const pending = run(
        storage,
        inside,
        async () => {
          await sleep(1);
          after.push(storage.current());
          await null;
          after.push(storage.current());
        },
        [],
      );
      assert.equal(storage.current(), undefined, 'the caller, as soon as the run returns its promise');
      await pending;
      assert.notEqual(storage.current(), inside, 'the caller, after awaiting it');
      const expected = subject.awaits ? inside : undefined;
      assert.deepEqual(after, [expected, expected]);
    });

    const enterAfterAwait = { skip: subject.noEnterAfterAwait ?? false };

    test(
      'a scope entered after an await inside an awaited function does not flow out to the caller',
      enterAfterAwait,
      async () => {
        const outer = scope('outer');
        const seen = await run(
          storage,
          outer,
          async () => {
            await (async () => {
              await null;
              if (storage.unisolated?.() === undefined) storage.enter(scope('entered by the callee'));
            })();
            return storage.current();
          },
          [],
        );
        assert.equal(seen, subject.awaits ? outer : undefined);
      },
    );

    test('two concurrent flows through timers, each entering scopes as it goes, never see each other', async () => {
      const flow = (name: string, delays: number[]): Promise<string[]> =>
        new Promise((resolve) => {
          const seen: string[] = [];
          const step = (i: number): void => {
            seen.push(String(storage.current()));
            if (i === delays.length) {
              resolve(seen);
              return;
            }
            if (storage.unisolated?.() === undefined) storage.enter(scope(`${name}${i + 1}`));
            setTimeout(() => step(i + 1), delays[i]);
          };
          run(storage, scope(`${name}0`), () => setTimeout(() => step(0), 0), []);
        });
      const [a, b] = await Promise.all([flow('a', [3, 1, 4, 1]), flow('b', [1, 5, 1, 2])]);
      if (subject.schedules) {
        assert.deepEqual(a, ['a0', 'a1', 'a2', 'a3', 'a4']);
        assert.deepEqual(b, ['b0', 'b1', 'b2', 'b3', 'b4']);
      } else {
        assert.deepEqual([...a, ...b], Array(10).fill('undefined'));
      }
    });

    test(
      'two concurrent async flows, each entering scopes between awaits, never see each other',
      enterAfterAwait,
      async () => {
        const flow = async (name: string, delays: number[]): Promise<string[]> => {
          const seen: string[] = [];
          for (const [i, delay] of delays.entries()) {
            seen.push(String(storage.current()));
            if (storage.unisolated?.() === undefined) storage.enter(scope(`${name}${i + 1}`));
            await sleep(delay);
          }
          seen.push(String(storage.current()));
          return seen;
        };
        const [a, b] = await Promise.all([
          run(storage, scope('a0'), flow, ['a', [3, 1, 4]]),
          run(storage, scope('b0'), flow, ['b', [1, 5, 1]]),
        ]);
        assert.equal(storage.current(), undefined);
        if (subject.awaits) {
          assert.deepEqual(a, ['a0', 'a1', 'a2', 'a3']);
          assert.deepEqual(b, ['b0', 'b1', 'b2', 'b3']);
        } else {
          // Only the first stretch of each runs inside its run; afterwards neither sees the other's scopes.
          assert.deepEqual([a[0], b[0]], ['a0', 'b0']);
          for (const seen of a.slice(1)) assert.ok(!seen.startsWith('b'), `flow a saw ${seen}`);
          for (const seen of b.slice(1)) assert.ok(!seen.startsWith('a'), `flow b saw ${seen}`);
        }
      },
    );
  });
}
