// Runs in headless Chromium (see web-integration.test.ts), bundled by esbuild
// with contextvars/bundler: one case per rule of the TC39 AsyncContext
// web-integration notes as of 2026-06-12 that the runtime follows (the table
// is in docs/browser.md). "The empty context" is where every ContextVar reads
// its default and every AsyncContext.Variable its defaultValue. Results go to
// window.contextvarsResults.
import { Context, ContextVar } from 'contextvars';
import { AsyncContext } from 'contextvars/async-context';
import { assertEqual, runCases, test } from './cases.js';

const isolated = (fn) => () => new Context().run(fn);
const v = new ContextVar('v', { default: 'd' });
const av = new AsyncContext.Variable({ defaultValue: 'ad' });
/** Both kinds of variable, as one string: 'd/ad' in the empty context. */
const both = () => `${v.get()}/${av.get()}`;
/** Sets v to `value`, and runs the rest of the case with av at `value` too. */
const setBoth = (value, fn) => {
  v.set(value);
  return av.run(value, fn);
};

// The error cases throw on purpose; the test ignores page errors naming these.
const ERROR_MARK = 'thrown on purpose by the error-event rule';
const REJECTION_MARK = 'rejected on purpose by the rejection-event rule';
const LIMIT_MARK = 'rejected on purpose after a native await';
globalThis.contextvarsExpectedErrors = [ERROR_MARK, REJECTION_MARK, LIMIT_MARK];

test(
  'MessagePort: a message on a MessageChannel port runs in the empty context, not that of postMessage',
  isolated(async () => {
    const { port1, port2 } = new MessageChannel();
    const seen = [];
    const done = new Promise((resolve) => {
      port2.onmessage = (e) => seen.push(`onmessage ${e.data}:${both()}`);
      port2.addEventListener('message', (e) => {
        seen.push(`listener ${e.data}:${both()}`);
        if (e.data === 'b') resolve();
      });
    });
    setBoth('poster', () => {
      port1.postMessage('a');
      port1.postMessage('b');
    });
    await done;
    port1.close();
    assertEqual(seen, ['onmessage a:d/ad', 'listener a:d/ad', 'onmessage b:d/ad', 'listener b:d/ad']);
  }),
);

test(
  'BroadcastChannel: a message runs in the empty context, not that of postMessage',
  isolated(async () => {
    const sender = new BroadcastChannel('contextvars-rule');
    const receiver = new BroadcastChannel('contextvars-rule');
    const seen = [];
    const done = new Promise((resolve) => {
      receiver.onmessage = (e) => seen.push(`onmessage ${e.data}:${both()}`);
      receiver.addEventListener('message', (e) => {
        seen.push(`listener ${e.data}:${both()}`);
        resolve();
      });
    });
    setBoth('poster', () => sender.postMessage('a'));
    await done;
    sender.close();
    receiver.close();
    assertEqual(seen, ['onmessage a:d/ad', 'listener a:d/ad']);
  }),
);

test(
  'document.fonts: loading events run in the empty context, not that of the load that caused them',
  isolated(async () => {
    const face = new FontFace('contextvars-rule', 'local("contextvars no such font")');
    const seen = [];
    const types = ['loading', 'loadingdone', 'loadingerror'];
    const done = new Promise((resolve) => {
      const listener = (event) => {
        seen.push(`${event.type}:${both()}`);
        if (event.type !== 'loading') resolve();
      };
      for (const type of types) document.fonts.addEventListener(type, listener);
    });
    setBoth('loader', () => {
      document.fonts.add(face);
      face.load().catch(() => {});
    });
    await done;
    document.fonts.delete(face);
    assertEqual(seen.length >= 2, true, `events seen: ${seen}`);
    assertEqual(
      seen.every((entry) => entry.endsWith(':d/ad')),
      true,
      `every event in the empty context: ${seen}`,
    );
  }),
);

test(
  'observers: MutationObserver and PerformanceObserver callbacks run in the empty context, not that of construction or of the change',
  isolated(async () => {
    const seen = [];
    const node = document.createElement('div');
    let mutation;
    let performance_;
    const done = Promise.all([
      new Promise((resolve) => (mutation = resolve)),
      new Promise((resolve) => (performance_ = resolve)),
    ]);
    const observers = setBoth('made', () => [
      new MutationObserver(() => {
        seen.push(`mutation:${both()}`);
        mutation();
      }),
      new PerformanceObserver(() => {
        seen.push(`performance:${both()}`);
        performance_();
      }),
    ]);
    observers[0].observe(node, { attributes: true });
    observers[1].observe({ type: 'mark' });
    setBoth('changed', () => {
      node.setAttribute('data-x', '1');
      performance.mark('contextvars-rule');
    });
    await done;
    for (const observer of observers) observer.disconnect();
    assertEqual(seen.sort(), ['mutation:d/ad', 'performance:d/ad']);
  }),
);

