/**
 * Child process of the HTTP benchmark: one server on 127.0.0.1 running one
 * variant (a node:http handler, or a Fastify app), driven over the IPC
 * channel by bench/http/run.ts.
 *
 * Every variant answers the same request the same way: it makes a request
 * id, awaits one promise (a stand-in for a database call), schedules one
 * `setImmediate` (a stand-in for an I/O callback), and there calls a logger
 * that reads the request id — from the argument list in "no context", from
 * the context in every other variant — then answers a small JSON body. The
 * handler counts every request whose logger saw another request's id (a
 * benchmark of a context that does not propagate would be meaningless), and
 * the driver fails the run if any did. The Fastify variants answer the
 * same way from a Fastify route, the id being Fastify's request id.
 *
 * Each variant runs in its own process: on Node 20 and 22 enabling an
 * AsyncLocalStorage (or cls-hooked's async hook) installs promise hooks for
 * the rest of the process, so "no context" cannot share one with the others.
 *
 * Protocol (IPC): the child sends `{ type: 'ready', port }` or
 * `{ type: 'skipped', reason }`; then `{ type: 'begin' }` starts a
 * measurement window and `{ type: 'end' }` closes it and answers
 * `{ type: 'ended', cpuMicros, requests, mismatches, heapUsed }` (heap after
 * a full GC, taken after the CPU time so the GC is not billed to the
 * window). `{ type: 'begin', profile: { file, intervalMicros } }` also runs
 * V8's CPU profiler (through node:inspector, so that the profile covers the
 * window and nothing else) and writes the profile to `file` at the end.
 * `{ type: 'exit' }`, or the channel closing, ends the process.
 *
 * Usage: node --expose-gc --import tsx bench/http/server.ts <variant>
 *
 * @module
 */
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import { Session, type Profiler } from 'node:inspector';
import { findSourceMap } from 'node:module';
import type { AddressInfo } from 'node:net';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;
/**
 * A variant: a node:http handler (served here), a server it made and that is
 * listening already (a framework's), or why it is not available.
 */
type Available = { readonly handler: Handler } | { readonly listening: http.Server } | { readonly skipped: string };

// ---------------------------------------------------------------------------
// What every variant shares

let nextId = 0;
let served = 0;
let mismatches = 0;

/** The request id: unique per request, as a real server's would be. */
function newRequestId(): string {
  return `r-${++nextId}`;
}

/** The logger's sink: a ring of formatted lines (writing to a stream would measure the stream). */
const lines: string[] = new Array<string>(256).fill('');
let written = 0;
function write(id: unknown, message: string): unknown {
  lines[written++ & 255] = `${String(id)} ${message}`;
  return id;
}

/** The awaited promise: what a lookup in a cache or database hands back. */
function loadUser(id: string): Promise<{ id: string; name: string }> {
  return Promise.resolve({ id, name: 'ada' });
}

function respond(res: http.ServerResponse, id: string, seen: unknown, user: { name: string }): void {
  if (seen !== id) mismatches++;
  const body = JSON.stringify({ id, user: user.name, ok: true });
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
  served++;
}

// ---------------------------------------------------------------------------
// The variants

/** No context at all: the id travels as an argument. */
function noContext(): Available {
  async function handle(res: http.ServerResponse, id: string): Promise<void> {
    const user = await loadUser(id);
    setImmediate(() => respond(res, id, write(id, 'served'), user));
  }
  return {
    handler: (_req, res) => {
      void handle(res, newRequestId());
    },
  };
}

/** What `requestId` is by hand: an AsyncLocalStorage holding a per-request object. */
async function rawAls(kind: 'run' | 'enterWith'): Promise<Available> {
  const { AsyncLocalStorage } = await import('node:async_hooks');
  const als = new AsyncLocalStorage<{ readonly requestId: string }>();
  const log = (message: string): unknown => write(als.getStore()?.requestId, message);
  async function handle(res: http.ServerResponse, id: string): Promise<void> {
    const user = await loadUser(id);
    setImmediate(() => respond(res, id, log('served'), user));
  }
  if (kind === 'run') {
    return {
      handler: (_req, res) => {
        const id = newRequestId();
        void als.run({ requestId: id }, handle, res, id);
      },
    };
  }
  return {
    handler: (_req, res) => {
      const id = newRequestId();
      als.enterWith({ requestId: id });
      void handle(res, id);
    },
  };
}

