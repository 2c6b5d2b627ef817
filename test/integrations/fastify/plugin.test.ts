/**
 * contextvars/fastify (docs/semantics.md, S12) on real Fastify 5 and 4
 * servers on 127.0.0.1: a value set in any hook — sync (done) or async,
 * before or after an await — is seen by every later hook, the handler and
 * the error handler of that request, in child plugins too, and never by
 * another request. The first test shows the defect the plugin fixes.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setImmediate as tick, setTimeout as sleep } from 'node:timers/promises';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import fastifyMultipart from '@fastify/multipart';
import Fastify4 from 'fastify-4';
import { ContextVar } from '../../../src/index.ts';
import fastifyContextvars, { fastifyContextvars as named } from '../../../src/integrations/fastify.ts';
import { type Deferred, deferred, mismatches } from '../../support/load.ts';

const REQUESTS = 200;
const user = new ContextVar<string>('user', { default: 'anonymous' });
const requestId = new ContextVar<string>('requestId', { default: '-' });

type Factory = (options?: object) => FastifyInstance;
const FASTIFY_VERSIONS: ReadonlyArray<readonly [string, Factory]> = [
  ['Fastify 5', Fastify as unknown as Factory],
  ['Fastify 4', Fastify4 as unknown as Factory],
];

/** Listens on 127.0.0.1, runs `fn` with the base URL, closes. */
async function serving<T>(app: FastifyInstance, fn: (base: string) => Promise<T>): Promise<T> {
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  try {
    return await fn(base);
  } finally {
    await app.close();
  }
}

/** The app: an idiomatic async onRequest hook that sets the user after verifying a token. */
function authApp(factory: Factory, app: FastifyInstance): FastifyInstance {
  void factory;
  app.addHook('onRequest', async (request) => {
    await sleep(1); // verify the token
    user.set(String(request.headers.authorization));
  });
  app.get('/', async () => user.get());
  return app;
}

/** GET / as user-i for i in [0, REQUESTS): the answers that are not the request's own user. */
const wrongUsers = (base: string) =>
  mismatches(REQUESTS, async (i) => {
    const seen = await (await fetch(base, { headers: { authorization: `user-${i}` } })).text();
    return seen === `user-${i}` ? undefined : `user-${i} saw ${seen}`;
  });

