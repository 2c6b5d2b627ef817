/**
 * 10,000 concurrent flows, each following its own random plan through every
 * way JavaScript schedules work — setTimeout, setImmediate, setInterval,
 * process.nextTick, queueMicrotask, awaits, nested tasks, fan-out, scoped
 * changes — and 500 of them through a real socket round trip on 127.0.0.1.
 * Every flow checks its own value at every step; any value from another flow
 * is a mismatch, and there must be none.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Context, ContextVar } from '../../../src/index.ts';
import { createTask } from '../../../src/asyncio/index.ts';
import { type Random, seeded } from '../../support/random.ts';

const FLOWS = 10_000;
const SOCKET_EVERY = 20; // 500 of the flows also talk over a socket
const STEPS_PER_FLOW = 6;

const owner = new ContextVar<string>('owner', { default: 'nobody' });
const depth = new ContextVar<number>('depth', { default: 0 });

type Step =
  | 'timeout'
  | 'immediate'
  | 'interval'
  | 'nextTick'
  | 'microtask'
  | 'await'
  | 'task'
  | 'fanout'
  | 'scoped'
  | 'set';
const STEPS: readonly Step[] = [
  'timeout',
  'immediate',
  'interval',
  'nextTick',
  'microtask',
  'await',
  'task',
  'fanout',
  'scoped',
  'set',
];

/** The test's generator (seeded(), so a failure names its seed): every flow's plan and delays come from it. */
let random: Random;
const pick = <T>(items: readonly T[]): T => random.pick(items);
const shortDelay = (): number => random.between(0, 8);

interface Tally {
  checks: number;
  readonly mismatches: string[];
}

/** Reads both variables and records any value that is not this flow's. */
function checker(tally: Tally, id: number) {
  return (step: string, expectedOwner: string, expectedDepth: number): void => {
    tally.checks += 1;
    const seenOwner = owner.get();
    const seenDepth = depth.get();
    if (seenOwner !== expectedOwner || seenDepth !== expectedDepth) {
      tally.mismatches.push(
        `flow ${id} at ${step}: saw ${seenOwner}/${seenDepth}, expected ${expectedOwner}/${expectedDepth}`,
      );
    }
  };
}