/** The library's one-liner: `requestId.set(id)` at the top of the handler. */
async function librarySet(): Promise<Available> {
  const { ContextVar } = await import('../../src/index.ts');
  const requestId = new ContextVar<string>('requestId', { default: '-' });
  const log = (message: string): unknown => write(requestId.get(), message);
  async function handle(res: http.ServerResponse, id: string): Promise<void> {
    const user = await loadUser(id);
    setImmediate(() => respond(res, id, log('served'), user));
  }
  return {
    handler: (_req, res) => {
      const id = newRequestId();
      requestId.set(id);
      void handle(res, id);
    },
  };
}

/** Every request in a fresh Context, the id set inside it. */
async function libraryContextRun(): Promise<Available> {
  const { Context, ContextVar } = await import('../../src/index.ts');
  const requestId = new ContextVar<string>('requestId', { default: '-' });
  const log = (message: string): unknown => write(requestId.get(), message);
  async function handle(res: http.ServerResponse, id: string): Promise<void> {
    requestId.set(id);
    const user = await loadUser(id);
    setImmediate(() => respond(res, id, log('served'), user));
  }
  return {
    handler: (_req, res) => {
      void new Context().run(handle, res, newRequestId());
    },
  };
}

/** A scoped value: `v.run(value, fn, ...args)` where the core has it, `using _ = v.set(value)` otherwise. */
interface Scoper {
  sync<A extends unknown[], R>(value: string, fn: (...args: A) => R, ...args: A): R;
  async<A extends unknown[], R>(value: string, fn: (...args: A) => Promise<R>, ...args: A): Promise<R>;
}

/**
 * The steps of the ten-variable request after its values are set, each
 * scoped by `span`: authenticate across the await, render (reads the
 * tenant), schedule the reply (its logger reads the ids).
 */
function tenVariableSteps(
  span: Scoper,
  log: (message: string) => unknown,
  tenant: () => unknown,
): (res: http.ServerResponse, id: string) => Promise<void> {
  function render(user: { name: string }): string {
    return `${user.name}@${String(tenant())}`;
  }
  function reply(res: http.ServerResponse, id: string, user: { name: string }): void {
    setImmediate(() => respond(res, id, log('served'), user));
  }
  return async (res, id) => {
    const user = await span.async('authenticate', loadUser, id);
    span.sync('render', render, user);
    span.sync('reply', reply, res, id, user);
  };
}

/** The ten variables of the ten-value requests, with their defaults. */
async function tenVariables() {
  const { ContextVar } = await import('../../src/index.ts');
  return {
    requestId: new ContextVar<string>('requestId', { default: '-' }),
    method: new ContextVar<string>('method', { default: 'GET' }),
    path: new ContextVar<string>('path', { default: '/' }),
    userAgent: new ContextVar<string>('userAgent', { default: '' }),
    tenant: new ContextVar<string>('tenant', { default: '' }),
    locale: new ContextVar<string>('locale', { default: 'en' }),
    traceId: new ContextVar<string>('traceId', { default: '' }),
    spanId: new ContextVar<string>('spanId', { default: '' }),
    sampled: new ContextVar<boolean>('sampled', { default: false }),
    startedAt: new ContextVar<number>('startedAt', { default: 0 }),
  };
}

