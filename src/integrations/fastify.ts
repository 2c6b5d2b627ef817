/**
 * contextvars/fastify: a Fastify 4/5 plugin that makes each request one
 * flow (docs/semantics.md, S12). Each request gets a Context, built once
 * from the `values` option; every hook, the handler, the error handler,
 * the not-found handler and content-type parsers of that request run in it
 * with `Context.run`, so a hook entered later starts from everything the
 * request's earlier hooks set, also after an `await` (S4: every write in a
 * flow is recorded in its Context).
 *
 * How it reaches every hook with Fastify's public API only: registered at
 * the root (it skips encapsulation, as fastify-plugin does), it replaces
 * the root instance's `addHook`, `setErrorHandler`, `setNotFoundHandler`
 * and `addContentTypeParser` (child instances inherit them through their
 * prototype), and wraps each route's handler, route-level hooks and error
 * handler in an `onRoute` hook. Hooks and routes added before the plugin
 * has loaded are not wrapped: `await app.register(fastifyContextvars)`
 * first.
 *
 * Invariant: a hook never enters the request's Context while it is
 * already running on the stack (a ContextReentryError). A `done()` called
 * inside a hook's call is passed on once the hook has returned, so Fastify
 * continues outside the `run`; what Fastify still calls from inside one
 * (hooks of a `reply.send` in the handler, the error path of a hook that
 * throws) finds the request's Context current and runs in place.
 *
 * @module
 */
import type { FastifyInstance, FastifyPluginCallback, FastifyRequest } from 'fastify';
import { readOptions } from '../checks.ts';
import { Context, type ContextEntry, ContextVar } from '../index.ts';

/**
 * Options of {@link fastifyContextvars}.
 *
 * @example
 * ```ts
 * const options: FastifyContextvarsOptions = {
 *   values: (request) => [[requestId, request.id]],
 * };
 * await app.register(fastifyContextvars, options);
 * ```
 */
export interface FastifyContextvarsOptions {
  /**
   * The request's values when it starts: `[variable, value]` pairs, set in
   * one step (one Context built per request). Called once per request,
   * before its first hook. Default: none (variables read their defaults).
   */
  readonly values?: (request: FastifyRequest) => Iterable<ContextEntry>;
}

/** The request lifecycle hooks that run in the request's Context; application hooks are left alone. */
const REQUEST_HOOKS = new Set([
  'onRequest',
  'preParsing',
  'preValidation',
  'preHandler',
  'preSerialization',
  'onSend',
  'onResponse',
  'onError',
  'onTimeout',
  'onRequestAbort',
]);

/** Whether Fastify's addHook refuses `fn` for `hook` (an async function that also takes `done`). */
function fastifyRefuses(
  hook: string,
  fn: { readonly length: number; readonly constructor: { readonly name: string } },
): boolean {
  if (fn.constructor.name !== 'AsyncFunction') return false;
  if (hook === 'onRequestAbort') return fn.length !== 1;
  const withPayload = hook === 'onSend' || hook === 'preSerialization' || hook === 'onError' || hook === 'preParsing';
  return fn.length === (withPayload ? 4 : 3);
}

/** A request's flow: its Context, and whether code on the current stack is already running in it. */
interface RequestFlow {
  context: Context;
  running: boolean;
}

type Callable = (this: unknown, ...args: unknown[]) => unknown;

/** The request property that holds its flow (declared with decorateRequest, so requests keep one shape). */
const FLOW = 'contextvarsFlow';

/** In a request's Context, its flow: tells code running in it from code Fastify runs elsewhere meanwhile. */
const currentFlow = new ContextVar<RequestFlow | undefined>('contextvars.fastify.flow', { default: undefined });

/**
 * The plugin: register it once, at the root, before any route or hook
 * (`await app.register(...)`). Then a value set in any hook — sync or
 * async, before or after an `await` — or in the handler is seen by every
 * later hook, the handler and the error handler of the same request, in
 * encapsulated child plugins too, and never by another request
 * (docs/semantics.md, S12).
 *
 * Registering it fails with a TypeError when `options.values` is given and is not a function.
 *
 * @example
 * ```ts
 * import Fastify from 'fastify';
 * import { ContextVar } from 'contextvars';
 * import fastifyContextvars from 'contextvars/fastify';
 *
 * const requestId = new ContextVar<string>('requestId', { default: '-' });
 * const user = new ContextVar<string>('user', { default: 'anonymous' });
 *
 * const app = Fastify();
 * await app.register(fastifyContextvars, { values: (request) => [[requestId, request.id]] });
 * app.addHook('onRequest', async (request) => {
 *   user.set(await verify(request.headers.authorization)); // after an await: still seen below
 * });
 * app.get('/', async () => `${requestId.get()} ${user.get()}`);
 * ```
 */
export const fastifyContextvars: FastifyPluginCallback<FastifyContextvarsOptions> = (instance, options, done) => {
  try {
    install(instance, options);
  } catch (error) {
    done(error as Error);
    return;
  }
  done();
};

