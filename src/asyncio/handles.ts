/**
 * callSoon and callLater (asyncio's `loop.call_soon`/`call_later`): a
 * callback run on a later turn, in a copy of the context taken when it was
 * scheduled, or in the Context given; a Handle cancels it.
 *
 * @module
 */
import { repr } from '../brand.ts';
import { assertFunction, readOptions } from '../checks.ts';
import { type Context, contextOption } from '../context.ts';

const CALL_OPTIONS = ['context'] as const;

/**
 * Options of {@link callSoon} and {@link callLater}.
 *
 * @example
 * ```ts
 * const ctx = copyContext();
 * callSoon(() => requestId.set('r-2'), { context: ctx }); // the change lands in ctx
 * ```
 */
export interface CallOptions {
  /** The Context the callback runs in. Default: a copy of the current one, taken now. */
  readonly context?: Context;
}

/**
 * A scheduled callback (Python's `asyncio.Handle`/`TimerHandle`).
 *
 * @example
 * ```ts
 * const handle = callLater(1000, () => console.log('late'));
 * handle.cancel(); // never runs
 * ```
 */
export interface Handle {
  /** Stops the callback from running, if it has not run yet. */
  cancel(): void;
  /** Whether {@link Handle.cancel} was called. */
  readonly cancelled: boolean;
}

type Cancel = () => void;

const runSoon: (callback: () => void) => Cancel =
  typeof setImmediate === 'function'
    ? (callback) => {
        const immediate = setImmediate(callback);
        return () => clearImmediate(immediate);
      }
    : (callback) => {
        const timer = setTimeout(callback, 0);
        return () => clearTimeout(timer);
      };

function schedule(
  method: string,
  callback: () => void,
  options: CallOptions | undefined,
  enqueue: (run: () => void) => Cancel,
): Handle {
  assertFunction(callback, method);
  const context = contextOption(readOptions(options, method, CALL_OPTIONS).context, method);
  let cancelled = false;
  const cancel = enqueue(() => context.run(callback));
  return {
    cancel() {
      cancelled = true;
      cancel();
    },
    get cancelled() {
      return cancelled;
    },
  };
}

/**
 * Runs `callback` on a later turn of the event loop, in a copy of the current
 * Context taken now or in `options.context` (Python's `loop.call_soon`).
 * Arguments travel in a closure: `callSoon(() => cb(a, b))`.
 *
 * @throws {TypeError} when `callback` is not a function, or `options` is not an object.
 *
 * @example
 * ```ts
 * requestId.set('r-1');
 * callSoon(() => log(requestId.get())); // 'r-1', whatever is set after this line
 * ```
 */
export function callSoon(callback: () => void, options?: CallOptions): Handle {
  return schedule('callSoon', callback, options, runSoon);
}

/**
 * setTimeout's longest delay, 2^31 - 1 ms (about 24.8 days): a longer one
 * fires after 1 ms with a TimeoutOverflowWarning.
 */
const MAX_TIMER_DELAY = 2 ** 31 - 1;

/**
 * @internal The next timer of a callLater whose callback is due in
 * `remainingMs`: wait the rest when setTimeout can, else its longest delay
 * and look again (asyncio's call_later accepts any delay; so does callLater).
 */
export function nextTimer(remainingMs: number): { readonly wait: number; readonly last: boolean } {
  if (remainingMs > MAX_TIMER_DELAY) return { wait: MAX_TIMER_DELAY, last: false };
  return { wait: Math.max(remainingMs, 0), last: true };
}

/** Runs `run` once `delayMs` has passed, chaining timers when setTimeout cannot wait that long. */
function runLater(delayMs: number, run: () => void): Cancel {
  if (delayMs <= MAX_TIMER_DELAY) {
    const timer = setTimeout(run, delayMs);
    return () => clearTimeout(timer);
  }
  // The deadline is read from a monotonic clock, so a timer that fires late or early corrects the next one.
  const deadline = performance.now() + delayMs;
  let timer: ReturnType<typeof setTimeout>;
  const arm = (): void => {
    const { wait, last } = nextTimer(deadline - performance.now());
    timer = setTimeout(last ? run : arm, wait);
  };
  arm();
  return () => clearTimeout(timer);
}

/**
 * Runs `callback` after `delayMs` milliseconds, in a copy of the current
 * Context taken now or in `options.context` (Python's `loop.call_later`).
 * The delay is in milliseconds, as setTimeout's is, where Python's
 * `call_later` takes seconds: `loop.call_later(1.5, cb)` is
 * `callLater(1500, cb)`.
 * Any finite delay works: one longer than setTimeout allows (about 24.8
 * days) is waited out by a chain of timers, and `cancel()` stops it.
 *
 * @throws {TypeError} when `delayMs` is not a number, `callback` is not a function, or `options` is not an object.
 * @throws {RangeError} when `delayMs` is negative, NaN or infinite.
 *
 * @example
 * ```ts
 * const handle = callLater(50, () => flush(requestId.get())); // in 50 ms
 * ```
 */
export function callLater(delayMs: number, callback: () => void, options?: CallOptions): Handle {
  if (typeof delayMs !== 'number') {
    throw new TypeError(`callLater expects delayMs to be a number of milliseconds, got ${repr(delayMs)}`);
  }
  if (!Number.isFinite(delayMs) || delayMs < 0) {
    throw new RangeError(`callLater expects a finite delay of 0 ms or more as delayMs, got ${repr(delayMs)}`);
  }
  return schedule('callLater', callback, options, (run) => runLater(delayMs, run));
}
