/**
 * Every public function and constructor of contextvars/worker and of
 * contextvars/asyncio, called with each hostile value in each argument position: a
 * revoked Proxy, a Proxy whose traps throw, an object whose getters throw,
 * one whose toString/valueOf/Symbol.toPrimitive throw, null, and values of
 * the wrong type. Each call must end with the error class its documentation
 * names (thrown, or as a rejection for the async APIs), with a message that
 * names the API (or the variable) — never with whatever touching the value
 * threw — and leave the current context as it was. The one exception is
 * gather, whose contract is to await a thenable as Promise.all does: reading
 * `then` may throw, and that is its rejection.
 *
 * Runs on the built package, like worker.test.ts (the worker runs dist/).
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { bind, Context, ContextVar, copyContext } from 'contextvars';
import { callLater, callSoon, createTask, gather, TaskGroup } from 'contextvars/asyncio';
import { ContextCloneError, runInWorker, sharedContextVar, WorkerPool } from 'contextvars/worker';

const tasks = new URL('./fixtures/worker-tasks.mjs', import.meta.url);
const shared = sharedContextVar<unknown>('hostile.shared');
const plain = new ContextVar<unknown>('hostile.plain');

const revoked = ((): object => {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  return proxy;
})();
const trapError = new Error('a trap of this Proxy throws');
const throwingTraps = new Proxy(
  {},
  {
    get: () => {
      throw trapError;
    },
    has: () => {
      throw trapError;
    },
    ownKeys: () => {
      throw trapError;
    },
    getOwnPropertyDescriptor: () => {
      throw trapError;
    },
    getPrototypeOf: () => {
      throw trapError;
    },
  },
);
const getterError = new Error('a getter of this object throws');
/** Throws from every option name any API here reads. */
const throwingGetters = Object.defineProperties(
  {},
  Object.fromEntries(
    ['context', 'name', 'size', 'signal', 'timeout', 'default', 'then', 'constructor'].map((key) => [
      key,
      {
        enumerable: true,
        get: () => {
          throw getterError;
        },
      },
    ]),
  ),
);
const conversionError = new Error('converting this object throws');
const throwingConversions = {
  toString: (): never => {
    throw conversionError;
  },
  valueOf: (): never => {
    throw conversionError;
  },
  [Symbol.toPrimitive]: (): never => {
    throw conversionError;
  },
};

const HOSTILE: ReadonlyArray<readonly [string, unknown]> = [
  ['a revoked Proxy', revoked],
  ['a Proxy whose traps throw', throwingTraps],
  ['an object whose getters throw', throwingGetters],
  ['an object whose toString/valueOf/Symbol.toPrimitive throw', throwingConversions],
  ['null', null],
  // Large enough for every API that takes a number: a pool size, a delay or a timeout.
  ['a number', 60_000],
  ['a string', 'text'],
  ['a symbol', Symbol('hostile')],
  ['a bigint', 10n],
  ['a function', () => 1],
];

type ErrorClass = new (...args: never[]) => Error;
/** What a call must do with a value: throw or reject with this class, or accept it. */
type Outcome = ErrorClass | 'accepts';
/** A call site: `call(value)` puts the hostile value in one argument position. */
interface Site {
  readonly name: string;
  readonly call: (value: unknown) => unknown;
  /** The outcome for a value (by its label); default: TypeError. */
  readonly expect?: (label: string, value: unknown) => Outcome;
  /** What the error message must contain; default: the API's name (the variable's key for ContextCloneError). */
  readonly token?: (label: string) => string | undefined;
  /** Sync APIs throw; async ones reject (and must not throw synchronously). */
  readonly async?: boolean;
}

const pool = new WorkerPool({ size: 1 });
after(() => pool.terminate());

/** An options argument: objects (even odd ones) are options objects; only unreadable ones are refused. */
const asOptions = (_label: string, value: unknown): Outcome => (value === throwingConversions ? 'accepts' : TypeError);

