/**
 * Isolation under real scheduling: resets that never reach other requests
 * (S3), callbacks run back to back without a microtask drain (S7), scoped
 * helpers under Promise.all, ContextVar.run (S8), and Contexts shared by
 * several flows (S4). Scenarios 13-17 of docs/semantics.md, each across its
 * finish orders and variants; order comes from gates, never from timers.
 */
import assert from 'node:assert/strict';
import { AsyncResource } from 'node:async_hooks';
import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import fc from 'fast-check';
import { Context, ContextVar, copyContext, TokenContextError } from '../../../src/index.ts';
import { callLater, createTask } from '../../../src/asyncio/index.ts';
import { listen } from '../../../examples/http.ts';

const v = new ContextVar<unknown>('v', { default: 'd' });
const w = new ContextVar<unknown>('w', { default: 'wd' });

/** A promise that settles when the test opens it: the order of events is the test's, not the timers'. */
function gate(): { readonly opened: Promise<void>; open(): void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

const ORDERS = [
  [0, 1, 2],
  [0, 2, 1],
  [1, 0, 2],
  [1, 2, 0],
  [2, 0, 1],
  [2, 1, 0],
] as const;

/** POSTs `body` on a fresh connection and resolves with the response body. */
function post(port: number, body: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const request = http.request({ host: '127.0.0.1', port, method: 'POST', agent: false }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve(text));
    });
    request.on('error', reject);
    request.end(body);
  });
}

/**
 * Three sequential POSTs to a server whose handler sets `user` twice and
 * resets the second set in the request's 'end' listener, which runs in the
 * socket's frame (the listen-time scope). Each answer is the value the
 * handler started with. `inContext`: the server listens inside a Context.
 */
async function startValuesAfterListenerResets(inContext: boolean): Promise<string[]> {
  const user = new ContextVar<string>('user', { default: 'nobody' });
  const server = http.createServer((request, response) => {
    const seenAtStart = user.get();
    request.resume();
    user.set('request');
    const elevated = user.set('admin');
    request.on('end', () => {
      user.reset(elevated);
      response.end(seenAtStart);
    });
  });
  const startListening = () => {
    user.set('anonymous'); // set before listen(): the server's callbacks start from this scope
    return listen(server);
  };
  const port = await (inContext ? new Context().run(startListening) : startListening());
  try {
    const answers: string[] = [];
    for (const name of ['alice', 'bob', 'carol']) answers.push(await post(port, name));
    return answers;
  } finally {
    server.close();
  }
}

/** The no-bleed half of scenario 13: every request starts from the same values, none from another's. */
async function assertNoBleed(inContext: boolean): Promise<void> {
  const answers = await startValuesAfterListenerResets(inContext);
  assert.deepEqual(answers, [answers[0], answers[0], answers[0]]);
  assert.ok(!['request', 'admin'].includes(answers[0]!), `a request started with ${answers[0]}`);
}

test('scenario 13: a reset in a request listener changes nothing that later requests see (server at the root)', () =>
  assertNoBleed(false));
test('scenario 13: a reset in a request listener changes nothing that later requests see (server in a Context)', () =>
  assertNoBleed(true));
test('S1: request handlers start from the values set before listen() (server at the root)', async () => {
  assert.deepEqual(await startValuesAfterListenerResets(false), ['anonymous', 'anonymous', 'anonymous']);
});
test('S1: request handlers start from the values set before listen() (server in a Context)', async () => {
  assert.deepEqual(await startValuesAfterListenerResets(true), ['anonymous', 'anonymous', 'anonymous']);
});

/** Splits a stream of HTTP/1.1 responses with Content-Length bodies into their bodies. */
function responseBodies(stream: string): string[] {
  const bodies: string[] = [];
  let rest = stream;
  while (rest.length > 0) {
    const headerEnd = rest.indexOf('\r\n\r\n');
    if (headerEnd < 0) break;
    const length = Number(/content-length: (\d+)/i.exec(rest.slice(0, headerEnd))?.[1] ?? 0);
    bodies.push(rest.slice(headerEnd + 4, headerEnd + 4 + length));
    rest = rest.slice(headerEnd + 4 + length);
  }
  return bodies;
}