/**
 * A request that looks like a real service's: ten variables given values
 * when it arrives (id, method, path, user agent, tenant, locale, trace and
 * span ids, sampling flag, start time) and three helpers that each scope the
 * span id around a step (authenticate across the await, render, schedule the
 * reply). `run` and `using`: ten `set`s, the helpers with `spanId.run` or
 * `using _ = spanId.set(...)`; `context`: the ten values in one step,
 * `new Context(entries).run(handle)`, the helpers with `spanId.run`.
 */
async function libraryTenVariables(style: 'run' | 'using' | 'context'): Promise<Available> {
  const { Context, ContextVar } = await import('../../src/index.ts');
  type Run = <A extends unknown[], R>(value: string, fn: (...args: A) => R, ...args: A) => R;
  const hasRun = typeof (ContextVar.prototype as { run?: unknown }).run === 'function';
  if (style !== 'using' && !hasRun) return { skipped: 'ContextVar.prototype.run is not available' };

  const { requestId, method, path, userAgent, tenant, locale, traceId, spanId, sampled, startedAt } =
    await tenVariables();
  const log = (message: string): unknown => write(requestId.get(), `${spanId.get()} ${message}`);

  let span: Scoper;
  if (style === 'using') {
    span = {
      sync(value, fn, ...args) {
        using _ = spanId.set(value);
        return fn(...args);
      },
      async async(value, fn, ...args) {
        using _ = spanId.set(value);
        return await fn(...args);
      },
    };
  } else {
    const scoped = spanId as unknown as { run: Run };
    span = {
      sync: (value, fn, ...args) => scoped.run(value, fn, ...args),
      async: (value, fn, ...args) => scoped.run(value, fn, ...args),
    };
  }

  const handle = tenVariableSteps(span, log, () => tenant.get());
  if (style === 'context') {
    return {
      handler: (req, res) => {
        const id = newRequestId();
        void new Context([
          [requestId, id],
          [method, req.method ?? 'GET'],
          [path, req.url ?? '/'],
          [userAgent, req.headers['user-agent'] ?? ''],
          [tenant, 'acme'],
          [locale, 'en-GB'],
          [traceId, id],
          [spanId, 'root'],
          [sampled, true],
          [startedAt, served],
        ]).run(handle, res, id);
      },
    };
  }
  return {
    handler: (req, res) => {
      const id = newRequestId();
      requestId.set(id);
      method.set(req.method ?? 'GET');
      path.set(req.url ?? '/');
      userAgent.set(req.headers['user-agent'] ?? '');
      tenant.set('acme');
      locale.set('en-GB');
      traceId.set(id);
      spanId.set('root');
      sampled.set(true);
      startedAt.set(served);
      void handle(res, id);
    },
  };
}

/**
 * The ten-variable request written on raw AsyncLocalStorage, as a careful
 * user would without the library: the ten values in one store object made
 * per request, and the three helpers scoping the span id with
 * `als.run({ ...store, spanId }, fn)`: the helpers have `ten.run`'s shape
 * (the scoped call returns fn's promise; raw AsyncLocalStorage has no
 * counterpart of a `using` that lasts across an await).
 */
async function rawAlsTenVariables(): Promise<Available> {
  const { AsyncLocalStorage } = await import('node:async_hooks');
  interface Store {
    readonly requestId: string;
    readonly method: string;
    readonly path: string;
    readonly userAgent: string;
    readonly tenant: string;
    readonly locale: string;
    readonly traceId: string;
    readonly spanId: string;
    readonly sampled: boolean;
    readonly startedAt: number;
  }
  const als = new AsyncLocalStorage<Store>();
  const log = (message: string): unknown => {
    const store = als.getStore();
    return write(store?.requestId, `${store?.spanId} ${message}`);
  };
  const scoped = <A extends unknown[], R>(value: string, fn: (...args: A) => R, ...args: A): R =>
    als.run({ ...(als.getStore() as Store), spanId: value }, fn, ...args);
  const handle = tenVariableSteps({ sync: scoped, async: scoped }, log, () => als.getStore()?.tenant);
  return {
    handler: (req, res) => {
      const id = newRequestId();
      const store: Store = {
        requestId: id,
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        userAgent: req.headers['user-agent'] ?? '',
        tenant: 'acme',
        locale: 'en-GB',
        traceId: id,
        spanId: 'root',
        sampled: true,
        startedAt: served,
      };
      void als.run(store, handle, res, id);
    },
  };
}

