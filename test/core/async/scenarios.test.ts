/**
 * Twelve scenarios the model must satisfy, numbered 1 to 12 (each test's name
 * says what its scenario checks), tagged with the rules of docs/semantics.md
 * they exercise (S1–S7), and one test per documented difference from Python
 * (D1–D3 there) pinning our behaviour.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  Context,
  ContextReentryError,
  ContextVar,
  copyContext,
  TokenContextError,
  TokenUsedError,
} from '../../../src/index.ts';
import { callLater, callSoon, createTask, gather } from '../../../src/asyncio/index.ts';
import { seeded } from '../../support/random.ts';

const v = new ContextVar<unknown>('v', { default: 'd' });

/** Each test body runs in its own root-like flow, as a fresh program would. */
function fresh<T>(fn: () => Promise<T>): () => Promise<T> {
  return () => new Context().run(fn);
}

test(
  'S1/scenario 1: a scoped change holds across await and is gone for the caller',
  fresh(async () => {
    async function f(): Promise<unknown> {
      using _ = v.set('x');
      await sleep(1);
      return v.get();
    }
    assert.equal(await f(), 'x');
    assert.equal(v.get(), 'd');
  }),
);

test(
  'scenario 2: Promise.all fan-out keeps each branch its own value',
  fresh(async () => {
    const results = await Promise.all(
      [1, 2, 3].map(async (i) => {
        v.set(i);
        await sleep(4 - i);
        return v.get();
      }),
    );
    assert.deepEqual(results, [1, 2, 3]);
  }),
);

test(
  'scenario 3: gather and createTask isolate each function and the caller',
  fresh(async () => {
    const body = (i: number) => async () => {
      v.set(i);
      await sleep(4 - i);
      return v.get();
    };
    assert.deepEqual(await gather(body(1), body(2), body(3)), [1, 2, 3]);
    assert.equal(v.get(), 'd');
    assert.deepEqual(await Promise.all([1, 2, 3].map((i) => createTask(body(i)))), [1, 2, 3]);
    assert.equal(v.get(), 'd');
  }),
);

test(
  'scenario 4: a timer sees the snapshot from when it was scheduled',
  fresh(async () => {
    let seen: unknown;
    const fired = new Promise<void>((resolve) => {
      v.set('a');
      setTimeout(() => {
        seen = v.get();
        resolve();
      });
      v.set('b');
    });
    await fired;
    assert.equal(seen, 'a');
    assert.equal(v.get(), 'b');
  }),
);

test(
  'scenario 5: a timer callback that sets changes nothing the scheduler reads',
  fresh(async () => {
    v.set('before');
    await new Promise<void>((resolve) =>
      setTimeout(() => {
        v.set('from timer');
        resolve();
      }),
    );
    assert.equal(v.get(), 'before');
    await sleep(1);
    assert.equal(v.get(), 'before');
  }),
);

