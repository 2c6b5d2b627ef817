// Runs in headless Chromium (see propagation.test.ts), bundled by Vite and by
// esbuild with contextvars/bundler: the library's browser build, with every
// await below rewritten by the transform. Results go to window.contextvarsResults;
// the click cases run when the harness clicks #target (a trusted event).
import { Context, ContextVar } from 'contextvars';
import { callLater, callSoon, createTask, gather } from 'contextvars/asyncio';
import { assertEqual, runCase, runCases, test } from './cases.js';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const isolated = (fn) => () => new Context().run(fn);
const v = new ContextVar('v', { default: 'd' });

/** Seeded generator (mulberry32): the seed is in the case name, so a failure can be replayed. */
function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('the library runs on the browser storage', () => {
  const kind = globalThis[Symbol.for('contextvars.state.v3')]?.storage?.kind;
  assertEqual(kind, 'browser', 'storage kind');
});

test('patching: installed once per page under a global symbol, reversible, and installable again', () => {
  const control = globalThis[Symbol.for('contextvars.browser.patches.v1')];
  const patched = [
    Promise.prototype.then,
    globalThis.setTimeout,
    EventTarget.prototype.addEventListener,
    globalThis.MutationObserver,
  ];
  assertEqual(control.install(), false, 'a second install does nothing');
  assertEqual(Promise.prototype.then === patched[0], true, 'then unchanged by the second install');
  control.uninstall();
  const native = [
    Promise.prototype.then,
    globalThis.setTimeout,
    EventTarget.prototype.addEventListener,
    globalThis.MutationObserver,
  ];
  assertEqual(
    native.map((f) => Function.prototype.toString.call(f).includes('[native code]')),
    [true, true, true, true],
    'natives back',
  );
  let seen;
  new Context().run(() => {
    v.set('unpatched');
    void Promise.resolve().then(() => {
      seen = v.get();
    });
  });
  assertEqual(control.install(), true, 'installs again');
  assertEqual(
    Function.prototype.toString.call(Promise.prototype.then).includes('[native code]'),
    false,
    'then wrapped again',
  );
  return Promise.resolve().then(() => assertEqual(seen, 'd', 'a then registered while uninstalled is not carried'));
});

test(
  'S1 scenario 1: a scoped change lasts across await and is gone for the caller',
  isolated(async () => {
    async function f() {
      const token = v.set('x');
      try {
        await sleep(1);
        return v.get();
      } finally {
        v.reset(token);
      }
    }
    assertEqual(await f(), 'x');
    assertEqual(v.get(), 'd', 'caller after');
  }),
);

test(
  'scenario 2: fan-out under Promise.all, each function reads its own value after await',
  isolated(async () => {
    const out = await Promise.all(
      [1, 2, 3].map(async (i) => {
        v.set(i);
        await sleep(4 - i);
        return v.get();
      }),
    );
    assertEqual(out, [1, 2, 3]);
  }),
);

test(
  'scenario 3: gather runs each function as a task; the caller keeps its value',
  isolated(async () => {
    const out = await gather(
      ...[1, 2, 3].map((i) => async () => {
        v.set(i);
        await sleep(4 - i);
        return v.get();
      }),
    );
    assertEqual(out, [1, 2, 3]);
    assertEqual(v.get(), 'd');
  }),
);

test(
  'scenarios 4 and 5: a timer sees the value at scheduling; its writes stay in it',
  isolated(async () => {
    let seen;
    v.set('a');
    const fired = new Promise((resolve) =>
      setTimeout(() => {
        seen = v.get();
        v.set('timer');
        resolve();
      }),
    );
    v.set('b');
    await fired;
    assertEqual(seen, 'a', 'timer');
    assertEqual(v.get(), 'b', 'scheduler after the timer');
  }),
);

test('scenario 7: ctx.run keeps what fn sets; nested run of the same Context throws', () => {
  const ctx = new Context();
  ctx.run(() => v.set('in'));
  assertEqual(ctx.get(v), 'in');
  assertEqual(v.get(), 'd');
  let threw = false;
  ctx.run(() => {
    try {
      ctx.run(() => {});
    } catch {
      threw = true;
    }
  });
  assertEqual(threw, true, 'nested run throws');
});

