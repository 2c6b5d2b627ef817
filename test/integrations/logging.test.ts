/**
 * contextvars/logging: logFields on its own, then with a real pino logger
 * writing to an in-memory stream under 200 concurrent real HTTP requests.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Writable } from 'node:stream';
import { Context, ContextVar } from '../../src/index.ts';
import { createTask } from '../../src/asyncio/index.ts';
import { logFields } from '../../src/integrations/logging.ts';
import { getText, listen } from '../../examples/http.ts';
import { createLogger, requestId, user } from '../../examples/pino-logging.ts';

test('yields each variable under its field name: its value, else its default; unset variables are left out', () => {
  const id = new ContextVar<string>('id');
  const who = new ContextVar<string>('who', { default: 'anonymous' });
  const nothing = new ContextVar<number | undefined>('nothing', { default: undefined });
  const fields = logFields({ requestId: id, user: who, nothing });
  new Context().run(() => {
    assert.deepEqual(fields(), { user: 'anonymous', nothing: undefined });
    assert.ok(!('requestId' in fields()), 'an unset variable without default is not a field');
    id.set('r-1');
    who.set('ada');
    assert.deepEqual(fields(), { requestId: 'r-1', user: 'ada', nothing: undefined });
  });
  // Outside that Context the values are gone again, and the default is still known.
  assert.deepEqual(fields(), { user: 'anonymous', nothing: undefined });
});

test('each call returns a new object, so a logger may keep or change it', () => {
  const id = new ContextVar<string>('id', { default: 'x' });
  const fields = logFields({ id });
  const first = fields();
  first.id = 'changed';
  assert.deepEqual(fields(), { id: 'x' });
});

test('reads the current flow: concurrent tasks each get their own fields', async () => {
  const id = new ContextVar<number>('id');
  const fields = logFields({ id });
  const seen = await Promise.all(
    [1, 2, 3].map((n) =>
      createTask(async () => {
        id.set(n);
        await sleep(4 - n);
        return fields();
      }),
    ),
  );
  assert.deepEqual(seen, [{ id: 1 }, { id: 2 }, { id: 3 }]);
});

test('refuses anything but an object of ContextVars, naming the field', () => {
  assert.throws(() => logFields(null as never), TypeError);
  assert.throws(() => logFields({ requestId: 'r-1' } as never), {
    name: 'TypeError',
    message: /ContextVar for field 'requestId', got string/,
  });
});

test('pino mixin under 200 concurrent HTTP requests: every line carries its own request fields (zero mismatches)', async () => {
  const REQUESTS = 200;
  let output = '';
  const memory = new Writable({
    write(chunk: Buffer, _encoding, done) {
      output += chunk.toString('utf8');
      done();
    },
  });
  const logger = createLogger(memory);
  // Each line also carries `n` from the handler's closure: the truth the context fields are checked against.
  const server = http.createServer(async (request, response) => {
    const n = Number(new URL(request.url ?? '/', 'http://x').searchParams.get('n'));
    requestId.set(String(request.headers['x-request-id']));
    if (n % 2 === 0) user.set(`user-${n}`);
    logger.info({ n, step: 'received' });
    await sleep(n % 7);
    logger.info({ n, step: 'after await' });
    await new Promise<void>((resolve) =>
      setTimeout(() => {
        logger.info({ n, step: 'in timer' });
        resolve();
      }, n % 3),
    );
    await createTask(async () => {
      await sleep(1);
      logger.info({ n, step: 'in task' });
    });
    response.end(requestId.get());
  });
  const port = await listen(server);
  try {
    const bodies = await Promise.all(
      Array.from({ length: REQUESTS }, (_, n) => getText(port, `/?n=${n}`, { 'x-request-id': `req-${n}` })),
    );
    for (const [n, body] of bodies.entries()) assert.equal(body, `req-${n}`);
  } finally {
    server.close();
  }
  const lines = output
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { n: number; step: string; requestId?: string; user?: string });
  assert.equal(lines.length, REQUESTS * 4);
  let mismatches = 0;
  for (const line of lines) {
    const expectedUser = line.n % 2 === 0 ? `user-${line.n}` : 'anonymous';
    if (line.requestId !== `req-${line.n}` || line.user !== expectedUser) mismatches++;
  }
  assert.equal(mismatches, 0);
});