/** cls-hooked, the async_hooks namespace many servers still use: `ns.run` and `ns.set` per request. */
async function clsHooked(): Promise<Available> {
  const cls = await import('cls-hooked');
  const ns = cls.createNamespace('bench');
  const log = (message: string): unknown => write(ns.get('requestId'), message);
  async function handle(res: http.ServerResponse, id: string): Promise<void> {
    const user = await loadUser(id);
    setImmediate(() => respond(res, id, log('served'), user));
  }
  return {
    handler: (_req, res) => {
      const id = newRequestId();
      ns.run(() => {
        ns.set('requestId', id);
        void handle(res, id);
      });
    },
  };
}

/**
 * The ten-value request on cls-hooked: `ns.run` and ten `ns.set`s when it
 * arrives, the three helpers scoping the span id with
 * `ns.runAndReturn(() => { ns.set('spanId', value); return fn() })` (a child
 * context per call, `ten.run`'s shape: the scoped call returns fn's promise).
 */
async function clsHookedTenVariables(): Promise<Available> {
  const cls = await import('cls-hooked');
  const ns = cls.createNamespace('bench');
  const log = (message: string): unknown => write(ns.get('requestId'), `${String(ns.get('spanId'))} ${message}`);
  const scoped = <A extends unknown[], R>(value: string, fn: (...args: A) => R, ...args: A): R =>
    ns.runAndReturn(() => {
      ns.set('spanId', value);
      return fn(...args);
    });
  const handle = tenVariableSteps({ sync: scoped, async: scoped }, log, () => ns.get('tenant'));
  return {
    handler: (req, res) => {
      const id = newRequestId();
      ns.run(() => {
        ns.set('requestId', id);
        ns.set('method', req.method ?? 'GET');
        ns.set('path', req.url ?? '/');
        ns.set('userAgent', req.headers['user-agent'] ?? '');
        ns.set('tenant', 'acme');
        ns.set('locale', 'en-GB');
        ns.set('traceId', id);
        ns.set('spanId', 'root');
        ns.set('sampled', true);
        ns.set('startedAt', served);
        void handle(res, id);
      });
    },
  };
}

/** The TC39 facade: `AsyncContext.Variable.prototype.run` per request. */
async function asyncContextVariable(): Promise<Available> {
  const { AsyncContext } = await import('../../src/async-context/index.ts');
  const requestId = new AsyncContext.Variable({ name: 'requestId', defaultValue: '-' });
  const log = (message: string): unknown => write(requestId.get(), message);
  async function handle(res: http.ServerResponse, id: string): Promise<void> {
    const user = await loadUser(id);
    setImmediate(() => respond(res, id, log('served'), user));
  }
  return {
    handler: (_req, res) => {
      const id = newRequestId();
      void requestId.run(id, handle, res, id);
    },
  };
}

// ---------------------------------------------------------------------------
// The Fastify variants

/** What the Fastify variants' route sees of a request and its reply. */
interface FastifyRequestLike {
  readonly id: string;
}
interface FastifyReplyLike {
  send(payload: unknown): unknown;
}

/**
 * The route every Fastify variant serves: the node:http variants' steps
 * (await the stand-in lookup, then log from a `setImmediate` and answer),
 * the id being Fastify's request id (made by `newRequestId`).
 */
function fastifyRoute(
  log: (id: string, message: string) => unknown,
): (request: FastifyRequestLike, reply: FastifyReplyLike) => Promise<FastifyReplyLike> {
  return async (request, reply) => {
    const id = request.id;
    const user = await loadUser(id);
    setImmediate(() => {
      if (log(id, 'served') !== id) mismatches++;
      reply.send({ id, user: user.name, ok: true });
      served++;
    });
    return reply;
  };
}

