// Runs in headless Chromium (see browser.test.ts), on the built ESM entry.
// A browser has no AsyncLocalStorage, so the library is in its synchronous
// mode: these are the cases that hold there, synchronous propagation and
// explicit binding. Results go to window.contextvarsResults.
import { callLater, callSoon, createTask } from '/dist/asyncio.js';
import {
  bind,
  Context,
  ContextReentryError,
  ContextVar,
  copyContext,
  LookupError,
  Token,
  TokenContextError,
  TokenUsedError,
  TokenVarMismatchError,
} from '/dist/index.js';

const cases = [];
const test = (name, fn) => cases.push({ name, fn });

function assertEqual(actual, expected, what = 'value') {
  if (!Object.is(actual, expected)) {
    throw new Error(`${what}: expected ${String(expected)}, got ${String(actual)}`);
  }
}
function assertDeepEqual(actual, expected, what = 'value') {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${what}: expected ${e}, got ${a}`);
}
function assertThrows(fn, ErrorClass, what) {
  try {
    fn();
  } catch (error) {
    if (error instanceof ErrorClass) return;
    throw new Error(`${what}: expected ${ErrorClass.name}, got ${error}`);
  }
  throw new Error(`${what}: expected ${ErrorClass.name}, nothing was thrown`);
}
const isolated = (fn) => () => new Context().run(fn);

test(
  'ContextVar: get returns the default, the fallback, or throws LookupError',
  isolated(() => {
    const withDefault = new ContextVar('withDefault', { default: 'd' });
    const withoutDefault = new ContextVar('withoutDefault');
    assertEqual(withDefault.get(), 'd');
    assertEqual(withDefault.get('fallback'), 'fallback');
    assertEqual(withoutDefault.get('fallback'), 'fallback');
    assertThrows(() => withoutDefault.get(), LookupError, 'get without value or default');
    const undefinedDefault = new ContextVar('undefinedDefault', { default: undefined });
    assertEqual(undefinedDefault.get(), undefined);
    assertThrows(() => new ContextVar(1), TypeError, 'a non-string name');
    assertEqual(withDefault.name, 'withDefault');
  }),
);

test(
  'ContextVar: set returns a Token, reset restores, a token is used once',
  isolated(() => {
    const v = new ContextVar('v', { default: 'd' });
    const first = v.set('a');
    assertEqual(first instanceof Token, true, 'set returns a Token');
    assertEqual(first.var, v);
    assertEqual(first.oldValue, Token.MISSING);
    const second = v.set('b');
    assertEqual(second.oldValue, 'a');
    assertEqual(v.get(), 'b');
    v.reset(second);
    assertEqual(v.get(), 'a');
    assertThrows(() => v.reset(second), TokenUsedError, 'reset twice');
    v.reset(first);
    assertEqual(v.get(), 'd');
    assertEqual(copyContext().has(v), false, 'reset to MISSING removes the variable');
  }),
);

test(
  'Token: another variable or another Context cannot reset it',
  isolated(() => {
    const v = new ContextVar('v');
    const w = new ContextVar('w');
    const token = v.set(1);
    assertThrows(() => w.reset(token), TokenVarMismatchError, 'token of another variable');
    const foreign = new Context().run(() => v.set(2));
    assertThrows(() => v.reset(foreign), TokenContextError, 'token of another Context');
    assertThrows(() => v.reset('not a token'), TypeError, 'not a token');
  }),
);

test(
  'Token: Symbol.dispose resets, as `using` does',
  isolated(() => {
    const v = new ContextVar('v', { default: 'd' });
    const token = v.set('scoped');
    const dispose = token[Symbol.dispose ?? Symbol.for('Symbol.dispose')];
    assertEqual(typeof dispose, 'function', 'Token implements Symbol.dispose');
    dispose.call(token);
    assertEqual(v.get(), 'd');
  }),
);

test('Context.run keeps the changes made in it; the caller does not see them', () => {
  const v = new ContextVar('v', { default: 'd' });
  const ctx = new Context();
  const result = ctx.run(
    (x, y) => {
      v.set('inside');
      return x + y;
    },
    2,
    3,
  );
  assertEqual(result, 5, 'run returns what fn returns');
  assertEqual(ctx.get(v), 'inside');
  assertEqual(v.get(), 'd');
  assertEqual(
    ctx.run(() => v.get()),
    'inside',
    'a second run sees the first one',
  );
});

test('Context.run: entering a running Context throws; an error keeps earlier changes', () => {
  const v = new ContextVar('v');
  const ctx = new Context();
  assertThrows(() => ctx.run(() => ctx.run(() => undefined)), ContextReentryError, 'nested run');
  assertThrows(
    () =>
      ctx.run(() => {
        v.set('before the error');
        throw new RangeError('boom');
      }),
    RangeError,
    'an error from fn propagates',
  );
  assertEqual(ctx.get(v), 'before the error');
  assertThrows(() => ctx.run('not a function'), TypeError, 'a non-function');
});

test(
  'copyContext and Context.copy take independent snapshots',
  isolated(() => {
    const v = new ContextVar('v', { default: 'd' });
    v.set('original');
    const copy = copyContext();
    v.set('changed');
    assertEqual(copy.get(v), 'original');
    const copyOfCopy = copy.copy();
    copy.run(() => v.set('in copy'));
    assertEqual(copy.get(v), 'in copy');
    assertEqual(copyOfCopy.get(v), 'original');
    assertEqual(v.get(), 'changed');
  }),
);

test('Context is a read-only Map of ContextVar to value', () => {
  const a = new ContextVar('a');
  const b = new ContextVar('b');
  const ctx = new Context();
  ctx.run(() => {
    a.set(1);
    b.set(2);
  });
  assertEqual(ctx.size, 2);
  assertEqual(ctx.has(a), true);
  assertEqual(ctx.get(b), 2);
  assertEqual(ctx.get(new ContextVar('c'), 'fallback'), 'fallback');
  assertDeepEqual([...ctx.keys()].map((v) => v.name).sort(), ['a', 'b']);
  assertDeepEqual([...ctx.values()].sort(), [1, 2]);
  assertDeepEqual([...ctx].map(([v, value]) => `${v.name}=${value}`).sort(), ['a=1', 'b=2']);
  assertDeepEqual([...ctx.entries()].map(([v, value]) => `${v.name}=${value}`).sort(), ['a=1', 'b=2']);
  const seen = [];
  ctx.forEach((value, key, map) => {
    seen.push(`${key.name}=${value}:${map === ctx}`);
  });
  assertDeepEqual(seen.sort(), ['a=1:true', 'b=2:true']);
  assertThrows(() => ctx.has('a'), TypeError, 'a non-ContextVar key');
  assertEqual(typeof ctx.set, 'undefined', 'no mutators');
});

test(
  'bind: the function runs in the snapshot taken when it was bound',
  isolated(() => {
    const v = new ContextVar('v', { default: 'd' });
    v.set('at bind');
    const bound = bind((suffix) => `${v.get()}${suffix}`);
    v.set('later');
    assertEqual(bound('!'), 'at bind!');
    assertEqual(v.get(), 'later');
    assertThrows(() => bind(1), TypeError, 'a non-function');
  }),
);

test('callSoon with a context runs the callback in it and keeps its writes there', async () => {
  const v = new ContextVar('v', { default: 'd' });
  const ctx = new Context();
  ctx.run(() => v.set('in ctx'));
  const seen = await new Promise((resolve) =>
    callSoon(
      () => {
        const before = v.get();
        v.set('written by callback');
        resolve(before);
      },
      { context: ctx },
    ),
  );
  assertEqual(seen, 'in ctx');
  assertEqual(ctx.get(v), 'written by callback');
  assertEqual(v.get(), 'd');
});

test('callSoon and callLater without a context run in a copy taken when scheduled', async () => {
  const v = new ContextVar('v', { default: 'd' });
  const ctx = new Context();
  const seen = await ctx.run(() => {
    v.set('scheduled');
    const soon = new Promise((resolve) => callSoon(() => resolve(v.get())));
    const later = new Promise((resolve) => callLater(1, () => resolve(v.get())));
    v.set('after scheduling');
    return Promise.all([soon, later]);
  });
  assertDeepEqual(seen, ['scheduled', 'scheduled']);
});

test('callLater: cancel stops the callback; a negative delay is a RangeError', async () => {
  let ran = false;
  const handle = callLater(1, () => {
    ran = true;
  });
  handle.cancel();
  assertEqual(handle.cancelled, true);
  await new Promise((resolve) => setTimeout(resolve, 20));
  assertEqual(ran, false, 'a cancelled callback does not run');
  assertThrows(() => callLater(-1, () => undefined), RangeError, 'negative delay');
});

test('createTask with an explicit context runs its synchronous part there', async () => {
  const v = new ContextVar('v', { default: 'd' });
  const ctx = new Context();
  ctx.run(() => v.set('given'));
  const task = createTask(
    () => {
      const seen = v.get();
      v.set('set by task');
      return seen;
    },
    { context: ctx },
  );
  assertEqual(task.context, ctx);
  assertEqual(await task, 'given');
  assertEqual(ctx.get(v), 'set by task');
  assertEqual(v.get(), 'd');
  assertThrows(() => createTask(() => 1, { context: {} }), TypeError, 'a context that is not a Context');
});

test('synchronous mode, as documented: values do not cross await without explicit binding', async () => {
  const v = new ContextVar('v', { default: 'd' });
  const afterAwait = await new Context().run(async () => {
    v.set('before await');
    await new Promise((resolve) => setTimeout(resolve, 1));
    return v.get();
  });
  assertEqual(afterAwait, 'd');
  const ctx = new Context();
  const explicit = await new Promise((resolve) => {
    ctx.run(() => v.set('bound'));
    setTimeout(
      ctx.run(() => bind(() => resolve(v.get()))),
      1,
    );
  });
  assertEqual(explicit, 'bound', 'bind carries the value into a timer');
});

const results = [];
for (const { name, fn } of cases) {
  try {
    await fn();
    results.push({ name, ok: true });
  } catch (error) {
    results.push({ name, ok: false, error: String(error?.stack ?? error) });
  }
}
window.contextvarsResults = results;