test('scenario 14: five pipelined HTTP/1.1 requests in one TCP write each start with the default', async () => {
  const user = new ContextVar<string>('user', { default: 'nobody' });
  const server = http.createServer(async (request, response) => {
    const seenAtStart = user.get();
    const name = request.headers['x-user'];
    if (typeof name === 'string') user.set(name);
    await null;
    response.end(`${seenAtStart}/${user.get()}`);
  });
  const port = await listen(server);
  try {
    const socket = net.connect(port, '127.0.0.1');
    await once(socket, 'connect');
    const users = ['', 'ada', '', 'bob', ''];
    const requests = users.map(
      (name, i) =>
        `GET /${i} HTTP/1.1\r\nHost: 127.0.0.1\r\n${name ? `X-User: ${name}\r\n` : ''}` +
        `${i === users.length - 1 ? 'Connection: close\r\n' : ''}\r\n`,
    );
    socket.write(requests.join('')); // one write: the parser runs every request in one callback chain
    socket.setEncoding('utf8');
    let stream = '';
    socket.on('data', (chunk: string) => (stream += chunk));
    await once(socket, 'end');
    assert.deepEqual(responseBodies(stream), [
      'nobody/nobody',
      'nobody/ada',
      'nobody/nobody',
      'nobody/bob',
      'nobody/nobody',
    ]);
  } finally {
    server.close();
  }
});

test('S7: a function bound with AsyncResource.bind and called twice in one tick starts from its own scope each time', async () => {
  const user = new ContextVar<string>('user', { default: 'nobody' });
  const seen: string[] = [];
  const bound = AsyncResource.bind((name: string) => {
    seen.push(user.get());
    user.set(name);
  });
  await new Promise<void>((resolve) =>
    setImmediate(() => {
      bound('ada');
      bound('bob'); // no microtask drain between the two calls
      bound('eve');
      resolve();
    }),
  );
  assert.deepEqual(seen, ['nobody', 'nobody', 'nobody']);
});

/** Three helpers that scope a value with `using` before their first await, finishing when their gate opens. */
async function threeScopedHelpers(
  order: readonly number[],
  variables: readonly ContextVar<unknown>[],
  callerSetsBetween: boolean,
): Promise<void> {
  const gates = [gate(), gate(), gate()];
  const seenInside: unknown[] = [];
  async function scoped(i: number): Promise<void> {
    const variable = variables[i]!;
    using _ = variable.set(`helper ${i}`);
    await gates[i]!.opened;
    seenInside.push(variable.get());
  }
  const helpers = [scoped(0), scoped(1)];
  if (callerSetsBetween) w.set('caller');
  helpers.push(scoped(2));
  const all = Promise.all(helpers);
  for (const i of order) {
    gates[i]!.open();
    await helpers[i];
  }
  await all;
  assert.equal(v.get(), 'd', `v after the helpers, order ${order}`);
  assert.equal(w.get(), callerSetsBetween ? 'caller' : 'wd', `w after the helpers, order ${order}`);
  assert.equal(seenInside.length, 3);
}

for (const order of ORDERS) {
  test(`scenario 15: three using-helpers under Promise.all leave the caller its own value (finish order ${order})`, () =>
    new Context().run(() => threeScopedHelpers(order, [v, v, v], false)));
  test(`scenario 15: helpers scoping different variables leave the caller its own values (finish order ${order})`, () =>
    new Context().run(() => threeScopedHelpers(order, [v, w, v], false)));
  test(`scenario 15: a caller set between calling the helpers and awaiting them is kept (finish order ${order})`, () =>
    new Context().run(() => threeScopedHelpers(order, [v, v, v], true)));
}

test('scenario 15: the same at the process root, outside any Context', async () => {
  for (const order of ORDERS) await threeScopedHelpers(order, [v, w, v], false);
});