/** A Fastify app with `newRequestId` as its request ids, `setup` run before its route, listening. */
async function fastifyServer(
  setup: (app: import('fastify').FastifyInstance) => Promise<void>,
  log: (id: string, message: string) => unknown,
): Promise<Available> {
  const { default: Fastify } = await import('fastify');
  const app = Fastify({ genReqId: newRequestId });
  await setup(app);
  app.get('/', fastifyRoute(log));
  await app.listen({ port: 0, host: '127.0.0.1' });
  return { listening: app.server };
}

/** Fastify with no context: the id passed to the logger as an argument. */
function fastifyNone(): Promise<Available> {
  return fastifyServer(async () => {}, write);
}

/**
 * `contextvars/fastify` registered at the root, its `values` option giving
 * the request one value (the id) or the ten of the ten-value requests; the
 * logger reads the id from its variable.
 */
async function fastifyPlugin(count: 1 | 10): Promise<Available> {
  const { fastifyContextvars } = await import('../../src/integrations/fastify.ts');
  const { requestId, method, path, userAgent, tenant, locale, traceId, spanId, sampled, startedAt } =
    await tenVariables();
  const values: NonNullable<import('../../src/integrations/fastify.ts').FastifyContextvarsOptions['values']> =
    count === 1
      ? (request) => [[requestId, request.id]]
      : (request) => [
          [requestId, request.id],
          [method, request.method],
          [path, request.url],
          [userAgent, request.headers['user-agent'] ?? ''],
          [tenant, 'acme'],
          [locale, 'en-GB'],
          [traceId, request.id],
          [spanId, 'root'],
          [sampled, true],
          [startedAt, served],
        ];
  return fastifyServer(
    async (app) => {
      await app.register(fastifyContextvars, { values });
    },
    (_id, message) => write(requestId.get(), message),
  );
}

/**
 * @fastify/request-context with the same values, set in an `onRequest`
 * hook after the plugin's own (as its documentation shows), read with
 * `requestContext.get`.
 */
async function fastifyRequestContext(count: 1 | 10): Promise<Available> {
  const module = await import('@fastify/request-context');
  // String keys without augmenting the module's RequestContextData (the tests augment it their own way).
  const context = module.requestContext as unknown as {
    get(key: string): unknown;
    set(key: string, value: unknown): void;
  };
  return fastifyServer(
    async (app) => {
      await app.register(module.fastifyRequestContext);
      app.addHook(
        'onRequest',
        count === 1
          ? (request, _reply, done) => {
              context.set('requestId', request.id);
              done();
            }
          : (request, _reply, done) => {
              context.set('requestId', request.id);
              context.set('method', request.method);
              context.set('path', request.url);
              context.set('userAgent', request.headers['user-agent'] ?? '');
              context.set('tenant', 'acme');
              context.set('locale', 'en-GB');
              context.set('traceId', request.id);
              context.set('spanId', 'root');
              context.set('sampled', true);
              context.set('startedAt', served);
              done();
            },
      );
    },
    (_id, message) => write(context.get('requestId'), message),
  );
}

const VARIANTS: Record<string, () => Available | Promise<Available>> = {
  none: noContext,
  'als.run': () => rawAls('run'),
  'als.enterWith': () => rawAls('enterWith'),
  set: librarySet,
  'context.run': libraryContextRun,
  'asyncContext.run': asyncContextVariable,
  'cls-hooked': clsHooked,
  'ten.als': rawAlsTenVariables,
  'ten.run': () => libraryTenVariables('run'),
  'ten.using': () => libraryTenVariables('using'),
  'ten.context': () => libraryTenVariables('context'),
  'ten.cls-hooked': clsHookedTenVariables,
  'fastify.none': fastifyNone,
  'fastify.plugin.1': () => fastifyPlugin(1),
  'fastify.request-context.1': () => fastifyRequestContext(1),
  'fastify.plugin.10': () => fastifyPlugin(10),
  'fastify.request-context.10': () => fastifyRequestContext(10),
};