for (const [version, factory] of FASTIFY_VERSIONS) {
  describe(`contextvars/fastify on ${version}`, () => {
    test('without the plugin, a set after an await in an async onRequest hook never reaches the handler', async () => {
      const wrong = await serving(authApp(factory, factory()), wrongUsers);
      assert.equal(wrong.length, REQUESTS, `only ${wrong.length} of ${REQUESTS} lost the value: the defect changed`);
      assert.ok(wrong.every((line) => line.endsWith('saw anonymous')));
    });

    test(`with the plugin, the same app: ${REQUESTS} concurrent requests, 0 mismatches`, async () => {
      const app = factory();
      await app.register(fastifyContextvars);
      assert.deepEqual(await serving(authApp(factory, app), wrongUsers), []);
    });

    test('the values option sets the initial values in one step, per request', async () => {
      const app = factory();
      await app.register(named, {
        values: (request) => [
          [requestId, String(request.headers['x-request-id'])],
          [user, 'guest'],
        ],
      });
      app.get('/', async () => {
        await sleep(1);
        return `${requestId.get()} ${user.get()}`;
      });
      const wrong = await serving(app, (base) =>
        mismatches(REQUESTS, async (i) => {
          const seen = await (await fetch(base, { headers: { 'x-request-id': `r-${i}` } })).text();
          return seen === `r-${i} guest` ? undefined : `r-${i} saw ${seen}`;
        }),
      );
      assert.deepEqual(wrong, []);
      assert.equal(requestId.get(), '-', 'nothing reached the code outside the requests');
    });

    describe('hook matrix: a value set in one stage is seen by every later stage', () => {
      const STAGES = [
        'onRequest',
        'preParsing',
        'preValidation',
        'preHandler',
        'handler',
        'preSerialization',
        'onSend',
        'onResponse',
      ] as const;
      type Stage = (typeof STAGES)[number];
      const PER_CASE = 20;

      for (const setter of STAGES.slice(0, -1)) {
        for (const style of ['sync', 'async'] as const) {
          for (const timing of ['before', 'after'] as const) {
            for (const readers of ['sync', 'async'] as const) {
              test(`${setter} ${style}, set ${timing} an await; ${readers} readers`, async () => {
                const app = factory();
                await app.register(fastifyContextvars);
                const seen = new Map<string, Partial<Record<Stage, string>>>();
                const responded = new Map<string, Deferred>();
                const keyOf = (request: FastifyRequest) => String(request.headers['x-key']);
                const record = (stage: Stage, request: FastifyRequest) => {
                  const key = keyOf(request);
                  seen.set(key, { ...seen.get(key), [stage]: user.get() });
                };

                /** The stage's body: records what it sees, and the setter sets `set-<key>` before or after an await. */
                const asyncBody = async (stage: Stage, request: FastifyRequest) => {
                  record(stage, request);
                  if (stage !== setter) return;
                  if (timing === 'before') user.set(`set-${keyOf(request)}`);
                  await sleep(1);
                  if (timing === 'after') user.set(`set-${keyOf(request)}`);
                };
                /** The same as a callback: `then` continues after the (optional) set; done is called there. */
                const syncBody = (stage: Stage, request: FastifyRequest, then: () => void) => {
                  record(stage, request);
                  if (stage !== setter) return then();
                  if (timing === 'before') {
                    user.set(`set-${keyOf(request)}`);
                    return then();
                  }
                  setTimeout(() => {
                    user.set(`set-${keyOf(request)}`);
                    then();
                  }, 1);
                };
                const styleOf = (stage: Stage) => (stage === setter ? style : readers);

                for (const stage of ['onRequest', 'preValidation', 'preHandler'] as const) {
                  if (styleOf(stage) === 'async') app.addHook(stage, async (request) => asyncBody(stage, request));
                  else {
                    app.addHook(stage, (request: FastifyRequest, _reply: FastifyReply, done: () => void) =>
                      syncBody(stage, request, () => done()),
                    );
                  }
                }
                for (const stage of ['preParsing', 'preSerialization', 'onSend'] as const) {
                  if (styleOf(stage) === 'async') {
                    app.addHook(stage, async (request: FastifyRequest, _reply: FastifyReply, payload: unknown) => {
                      await asyncBody(stage, request);
                      return payload;
                    });
                  } else {
                    app.addHook(
                      stage,
                      (request: FastifyRequest, _reply: FastifyReply, payload: unknown, done: unknown) =>
                        syncBody(stage, request, () => (done as (error: null, value: unknown) => void)(null, payload)),
                    );
                  }
                }
                app.addHook('onResponse', (request, _reply, done) => {
                  record('onResponse', request);
                  responded.get(keyOf(request))?.resolve();
                  done();
                });
                if (styleOf('handler') === 'async') {
                  app.post('/', async (request) => {
                    await asyncBody('handler', request);
                    return { ok: true };
                  });
                } else {
                  app.post('/', (request, reply) => {
                    syncBody('handler', request, () => void reply.send({ ok: true }));
                  });
                }

                await serving(app, async (base) => {
                  await Promise.all(
                    Array.from({ length: PER_CASE }, async (_, i) => {
                      const key = `${i}`;
                      responded.set(key, deferred());
                      const response = await fetch(base, {
                        method: 'POST',
                        headers: { 'x-key': key, 'content-type': 'application/json' },
                        body: JSON.stringify({ i }),
                      });
                      assert.deepEqual(await response.json(), { ok: true });
                      await responded.get(key)?.promise;
                    }),
                  );
                });
                const wrong: string[] = [];
                for (let i = 0; i < PER_CASE; i++) {
                  const key = `${i}`;
                  const expected = Object.fromEntries(
                    STAGES.map((stage, index) => [stage, index > STAGES.indexOf(setter) ? `set-${key}` : 'anonymous']),
                  );
                  const actual = seen.get(key);
                  if (JSON.stringify(actual) !== JSON.stringify(expected)) {
                    wrong.push(`${key}: ${JSON.stringify(actual)}`);
                  }
                }
                assert.deepEqual(wrong, []);
              });
            }
          }
        }
      }
    });

    describe('errors', () => {
      for (const style of ['sync', 'async'] as const) {
        for (const timing of ['before', 'after'] as const) {
          test(`a ${style} preHandler that sets ${timing} an await and fails: onError, the error handler, onSend and onResponse see the value`, async () => {
            const app = factory();
            await app.register(fastifyContextvars);
            const seen = new Map<string, string[]>();
            const responded = new Map<string, Deferred>();
            const keyOf = (request: FastifyRequest) => String(request.headers['x-key']);
            const record = (stage: string, request: FastifyRequest) =>
              seen.set(keyOf(request), [...(seen.get(keyOf(request)) ?? []), `${stage}:${user.get()}`]);
            if (style === 'async') {
              app.addHook('preHandler', async (request) => {
                if (timing === 'before') user.set(`set-${keyOf(request)}`);
                await sleep(1);
                if (timing === 'after') user.set(`set-${keyOf(request)}`);
                throw new Error('denied');
              });
            } else {
              app.addHook('preHandler', (request, _reply, done) => {
                if (timing === 'before') user.set(`set-${keyOf(request)}`);
                setTimeout(() => {
                  if (timing === 'after') user.set(`set-${keyOf(request)}`);
                  done(new Error('denied'));
                }, 1);
              });
            }
            app.addHook('onError', async (request) => {
              record('onError', request);
            });
            app.setErrorHandler(async (error: Error, request, reply) => {
              await sleep(1);
              record('errorHandler', request);
              return reply.code(403).send({ error: error.message, user: user.get() });
            });
            app.addHook('onSend', async (request) => {
              record('onSend', request);
            });
            app.addHook('onResponse', async (request) => {
              record('onResponse', request);
              responded.get(keyOf(request))?.resolve();
            });
            app.get('/', async () => 'never');

            const wrong = await serving(app, (base) =>
              mismatches(REQUESTS, async (i) => {
                const key = `${i}`;
                responded.set(key, deferred());
                const response = await fetch(base, { headers: { 'x-key': key } });
                const body = (await response.json()) as { user?: string };
                await responded.get(key)?.promise;
                const expected = [`errorHandler:set-${key}`, `onSend:set-${key}`, `onResponse:set-${key}`];
                const stages = seen.get(key) ?? [];
                const ok =
                  response.status === 403 &&
                  body.user === `set-${key}` &&
                  JSON.stringify(stages.filter((line) => !line.startsWith('onError'))) === JSON.stringify(expected) &&
                  stages.filter((line) => line.startsWith('onError')).every((line) => line === `onError:set-${key}`);
                return ok ? undefined : `${key}: ${response.status} ${JSON.stringify(body)} ${stages.join(' ')}`;
              }),
            );
            assert.deepEqual(wrong, []);
          });
        }
      }

      test('onError hooks run with the value when the error handler is the default one', async () => {
        const app = factory();
        await app.register(fastifyContextvars);
        const seen: string[] = [];
        app.addHook('preHandler', async (request) => {
          await sleep(1);
          user.set(String(request.headers['x-key']));
          throw new Error('denied');
        });
        app.addHook('onError', async () => {
          seen.push(user.get());
        });
        app.get('/', async () => 'never');
        await serving(app, (base) => fetch(base, { headers: { 'x-key': 'k-1' } }).then((r) => r.text()));
        assert.deepEqual(seen, ['k-1']);
      });
    });

    test(`child plugins, route-level hooks and route error handlers: ${REQUESTS} concurrent requests, 0 mismatches`, async () => {
      const app = factory();
      await app.register(fastifyContextvars, { values: (request) => [[requestId, request.id]] });
      app.addHook('onRequest', async (request) => {
        await sleep(1);
        user.set(String(request.headers.authorization));
      });
      await app.register(
        async (child) => {
          child.addHook('preValidation', async () => {
            await sleep(1);
            user.set(`${user.get()}+child`);
          });
          await child.register(async (grandchild) => {
            grandchild.addHook('preHandler', (_request, _reply, done) => {
              setTimeout(() => {
                user.set(`${user.get()}+grandchild`);
                done();
              }, 1);
            });
            grandchild.get(
              '/deep',
              {
                preHandler: [
                  async () => {
                    await sleep(1);
                    user.set(`${user.get()}+route`);
                  },
                ],
                errorHandler: async (_error, _request, reply) =>
                  reply.code(500).send(`route error handler: ${user.get()}`),
              },
              async (request) => {
                await sleep(1);
                if (request.query && (request.query as { fail?: string }).fail) throw new Error('fail');
                return user.get();
              },
            );
          });
        },
        { prefix: '/child' },
      );
      app.get('/top', async () => user.get());

      const wrong = await serving(app, (base) =>
        mismatches(REQUESTS, async (i) => {
          const headers = { authorization: `user-${i}` };
          const [top, deep, failed] = await Promise.all([
            fetch(`${base}/top`, { headers }).then((r) => r.text()),
            fetch(`${base}/child/deep`, { headers }).then((r) => r.text()),
            fetch(`${base}/child/deep?fail=1`, { headers }).then((r) => r.text()),
          ]);
          const chain = `user-${i}+child+grandchild+route`;
          const ok = top === `user-${i}` && deep === chain && failed === `route error handler: ${chain}`;
          return ok ? undefined : `user-${i}: ${top} | ${deep} | ${failed}`;
        }),
      );
      assert.deepEqual(wrong, []);
    });

    test('the not-found handler and a content-type parser run in the request flow', async () => {
      const app = factory();
      await app.register(fastifyContextvars);
      app.addHook('onRequest', async (request) => {
        await sleep(1);
        user.set(String(request.headers.authorization));
      });
      app.addContentTypeParser('text/x-user', { parseAs: 'string' }, (_request, body, done) => {
        done(null, `${body} parsed for ${user.get()}`);
      });
      app.setNotFoundHandler(async (_request, reply) => reply.code(404).send(`not found for ${user.get()}`));
      app.post('/', async (request) => request.body);
      const [parsed, missing] = await serving(app, (base) =>
        Promise.all([
          fetch(base, {
            method: 'POST',
            headers: { authorization: 'ada', 'content-type': 'text/x-user' },
            body: 'hello',
          }).then((r) => r.text()),
          fetch(`${base}/nowhere`, { headers: { authorization: 'grace' } }).then((r) => r.text()),
        ]),
      );
      assert.equal(parsed, 'hello parsed for ada');
      assert.equal(missing, 'not found for grace');
    });

    test('Fastify still refuses an async hook that also takes done', async () => {
      const app = factory();
      await app.register(fastifyContextvars);
      assert.throws(
        () => app.addHook('onRequest', (async (_request: unknown, _reply: unknown, _done: unknown) => {}) as never),
        { code: 'FST_ERR_HOOK_INVALID_ASYNC_HANDLER' },
      );
    });

    test('a hook that calls done() synchronously runs the next hook in the same request flow', async () => {
      const app = factory();
      await app.register(fastifyContextvars);
      app.addHook('onRequest', (request, _reply, done) => {
        user.set(String(request.headers.authorization));
        done();
      });
      app.addHook('onRequest', (_request, _reply, done) => {
        user.set(`${user.get()}!`);
        done();
      });
      app.addHook('preHandler', async () => {
        await tick();
      });
      app.get('/', async () => user.get());
      const wrong = await serving(app, (base) =>
        mismatches(REQUESTS, async (i) => {
          const seen = await (await fetch(base, { headers: { authorization: `u${i}` } })).text();
          return seen === `u${i}!` ? undefined : `u${i} saw ${seen}`;
        }),
      );
      assert.deepEqual(wrong, []);
    });

    test('options.values must be a function', async () => {
      const app = factory();
      await assert.rejects(async () => app.register(fastifyContextvars, { values: [] as never }), {
        name: 'TypeError',
        message: /options\.values/,
      });
    });
  });
}

