/**
 * Storage for browsers, where no AsyncLocalStorage exists: the scope lives in
 * one shared cell, and the APIs that schedule work are wrapped when the
 * callback is registered, so the callback runs in the scope that was current
 * then (SEMANTICS S1). Native `await` does not go through any of these APIs:
 * code compiled with the `contextvars/bundler` transform saves the cell
 * before each `await` and writes it back after (the cell is the interface
 * between the two, read and written directly by the compiled code).
 *
 * What is wrapped, and in which scope the callback runs:
 * - `Promise.prototype.then` (so `catch` and `finally`, which call `then`),
 *   `queueMicrotask`, `setTimeout`, `setInterval`, `requestAnimationFrame`,
 *   `requestIdleCallback`, `scheduler.postTask`: the scope at registration.
 * - Observers (`MutationObserver`, `ResizeObserver`, `IntersectionObserver`,
 *   `PerformanceObserver`): the scope current when the observer was made.
 * - Events, after the TC39 AsyncContext web-integration notes: a listener
 *   called from a synchronous `dispatchEvent` (or from anything else running
 *   inside a wrapped callback) runs in the dispatcher's scope; an event the
 *   browser fires itself (`event.isTrusted`, from the event loop) starts from
 *   the empty scope, except those of an object that represents one operation
 *   started by JavaScript: `XMLHttpRequest` (the scope of `send()`) and the
 *   receiving `MessagePort` of a `MessageChannel` (the scope of the matching
 *   `postMessage`). Nothing is captured at `addEventListener`.
 *
 * Patching is idempotent across copies of the library (a global symbol holds
 * the installation) and reversible: {@link uninstallBrowserPropagation}, also
 * reachable as `globalThis[Symbol.for('contextvars.browser.patches.v1')].uninstall()`.
 *
 * @module
 */
import type { ScopeStorage } from './storage.ts';

/**
 * The shared cell: `c` is the current scope (undefined: none entered, the
 * empty context), `d` how many wrapped callbacks or `run` calls are on the
 * stack. Compiled code reads and writes `c` under this same symbol.
 */
export interface ScopeCell {
  c: object | undefined;
  d: number;
}

const CELL = Symbol.for('contextvars.browser.cell.v1');
const PATCHES = Symbol.for('contextvars.browser.patches.v1');

type Global = typeof globalThis & { [CELL]?: ScopeCell; [PATCHES]?: PropagationControl };
const global = globalThis as Global;

/** The cell every copy of the library and all compiled code share. */
global[CELL] ??= { c: undefined, d: 0 };
export const cell: ScopeCell = global[CELL];

/** Calls `fn` with `scope` current, counting the nesting (events use it to tell a nested dispatch). */
function runIn<A extends unknown[], R>(scope: object | undefined, fn: (...args: A) => R, self: unknown, args: A): R {
  const outer = cell.c;
  cell.c = scope;
  cell.d++;
  try {
    return Reflect.apply(fn, self, args) as R;
  } finally {
    cell.c = outer;
    cell.d--;
  }
}

type AnyFunction = (...args: unknown[]) => unknown;

/** `fn` bound to the scope current now; non-functions (a string handler, undefined) pass through. */
function wrapCallback<T>(fn: T): T {
  if (typeof fn !== 'function') return fn;
  const scope = cell.c;
  const callback = fn as unknown as AnyFunction;
  return function (this: unknown, ...args: unknown[]) {
    return runIn(scope, callback, this, args);
  } as unknown as T;
}

/** The browser storage, on the shared cell; creating it installs the wrapping (once per page). */
export function createBrowserStorage(): ScopeStorage {
  installBrowserPropagation();
  return {
    kind: 'browser',
    current: () => cell.c,
    enter(scope) {
      cell.c = scope;
    },
    run(scope, fn, args) {
      const outer = cell.c;
      cell.c = scope;
      cell.d++;
      try {
        return fn(...args);
      } finally {
        cell.c = outer;
        cell.d--;
      }
    },
    runDerived(derive, a, b, fn, args) {
      return this.run(derive(cell.c, a, b), fn, args);
    },
  };
}

