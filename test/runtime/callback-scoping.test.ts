/**
 * The assumption behind the 'async-context-frame' storage (Node 24+, Bun,
 * Deno): a value set with `enterWith` lasts until the end of the callback that
 * set it. Here each connection to a root server sets a value in its socket's
 * 'data' callback; the next connection's callback must start clean. This is
 * the smallest form of docs/semantics.md, S7, and the case Deno 2.9 fails (see
 * docs/runtimes.md); scripts/test-runtimes.mjs runs it on every runtime.
 * The same holds for a process 'uncaughtException' handler: what it sets
 * must not reach the node:http requests that come after it (Deno 2.9 fails
 * this too).
 */
import assert from 'node:assert/strict';
import { AsyncLocalStorage, AsyncResource } from 'node:async_hooks';
import { spawnSync } from 'node:child_process';
import { EventEmitterAsyncResource, once } from 'node:events';
import net from 'node:net';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Context, ContextVar } from '../../src/index.ts';

const request = new ContextVar<string>('request', { default: 'none' });

test("a value set in one connection's data callback does not reach the next connection", async () => {
  const seenAtStart: string[] = [];
  const server = net.createServer((socket) => {
    socket.once('data', (data) => {
      seenAtStart.push(request.get());
      request.set(data.toString());
      socket.end(request.get());
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  const replies: string[] = [];
  try {
    for (let i = 0; i < 3; i++) {
      const client = net.connect(port, '127.0.0.1', () => client.write(`client-${i}`));
      let reply = '';
      client.on('data', (chunk) => (reply += chunk));
      await once(client, 'close');
      replies.push(reply);
    }
  } finally {
    server.close();
  }
  assert.deepEqual(replies, ['client-0', 'client-1', 'client-2']);
  assert.deepEqual(seenAtStart, ['none', 'none', 'none']);
  assert.equal(request.get(), 'none');
});

/** The command that runs a TypeScript file on the runtime running this test. */
function runFile(file: string): [string, string[]] {
  if ('Deno' in globalThis) return [process.execPath, ['run', '-A', '--no-check', '--node-modules-dir=manual', file]];
  if ('Bun' in globalThis) return [process.execPath, [file]];
  return [process.execPath, ['--import', 'tsx', file]];
}

test("a value set in a process 'uncaughtException' handler does not reach later node:http requests", () => {
  const [command, args] = runFile(fileURLToPath(new URL('./fixtures/uncaught-exception-http.ts', import.meta.url)));
  const child = spawnSync(command, args, { encoding: 'utf8', cwd: fileURLToPath(new URL('../..', import.meta.url)) });
  assert.equal(child.status, 0, `the fixture exited with ${child.status}:\n${child.stderr}`);
  const { replies, seenAtStart, atEnd } = JSON.parse(child.stdout.trim().split('\n').at(-1) ?? '') as {
    replies: string[];
    seenAtStart: string[];
    atEnd: string;
  };
  assert.deepEqual(replies, ['request 1', 'request 2', 'request 3']);
  assert.deepEqual(seenAtStart, ['none', 'none', 'none']);
  assert.equal(atEnd, 'none');
});

test('a callback nested in another keeps its own scope: sets in either never reach the other or the next call', async () => {
  const resource = new AsyncResource('nested'); // made here: its callbacks start from 'none'
  const seen: string[] = [];
  await new Promise<void>((resolve) =>
    setImmediate(() => {
      request.set('outer');
      resource.runInAsyncScope(() => {
        seen.push(request.get());
        request.set('inner'); // the nested resource's own callback
      });
      seen.push(request.get()); // still the outer callback's value
      resource.runInAsyncScope(() => seen.push(request.get())); // the nested one starts clean again
      resolve();
    }),
  );
  assert.deepEqual(seen, ['none', 'outer', 'none']);
});

test("Context.run and ContextVar.run keep another AsyncLocalStorage's value, in fn, in what fn schedules and after, also when fn throws", async () => {
  const other = new AsyncLocalStorage<string>();
  const seen: string[] = [];
  await other.run('theirs', async () => {
    const scheduled: Promise<void>[] = [];
    const look = (label: string) => () => {
      seen.push(`${label}: ${request.get()} ${other.getStore()}`);
      scheduled.push(
        new Promise((resolve) =>
          setImmediate(() => resolve(void seen.push(`${label} later: ${request.get()} ${other.getStore()}`))),
        ),
      );
    };
    request.run('run', look('v.run'));
    new Context().run(() => {
      request.set('ctx');
      look('ctx.run')();
    });
    assert.throws(() =>
      request.run('thrown', () => {
        throw new Error('fn failed');
      }),
    );
    seen.push(`after: ${request.get()} ${other.getStore()}`);
    await Promise.all(scheduled);
  });
  assert.deepEqual(seen, [
    'v.run: run theirs',
    'ctx.run: ctx theirs',
    'after: none theirs',
    'v.run later: run theirs',
    'ctx.run later: ctx theirs',
  ]);
});

test("values set by the main script's top-level code reach its timers and its code after await", () => {
  const child = spawnSync(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(new URL('./fixtures/top-level-set.ts', import.meta.url))],
    { encoding: 'utf8' },
  );
  assert.equal(child.status, 0, child.stderr);
  assert.deepEqual(child.stdout.trim().split('\n'), ['timer: main', 'after await: main', 'fresh context: none']);
});

/**
 * A resource that calls back while its own callback runs: each call starts
 * with the resource's bound value and keeps its own write to its end, at
 * every depth (as on AsyncContextFrame runtimes, where each call is a frame).
 */
const nestedExpectation = [
  'start 0: bound',
  'start 1: bound',
  'start 2: bound',
  'start 3: bound',
  'end 3: write 3',
  'end 2: write 2',
  'end 1: write 1',
  'end 0: write 0',
];

/** A call at `depth` that logs, writes, calls the next depth through `again`, and logs again. */
function nestedCall(log: string[], depth: number, again: () => void): void {
  log.push(`start ${depth}: ${request.get()}`);
  request.set(`write ${depth}`);
  if (depth < 3) again();
  log.push(`end ${depth}: ${request.get()}`);
}

test('a function bound with AsyncResource.bind that calls itself: each call starts bound and keeps its write', async () => {
  const log: string[] = [];
  const bound: (depth: number) => void = request.run('bound', () =>
    AsyncResource.bind((depth: number) => nestedCall(log, depth, () => bound(depth + 1))),
  );
  await new Promise<void>((resolve) =>
    setImmediate(() => {
      bound(0); // from a later callback, as a server's would
      resolve();
    }),
  );
  assert.deepEqual(log, nestedExpectation);
  assert.equal(request.get(), 'none');
});

test('an EventEmitterAsyncResource emitting from its own listener: each call starts bound and keeps its write', async () => {
  const log: string[] = [];
  const emitter = request.run('bound', () => new EventEmitterAsyncResource({ name: 'nested' }));
  emitter.on('call', (depth: number) => nestedCall(log, depth, () => emitter.emit('call', depth + 1)));
  await new Promise<void>((resolve) =>
    setImmediate(() => {
      emitter.emit('call', 0);
      resolve();
    }),
  );
  assert.deepEqual(log, nestedExpectation);
  emitter.emitDestroy();
});
