/**
 * Binding an emitter's listeners (S11): `bindListeners` patches the methods
 * that add listeners to an EventEmitter or an EventTarget so that each
 * listener is replaced by a wrapper made when it is added, and the methods
 * that remove listeners so that the original function still finds its
 * wrapper. `bind(emitter)` wraps with the values current at each addition;
 * the OpenTelemetry context manager wraps with its context. One patch per
 * key and emitter: binding twice with the same key does nothing.
 *
 * Invariant: a listener that is already a wrapper passes through an add
 * method unchanged, as when one add method calls another (Node's `once`
 * calls `on` with its once wrapper around ours, NodeEventTarget's `on` calls
 * `addEventListener`).
 *
 * @module
 */

/** A listener as the emitter stores it. */
export type Listener = (...args: never[]) => unknown;

/**
 * The listener methods `bind` recognises on an emitter: Node's
 * `EventEmitter` and anything shaped like it (`on`/`addListener` and
 * `removeListener`/`off`).
 *
 * @example
 * ```ts
 * const emitter: EventEmitterLike = new EventEmitter();
 * bind(emitter).on('done', () => requestId.get());
 * ```
 */
export interface EventEmitterLike {
  /** Adds `listener` for `event` (wrapped by `bind`). */
  // biome-ignore lint/suspicious/noExplicitAny: listeners of any arguments, as Node's EventEmitter declares them
  on(event: string | symbol, listener: (...args: any[]) => void): unknown;
  /** Removes `listener` for `event` (given the original function, it finds the wrapper). */
  // biome-ignore lint/suspicious/noExplicitAny: as above
  removeListener(event: string | symbol, listener: (...args: any[]) => void): unknown;
}

type Methods = Record<string | symbol, unknown>;
type Method = (this: unknown, ...args: unknown[]) => unknown;

const ADD = ['on', 'addListener', 'prependListener', 'once', 'prependOnceListener', 'addEventListener'];
const REMOVE = ['off', 'removeListener', 'removeEventListener'];

/** Whether `target` has an EventEmitter's or an EventTarget's add and remove methods (false when reading them throws). */
export function isEmitter(target: unknown): boolean {
  const has = (name: string) => typeof (target as Methods)[name] === 'function';
  try {
    return (
      typeof target === 'object' &&
      target !== null &&
      (((has('on') || has('addListener')) && (has('off') || has('removeListener'))) ||
        (has('addEventListener') && has('removeEventListener')))
    );
  } catch {
    return false; // a revoked Proxy, a throwing getter: not an emitter, and bind says so
  }
}

/**
 * What identifies a registration besides its listener: the event for an
 * EventEmitter; for an EventTarget the type and the capture flag (Node's
 * EventTarget reads the flag from an options object only).
 */
const registration = (method: string, event: unknown, options: unknown): unknown =>
  method.endsWith('EventListener')
    ? `${String(event)}\0${(options as { capture?: unknown } | null)?.capture === true}`
    : event;

/**
 * Patches `emitter` so that every listener added from now on is replaced by
 * `wrap(listener)`, once per `mark`. Returns the emitter.
 */
export function bindListeners<E>(emitter: E, mark: symbol, wrap: (listener: Listener) => Listener): E {
  const methods = emitter as Methods;
  if (methods[mark] !== undefined) return emitter;
  Object.defineProperty(emitter, mark, { value: true });
  // original -> per registration, its wrappers, newest last (EventEmitter removes the newest match)
  const registered = new WeakMap<object, Map<unknown, Listener[]>>();
  const originals = new WeakMap<object, unknown>();
  // A wrapper, or Node's once wrapper around one, passes through (one add method may call another).
  const ours = (listener: object): boolean =>
    originals.has(listener) || originals.has((listener as { listener?: object }).listener as object);

  for (const name of ADD) {
    const add = methods[name] as Method;
    if (typeof add !== 'function') continue;
    methods[name] = function (this: unknown, event: unknown, listener: unknown, ...rest: unknown[]) {
      if (
        !(
          typeof listener === 'function' ||
          (name === 'addEventListener' && typeof listener === 'object' && listener !== null)
        ) ||
        ours(listener as object)
      ) {
        return add.call(this, event, listener, ...rest);
      }
      const options = rest[0] as { once?: unknown } | undefined;
      const byRegistration = registered.get(listener as object) ?? new Map<unknown, Listener[]>();
      registered.set(listener as object, byRegistration);
      const key = registration(name, event, options);
      const list = byRegistration.get(key) ?? [];
      byRegistration.set(key, list);
      // EventTarget holds a listener once per registration: adding it again passes the same wrapper
      let bound = name === 'addEventListener' ? list[0] : undefined;
      if (bound === undefined) {
        const inner = wrap(
          typeof listener === 'function'
            ? (listener as Listener)
            : (event: never) => (listener as { handleEvent(event: unknown): unknown }).handleEvent(event),
        );
        const wrapper: Listener =
          name.endsWith('nce') || options?.once === true
            ? function (this: unknown, ...args: never[]) {
                // a once listener that ran is gone: removing the original must not find it
                list.splice(list.lastIndexOf(wrapper), 1);
                return inner.apply(this, args);
              }
            : inner;
        originals.set(wrapper, listener);
        // Node reports `.listener` in listeners(), 'newListener' and 'removeListener'
        (wrapper as { listener?: unknown }).listener = listener;
        list.push(wrapper);
        bound = wrapper;
      }
      return add.call(this, event, bound, ...rest);
    };
  }
  for (const name of REMOVE) {
    const remove = methods[name] as Method;
    if (typeof remove !== 'function') continue;
    methods[name] = function (this: unknown, event: unknown, listener: unknown, ...rest: unknown[]) {
      const bound = registered
        .get(listener as object)
        ?.get(registration(name, event, rest[0]))
        ?.pop();
      return remove.call(this, event, bound ?? listener, ...rest);
    };
  }
  // Node unwraps `.listener` itself, but a once listener's `.listener` is our wrapper
  const listeners = methods['listeners'] as Method;
  if (typeof listeners === 'function') {
    methods['listeners'] = function (this: unknown, ...args: unknown[]) {
      return (listeners.apply(this, args) as unknown[]).map(
        (listener) => originals.get(listener as object) ?? listener,
      );
    };
  }
  return emitter;
}
