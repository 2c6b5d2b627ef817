/// <reference lib="dom" />
/**
 * The recipes of docs/recipes.md and docs/frameworks.md, proven on the real
 * frameworks: each app serves 200 concurrent requests on 127.0.0.1 with
 * distinct values, and the test counts the requests that saw another
 * request's value (or none) anywhere — middleware, handler, error
 * handler, access log. Every count must be 0.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fastifyRequestContext, requestContext } from '@fastify/request-context';
import { serve } from '@hono/node-server';
import express, { type ErrorRequestHandler, type RequestHandler } from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import { bind, ContextVar } from '../../../src/index.ts';
import fastifyContextvars from '../../../src/integrations/fastify.ts';
import { type Deferred, deferred, mismatches } from '../../support/load.ts';

// Koa's own types (@types/koa 3) do not compile against the content-disposition it installs: typed here by use.
interface KoaContext {
  readonly path: string;
  status: number;
  body: unknown;
  get(header: string): string;
  set(header: string, value: string): void;
}
type KoaMiddleware = (ctx: KoaContext, next: () => Promise<void>) => Promise<void>;
const { default: Koa } = (await import('koa' as string)) as {
  default: new () => { use(middleware: KoaMiddleware): void; listen(port: number, host: string): Server };
};

const REQUESTS = 200;
const requestId = new ContextVar<string>('requestId', { default: '-' });
const user = new ContextVar<string>('user', { default: 'anonymous' });

/** A body large enough to arrive in several chunks (so body listeners run from the socket). */
const bodyFor = (i: number) => JSON.stringify({ i, padding: 'x'.repeat(32 * 1024) });

async function listening(server: Server): Promise<string> {
  if (!server.listening) await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function closing(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

describe('Fastify: contextvars/fastify and @fastify/request-context, the same app', () => {
  /** GET / with authorization user-i: the handler answers `<id> <user>` after awaits in a hook and in itself. */
  const check = (base: string) =>
    mismatches(REQUESTS, async (i) => {
      const response = await fetch(base, { headers: { authorization: `user-${i}`, 'x-request-id': `r-${i}` } });
      const seen = await response.text();
      const expected = `r-${i} user-${i}`;
      return seen === expected && response.headers.get('x-user') === `user-${i}`
        ? undefined
        : `${expected} saw ${seen}`;
    });

  test(`contextvars/fastify: ${REQUESTS} concurrent requests, 0 mismatches`, async () => {
    const app = Fastify();
    await app.register(fastifyContextvars, {
      values: (request) => [[requestId, String(request.headers['x-request-id'])]],
    });
    app.addHook('onRequest', async (request) => {
      await sleep(1); // verify the token
      user.set(String(request.headers.authorization));
    });
    app.addHook('onSend', async (_request, reply) => {
      reply.header('x-user', user.get());
    });
    app.get('/', async () => {
      await sleep(1);
      return `${requestId.get()} ${user.get()}`;
    });
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      assert.deepEqual(await check(base), []);
    } finally {
      await app.close();
    }
  });

  test(`@fastify/request-context: ${REQUESTS} concurrent requests, 0 mismatches`, async () => {
    const app = Fastify();
    await app.register(fastifyRequestContext, {
      defaultStoreValues: (request) => ({ requestId: String(request.headers['x-request-id']) }),
    });
    app.addHook('onRequest', async (request) => {
      await sleep(1);
      requestContext.set('user' as never, String(request.headers.authorization) as never);
    });
    app.addHook('onSend', async (_request, reply) => {
      reply.header('x-user', String(requestContext.get('user' as never)));
    });
    app.get('/', async () => {
      await sleep(1);
      return `${requestContext.get('requestId' as never)} ${requestContext.get('user' as never)}`;
    });
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      assert.deepEqual(await check(base), []);
    } finally {
      await app.close();
    }
  });
});

