/**
 * The web APIs the browser runtime wraps, after the TC39 AsyncContext
 * web-integration notes as of 2026-06-12 (docs/browser.md, rule by rule):
 *
 * - Schedulers (`Promise.prototype.then`, so `catch` and `finally`;
 *   `queueMicrotask`, `setTimeout`, `setInterval`, `requestAnimationFrame`,
 *   `requestIdleCallback`, `scheduler.postTask`): the callback runs in the
 *   scope current when it was registered (docs/semantics.md, S1).
 * - Observers (`MutationObserver`, `ResizeObserver`, `IntersectionObserver`,
 *   `PerformanceObserver`, `ReportingObserver`): the callback always runs in
 *   the empty context, as one call batches observations many pieces of
 *   code caused.
 * - Events: ./events.ts.
 *
 * Patching is idempotent across copies of the library (a global symbol holds
 * the installation) and reversible: {@link uninstallBrowserPropagation}, also
 * reachable as `globalThis[Symbol.for('contextvars.browser.patches.v1')].uninstall()`.
 *
 * @module
 */
import { cell } from './cell.ts';
import { installEvents } from './events.ts';
import { bindCallback, type Installation, patch, wrapMethod } from './patch.ts';

/**
 * What the global symbol holds, shared by every copy of the library: whether
 * the wrapping is installed, and the functions that install and remove it.
 */
export interface PropagationControl {
  installed: Installation | undefined;
  install(): boolean;
  uninstall(): void;
}

const PATCHES = Symbol.for('contextvars.browser.patches.v1');
const global = globalThis as typeof globalThis & { [PATCHES]?: PropagationControl };

/** Wraps the function arguments at `positions` of the method `owner[key]`: each runs in the scope of the call. */
function wrapArguments(installation: Installation, owner: object | undefined, key: string, positions: number[]): void {
  wrapMethod(
    installation,
    owner,
    key,
    (original) =>
      function (this: unknown, ...args: unknown[]) {
        for (const i of positions) if (i < args.length) args[i] = bindCallback(args[i], cell.c);
        return Reflect.apply(original, this, args);
      },
  );
}

/** Schedulers: the callback runs in the scope of the call that scheduled it. */
function installSchedulers(installation: Installation): void {
  wrapArguments(installation, Promise.prototype, 'then', [0, 1]);
  for (const name of ['queueMicrotask', 'setTimeout', 'setInterval', 'requestAnimationFrame', 'requestIdleCallback']) {
    // On the global object itself when defined there, else where the window's prototype chain has it.
    let owner: object | null = global;
    while (owner !== null && !Object.hasOwn(owner, name)) owner = Object.getPrototypeOf(owner) as object | null;
    if (owner !== null) wrapArguments(installation, owner, name, [0]);
  }
  const scheduler = (global as { scheduler?: object }).scheduler;
  if (scheduler !== undefined) wrapArguments(installation, Object.getPrototypeOf(scheduler) as object, 'postTask', [0]);
}

/** Observers: each constructor is replaced by a subclass whose callback runs in the empty context. */
function installObservers(installation: Installation): void {
  for (const name of [
    'MutationObserver',
    'ResizeObserver',
    'IntersectionObserver',
    'PerformanceObserver',
    'ReportingObserver',
  ]) {
    const Original = (global as unknown as Record<string, unknown>)[name];
    if (typeof Original !== 'function') continue;
    const Base = Original as new (callback: unknown, ...rest: unknown[]) => object;
    const Wrapped = {
      [name]: class extends Base {
        constructor(callback: unknown, ...rest: unknown[]) {
          super(bindCallback(callback, undefined), ...rest);
        }
      },
    }[name];
    patch(installation, global, name, (d) => ({ ...d, value: Wrapped }));
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
  installSchedulers(installation);
  installObservers(installation);
  installEvents(installation);
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
