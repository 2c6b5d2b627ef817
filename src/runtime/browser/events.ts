/**
 * Events, after the TC39 AsyncContext web-integration notes as of
 * 2026-06-12 (docs/browser.md has the table, rule by rule). Nothing is
 * captured at `addEventListener`; the scope a listener runs in depends on
 * how the event was dispatched:
 *
 * 1. Synchronously (`dispatchEvent`, `click()`, or a browser event fired
 *    while a wrapped callback or `run` is on the stack): the dispatcher's
 *    scope, untouched.
 * 2. By the browser from its event loop (`event.isTrusted`, nothing on the
 *    stack): the empty context — a person's input, a message on a
 *    `MessagePort` or `BroadcastChannel`, `document.fonts`, anything fired
 *    on a singleton or on an object other than the one that started a task.
 * 3. Except on an object that stands for one task started by JavaScript:
 *    its own events run in the scope the task started in (`XMLHttpRequest`:
 *    `send()`; `<img>`: setting `src`/`srcset`; the request
 *    `indexedDB.open()`/`deleteDatabase()` returns: that call), for every
 *    listener of the event, capturing and bubbling ones included.
 * 4. Error and rejection events (`ErrorEvent`, `PromiseRejectionEvent`) run
 *    by rule 2, and expose where the error was thrown as a snapshot:
 *    `event.errorContext` / `event.rejectionContext`, with `run(fn, ...args)`.
 *
 * @module
 */
import { cell, noteThrown, runIn, thrownIn } from './cell.ts';
import { type AnyFunction, beforeSetter, type Installation, patch, wrapMethod } from './patch.ts';

type Prototype = { prototype?: object } | undefined;
/** The constructors of the page these rules reach (undefined where the runtime lacks one). */
interface WebGlobals {
  readonly EventTarget?: Prototype;
  readonly XMLHttpRequest?: Prototype;
  readonly XMLHttpRequestEventTarget?: Prototype;
  readonly HTMLElement?: Prototype;
  readonly HTMLImageElement?: Prototype;
  readonly IDBFactory?: Prototype;
  readonly IDBRequest?: Prototype;
  readonly IDBOpenDBRequest?: Prototype;
  readonly MessagePort?: Prototype;
  readonly BroadcastChannel?: Prototype;
  readonly ErrorEvent?: abstract new (...args: never[]) => Event;
  readonly PromiseRejectionEvent?: abstract new (...args: never[]) => Event;
}

/** A task an object stands for: the scope it started in, and the events that report on it. */
interface Task {
  readonly scope: object | undefined;
  readonly events: ReadonlySet<string>;
}

// The task each task object stands for, while it is the latest one started on it.
const tasks = new WeakMap<object, Task>();
// Per-event decisions, so that every listener of one event sees the same scope.
const eventScopes = new WeakMap<Event, { scope: object | undefined }>();
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
const IMAGE_EVENTS = new Set(['load', 'error']);
const OPEN_REQUEST_EVENTS = new Set(['success', 'error', 'upgradeneeded', 'blocked']);

/** Makes `target` stand for a task started now, in the current scope, reported by `events`. */
function startTask(target: object, events: ReadonlySet<string>): void {
  tasks.set(target, { scope: cell.c, events });
}

/**
 * What the error and rejection events expose: the scope an error was thrown
 * in, entered again with `run` (the shape of `AsyncContext.Snapshot`).
 */
export interface ErrorSnapshot {
  run<A extends unknown[], R>(fn: (...args: A) => R, ...args: A): R;
}

/** The snapshot of where `thrown` was thrown, when the runtime saw it leave a callback. */
function snapshotOf(thrown: unknown): ErrorSnapshot | undefined {
  if (!((typeof thrown === 'object' && thrown !== null) || typeof thrown === 'function')) return undefined;
  if (!thrownIn.has(thrown)) return undefined;
  const scope = thrownIn.get(thrown);
  return Object.freeze({
    run: <A extends unknown[], R>(fn: (...args: A) => R, ...args: A): R => runIn(scope, fn, undefined, args),
  });
}

/** Gives a trusted error or rejection event its snapshot property, once. */
function exposeSnapshot(event: Event): void {
  const { ErrorEvent, PromiseRejectionEvent } = globalThis as unknown as WebGlobals;
  let key: string;
  let thrown: unknown;
  if (ErrorEvent !== undefined && event instanceof ErrorEvent) {
    key = 'errorContext';
    thrown = (event as Event & { error: unknown }).error;
  } else if (PromiseRejectionEvent !== undefined && event instanceof PromiseRejectionEvent) {
    key = 'rejectionContext';
    thrown = (event as Event & { reason: unknown }).reason;
  } else {
    return;
  }
  if (Object.hasOwn(event, key)) return;
  Object.defineProperty(event, key, { value: snapshotOf(thrown), enumerable: true });
}

/** The scope a trusted event fired from the event loop runs its listeners in (rules 2 and 3). */
function eventLoopScope(event: Event): object | undefined {
  const known = eventScopes.get(event);
  if (known !== undefined) return known.scope;
  const target = event.target;
  const task = target === null ? undefined : tasks.get(target);
  const scope = task?.events.has(event.type) === true ? task?.scope : undefined;
  eventScopes.set(event, { scope });
  return scope;
}