/** Wraps what runs per request on `instance` (the root: the plugin skips encapsulation). */
function install(instance: FastifyInstance, options: FastifyContextvarsOptions | undefined): void {
  const { values } = readOptions(options, 'fastifyContextvars', ['values']);
  if (values !== undefined && typeof values !== 'function') {
    throw new TypeError(
      'fastifyContextvars expects options.values to be a function of the request returning [variable, value] pairs',
    );
  }
  const wrappers = new WeakSet<object>();

  /** Runs `fn` in `request`'s Context, creating it on the request's first hook. */
  const runInRequest = (request: FastifyRequest, fn: () => unknown): unknown => {
    const holder = request as unknown as Record<typeof FLOW, RequestFlow | null | undefined>;
    let flow = holder[FLOW];
    if (flow == null) {
      const entries =
        values === undefined ? [] : (values as (request: FastifyRequest) => Iterable<ContextEntry>)(request);
      const created = { running: false } as RequestFlow;
      created.context = new Context([...entries, [currentFlow, created]]);
      flow = created;
      holder[FLOW] = flow;
    }
    // Fastify called this from code already running in the request's Context (a handler's reply.send, a sync throw)
    if (flow.running && currentFlow.get() === flow) return fn();
    flow.running = true;
    try {
      return flow.context.run(fn);
    } finally {
      flow.running = false;
    }
  };

  /**
   * `fn` running in the Context of the request it receives as argument
   * `index`. A callback it receives last (a hook's `done`, a parser's) and
   * calls before returning is called once fn has returned: Fastify then
   * goes on to the next hook outside this `run`, which enters the Context
   * again from its latest values. (Continuing inside it would run the next
   * hook in whatever context Fastify restores there: its body parser
   * continues in an AsyncResource's scope.)
   */
  const inRequest = <F>(fn: F, index = 0): F => {
    if (typeof fn !== 'function' || wrappers.has(fn)) return fn;
    const original = fn as unknown as Callable;
    const wrapper = function (this: unknown, ...args: unknown[]) {
      const request = args[index] as FastifyRequest | undefined;
      if (typeof request !== 'object' || request === null) return original.apply(this, args);
      const last = args.length - 1;
      const done = args[last];
      if (last <= index || typeof done !== 'function') return runInRequest(request, () => original.apply(this, args));
      let returned = false;
      let early: unknown[] | undefined;
      args[last] = (...doneArgs: unknown[]) => {
        if (returned) return done(...doneArgs);
        early = doneArgs;
      };
      const result = runInRequest(request, () => original.apply(this, args));
      returned = true;
      if (early !== undefined) done(...early);
      return result;
    };
    wrappers.add(wrapper);
    return wrapper as F;
  };

  /** A lifecycle hook in its request's Context; one Fastify refuses is passed through for Fastify to refuse. */
  const hookInRequest = <F>(hook: string, fn: F): F => {
    if (!REQUEST_HOOKS.has(hook) || typeof fn !== 'function') return fn;
    // passed through unwrapped, so that Fastify refuses it with its own error
    return fastifyRefuses(hook, fn) ? fn : inRequest(fn);
  };

  const root = instance as unknown as Record<string, Callable>;
  /** Replaces the root's `method` by one that wraps its arguments first (children inherit it). */
  const replace = (method: string, wrapArguments: (args: unknown[]) => unknown[]): void => {
    const original = root[method];
    if (typeof original !== 'function') return;
    root[method] = function (this: unknown, ...args: unknown[]) {
      return original.apply(this, wrapArguments(args));
    };
  };
  /** The arguments with the last function among them wrapped (Fastify's optional-options signatures). */
  const lastFunctionInRequest =
    (index: number) =>
    (args: unknown[]): unknown[] => {
      const wrapped = [...args];
      for (let at = wrapped.length - 1; at >= 0; at--) {
        if (typeof wrapped[at] !== 'function') continue;
        wrapped[at] = inRequest(wrapped[at], index);
        break;
      }
      return wrapped;
    };

  instance.decorateRequest(FLOW, null);
  replace('addHook', ([hook, fn, ...rest]) => [hook, hookInRequest(String(hook), fn), ...rest]);
  replace('setErrorHandler', lastFunctionInRequest(1));
  replace('setNotFoundHandler', lastFunctionInRequest(0));
  replace('addContentTypeParser', lastFunctionInRequest(0));
  instance.addHook('onRoute', (route) => {
    const options = route as unknown as Record<string, unknown>;
    options['handler'] = inRequest(options['handler']);
    options['errorHandler'] = inRequest(options['errorHandler'], 1);
    for (const hook of REQUEST_HOOKS) {
      const hooks = options[hook];
      if (hooks === undefined) continue;
      options[hook] = Array.isArray(hooks) ? hooks.map((fn) => hookInRequest(hook, fn)) : hookInRequest(hook, hooks);
    }
  });
}

const plugin = fastifyContextvars as unknown as Record<symbol, unknown>;
// What fastify-plugin sets: no encapsulation (the plugin applies to the instance it is registered on), and a name.
plugin[Symbol.for('skip-override')] = true;
plugin[Symbol.for('fastify.display-name')] = 'contextvars';
plugin[Symbol.for('plugin-meta')] = { name: 'contextvars', fastify: '4.x || 5.x' };

export default fastifyContextvars;