test(
  'scenario 6 / S7: a root server answers 100 concurrent clients each with its own value',
  seeded(async (random) => {
    const seenAtStart: unknown[] = [];
    const server = net.createServer((socket) => {
      seenAtStart.push(v.get());
      socket.once('data', (data) => {
        v.set(data.toString());
        setTimeout(() => socket.end(String(v.get())), random.between(0, 10));
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as net.AddressInfo;
    try {
      const replies = await Promise.all(
        Array.from(
          { length: 100 },
          (_, i) =>
            new Promise<string>((resolve, reject) => {
              let reply = '';
              const client = net.connect(port, '127.0.0.1', () => client.write(`client-${i}`));
              client.on('data', (chunk) => (reply += chunk));
              client.on('end', () => resolve(reply));
              client.on('error', reject);
            }),
        ),
      );
      assert.deepEqual(
        replies,
        Array.from({ length: 100 }, (_, i) => `client-${i}`),
      );
      // No connection started with another connection's value.
      assert.deepEqual(new Set(seenAtStart), new Set(['d']));
    } finally {
      server.close();
    }
  }),
);

test('scenario 7: ctx.run keeps what fn set; the outer frame does not see it; nesting throws', () => {
  const ctx = new Context();
  ctx.run(() => v.set('inside'));
  assert.equal(ctx.get(v), 'inside');
  assert.equal(v.get(), 'd');
  assert.throws(() => ctx.run(() => ctx.run(() => undefined)), ContextReentryError);
});

test('scenario 8: ctx.run(async fn) shows a value set after an await once fn settles', async () => {
  const ctx = new Context();
  const done = ctx.run(async () => {
    await sleep(1);
    v.set('late');
  });
  assert.equal(ctx.get(v), undefined);
  await done;
  assert.equal(ctx.get(v), 'late');
  assert.equal(v.get(), 'd');
});

test(
  'scenario 9: tokens reset only in their flow, only once, and across await',
  fresh(async () => {
    const foreign = await createTask(() => v.set('task'));
    assert.throws(() => v.reset(foreign), TokenContextError);

    const token = v.set('mine');
    await sleep(1);
    assert.equal(v.get(), 'mine');
    v.reset(token);
    assert.equal(v.get(), 'd');
    assert.throws(() => v.reset(token), TokenUsedError);
  }),
);

test(
  'scenario 10: createTask isolates sets before and after its first await',
  fresh(async () => {
    let sawInside: unknown;
    const task = createTask(async () => {
      v.set('before await');
      sawInside = v.get();
      await sleep(1);
      v.set('after await');
    });
    assert.equal(v.get(), 'd');
    await task;
    assert.equal(sawInside, 'before await');
    assert.equal(v.get(), 'd');
    assert.equal(task.context.get(v), 'after await');
  }),
);

test(
  'scenario 11: callSoon and callLater capture at scheduling time, both ways',
  fresh(async () => {
    v.set('scheduled');
    const seen: unknown[] = [];
    await new Promise<void>((resolve) => {
      callSoon(() => {
        seen.push(v.get());
        v.set('soon wrote');
      });
      callLater(2, () => {
        seen.push(v.get());
        v.set('later wrote');
        resolve();
      });
      v.set('after scheduling');
    });
    assert.deepEqual(seen, ['scheduled', 'scheduled']);
    assert.equal(v.get(), 'after scheduling');
  }),
);

test(
  'scenario 12: 10,000 concurrent flows keep their own values after random delays',
  seeded(async (random) => {
    let mismatches = 0;
    await Promise.all(
      Array.from({ length: 10_000 }, async (_, i) => {
        await createTask(async () => {
          v.set(i);
          for (let step = 0; step < 3; step++) {
            await sleep(random.between(0, 5));
            if (v.get() !== i) mismatches++;
          }
        });
      }),
    );
    assert.equal(mismatches, 0);
    assert.equal(v.get(), 'd');
  }),
);

test(
  'S3: reset reaches the caller that resumes with the snapshot the set was made in',
  fresh(async () => {
    v.set('caller');
    async function scoped(): Promise<void> {
      const token = v.set('callee'); // before the first await: the caller's frame (D1)
      await sleep(1);
      v.reset(token);
    }
    const pending = scoped();
    assert.equal(v.get(), 'callee');
    await pending;
    assert.equal(v.get(), 'caller');
  }),
);

test(
  'D1: a set before the first await of an async function is visible to its caller, even unawaited',
  fresh(async () => {
    async function prefix(): Promise<void> {
      v.set('prefix');
      await sleep(1);
    }
    const pending = prefix();
    assert.equal(v.get(), 'prefix'); // Python: a coroutine awaited directly shows it too
    await pending;
    assert.equal(v.get(), 'prefix');
    // createTask is the isolated form.
    await createTask(async () => {
      v.set('task');
      await sleep(1);
    });
    assert.equal(v.get(), 'prefix');
  }),
);

test(
  'D2: a callback scheduled inside a set/reset scope that runs after the reset sees the restored value',
  fresh(async () => {
    const seen: unknown[] = [];
    const fired = new Promise<void>((resolve) => {
      const token = v.set('scoped');
      setTimeout(() => {
        seen.push(v.get()); // Python's callback would keep 'scoped'
        resolve();
      }, 1);
      const kept = copyContext();
      callLater(1, () => seen.push(v.get()));
      setTimeout(() => kept.run(() => seen.push(v.get())), 1);
      v.reset(token);
    });
    await fired;
    await sleep(5);
    assert.deepEqual(seen.sort(), ['d', 'scoped', 'scoped']);
  }),
);

test(
  'D3: a set after an await inside an awaited async function does not flow out to the caller',
  fresh(async () => {
    async function later(): Promise<void> {
      await sleep(1);
      v.set('after await'); // Python's directly awaited coroutine would show it to the caller
    }
    await later();
    assert.equal(v.get(), 'd');
  }),
);

test('S7: a handle that calls back many times starts every callback with its own snapshot', async () => {
  // A server handle, an interval and an AsyncResource-bound function each call
  // back repeatedly from one resource; a set in one call must not reach the next.
  const { AsyncResource } = await import('node:async_hooks');
  const seen: unknown[] = [];

  const server = net.createServer((socket) => {
    seen.push(v.get());
    v.set('connection');
    socket.end();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  for (let i = 0; i < 3; i++) {
    const client = net.connect(port, '127.0.0.1').resume();
    await once(client, 'close');
  }
  server.close();

  let ticks = 0;
  await new Promise<void>((resolve) => {
    const interval = setInterval(() => {
      seen.push(v.get());
      v.set('tick');
      if (++ticks === 3) {
        clearInterval(interval);
        resolve();
      }
    }, 1);
  });

  const bound = AsyncResource.bind(() => {
    seen.push(v.get());
    v.set('bound');
  });
  for (let i = 0; i < 3; i++) {
    bound();
    await sleep(0);
  }

  assert.deepEqual(seen, Array(9).fill('d'));
});

test('a Context counts as running only while run() is on the stack: after an await it can be run again', async () => {
  // Python raises RuntimeError when a task running in ctx calls ctx.run; ours
  // pins the stack-based rule of S4 (docs/semantics.md, smaller differences).
  const ctx = new Context();
  await ctx.run(async () => {
    assert.throws(() => ctx.run(() => undefined), ContextReentryError);
    await sleep(1);
    ctx.run(() => v.set('again'));
  });
  assert.equal(ctx.get(v), 'again');
});