/** An echo server whose handler sets its own value from the request and answers with it after a pause. */
async function startServer(tally: Tally): Promise<net.Server> {
  const server = net.createServer((socket) => {
    socket.once('data', (data) => {
      const request = data.toString();
      if (owner.get() !== 'nobody') tally.mismatches.push(`server saw ${owner.get()} before reading ${request}`);
      owner.set(`server:${request}`);
      setTimeout(() => socket.end(`${request}|${owner.get()}`), shortDelay());
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return server;
}

async function socketRoundTrip(port: number, mine: string, check: (step: string) => void): Promise<string> {
  const socket = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.once('connect', () => {
      check('socket connect');
      resolve();
    });
  });
  socket.write(mine);
  let reply = '';
  socket.on('data', (chunk) => {
    check('socket data');
    reply += String(chunk);
  });
  await once(socket, 'end');
  check('socket end');
  socket.destroy();
  return reply;
}

async function flow(id: number, tally: Tally, port: number): Promise<void> {
  const check = checker(tally, id);
  let mine = `flow-${id}`;
  let level = 1;
  owner.set(mine);
  depth.set(level);
  const here = (step: string): void => check(step, mine, level);
  here('start');

  for (let i = 0; i < STEPS_PER_FLOW; i++) {
    const step = pick(STEPS);
    switch (step) {
      case 'timeout':
        await new Promise<void>((resolve) =>
          setTimeout(() => {
            here('setTimeout');
            resolve();
          }, shortDelay()),
        );
        break;
      case 'immediate':
        await new Promise<void>((resolve) =>
          setImmediate(() => {
            here('setImmediate');
            process.nextTick(() => {
              here('nextTick inside setImmediate');
              resolve();
            });
          }),
        );
        break;
      case 'interval': {
        // A handle that calls back many times: a set in one tick must not reach the next.
        const expected = mine;
        await new Promise<void>((resolve) => {
          let ticks = 0;
          const interval = setInterval(() => {
            check('setInterval tick', expected, level);
            owner.set(`${expected}:tick${ticks}`);
            if (++ticks === 3) {
              clearInterval(interval);
              resolve();
            }
          }, 1);
        });
        break;
      }
      case 'nextTick':
        await new Promise<void>((resolve) =>
          process.nextTick(() => {
            here('process.nextTick');
            queueMicrotask(() => {
              here('queueMicrotask inside nextTick');
              resolve();
            });
          }),
        );
        break;
      case 'microtask':
        await new Promise<void>((resolve) =>
          queueMicrotask(() => {
            here('queueMicrotask');
            resolve();
          }),
        );
        break;
      case 'await':
        await null;
        here('await null');
        await Promise.resolve();
        here('await resolved promise');
        break;
      case 'task': {
        const childValue = `${mine}/task${i}`;
        const result = await createTask(async () => {
          here('task start');
          owner.set(childValue);
          depth.set(level + 1);
          await sleep(shortDelay());
          check('task after await', childValue, level + 1);
          return owner.get();
        });
        if (result !== childValue) tally.mismatches.push(`flow ${id}: task returned ${result}, expected ${childValue}`);
        here('after task');
        break;
      }
      case 'fanout': {
        // Async functions that set only after their first await do not change the caller (D3).
        await Promise.all(
          [0, 1, 2].map(async (branch) => {
            await null;
            const branchValue = `${mine}.${branch}`;
            owner.set(branchValue);
            await sleep(shortDelay());
            check('fan-out branch', branchValue, level);
          }),
        );
        here('after fan-out');
        break;
      }
      case 'scoped': {
        const outer = mine;
        {
          using _ = owner.set(`${outer}+scoped`);
          mine = `${outer}+scoped`;
          await sleep(shortDelay());
          here('inside scope');
        }
        mine = outer;
        here('after scope');
        break;
      }
      case 'set':
        mine = `flow-${id}#${i}`;
        level += 1;
        owner.set(mine);
        depth.set(level);
        await sleep(shortDelay());
        here('after set and sleep');
        break;
    }
  }

  if (port !== 0) {
    const reply = await socketRoundTrip(port, mine, here);
    if (reply !== `${mine}|server:${mine}`) tally.mismatches.push(`flow ${id}: socket reply ${reply}`);
    here('after socket');
  }
  here('end');
}

test(
  '10,000 concurrent flows through every scheduler and 500 sockets: zero mismatches',
  seeded(async (seededRandom) => {
    random = seededRandom;
    const tally: Tally = { checks: 0, mismatches: [] };
    const server = await startServer(tally);
    const { port } = server.address() as net.AddressInfo;
    try {
      await new Context().run(async () => {
        const flows: Promise<void>[] = [];
        for (let id = 0; id < FLOWS; id++) {
          const socketPort = id % SOCKET_EVERY === 0 ? port : 0;
          // Four ways a flow starts: a task, its own Context, a plain call, a timer at the root.
          switch (id % 4) {
            case 0:
              flows.push(createTask(() => flow(id, tally, socketPort)));
              break;
            case 1:
              flows.push(new Context().run(() => flow(id, tally, socketPort)));
              break;
            case 2:
              flows.push(flow(id, tally, socketPort));
              break;
            default:
              flows.push(
                new Promise((resolve) => setTimeout(() => resolve(flow(id, tally, socketPort)), shortDelay())),
              );
          }
        }
        await Promise.all(flows);
      });
    } finally {
      server.close();
    }
    assert.deepEqual(tally.mismatches.slice(0, 10), []);
    assert.equal(tally.mismatches.length, 0);
    // Every flow checked at its start, its end and at least once per step.
    assert.ok(tally.checks >= FLOWS * (STEPS_PER_FLOW + 2), `only ${tally.checks} checks ran`);
    assert.equal(owner.get(), 'nobody');
  }),
);