interface Installation {
  readonly restore: (() => void)[];
}

/**
 * What the global symbol holds, shared by every copy of the library: whether
 * the wrapping is installed, and the functions that install and remove it.
 */
export interface PropagationControl {
  installed: Installation | undefined;
  install(): boolean;
  uninstall(): void;
}

/** Replaces `owner[key]` (a method or accessor), remembering how to put it back. */
function patch<O extends object>(
  installation: Installation,
  owner: O | undefined,
  key: string,
  replace: (original: PropertyDescriptor) => PropertyDescriptor,
): void {
  if (owner === undefined || owner === null) return;
  const descriptor = Object.getOwnPropertyDescriptor(owner, key);
  if (descriptor === undefined) return;
  Object.defineProperty(owner, key, {
    ...replace(descriptor),
    enumerable: descriptor.enumerable === true,
    configurable: true,
  });
  installation.restore.push(() => Object.defineProperty(owner, key, descriptor));
}

/** Wraps the function arguments at `positions` of the method `owner[key]`. */
function wrapArguments(installation: Installation, owner: object | undefined, key: string, positions: number[]): void {
  patch(installation, owner, key, (d) => {
    const original = d.value as AnyFunction;
    if (typeof original !== 'function') return d;
    const wrapped = {
      [key](this: unknown, ...args: unknown[]) {
        for (const i of positions) if (i < args.length) args[i] = wrapCallback(args[i]);
        return Reflect.apply(original, this, args);
      },
    }[key] as AnyFunction;
    Object.defineProperty(wrapped, 'length', { value: original.length });
    return { ...d, value: wrapped };
  });
}

/** Replaces the constructor `globalThis[name]` by a subclass that wraps its callback at construction. */
function wrapObserver(installation: Installation, name: string): void {
  const Original = (global as unknown as Record<string, unknown>)[name];
  if (typeof Original !== 'function') return;
  const Base = Original as new (callback: unknown, ...rest: unknown[]) => object;
  const Wrapped = {
    [name]: class extends Base {
      constructor(callback: unknown, ...rest: unknown[]) {
        super(wrapCallback(callback), ...rest);
      }
    },
  }[name];
  patch(installation, global, name, (d) => ({ ...d, value: Wrapped }));
}

// Per-event decisions, so that every listener of one trusted event sees the same scope.
const eventScopes = new WeakMap<Event, { scope: object | undefined }>();
// The scope an operation object's trusted events run in (XMLHttpRequest: that of send()).
const operationScopes = new WeakMap<object, object | undefined>();
// For each receiving MessagePort, the scopes of the messages posted to it, oldest first.
const portQueues = new WeakMap<object, (object | undefined)[]>();
// Each port of a MessageChannel made after installation, to its entangled port.
const entangled = new WeakMap<object, object>();
// A listener (function or { handleEvent }) to the one wrapper registered for it.
const listenerWrappers = new WeakMap<object, AnyFunction>();

const XHR_EVENTS = new Set([
  'readystatechange',
  'loadstart',
  'progress',
  'load',
  'error',
  'abort',
  'timeout',
  'loadend',
]);

/** The scope a trusted event's listeners run in. */
function trustedScope(target: unknown, event: Event): object | undefined {
  const known = eventScopes.get(event);
  if (known !== undefined) return known.scope;
  let scope: object | undefined;
  if (typeof target === 'object' && target !== null) {
    if (event.type === 'message' && portQueues.has(target)) {
      scope = portQueues.get(target)?.shift();
    } else if (operationScopes.has(target) && XHR_EVENTS.has(event.type)) {
      scope = operationScopes.get(target);
    }
  }
  eventScopes.set(event, { scope });
  return scope;
}

