/**
 * Child process of the HTTP benchmark: one node:http server on 127.0.0.1
 * running one variant, driven over the IPC channel by bench/http/run.ts.
 *
 * Every variant answers the same request the same way: it makes a request
 * id, awaits one promise (a stand-in for a database call), schedules one
 * `setImmediate` (a stand-in for an I/O callback), and there calls a logger
 * that reads the request id — from the argument list in "no context", from
 * the context in every other variant — then answers a small JSON body. The
 * handler counts every request whose logger saw another request's id (a
 * benchmark of a context that does not propagate would be meaningless), and
 * the driver fails the run if any did.
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
type Available = { readonly handler: Handler } | { readonly skipped: string };

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

/**
 * A request that looks like a real service's: ten variables set when it
 * arrives (id, method, path, user agent, tenant, locale, trace and span ids,
 * sampling flag, start time) and three helpers that each scope the span id
 * around a step (authenticate across the await, render, schedule the reply).
 */
async function libraryTenVariables(scoping: 'run' | 'using'): Promise<Available> {
  const { ContextVar } = await import('../../src/index.ts');
  type Run = <A extends unknown[], R>(value: string, fn: (...args: A) => R, ...args: A) => R;
  const hasRun = typeof (ContextVar.prototype as { run?: unknown }).run === 'function';
  if (scoping === 'run' && !hasRun) return { skipped: 'ContextVar.prototype.run is not available' };

  const requestId = new ContextVar<string>('requestId', { default: '-' });
  const method = new ContextVar<string>('method', { default: 'GET' });
  const path = new ContextVar<string>('path', { default: '/' });
  const userAgent = new ContextVar<string>('userAgent', { default: '' });
  const tenant = new ContextVar<string>('tenant', { default: '' });
  const locale = new ContextVar<string>('locale', { default: 'en' });
  const traceId = new ContextVar<string>('traceId', { default: '' });
  const spanId = new ContextVar<string>('spanId', { default: '' });
  const sampled = new ContextVar<boolean>('sampled', { default: false });
  const startedAt = new ContextVar<number>('startedAt', { default: 0 });
  const log = (message: string): unknown => write(requestId.get(), `${spanId.get()} ${message}`);

  let span: Scoper;
  if (scoping === 'run') {
    const scoped = spanId as unknown as { run: Run };
    span = {
      sync: (value, fn, ...args) => scoped.run(value, fn, ...args),
      async: (value, fn, ...args) => scoped.run(value, fn, ...args),
    };
  } else {
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
  }

  const handle = tenVariableSteps(span, log, () => tenant.get());
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

const VARIANTS: Record<string, () => Available | Promise<Available>> = {
  none: noContext,
  'als.run': () => rawAls('run'),
  'als.enterWith': () => rawAls('enterWith'),
  set: librarySet,
  'context.run': libraryContextRun,
  'ten.run': () => libraryTenVariables('run'),
  'ten.using': () => libraryTenVariables('using'),
  'ten.als': rawAlsTenVariables,
  'cls-hooked': clsHooked,
  'asyncContext.run': asyncContextVariable,
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
  const server = http.createServer({ keepAlive: true }, available.handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
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