describe('Express 5', () => {
  for (const order of ['body parser before the id middleware', 'body parser after the id middleware'] as const) {
    test(`${order}: middleware, async error handler, res 'finish' access log; ${REQUESTS} requests, 0 mismatches`, async () => {
      const app = express();
      const logged = new Map<string, string>();
      const finished = new Map<string, Deferred>();
      const identify: RequestHandler = (req, res, next) => {
        requestId.set(req.get('x-request-id') ?? 'none');
        bind(req); // a body parser after this middleware listens to req: its listeners keep the id
        bind(res).on('finish', () => {
          logged.set(String(req.get('x-request-id')), `${requestId.get()} ${res.statusCode}`);
          finished.get(String(req.get('x-request-id')))?.resolve();
        });
        next();
      };
      if (order === 'body parser before the id middleware') app.use(express.json({ limit: '1mb' }), identify);
      else app.use(identify, express.json({ limit: '1mb' }));
      app.post('/orders', async (req, res) => {
        await sleep(1);
        if (req.body.i % 3 === 0) throw new Error(`order ${req.body.i} refused`);
        res.json({ requestId: requestId.get(), i: req.body.i });
      });
      const onError: ErrorRequestHandler = async (error, _req, res, _next) => {
        await sleep(1);
        res.status(409).json({ requestId: requestId.get(), error: (error as Error).message });
      };
      app.use(onError);
      const server = app.listen(0, '127.0.0.1');
      const base = await listening(server);
      try {
        const wrong = await mismatches(REQUESTS, async (i) => {
          const id = `r-${i}`;
          finished.set(id, deferred());
          const response = await fetch(`${base}/orders`, {
            method: 'POST',
            headers: { 'x-request-id': id, 'content-type': 'application/json' },
            body: bodyFor(i),
          });
          const body = (await response.json()) as { requestId: string };
          await finished.get(id)?.promise;
          const status = i % 3 === 0 ? 409 : 200;
          const ok = response.status === status && body.requestId === id && logged.get(id) === `${id} ${status}`;
          return ok ? undefined : `${id}: ${response.status} ${JSON.stringify(body)} log ${logged.get(id)}`;
        });
        assert.deepEqual(wrong, []);
      } finally {
        await closing(server);
      }
    });
  }
});

test(`Koa: middleware, error handling and the handler; ${REQUESTS} requests, 0 mismatches`, async () => {
  const app = new Koa();
  app.use(async (ctx, next) => {
    requestId.set(ctx.get('x-request-id') || 'none');
    try {
      await next();
    } catch (error) {
      ctx.status = 409;
      ctx.body = `${requestId.get()} ${(error as Error).message}`;
    }
    ctx.set('x-request-id', requestId.get());
  });
  app.use(async (ctx) => {
    await sleep(1);
    if (ctx.path === '/fail') throw new Error('refused');
    ctx.body = requestId.get();
  });
  const server = app.listen(0, '127.0.0.1');
  const base = await listening(server);
  try {
    const wrong = await mismatches(REQUESTS, async (i) => {
      const id = `r-${i}`;
      const fail = i % 2 === 0;
      const response = await fetch(`${base}${fail ? '/fail' : '/'}`, { headers: { 'x-request-id': id } });
      const body = await response.text();
      const ok = body === (fail ? `${id} refused` : id) && response.headers.get('x-request-id') === id;
      return ok ? undefined : `${id} saw ${body}`;
    });
    assert.deepEqual(wrong, []);
  } finally {
    await closing(server);
  }
});

test(`Hono on @hono/node-server: middleware and a handler reading a body; ${REQUESTS} requests, 0 mismatches`, async () => {
  const app = new Hono();
  app.use(async (c, next) => {
    requestId.set(c.req.header('x-request-id') ?? 'none');
    await next();
    c.header('x-request-id', requestId.get());
  });
  app.post('/orders', async (c) => {
    const { i } = await c.req.json<{ i: number }>();
    await sleep(1);
    return c.json({ requestId: requestId.get(), i });
  });
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as Server;
  const base = await listening(server);
  try {
    const wrong = await mismatches(REQUESTS, async (i) => {
      const id = `r-${i}`;
      const response = await fetch(`${base}/orders`, {
        method: 'POST',
        headers: { 'x-request-id': id, 'content-type': 'application/json' },
        body: bodyFor(i),
      });
      const body = (await response.json()) as { requestId: string; i: number };
      const ok = body.requestId === id && body.i === i && response.headers.get('x-request-id') === id;
      return ok ? undefined : `${id} saw ${JSON.stringify(body)}`;
    });
    assert.deepEqual(wrong, []);
  } finally {
    await closing(server);
  }
});

test(`node:http with bodies and bind(req); ${REQUESTS} requests, 0 mismatches`, async () => {
  const server = createServer((req, res) => {
    requestId.set(req.headers['x-request-id']?.toString() ?? 'none');
    bind(req);
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
    });
    req.on('end', () => res.end(`${requestId.get()} sent ${size} bytes`));
  }).listen(0, '127.0.0.1');
  const base = await listening(server);
  try {
    const wrong = await mismatches(REQUESTS, async (i) => {
      const id = `r-${i}`;
      const body = bodyFor(i);
      const seen = await (await fetch(base, { method: 'POST', headers: { 'x-request-id': id }, body })).text();
      const expected = `${id} sent ${Buffer.byteLength(body)} bytes`;
      return seen === expected ? undefined : `${expected} saw ${seen}`;
    });
    assert.deepEqual(wrong, []);
  } finally {
    await closing(server);
  }
});