const SITES: Site[] = [
  // contextvars/worker
  {
    name: 'sharedContextVar(key)',
    call: (value) => sharedContextVar(value as string),
    expect: (label) => (label === 'a string' ? 'accepts' : TypeError),
  },
  { name: 'runInWorker(module)', async: true, call: (value) => runInWorker(value as string, 'echo', [1]) },
  {
    name: 'runInWorker(_, exportName)',
    async: true,
    call: (value) => runInWorker(tasks, value as string, [1]),
    // A string is a name: the worker looks it up and says which export is missing.
    token: (label) => (label === 'a string' ? "no exported function 'text'" : 'runInWorker'),
  },
  {
    name: 'runInWorker(_, _, args)',
    async: true,
    call: (value) => runInWorker(tasks, 'echo', value as [unknown]),
  },
  {
    name: 'runInWorker(_, _, [argument])',
    async: true,
    call: (value) => runInWorker(tasks, 'echo', [value]),
    // Data travels; a Proxy, a function or a symbol cannot be cloned; reading a throwing getter fails the clone.
    expect: (label, _value) => (['null', 'a number', 'a string', 'a bigint'].includes(label) ? 'accepts' : TypeError),
  },
  {
    name: 'runInWorker(_, _, _, options)',
    async: true,
    call: (value) => runInWorker(tasks, 'echo', [1], value as never),
    expect: asOptions,
  },
  {
    name: 'runInWorker(_, _, _, { context })',
    async: true,
    call: (value) => runInWorker(tasks, 'echo', [1], { context: value as Context }),
  },
  {
    name: 'runInWorker(_, _, _, { signal })',
    async: true,
    call: (value) => runInWorker(tasks, 'echo', [1], { signal: value as AbortSignal }),
  },
  {
    name: 'runInWorker(_, _, _, { timeout })',
    async: true,
    call: (value) => runInWorker(tasks, 'echo', [1], { timeout: value as number }),
    expect: (label) => (label === 'a number' ? 'accepts' : TypeError),
  },
  {
    name: 'runInWorker with a shared value',
    async: true,
    call: (value) =>
      new Context().run(() => {
        shared.set(value);
        return runInWorker(tasks, 'echo', [1]);
      }),
    expect: (label) => (['null', 'a number', 'a string', 'a bigint'].includes(label) ? 'accepts' : ContextCloneError),
  },
  {
    name: 'new WorkerPool(options)',
    call: (value) => new WorkerPool(value as never),
    expect: asOptions,
  },
  {
    name: 'new WorkerPool({ size })',
    call: (value) => new WorkerPool({ size: value as number }),
    expect: (label) => (label === 'a number' ? 'accepts' : TypeError),
  },
  { name: 'WorkerPool.run(module)', async: true, call: (value) => pool.run(value as string, 'echo', [1]) },
  {
    name: 'WorkerPool.run(_, exportName)',
    async: true,
    call: (value) => pool.run(tasks, value as string, [1]),
    token: (label) => (label === 'a string' ? "no exported function 'text'" : 'WorkerPool.run'),
  },
  { name: 'WorkerPool.run(_, _, args)', async: true, call: (value) => pool.run(tasks, 'echo', value as [unknown]) },
  {
    name: 'WorkerPool.run(_, _, _, options)',
    async: true,
    call: (value) => pool.run(tasks, 'echo', [1], value as never),
    expect: asOptions,
  },
  {
    name: 'WorkerPool.run(_, _, _, { context })',
    async: true,
    call: (value) => pool.run(tasks, 'echo', [1], { context: value as Context }),
  },
  {
    name: 'WorkerPool.run with a shared value',
    async: true,
    call: (value) =>
      new Context().run(() => {
        shared.set(value);
        return pool.run(tasks, 'echo', [1]);
      }),
    expect: (label) => (['null', 'a number', 'a string', 'a bigint'].includes(label) ? 'accepts' : ContextCloneError),
  },
  // The task API
  {
    name: 'createTask(fn)',
    call: (value) => createTask(value as () => unknown),
    expect: (label) => (label === 'a function' ? 'accepts' : TypeError),
  },
  { name: 'createTask(_, options)', call: (value) => createTask(() => 1, value as never), expect: asOptions },
  { name: 'createTask(_, { context })', call: (value) => createTask(() => 1, { context: value as Context }) },
  {
    name: 'createTask(_, { name })',
    call: (value) => createTask(() => 1, { name: value as string }),
    expect: (label) => (label === 'a string' ? 'accepts' : TypeError),
  },
  {
    name: 'TaskGroup.createTask(fn)',
    call: (value) => new TaskGroup().createTask(value as () => unknown),
    expect: (label) => (label === 'a function' ? 'accepts' : TypeError),
  },
  {
    name: 'TaskGroup.createTask(_, options)',
    call: (value) => new TaskGroup().createTask(() => 1, value as never),
    expect: asOptions,
  },
  { name: 'new TaskGroup(options)', call: (value) => new TaskGroup(value as never), expect: asOptions },
  { name: 'new TaskGroup({ signal })', call: (value) => new TaskGroup({ signal: value as AbortSignal }) },
  {
    name: 'Task.cancel(reason)',
    // Any reason is accepted: a string is the message, anything else the CancelledError's cause.
    call: (value) => createTask(() => new Promise<never>(() => {})).cancel(value),
    expect: () => 'accepts',
  },
  {
    name: 'callSoon(callback)',
    call: (value) => callSoon(value as () => void).cancel(),
    expect: (label) => (label === 'a function' ? 'accepts' : TypeError),
  },
  { name: 'callSoon(_, options)', call: (value) => callSoon(() => {}, value as never).cancel(), expect: asOptions },
  { name: 'callSoon(_, { context })', call: (value) => callSoon(() => {}, { context: value as Context }).cancel() },
  {
    name: 'callLater(delayMs)',
    call: (value) => callLater(value as number, () => {}).cancel(),
    expect: (label) => (label === 'a number' ? 'accepts' : TypeError),
  },
  {
    name: 'callLater(_, callback)',
    call: (value) => callLater(1, value as () => void).cancel(),
    expect: (label) => (label === 'a function' ? 'accepts' : TypeError),
  },
  {
    name: 'callLater(_, _, options)',
    call: (value) => callLater(1, () => {}, value as never).cancel(),
    expect: asOptions,
  },
  {
    name: 'bind(fn)',
    call: (value) => bind(value as () => unknown),
    expect: (label) => (label === 'a function' ? 'accepts' : TypeError),
  },
  {
    name: 'gather(item)',
    async: true,
    call: (value) => gather(value as () => unknown),
    token: () => undefined, // the engine's thenable check, as in Promise.all
    // A function runs as a task; anything else is awaited as Promise.all would: reading `then` of a revoked
    // Proxy is a TypeError, and a Proxy or getter that throws on `then` rejects with what it threw.
    expect: (label) =>
      label === 'a revoked Proxy'
        ? TypeError
        : label === 'a Proxy whose traps throw' || label === 'an object whose getters throw'
          ? Error
          : 'accepts',
  },
];