test('scenario 8: ctx.run(async fn) records a set made after an await', async () => {
  const ctx = new Context();
  await ctx.run(async () => {
    await sleep(1);
    v.set('late');
  });
  assertEqual(ctx.get(v), 'late');
});

test(
  'scenario 9: a token resets after an await in its flow, once',
  isolated(async () => {
    const token = v.set('t');
    await sleep(1);
    v.reset(token);
    assertEqual(v.get(), 'd');
    let threw = false;
    try {
      v.reset(token);
    } catch {
      threw = true;
    }
    assertEqual(threw, true, 'second reset throws');
  }),
);

test(
  'scenario 10: a task sets before and after its first await; the caller sees neither',
  isolated(async () => {
    const task = createTask(async () => {
      v.set('before');
      await sleep(1);
      v.set('after');
    });
    assertEqual(v.get(), 'd', 'right after createTask');
    await task;
    assertEqual(v.get(), 'd', 'after the task');
    assertEqual(task.context.get(v), 'after');
  }),
);

test(
  'scenario 11: callSoon and callLater capture at scheduling',
  isolated(async () => {
    v.set('s');
    const seen = [];
    const done = new Promise((resolve) => {
      callSoon(() => {
        seen.push(v.get());
        v.set('cb');
      });
      callLater(1, () => {
        seen.push(v.get());
        resolve();
      });
    });
    v.set('later');
    await done;
    assertEqual(seen, ['s', 's']);
    assertEqual(v.get(), 'later');
  }),
);

test(
  'ContextVar.prototype.run (S8): siblings and the caller never see the value',
  isolated(async () => {
    const reader = async () => {
      await sleep(2);
      return v.get();
    };
    const [inside, outside] = await Promise.all([
      v.run('x', async () => {
        await sleep(1);
        return v.get();
      }),
      reader(),
    ]);
    assertEqual([inside, outside, v.get()], ['x', 'd', 'd']);
  }),
);

test(
  'fetch: the value follows await fetch() and await response.text()',
  isolated(async () => {
    v.set('fetching');
    const response = await fetch('/delay?ms=2&echo=one');
    assertEqual(v.get(), 'fetching', 'after fetch');
    assertEqual(await response.text(), 'one');
    assertEqual(v.get(), 'fetching', 'after text');
  }),
);

test(
  'fetch: .then callbacks run in the scope of the then() call',
  isolated(async () => {
    v.set('then');
    const seen = await fetch('/delay?ms=1&echo=x').then((r) => {
      const a = v.get();
      return r.text().then(() => [a, v.get()]);
    });
    assertEqual(seen, ['then', 'then']);
  }),
);

test(
  'XMLHttpRequest: load and readystatechange run in the scope of send()',
  isolated(async () => {
    const seen = [];
    const xhr = new XMLHttpRequest();
    const done = new Promise((resolve) => {
      xhr.addEventListener('load', () => {
        seen.push(`load:${v.get()}`);
        resolve();
      });
      xhr.onreadystatechange = () => {
        if (xhr.readyState === 4) seen.push(`ready:${v.get()}`);
      };
    });
    xhr.open('GET', '/delay?ms=1&echo=xhr');
    v.set('sent');
    xhr.send();
    v.set('after-send');
    await done;
    assertEqual(seen, ['ready:sent', 'load:sent']);
  }),
);