test(
  'observers: ResizeObserver and IntersectionObserver callbacks run in the empty context, not that of construction or of observe',
  isolated(async () => {
    const node = document.createElement('div');
    document.body.append(node);
    const seen = [];
    const done = setBoth('made', () =>
      Promise.all(
        [ResizeObserver, IntersectionObserver].map(
          (Observer) =>
            new Promise((resolve) => {
              const observer = new Observer(() => {
                seen.push(`${Observer.name}:${both()}`);
                observer.disconnect();
                resolve();
              });
              observer.observe(node);
            }),
        ),
      ),
    );
    await done;
    node.remove();
    assertEqual(seen.sort(), ['IntersectionObserver:d/ad', 'ResizeObserver:d/ad']);
  }),
);

test(
  "synchronous dispatch: el.click() runs listeners in the caller's context, whatever was current at addEventListener",
  isolated(() => {
    const button = document.createElement('button');
    const seen = [];
    setBoth('registered', () => button.addEventListener('click', () => seen.push(both())));
    setBoth('caller', () => button.click());
    assertEqual(seen, ['caller/caller']);
  }),
);

const GIF = 'data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7';

test(
  '<img>: load and error run in the context of setting src, capturing listeners included, not that of addEventListener',
  isolated(async () => {
    const seen = [];
    const good = new Image();
    const bad = new Image();
    const capture = (event) => {
      if (event.target === good || event.target === bad) seen.push(`capture ${event.type}:${both()}`);
    };
    document.addEventListener('load', capture, true);
    document.addEventListener('error', capture, true);
    document.body.append(good, bad);
    const done = Promise.all([
      new Promise((resolve) => good.addEventListener('load', () => resolve(seen.push(`load:${both()}`)))),
      new Promise((resolve) => {
        bad.onerror = () => resolve(seen.push(`error:${both()}`));
      }),
    ]);
    setBoth('good', () => {
      good.src = GIF;
    });
    setBoth('bad', () => {
      bad.src = 'data:image/gif;base64,AAAA';
    });
    v.set('later');
    await done;
    document.removeEventListener('load', capture, true);
    document.removeEventListener('error', capture, true);
    good.remove();
    bad.remove();
    assertEqual(seen.sort(), ['capture error:bad/bad', 'capture load:good/good', 'error:bad/bad', 'load:good/good']);
  }),
);

test(
  'indexedDB.open: the request’s upgradeneeded and success run in the context of open(), not that of addEventListener',
  isolated(async () => {
    const name = 'contextvars-rule';
    const seen = [];
    const request = setBoth('opener', () => indexedDB.open(name));
    setBoth('listener', () => {
      request.onupgradeneeded = () => seen.push(`upgradeneeded:${both()}`);
    });
    const db = await new Promise((resolve, reject) => {
      request.addEventListener('success', () => {
        seen.push(`success:${both()}`);
        resolve(request.result);
      });
      request.addEventListener('error', () => reject(request.error));
    });
    db.close();
    await new Promise((resolve) => {
      indexedDB.deleteDatabase(name).onsuccess = resolve;
    });
    assertEqual(seen, ['upgradeneeded:opener/opener', 'success:opener/opener']);
  }),
);

/** The first `type` event on window whose error or reason has `mark`, handled (no console report). */
function nextGlobalEvent(type, mark, read) {
  return new Promise((resolve) => {
    const listener = (event) => {
      if ((event.error ?? event.reason)?.message !== mark) return;
      window.removeEventListener(type, listener);
      event.preventDefault();
      resolve(read(event));
    };
    window.addEventListener(type, listener);
  });
}

test(
  'error events: an uncaught error runs error listeners in the empty context; event.errorContext runs in that of the throw',
  isolated(async () => {
    const seen = nextGlobalEvent('error', ERROR_MARK, (event) => [both(), event.errorContext?.run(both)]);
    setBoth('scheduler', () =>
      setTimeout(() => {
        v.set('thrower');
        throw new Error(ERROR_MARK);
      }),
    );
    assertEqual(await seen, ['d/ad', 'thrower/scheduler']);
  }),
);

test(
  'rejection events: unhandledrejection listeners and onunhandledrejection run in the empty context; event.rejectionContext runs in that of the throw',
  isolated(async () => {
    // The handler is set first, so it runs before the listener that ends the case.
    let byHandler;
    window.onunhandledrejection = (event) => {
      byHandler = [both(), event.rejectionContext?.run(both)];
    };
    const seen = nextGlobalEvent('unhandledrejection', REJECTION_MARK, (event) => [
      both(),
      event.rejectionContext?.run(both),
    ]);
    setBoth('scheduler', () =>
      Promise.resolve().then(() => {
        v.set('thrower');
        throw new Error(REJECTION_MARK);
      }),
    );
    const byListener = await seen;
    window.onunhandledrejection = null;
    assertEqual(
      { byListener, byHandler },
      { byListener: ['d/ad', 'thrower/scheduler'], byHandler: ['d/ad', 'thrower/scheduler'] },
    );
  }),
);

test(
  'limit: an async function that throws after a native await gives unhandledrejection no rejectionContext (needs the engine)',
  isolated(async () => {
    const seen = nextGlobalEvent('unhandledrejection', LIMIT_MARK, (event) => [both(), event.rejectionContext]);
    setBoth('thrower', () => {
      void (async () => {
        await null;
        throw new Error(LIMIT_MARK);
      })();
    });
    assertEqual(await seen, ['d/ad', undefined]);
  }),
);

void (async () => {
  globalThis.contextvarsResults = await runCases();
})();