test('scenario 16: v.run(x, async fn) under Promise.all: readers and the caller never see x; fn and its timers do', () =>
  new Context().run(async () => {
    const release = gate();
    const scheduledSaw = new Promise<unknown>((resolve) => {
      void v.run('x', async () => {
        setTimeout(() => resolve(v.get()), 0);
        await release.opened;
      });
    });
    const results = await Promise.all([
      v.run('x', async () => {
        await release.opened;
        return v.get();
      }),
      (async () => {
        const before = v.get();
        release.open();
        await sleep(0);
        return `${before},${v.get()}`;
      })(),
      v.run('y', () => v.get()),
    ]);
    assert.deepEqual(results, ['x', 'd,d', 'y']);
    assert.equal(await scheduledSaw, 'x');
    assert.equal(v.get(), 'd');
  }));

test('S8: v.run returns fn result, passes arguments, calls fn with this undefined, and restores on throw', () => {
  assert.equal(
    v.run(
      'x',
      function (this: unknown, a: number, b: number) {
        assert.equal(this, undefined);
        return `${v.get()}${a + b}`;
      },
      1,
      2,
    ),
    'x3',
  );
  assert.throws(
    () =>
      v.run('x', () => {
        throw new RangeError('boom');
      }),
    RangeError,
  );
  assert.equal(v.get(), 'd');
  assert.throws(() => v.run('x', 'not a function' as never), /ContextVar name='v'.*run expects a function/);
});

test('S8: a set inside v.run is recorded in the running Context; the scoped value is not', () => {
  const ctx = new Context();
  ctx.run(() => v.run('x', () => w.set('inner')));
  assert.equal(ctx.get(w), 'inner');
  assert.equal(ctx.has(v), false);
});

test('scenario 17: synchronous out-of-order resets stay exact to Python', () =>
  new Context().run(() => {
    const t1 = v.set(1);
    const t2 = v.set(2);
    v.reset(t1);
    assert.equal(v.get(), 'd'); // Python: LookupError (no value); here the default
    assert.equal(copyContext().has(v), false);
    v.reset(t2);
    assert.equal(v.get(), 1);
  }));

for (const setterFirst of [true, false]) {
  test(`S4: two tasks sharing one Context keep each other's writes (${setterFirst ? 'prefix setter' : 'late setter'} created first)`, async () => {
    const v1 = new ContextVar<string>('v1');
    const v2 = new ContextVar<string>('v2');
    const shared = new Context();
    const setsBeforeAwait = async () => {
      v2.set('from a');
      await sleep(0);
    };
    const setsAfterAwait = async () => {
      await sleep(0);
      v1.set('from b');
    };
    const tasks = setterFirst
      ? [createTask(setsBeforeAwait, { context: shared }), createTask(setsAfterAwait, { context: shared })]
      : [createTask(setsAfterAwait, { context: shared }), createTask(setsBeforeAwait, { context: shared })];
    await Promise.all(tasks);
    assert.equal(shared.get(v1), 'from b');
    assert.equal(shared.get(v2), 'from a');
  });
}

test('S4: a callLater with a context and a ctx.run writing to the same Context keep both writes', async () => {
  const shared = new Context();
  const fired = new Promise<void>((resolve) =>
    callLater(
      0,
      () => {
        w.set('from callLater');
        resolve();
      },
      { context: shared },
    ),
  );
  shared.run(() => v.set('from run'));
  await fired;
  assert.equal(shared.get(v), 'from run');
  assert.equal(shared.get(w), 'from callLater');
});

test('S4: a task does not see writes other code made to its Context after it started', async () => {
  const shared = new Context();
  const wrote = gate();
  const task = createTask(
    async () => {
      await wrote.opened;
      return w.get();
    },
    { context: shared },
  );
  shared.run(() => w.set('later'));
  wrote.open();
  assert.equal(await task, 'wd');
  assert.equal(shared.get(w), 'later');
});

test('S1: a raw setTimeout callback stays in its scheduler flow: it may reset the scheduler token', () =>
  new Context().run(async () => {
    const token = v.set('scoped');
    await new Promise<void>((resolve) =>
      setTimeout(() => {
        v.reset(token); // Python's call_later runs in a copy and raises ValueError here
        resolve();
      }, 0),
    );
    assert.equal(token.used, true);
  }));