test(
  'queueMicrotask, requestAnimationFrame, requestIdleCallback and setInterval capture at registration',
  isolated(async () => {
    v.set('reg');
    const seen = [];
    const done = Promise.all([
      new Promise((resolve) =>
        queueMicrotask(() => {
          seen.push(`micro:${v.get()}`);
          resolve();
        }),
      ),
      new Promise((resolve) =>
        requestAnimationFrame(() => {
          seen.push(`raf:${v.get()}`);
          resolve();
        }),
      ),
      new Promise((resolve) =>
        requestIdleCallback(() => {
          seen.push(`idle:${v.get()}`);
          resolve();
        }),
      ),
      new Promise((resolve) => {
        let n = 0;
        const id = setInterval(() => {
          seen.push(`interval:${v.get()}`);
          v.set('tick');
          if (++n === 2) {
            clearInterval(id);
            resolve();
          }
        });
      }),
    ]);
    v.set('other');
    await done;
    assertEqual(seen.sort(), ['idle:reg', 'interval:reg', 'interval:reg', 'micro:reg', 'raf:reg']);
  }),
);

test(
  "events: a synchronous dispatchEvent runs listeners in the dispatcher's scope, not the registration's",
  isolated(() => {
    const target = new EventTarget();
    const seen = [];
    v.set('registered');
    target.addEventListener('ping', () => seen.push(v.get()));
    new Context().run(() => {
      v.set('dispatcher');
      target.dispatchEvent(new Event('ping'));
    });
    target.dispatchEvent(new Event('ping'));
    assertEqual(seen, ['dispatcher', 'registered']);
  }),
);

test(
  'events: removeEventListener removes a listener added through the wrapper',
  isolated(() => {
    const target = new EventTarget();
    let count = 0;
    const listener = () => count++;
    target.addEventListener('ping', listener);
    target.removeEventListener('ping', listener);
    target.dispatchEvent(new Event('ping'));
    assertEqual(count, 0);
  }),
);

test(
  'await: a rejected await restores the scope in catch and finally',
  isolated(async () => {
    v.set('mine');
    const seen = [];
    try {
      await new Promise((_, reject) =>
        new Context().run(() => {
          v.set('other');
          setTimeout(() => reject(new Error('no')));
        }),
      );
    } catch {
      seen.push(v.get());
    } finally {
      seen.push(v.get());
    }
    assertEqual(seen, ['mine', 'mine']);
  }),
);

test(
  'for await and async generators resume in their own scope',
  isolated(async () => {
    async function* ticks() {
      v.set('gen');
      for (let i = 0; i < 3; i++) {
        await sleep(1);
        yield `${i}:${v.get()}`;
      }
    }
    v.set('loop');
    const seen = [];
    for await (const tick of ticks()) seen.push(`${tick}/${v.get()}`);
    seen.push(v.get());
    assertEqual(seen, ['0:gen/loop', '1:gen/loop', '2:gen/loop', 'loop']);
  }),
);

test(
  "await using: after the block's disposal awaits, the scope is the block's last",
  isolated(async () => {
    v.set('block');
    const seen = [];
    {
      await using _resource = {
        async [Symbol.asyncDispose]() {
          await sleep(1);
          seen.push(`dispose:${v.get()}`);
        },
      };
      v.set('inside');
    }
    seen.push(v.get());
    assertEqual(seen, ['dispose:inside', 'inside']);
  }),
);

test(
  'for await: defaults in a destructuring loop head see the loop scope',
  isolated(async () => {
    async function* items() {
      v.set('gen');
      for (let i = 0; i < 2; i++) {
        await sleep(1);
        yield { i };
      }
    }
    v.set('loop');
    const seen = [];
    for await (const { i, at = v.get() } of items()) seen.push(`${i}:${at}`);
    assertEqual(seen, ['0:loop', '1:loop']);
  }),
);