/** Calls `listener` for `event` in the scope the event rules give. */
function callListener(self: unknown, listener: unknown, event: Event): unknown {
  const call = (): unknown =>
    typeof listener === 'function'
      ? Reflect.apply(listener as AnyFunction, self, [event])
      : (listener as { handleEvent(event: Event): unknown }).handleEvent(event);
  const trusted = event instanceof Event && event.isTrusted;
  if (trusted) exposeSnapshot(event);
  if (trusted && cell.d === 0) return runIn(eventLoopScope(event), call, undefined, []);
  // A synchronous dispatch is transparent: the listener runs in, and may set, the dispatcher's scope.
  try {
    return call();
  } catch (error) {
    noteThrown(error);
    throw error;
  }
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

/** Listeners: every one registered goes through {@link callListener}, and is removed by its wrapper. */
function installListeners(installation: Installation, eventTarget: object | undefined): void {
  const replacements: [string, (listener: object) => unknown][] = [
    ['addEventListener', listenerWrapper],
    ['removeEventListener', (listener) => listenerWrappers.get(listener) ?? listener],
  ];
  for (const [key, replace] of replacements) {
    wrapMethod(
      installation,
      eventTarget,
      key,
      (original) =>
        function (this: unknown, type: unknown, listener: unknown, ...rest: unknown[]) {
          const given =
            (typeof listener === 'object' && listener !== null) || typeof listener === 'function'
              ? replace(listener)
              : listener;
          return Reflect.apply(original, this, [type, given, ...rest]);
        },
    );
  }
}

/** `XMLHttpRequest`: a request is one task, started by `send()`. */
function installXhr(installation: Installation, g: WebGlobals): void {
  const xhr = g.XMLHttpRequest?.prototype;
  wrapMethod(
    installation,
    xhr,
    'send',
    (send) =>
      function (this: object, ...args: unknown[]) {
        startTask(this, XHR_EVENTS);
        return Reflect.apply(send, this, args);
      },
  );
  wrapHandlerProperty(installation, xhr, 'onreadystatechange');
  const xhrTarget = g.XMLHttpRequestEventTarget?.prototype;
  for (const name of ['onloadstart', 'onprogress', 'onload', 'onerror', 'onabort', 'ontimeout', 'onloadend']) {
    wrapHandlerProperty(installation, xhrTarget, name);
  }
}

/** `<img>`: setting `src` or `srcset` starts loading one image. */
function installImages(installation: Installation, g: WebGlobals): void {
  const image = g.HTMLImageElement?.prototype;
  for (const key of ['src', 'srcset']) beforeSetter(installation, image, key, (img) => startTask(img, IMAGE_EVENTS));
  const element = g.HTMLElement?.prototype;
  for (const name of ['onload', 'onerror']) wrapHandlerProperty(installation, element, name);
}

/** IndexedDB: the request `open()` or `deleteDatabase()` returns is one task. */
function installIndexedDb(installation: Installation, g: WebGlobals): void {
  for (const key of ['open', 'deleteDatabase']) {
    wrapMethod(
      installation,
      g.IDBFactory?.prototype,
      key,
      (open) =>
        function (this: unknown, ...args: unknown[]) {
          const request = Reflect.apply(open, this, args) as object;
          startTask(request, OPEN_REQUEST_EVENTS);
          return request;
        },
    );
  }
  wrapHandlerProperty(installation, g.IDBRequest?.prototype, 'onsuccess');
  wrapHandlerProperty(installation, g.IDBRequest?.prototype, 'onerror');
  wrapHandlerProperty(installation, g.IDBOpenDBRequest?.prototype, 'onupgradeneeded');
  wrapHandlerProperty(installation, g.IDBOpenDBRequest?.prototype, 'onblocked');
}

/** Messages (`MessagePort`, `BroadcastChannel`): their `onmessage` handlers follow rule 2 like their listeners. */
function installMessages(installation: Installation, g: WebGlobals): void {
  wrapHandlerProperty(installation, g.MessagePort?.prototype, 'onmessage');
  wrapHandlerProperty(installation, g.BroadcastChannel?.prototype, 'onmessage');
}

/**
 * Rejections: `onunhandledrejection` and `onrejectionhandled` on the global
 * object see `rejectionContext` as listeners do. (`onerror` there is called
 * with five arguments, not the event: `errorContext` is for listeners.)
 */
function installRejectionHandlers(installation: Installation): void {
  for (const name of ['onunhandledrejection', 'onrejectionhandled']) {
    let owner: object | null = globalThis;
    while (owner !== null && !Object.hasOwn(owner, name)) owner = Object.getPrototypeOf(owner) as object | null;
    if (owner !== null) wrapHandlerProperty(installation, owner, name);
  }
}

/** Installs the event rules of this module into `installation`. */
export function installEvents(installation: Installation): void {
  const g = globalThis as unknown as WebGlobals;
  installListeners(installation, g.EventTarget?.prototype);
  installXhr(installation, g);
  installImages(installation, g);
  installIndexedDb(installation, g);
  installMessages(installation, g);
  installRejectionHandlers(installation);
}