test('S1: a raw setTimeout callback records its sets in the scheduler Context; callLater records nothing there', async () => {
  const ctx = new Context();
  const viaTimeout = new Promise<void>((resolve) =>
    ctx.run(() =>
      setTimeout(() => {
        v.set('timer');
        resolve();
      }, 0),
    ),
  );
  const viaCallLater = new Promise<unknown>((resolve) =>
    ctx.run(() =>
      callLater(0, () => {
        w.set('callLater');
        resolve(w.get());
      }),
    ),
  );
  await viaTimeout;
  assert.equal(await viaCallLater, 'callLater');
  assert.equal(ctx.get(v), 'timer'); // Python's copy would record nothing
  assert.equal(ctx.has(w), false);
});

test('S5: a callLater callback cannot reset the scheduler token (it runs in a copy, as asyncio)', () =>
  new Context().run(async () => {
    const token = v.set('scoped');
    const error = await new Promise<unknown>((resolve) =>
      callLater(0, () => {
        try {
          v.reset(token);
          resolve(undefined);
        } catch (caught) {
          resolve(caught);
        }
      }),
    );
    assert.ok(error instanceof TokenContextError);
    v.reset(token);
  }));

/** A random helper: which variable it scopes, how it waits, and the helpers it awaits in its middle. */
interface HelperPlan {
  readonly variable: number;
  readonly ticksBefore: number;
  readonly macrotask: boolean;
  readonly nested: readonly HelperPlan[];
  readonly ticksAfter: number;
}

const helperPlan: fc.Arbitrary<HelperPlan> = fc.letrec<{ helper: HelperPlan }>((tie) => ({
  helper: fc.record({
    variable: fc.integer({ min: 0, max: 2 }),
    ticksBefore: fc.integer({ min: 0, max: 4 }),
    macrotask: fc.boolean(),
    nested: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.constant([]),
      fc.array(tie('helper'), { maxLength: 3 }),
    ),
    ticksAfter: fc.integer({ min: 0, max: 4 }),
  }),
})).helper;

const propertyVariables = [v, w, new ContextVar<unknown>('x', { default: 'xd' })];
const SEED = Number(process.env['TEST_SEED'] ?? 20261201);

test(`property: random using-helpers under Promise.all leave the caller's Context as it was (seed ${SEED})`, async () => {
  async function wait(ticks: number, macrotask: boolean): Promise<void> {
    for (let i = 0; i < ticks; i++) {
      if (macrotask) await new Promise((resolve) => setImmediate(resolve));
      else await null;
    }
  }
  async function helper(plan: HelperPlan, depth: number): Promise<void> {
    const variable = propertyVariables[plan.variable]!;
    const value = `${plan.variable}@${depth}`;
    using _ = variable.set(value);
    await wait(plan.ticksBefore, plan.macrotask);
    await Promise.all(plan.nested.map((inner) => helper(inner, depth + 1)));
    assert.equal(variable.get(), value, 'a helper reads its own value after its nested helpers settle');
    await wait(plan.ticksAfter, !plan.macrotask);
  }
  await fc.assert(
    fc.asyncProperty(
      fc.array(helperPlan, { minLength: 1, maxLength: 5 }),
      fc.array(fc.option(fc.integer({ min: 0, max: 2 }), { nil: undefined }), { minLength: 5, maxLength: 5 }),
      (plans, callerSets) =>
        new Context().run(async () => {
          const expected = new Map<ContextVar<unknown>, unknown>();
          const started: Promise<void>[] = [];
          plans.forEach((plan, i) => {
            started.push(helper(plan, 0));
            const set = callerSets[i];
            if (set !== undefined) {
              propertyVariables[set]!.set(`caller ${i}`);
              expected.set(propertyVariables[set]!, `caller ${i}`);
            }
          });
          await Promise.all(started);
          assert.deepEqual(new Map(copyContext()), expected);
        }),
    ),
    { seed: SEED, numRuns: 300 },
  );
});
