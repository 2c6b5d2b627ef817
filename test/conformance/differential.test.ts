/**
 * The same programs in Python and in TypeScript, compared line by line:
 * python3 runs the Python side (each case in a task of its own, in a fresh
 * Context), and each TypeScript case runs in a fresh Context. Where the two
 * differ, the difference is one docs/semantics.md documents (D1-D4), named
 * beside the case with what this library gives; every other case must give
 * Python's exact output.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { Context, ContextVar, type Token } from '../../src/index.ts';
import { canRun, needs } from '../support/programs.ts';

const v = new ContextVar<string>('v', { default: 'd' });
const sleep = (): Promise<void> => delay(1);

interface Case {
  /** The body of `async def case(log)`, where `v`, `sleep()` and `log` are defined. */
  readonly python: string;
  readonly typescript: (log: string[]) => Promise<void>;
  /** A documented difference: its name and what this library logs instead. */
  readonly differs?: { readonly as: 'D1' | 'D3' | 'D4'; readonly log: readonly string[] };
}

const cases: Record<string, Case> = {
  'scoped change across await': {
    python: `
    async def f():
        t = v.set('x'); await sleep(); r = v.get(); v.reset(t); return r
    log.append(await f()); log.append(v.get())`,
    typescript: async (log) => {
      const f = async () => {
        const t = v.set('x');
        await sleep();
        const r = v.get();
        v.reset(t);
        return r;
      };
      log.push(await f(), v.get());
    },
  },
  'synchronous out-of-order resets': {
    python: `
    t1 = v.set('1'); t2 = v.set('2'); v.reset(t1); log.append(v.get()); v.reset(t2); log.append(v.get())`,
    typescript: async (log) => {
      const t1 = v.set('1');
      const t2 = v.set('2');
      v.reset(t1);
      log.push(v.get());
      v.reset(t2);
      log.push(v.get());
    },
  },
  'a token reset after an await in the same flow': {
    python: `
    t = v.set('x'); await sleep(); log.append(v.get()); v.reset(t); log.append(v.get())`,
    typescript: async (log) => {
      const t = v.set('x');
      await sleep();
      log.push(v.get());
      v.reset(t);
      log.push(v.get());
    },
  },
  "a helper resets its caller's token after an await": {
    python: `
    async def helper(t):
        await sleep(); v.reset(t); return v.get()
    t = v.set('c'); log.append(await helper(t)); log.append(v.get())`,
    typescript: async (log) => {
      const helper = async (t: Token<string>) => {
        await sleep();
        v.reset(t);
        return v.get();
      };
      const t = v.set('c');
      log.push(await helper(t), v.get());
    },
  },
  'out-of-order reset after an await in a helper': {
    python: `
    async def helper():
        t1 = v.set('1'); v.set('2'); await sleep(); v.reset(t1); return v.get()
    log.append(await helper()); log.append(v.get())`,
    typescript: async (log) => {
      const helper = async () => {
        const t1 = v.set('1');
        v.set('2');
        await sleep();
        v.reset(t1);
        return v.get();
      };
      log.push(await helper(), v.get());
    },
    differs: { as: 'D4', log: ['d', '2'] },
  },
  'a helper resets, after an await, a token its caller set over': {
    python: `
    async def helper(t):
        await sleep(); v.reset(t); return v.get()
    t = v.set('c'); v.set('c2'); log.append(await helper(t)); log.append(v.get())`,
    typescript: async (log) => {
      const helper = async (t: Token<string>) => {
        await sleep();
        v.reset(t);
        return v.get();
      };
      const t = v.set('c');
      v.set('c2');
      log.push(await helper(t), v.get());
    },
    differs: { as: 'D4', log: ['d', 'c2'] },
  },
  "a helper sets before its first await, then resets its caller's token": {
    python: `
    async def helper(t):
        v.set('h'); await sleep(); v.reset(t); return v.get()
    t = v.set('c'); log.append(await helper(t)); log.append(v.get())`,
    typescript: async (log) => {
      const helper = async (t: Token<string>) => {
        v.set('h');
        await sleep();
        v.reset(t);
        return v.get();
      };
      const t = v.set('c');
      log.push(await helper(t), v.get());
    },
    differs: { as: 'D4', log: ['d', 'h'] },
  },
  'a set before the first await of an awaited helper': {
    python: `
    async def helper():
        v.set('p'); await sleep()
    await helper(); log.append(v.get())`,
    typescript: async (log) => {
      const helper = async () => {
        v.set('p');
        await sleep();
      };
      await helper();
      log.push(v.get());
    },
  },
  'a set after an await in an awaited helper': {
    python: `
    async def helper():
        await sleep(); v.set('h')
    await helper(); log.append(v.get())`,
    typescript: async (log) => {
      const helper = async () => {
        await sleep();
        v.set('h');
      };
      await helper();
      log.push(v.get());
    },
    differs: { as: 'D3', log: ['d'] },
  },
};

function runPython(): Record<string, string[]> {
  const functions = Object.entries(cases)
    .map(([, { python }], i) => `async def case_${i}(log):${python}\n`)
    .join('\n');
  const program = `
import asyncio, contextvars, json
v = contextvars.ContextVar('v', default='d')
async def sleep(): await asyncio.sleep(0.001)
${functions}
async def main():
    out = []
    for case in [${Object.keys(cases)
      .map((_, i) => `case_${i}`)
      .join(', ')}]:
        log = []
        await asyncio.create_task(case(log), context=contextvars.Context())
        out.append(log)
    print(json.dumps(out))
asyncio.run(main())
`;
  const child = spawnSync('python3', ['-c', program], { encoding: 'utf8' });
  assert.equal(child.status, 0, child.stderr);
  const logs = JSON.parse(child.stdout) as string[][];
  return Object.fromEntries(Object.keys(cases).map((name, i) => [name, logs[i] ?? []]));
}

const python3 = needs('python3', canRun('python3'));

describe(python3.name('the same programs under CPython and here'), python3.options, () => {
  const expected = python3.present ? runPython() : {};
  for (const [name, { typescript, differs }] of Object.entries(cases)) {
    test(differs === undefined ? name : `${name} (${differs.as})`, async () => {
      const log: string[] = [];
      await new Context().run(typescript, log);
      const python = expected[name];
      if (differs === undefined) {
        assert.deepEqual(log, python, 'the same output as CPython');
      } else {
        assert.notDeepEqual(python, differs.log, `CPython gives what ${differs.as} says differs: update the case`);
        assert.deepEqual(log, differs.log, `the output ${differs.as} in docs/semantics.md documents`);
      }
    });
  }
});