test(
  'await using: blocks left by break in a switch case, by an exception and between two resources dispose and resume in the scope they were left with (two flows at once)',
  isolated(async () => {
    const flow = async (name, ms) => {
      const seen = [];
      const resource = (label) => ({
        async [Symbol.asyncDispose]() {
          seen.push(`dispose ${label}:${v.get()}`);
          await sleep(ms);
          seen.push(`disposed ${label}:${v.get()}`);
        },
      });
      for (const k of [1, 2]) {
        v.set(`${name} before ${k}`);
        switch (k) {
          // biome-ignore lint/suspicious/noFallthroughSwitchClause: the case leaves by its break, never by falling through
          case 1: {
            await using _r = resource(k);
            await sleep(ms);
            v.set(`${name} break`);
            if (k === 1) break;
            v.set('not reached');
          }
          default: {
            await using _r = resource(k);
            await sleep(ms);
            v.set(`${name} fell out`);
          }
        }
        seen.push(v.get());
      }
      try {
        await using _a = resource('a');
        await sleep(ms);
        v.set(`${name} between`);
        if (k0()) throw new Error('out');
        await using _b = resource('b');
      } catch {
        seen.push(`catch:${v.get()}`);
      }
      return seen;
    };
    const k0 = () => true;
    const expected = (name) => [
      `dispose 1:${name} break`,
      `disposed 1:${name} break`,
      `${name} break`,
      `dispose 2:${name} fell out`,
      `disposed 2:${name} fell out`,
      `${name} fell out`,
      `dispose a:${name} between`,
      `disposed a:${name} between`,
      `catch:${name} between`,
    ];
    const [a, b] = await Promise.all([new Context().run(() => flow('a', 1)), new Context().run(() => flow('b', 3))]);
    assertEqual(a, expected('a'), 'flow a');
    assertEqual(b, expected('b'), 'flow b');
  }),
);

test(
  'for (await using x of …): each iteration disposes, takes the next item and runs in the loop scope',
  isolated(async () => {
    const seen = [];
    function* items() {
      for (let i = 0; i < 2; i++) {
        seen.push(`next:${v.get()}`);
        yield {
          async [Symbol.asyncDispose]() {
            await sleep(1);
            seen.push(`dispose ${i}:${v.get()}`);
          },
        };
      }
    }
    v.set('loop');
    for (await using _x of items()) seen.push(`body:${v.get()}`);
    seen.push(v.get());
    assertEqual(seen, ['next:loop', 'body:loop', 'dispose 0:loop', 'next:loop', 'body:loop', 'dispose 1:loop', 'loop']);
  }),
);

test(
  "untransformed code (new Function) sees the empty scope after its own await, never another flow's value",
  isolated(async () => {
    const untransformed = new Function('v', 'sleep', 'return (async () => { await sleep(1); return v.get(); })()');
    const out = await Promise.all(
      [1, 2, 3].map((i) =>
        new Context().run(() => {
          v.set(i);
          return untransformed(v, sleep);
        }),
      ),
    );
    assertEqual(out, ['d', 'd', 'd']);
  }),
);

const FLOWS = 1000;
const SEED = 20261201;
test(`1,000 concurrent flows awaiting fetches and timers in seeded random order (seed ${SEED}): 0 mismatches`, async () => {
  const next = random(SEED);
  const plans = Array.from({ length: FLOWS }, () =>
    Array.from({ length: 4 }, () => [next() < 0.5 ? 'fetch' : 'timer', Math.floor(next() * 4)]),
  );
  let mismatches = 0;
  const flow = async (i) => {
    v.set(i);
    for (const [kind, ms] of plans[i]) {
      if (kind === 'fetch') {
        const body = await (await fetch(`/delay?ms=${ms}&echo=${i}`)).text();
        if (body !== String(i)) mismatches++;
      } else {
        await sleep(ms);
      }
      if (v.get() !== i) mismatches++;
    }
  };
  await gather(...plans.map((_, i) => () => flow(i)));
  assertEqual(mismatches, 0, 'mismatches');
});

// Trusted events: the harness clicks #target once window.contextvarsReady is set.
const clickCase =
  'events: a click the browser fires (isTrusted) starts from the empty scope, whatever was current at addEventListener';
const clicked = new Promise((resolve) => {
  const button = document.getElementById('target');
  new Context().run(() => {
    v.set('at-addEventListener');
    button.addEventListener('click', async (event) => {
      const first = v.get();
      v.set('click');
      await sleep(1);
      resolve([event.isTrusted, first, v.get()]);
    });
  });
});

void (async () => {
  const results = await runCases();
  globalThis.contextvarsReady = true;
  await runCase(results, clickCase, async () => assertEqual(await clicked, [true, 'd', 'click']));
  globalThis.contextvarsResults = results;
})();