/** The API a site's messages must name: `WorkerPool.run(module)` -> 'WorkerPool.run', `new WorkerPool(...)` -> 'WorkerPool'. */
function apiOf(site: Site): string {
  return site.name
    .replace(/^new /, '')
    .replace(/\(.*$/, '')
    .replace(/ with .*$/, '');
}

/** The current context's entries, by identity and value. */
function entries(): Array<[ContextVar<unknown>, unknown]> {
  return [...copyContext().entries()];
}

/** Runs one call and returns what it did: 'accepted', or the error it threw or rejected with. */
async function outcomeOf(
  site: Site,
  value: unknown,
): Promise<{ how: 'accepted' | 'threw' | 'rejected'; error?: unknown }> {
  let returned: unknown;
  try {
    returned = site.call(value);
  } catch (error) {
    return { how: 'threw', error };
  }
  if (site.async) {
    assert.ok(returned instanceof Promise, `${site.name} returns a promise`);
    try {
      await returned;
    } catch (error) {
      return { how: 'rejected', error };
    }
  } else if (returned instanceof Object && typeof (returned as PromiseLike<unknown>).then === 'function') {
    // A task: its own failure is not the call's.
    await Promise.resolve(returned).catch(() => {});
  }
  return { how: 'accepted' };
}

for (const site of SITES) {
  describe(site.name, () => {
    for (const [label, value] of HOSTILE) {
      const expected = site.expect?.(label, value) ?? TypeError;
      const what = expected === 'accepts' ? 'is accepted' : `${site.async ? 'rejects' : 'throws'} ${expected.name}`;
      test(`${label}: ${what}, and the current context is unchanged`, () =>
        new Context().run(async () => {
          plain.set({ kept: true });
          shared.set('before');
          const before = entries();
          const { how, error } = await outcomeOf(site, value);
          if (expected === 'accepts') {
            assert.equal(how, 'accepted', `${site.name} with ${label}: ${String(error)}`);
          } else {
            assert.equal(how, site.async ? 'rejected' : 'threw', `${site.name} with ${label}`);
            assert.ok(
              error instanceof expected && (expected !== Error || error === trapError || error === getterError),
              `${site.name} with ${label}: expected ${expected.name}, got ${String(error)}`,
            );
            const token = site.token
              ? site.token(label)
              : expected === ContextCloneError
                ? 'hostile.shared'
                : apiOf(site);
            if (token !== undefined) {
              assert.ok(
                String((error as Error).message).includes(token),
                `${site.name} with ${label}: the message should name ${token}: ${(error as Error).message}`,
              );
            }
          }
          const after = entries();
          assert.equal(after.length, before.length);
          after.forEach(([variable, current], i) => {
            assert.equal(variable, before[i]![0]);
            assert.equal(current, before[i]![1], `${variable.name} unchanged`);
          });
        }));
    }
  });
}