/** Calls `listener` for `event` in the scope the event rules give. */
function callListener(self: unknown, listener: unknown, event: Event): unknown {
  const call = (): unknown =>
    typeof listener === 'function'
      ? Reflect.apply(listener as AnyFunction, self, [event])
      : (listener as { handleEvent(event: Event): unknown }).handleEvent(event);
  // A synchronous dispatch (dispatchEvent, click(), or a trusted event fired
  // inside running JavaScript) leaves the current scope alone.
  if (!(event instanceof Event) || !event.isTrusted || cell.d > 0) return call();
  return runIn(trustedScope(self, event), call, undefined, []);
}

function listenerWrapper(listener: object): AnyFunction {
  let wrapper = listenerWrappers.get(listener);
  if (wrapper === undefined) {
    wrapper = function (this: unknown, event: unknown) {
      return callListener(this, listener, event as Event);
    };
    listenerWrappers.set(listener, wrapper);
  }
  return wrapper;
}

/** Wraps the `on<name>` handler property of `owner` with the event rules. */
function wrapHandlerProperty(installation: Installation, owner: object | undefined, name: string): void {
  const handlers = new WeakMap<object, { handler: unknown; wrapper: unknown }>();
  patch(installation, owner, name, (d) => {
    const get = d.get;
    const set = d.set;
    if (get === undefined || set === undefined) return d;
    return {
      get(this: object) {
        const value = get.call(this) as unknown;
        const entry = handlers.get(this);
        return entry !== undefined && entry.wrapper === value ? entry.handler : value;
      },
      set(this: object, handler: unknown) {
        if (typeof handler !== 'function') {
          handlers.delete(this);
          set.call(this, handler);
          return;
        }
        const wrapper = function (this: unknown, event: unknown) {
          return callListener(this, handler, event as Event);
        };
        handlers.set(this, { handler, wrapper });
        set.call(this, wrapper);
      },
    };
  });
}

/** Marks ports listed in a transfer list as gone: their queue would never drain. */
function forgetTransferred(transfer: unknown): void {
  const list = Array.isArray(transfer)
    ? transfer
    : typeof transfer === 'object' && transfer !== null && Array.isArray((transfer as { transfer?: unknown }).transfer)
      ? (transfer as { transfer: unknown[] }).transfer
      : [];
  for (const item of list) {
    if (typeof item === 'object' && item !== null && portQueues.has(item)) {
      // Its peer now talks to another agent: messages there start from the empty context.
      const peer = entangled.get(item);
      if (peer !== undefined) {
        entangled.delete(peer);
        portQueues.delete(peer);
      }
      entangled.delete(item);
      portQueues.delete(item);
    }
  }
}

/**
 * Installs the wrapping described in this module, once per page: a second
 * copy of the library (or a second call) finds the installation under a
 * global symbol and does nothing. Returns whether this call installed it.
 */
