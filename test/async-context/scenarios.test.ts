/**
 * The ContextVar scenarios (await, timers, I/O, a node:http server, tasks),
 * through the TC39 API: an AsyncContext.Variable set with `run` follows the
 * code that `run` starts and nothing else; a Snapshot or a wrapped function
 * brings the captured values back anywhere; Variables and ContextVars share
 * one mapping.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs';
import { readFile as readFilePromise } from 'node:fs/promises';
import http from 'node:http';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { AsyncContext } from '../../src/async-context/index.ts';
import { getText, listen } from '../../examples/http.ts';
import { Context, ContextVar, copyContext } from '../../src/index.ts';
import { callLater, callSoon, createTask, gather } from '../../src/asyncio/index.ts';

const { Snapshot, Variable } = AsyncContext;
const thisFile = fileURLToPath(import.meta.url);

test('await: a value given by run() holds across awaits and is gone for the caller afterwards', async () => {
  const user = new Variable({ defaultValue: 'anonymous' });
  const seen = await user.run('ada', async () => {
    await sleep(1);
    const afterTimer = user.get();
    await Promise.resolve();
    return [afterTimer, user.get()];
  });
  assert.deepEqual(seen, ['ada', 'ada']);
  assert.equal(user.get(), 'anonymous');
});

test('fan-out: concurrent runs under Promise.all each keep their own value; siblings never see it', async () => {
  const id = new Variable<number>();
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const runs = [1, 2, 3].map((i) =>
    id.run(i, async () => {
      await gate; // every run is in flight before any resumes
      return id.get();
    }),
  );
  const reader = (async () => {
    await gate;
    return id.get();
  })();
  release();
  assert.deepEqual(await Promise.all(runs), [1, 2, 3]);
  assert.equal(await reader, undefined);
});

test('timers: setTimeout, setInterval, setImmediate, nextTick and queueMicrotask keep the scheduling-time value', async () => {
  const phase = new Variable({ defaultValue: 'outside' });
  const seen = await phase.run('scheduled', () => {
    const timeout = new Promise((resolve) => setTimeout(() => resolve(phase.get()), 1));
    const immediate = new Promise((resolve) => setImmediate(() => resolve(phase.get())));
    const tick = new Promise((resolve) => process.nextTick(() => resolve(phase.get())));
    const microtask = new Promise((resolve) => queueMicrotask(() => resolve(phase.get())));
    const interval = new Promise((resolve) => {
      const ticks: unknown[] = [];
      const handle = setInterval(() => {
        ticks.push(phase.get());
        if (ticks.length === 3) {
          clearInterval(handle);
          resolve(ticks);
        }
      }, 1);
    });
    return Promise.all([timeout, immediate, tick, microtask, interval]);
  });
  assert.deepEqual(seen, ['scheduled', 'scheduled', 'scheduled', 'scheduled', ['scheduled', 'scheduled', 'scheduled']]);
  // A timer scheduled outside any run sees the default, even while a run is active elsewhere.
  const outside = new Promise((resolve) => setTimeout(() => resolve(phase.get()), 1));
  phase.run('busy', () => {});
  assert.equal(await outside, 'outside');
});

test('I/O: fs callbacks and fs promises resume with the value of the run that started them', async () => {
  const request = new Variable<string>();
  const [fromCallback, fromPromise] = await Promise.all([
    request.run(
      'callback',
      () =>
        new Promise((resolve, reject) =>
          readFile(thisFile, (error) => (error ? reject(error) : resolve(request.get()))),
        ),
    ),
    request.run('promise', async () => {
      await readFilePromise(thisFile);
      return request.get();
    }),
  ]);
  assert.deepEqual([fromCallback, fromPromise], ['callback', 'promise']);
  assert.equal(request.get(), undefined);
});

test('node:http: 50 concurrent requests to a root server each see only their own value, after awaits', async () => {
  const requestId = new Variable({ name: 'requestId', defaultValue: '-' });
  const seenAtStart: string[] = [];
  const server = http.createServer((request, response) => {
    seenAtStart.push(requestId.get());
    void requestId.run(request.url ?? '?', async () => {
      await sleep(1);
      await new Promise((resolve) => setImmediate(resolve));
      response.end(requestId.get());
    });
  });
  const port = await listen(server);
  try {
    const paths = Array.from({ length: 50 }, (_, i) => `/r-${i}`);
    const bodies = await Promise.all(paths.map((path) => getText(port, path)));
    assert.deepEqual(bodies, paths);
    assert.deepEqual(new Set(seenAtStart), new Set(['-']));
  } finally {
    server.close();
  }
});

test('node:http: a handler wrapped with Snapshot.wrap at startup runs with the startup values', async () => {
  const service = new Variable({ defaultValue: 'none' });
  const handler = service.run('api', () =>
    Snapshot.wrap((_request: http.IncomingMessage, response: http.ServerResponse) => response.end(service.get())),
  );
  const server = http.createServer(handler);
  const port = await listen(server);
  try {
    assert.equal(await getText(port, '/'), 'api');
  } finally {
    server.close();
  }
});

test('tasks: createTask and gather carry Variables; a run inside a task never reaches the caller', async () => {
  const user = new Variable({ defaultValue: 'anonymous' });
  const fromTask = await user.run('ada', () =>
    createTask(async () => {
      await sleep(1);
      return user.get();
    }),
  );
  assert.equal(fromTask, 'ada');
  const gathered = await gather(
    // biome-ignore lint/complexity/noCommaOperator: a ported test262 case checks the evaluation order of a comma expression
    () => user.run('a', async () => (await sleep(1), user.get())),
    // biome-ignore lint/complexity/noCommaOperator: a ported test262 case checks the evaluation order of a comma expression
    () => user.run('b', async () => (await sleep(1), user.get())),
    // biome-ignore lint/complexity/noCommaOperator: a ported test262 case checks the evaluation order of a comma expression
    async () => (await sleep(1), user.get()),
  );
  assert.deepEqual(gathered, ['a', 'b', 'anonymous']);
  assert.equal(user.get(), 'anonymous');
});

test('tasks: callSoon and callLater run with the Variables of their scheduling', async () => {
  const user = new Variable({ defaultValue: 'anonymous' });
  const seen = await user.run('ada', () =>
    Promise.all([
      new Promise((resolve) => callSoon(() => resolve(user.get()))),
      new Promise((resolve) => callLater(1, () => resolve(user.get()))),
    ]),
  );
  assert.deepEqual(seen, ['ada', 'ada']);
});

test('one mapping: copyContext() carries Variables, a Snapshot carries ContextVars', async () => {
  const variable = new Variable({ defaultValue: 'default' });
  const contextVar = new ContextVar('contextVar', { default: 'default' });
  const captured = variable.run('from Variable', () => copyContext());
  assert.equal(
    captured.run(() => variable.get()),
    'from Variable',
  );
  assert.equal(captured.size, 1);

  const snapshot = new Context().run(() => {
    contextVar.set('from ContextVar');
    return new Snapshot();
  });
  assert.equal(
    snapshot.run(() => contextVar.get()),
    'from ContextVar',
  );
  const later = await snapshot.run(async () => {
    await sleep(1);
    return contextVar.get();
  });
  assert.equal(later, 'from ContextVar');
  assert.equal(contextVar.get(), 'default');
  // ContextVar.run and Variable.run nest in one mapping.
  assert.deepEqual(
    contextVar.run('cv', () => variable.run('v', () => new Snapshot())).run(() => [contextVar.get(), variable.get()]),
    ['cv', 'v'],
  );
});

test('Snapshot.run can be re-entered on the same stack (Context.run cannot)', () => {
  const variable = new Variable<string>();
  const snapshot = variable.run('captured', () => new Snapshot());
  const seen = snapshot.run(() => variable.run('inner', () => snapshot.run(() => snapshot.run(() => variable.get()))));
  assert.equal(seen, 'captured');
});

test('a ContextVar.set inside Snapshot.run stays inside: the caller keeps its values', () => {
  const contextVar = new ContextVar('cv', { default: 'outer' });
  const snapshot = new Snapshot();
  const inside = snapshot.run(() => {
    contextVar.set('inside');
    return contextVar.get();
  });
  assert.equal(inside, 'inside');
  assert.equal(contextVar.get(), 'outer');
  assert.equal(
    snapshot.run(() => contextVar.get()),
    'outer',
    'the snapshot itself is unchanged',
  );
});