// ---------------------------------------------------------------------------
// Serving and the measurement window

/**
 * The profile with every position in a TypeScript file mapped back to its
 * source line (tsx compiles each file to one line; its source maps are only
 * known inside this process).
 */
function withSourcePositions(profile: Profiler.Profile): Profiler.Profile {
  for (const node of profile.nodes) {
    const frame = node.callFrame;
    if (!frame.url.startsWith('file:')) continue;
    const entry = findSourceMap(frame.url)?.findEntry(frame.lineNumber, frame.columnNumber);
    if (entry !== undefined && 'originalLine' in entry) {
      frame.lineNumber = entry.originalLine;
      frame.columnNumber = entry.originalColumn;
    }
  }
  return profile;
}

/** `profile`: sample the window with V8's CPU profiler at this interval and write the profile to `file`. */
type Message =
  | { type: 'begin'; profile?: { file: string; intervalMicros: number } }
  | { type: 'end' }
  | { type: 'exit' };
type Reply =
  | { type: 'ready'; port: number }
  | { type: 'skipped'; reason: string }
  | { type: 'begun' }
  | { type: 'ended'; cpuMicros: number; requests: number; mismatches: number; heapUsed: number; profile?: string };

function send(reply: Reply): void {
  process.send?.(reply);
}

const variant = process.argv[2] ?? '';
const make = VARIANTS[variant];
if (make === undefined) throw new TypeError(`unknown variant '${variant}'; known: ${Object.keys(VARIANTS).join(', ')}`);
if (process.send === undefined)
  throw new Error('bench/http/server.ts runs as a child of bench/http/run.ts (it needs an IPC channel)');

const available = await make();
if ('skipped' in available) {
  send({ type: 'skipped', reason: available.skipped });
  process.disconnect?.();
} else {
  let server: http.Server;
  if ('listening' in available) server = available.listening;
  else {
    server = http.createServer({ keepAlive: true }, available.handler);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  }
  const gc = (globalThis as { gc?: () => void }).gc ?? ((): void => {});
  let cpuAtBegin = process.cpuUsage();
  let servedAtBegin = 0;
  let mismatchesAtBegin = 0;
  const stop = (): void => {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  };
  let profiling: { session: Session; file: string } | undefined;
  process.on('message', (message: Message) => {
    if (message.type === 'begin') {
      if (message.profile !== undefined) {
        const session = new Session();
        session.connect();
        session.post('Profiler.enable');
        session.post('Profiler.setSamplingInterval', { interval: message.profile.intervalMicros });
        session.post('Profiler.start');
        profiling = { session, file: message.profile.file };
      }
      servedAtBegin = served;
      mismatchesAtBegin = mismatches;
      cpuAtBegin = process.cpuUsage();
      send({ type: 'begun' });
    } else if (message.type === 'end') {
      const cpu = process.cpuUsage(cpuAtBegin);
      const requests = served - servedAtBegin;
      const ended = {
        type: 'ended' as const,
        cpuMicros: cpu.user + cpu.system,
        requests,
        mismatches: mismatches - mismatchesAtBegin,
      };
      const active = profiling;
      profiling = undefined;
      if (active === undefined) {
        gc();
        send({ ...ended, heapUsed: process.memoryUsage().heapUsed });
        return;
      }
      // The inspector answers a session's posts synchronously, on this thread.
      active.session.post('Profiler.stop', (error, result) => {
        if (error !== null) throw error;
        writeFileSync(active.file, JSON.stringify(withSourcePositions(result.profile)));
        active.session.disconnect();
        gc();
        send({ ...ended, heapUsed: process.memoryUsage().heapUsed, profile: active.file });
      });
    } else if (message.type === 'exit') {
      stop();
    }
  });
  process.on('disconnect', stop);
  send({ type: 'ready', port: (server.address() as AddressInfo).port });
}