export function installBrowserPropagation(): boolean {
  global[PATCHES] ??= {
    installed: undefined,
    install: installBrowserPropagation,
    uninstall: uninstallBrowserPropagation,
  };
  const control = global[PATCHES];
  if (control.installed !== undefined) return false;
  const installation: Installation = { restore: [] };
  control.installed = installation;
  type Constructor = { prototype?: object } | undefined;
  const g = global as unknown as {
    EventTarget?: Constructor;
    XMLHttpRequest?: Constructor;
    XMLHttpRequestEventTarget?: Constructor;
    MessageChannel?: Constructor;
    MessagePort?: Constructor;
    Worker?: Constructor;
  };

  wrapArguments(installation, Promise.prototype, 'then', [0, 1]);
  for (const name of ['queueMicrotask', 'setTimeout', 'setInterval', 'requestAnimationFrame', 'requestIdleCallback']) {
    // On the global object itself when defined there, else where the window's prototype chain has it.
    let owner: object | null = global;
    while (owner !== null && !Object.hasOwn(owner, name)) owner = Object.getPrototypeOf(owner) as object | null;
    if (owner !== null) wrapArguments(installation, owner, name, [0]);
  }
  const scheduler = (global as { scheduler?: object }).scheduler;
  if (scheduler !== undefined) wrapArguments(installation, Object.getPrototypeOf(scheduler) as object, 'postTask', [0]);
  for (const name of [
    'MutationObserver',
    'ResizeObserver',
    'IntersectionObserver',
    'PerformanceObserver',
    'ReportingObserver',
  ]) {
    wrapObserver(installation, name);
  }

  const eventTarget = g.EventTarget?.prototype;
  patch(installation, eventTarget, 'addEventListener', (d) => {
    const add = d.value as AnyFunction;
    return {
      ...d,
      value: function addEventListener(this: unknown, type: unknown, listener: unknown, ...rest: unknown[]) {
        const wrapped =
          typeof listener === 'object' || typeof listener === 'function'
            ? listener && listenerWrapper(listener)
            : listener;
        return Reflect.apply(add, this, [type, wrapped, ...rest]);
      },
    };
  });
  patch(installation, eventTarget, 'removeEventListener', (d) => {
    const remove = d.value as AnyFunction;
    return {
      ...d,
      value: function removeEventListener(this: unknown, type: unknown, listener: unknown, ...rest: unknown[]) {
        const wrapped =
          (typeof listener === 'object' || typeof listener === 'function') && listener !== null
            ? (listenerWrappers.get(listener) ?? listener)
            : listener;
        return Reflect.apply(remove, this, [type, wrapped, ...rest]);
      },
    };
  });

  // XMLHttpRequest: its trusted events run in the scope of the send() that started the request.
  const xhr = g.XMLHttpRequest?.prototype;
  patch(installation, xhr, 'send', (d) => {
    const send = d.value as AnyFunction;
    return {
      ...d,
      value: function send_(this: object, ...args: unknown[]) {
        operationScopes.set(this, cell.c);
        return Reflect.apply(send, this, args);
      },
    };
  });
  wrapHandlerProperty(installation, xhr, 'onreadystatechange');
  const xhrTarget = g.XMLHttpRequestEventTarget?.prototype;
  for (const name of ['onloadstart', 'onprogress', 'onload', 'onerror', 'onabort', 'ontimeout', 'onloadend']) {
    wrapHandlerProperty(installation, xhrTarget, name);
  }

  // MessageChannel: a message event on one port runs in the scope of the matching postMessage on the other.
  const OriginalChannel = g.MessageChannel as (new () => { port1: object; port2: object }) | undefined;
  if (typeof OriginalChannel === 'function') {
    const Channel = class MessageChannel extends OriginalChannel {
      constructor() {
        super();
        entangled.set(this.port1, this.port2);
        entangled.set(this.port2, this.port1);
        portQueues.set(this.port1, []);
        portQueues.set(this.port2, []);
      }
    };
    patch(installation, global, 'MessageChannel', (d) => ({ ...d, value: Channel }));
  }
  const port = g.MessagePort?.prototype;
  patch(installation, port, 'postMessage', (d) => {
    const post = d.value as AnyFunction;
    return {
      ...d,
      value: function postMessage(this: object, ...args: unknown[]) {
        forgetTransferred(args[1]);
        const peer = entangled.get(this);
        const queue = peer === undefined ? undefined : portQueues.get(peer);
        const result = Reflect.apply(post, this, args);
        queue?.push(cell.c);
        return result;
      },
    };
  });
  wrapHandlerProperty(installation, port, 'onmessage');
  for (const owner of [g.Worker?.prototype, global]) {
    patch(installation, owner, 'postMessage', (d) => {
      const post = d.value as AnyFunction;
      if (typeof post !== 'function') return d;
      return {
        ...d,
        value: function postMessage(this: unknown, ...args: unknown[]) {
          for (const arg of args.slice(1)) forgetTransferred(arg);
          return Reflect.apply(post, this, args);
        },
      };
    });
  }
  return true;
}

/**
 * Puts back every API {@link installBrowserPropagation} wrapped (for tests).
 * Callbacks registered meanwhile keep their scope; a later install wraps again.
 */
export function uninstallBrowserPropagation(): void {
  const control = global[PATCHES];
  const installation = control?.installed;
  if (control === undefined || installation === undefined) return;
  for (const restore of installation.restore.reverse()) restore();
  control.installed = undefined;
}