describe('contextvars/fastify with @fastify/multipart in the request path (Fastify 5)', () => {
  test(`an async auth hook, multipart parsing and the handler: ${REQUESTS} concurrent uploads, 0 mismatches`, async () => {
    const app = Fastify();
    await app.register(fastifyContextvars, { values: (request) => [[requestId, String(request.headers['x-id'])]] });
    await app.register(fastifyMultipart);
    app.addHook('onRequest', async (request) => {
      await sleep(1); // verify the token
      user.set(String(request.headers.authorization));
    });
    app.post('/upload', async (request) => {
      const file = await request.file();
      let size = 0;
      for await (const chunk of file?.file ?? []) size += (chunk as Buffer).length;
      await sleep(1);
      return `${requestId.get()} ${user.get()} ${file?.filename} ${size}`;
    });
    const wrong = await serving(app, (base) =>
      mismatches(REQUESTS, async (i) => {
        const form = new FormData();
        form.append('upload', new Blob(['x'.repeat(100 + i)]), `file-${i}.txt`);
        const response = await fetch(`${base}/upload`, {
          method: 'POST',
          headers: { authorization: `user-${i}`, 'x-id': `r-${i}` },
          body: form,
        });
        const seen = await response.text();
        const expected = `r-${i} user-${i} file-${i}.txt ${100 + i}`;
        return seen === expected ? undefined : `${expected} saw ${seen}`;
      }),
    );
    assert.deepEqual(wrong, []);
  });
});
