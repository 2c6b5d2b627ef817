/**
 * Child process of the callback benchmarks, the cost of ending each callback's
 * scope on Node 20 and 22 (async_hooks `after`): a chain of `setImmediate`
 * callbacks, or a loop of keep-alive HTTP requests, each callback setting a
 * value with the library (`v.set`) or with raw AsyncLocalStorage
 * (`enterWith`). Prints one JSON line: ns per callback (or request).
 *
 * Usage: node --expose-gc --import tsx bench/core/callback-chain-child.ts <mode> <count> <repeats> [cpu|wall]
 *   mode: library.immediate | als.immediate | library.http | als.http
 *
 * @module
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { now, useClock } from '../lib/harness.ts';

const CALLBACK_MODES = ['library.immediate', 'als.immediate', 'library.http', 'als.http'] as const;
type Mode = (typeof CALLBACK_MODES)[number];

const [modeArgument = '', countArgument = '', repeatsArgument = '', clockArgument = 'cpu'] = process.argv.slice(2);
if (!(CALLBACK_MODES as readonly string[]).includes(modeArgument)) {
  throw new TypeError(`mode must be one of ${CALLBACK_MODES.join(', ')}, got '${modeArgument}'`);
}
const mode = modeArgument as Mode;
const count = Number(countArgument);
const repeats = Number(repeatsArgument);
if (!Number.isInteger(count) || count < 1 || !Number.isInteger(repeats) || repeats < 1) {
  throw new RangeError(`count and repeats must be positive integers, got '${countArgument}' '${repeatsArgument}'`);
}
if (clockArgument !== 'cpu' && clockArgument !== 'wall')
  throw new TypeError(`clock must be cpu or wall, got '${clockArgument}'`);
useClock(clockArgument);

/**
 * What each callback does to its context: set one value. (An immediate
 * inherits the value its scheduler set, S1; a request starts from the
 * server's scope, S7, which the library checks.)
 */
async function makeSetter(): Promise<(i: number) => void> {
  if (mode.startsWith('als.')) {
    const als = new AsyncLocalStorage<{ readonly i: number }>();
    return (i) => als.enterWith({ i });
  }
  const { ContextVar } = await import('../../src/index.ts');
  const v = new ContextVar<number>('v', { default: -1 });
  const fresh = mode === 'library.http';
  return (i) => {
    if (fresh && v.get() !== -1) throw new Error('a request started with the previous request value');
    v.set(i);
  };
}

function immediateChain(setter: (i: number) => void, total: number): Promise<void> {
  return new Promise((resolve) => {
    let i = 0;
    const step = (): void => {
      setter(i);
      if (++i === total) resolve();
      else setImmediate(step);
    };
    setImmediate(step);
  });
}

async function httpLoop(setter: (i: number) => void): Promise<(total: number) => Promise<void>> {
  let served = 0;
  const server = http.createServer((_request, response) => {
    setter(served++);
    response.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const get = (): Promise<void> =>
    new Promise((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port, agent }, (response) => {
          response.resume();
          response.on('end', resolve);
        })
        .on('error', reject);
    });
  process.on('exit', () => server.close());
  return async (total) => {
    for (let i = 0; i < total; i++) await get();
  };
}

const setter = await makeSetter();
const run = mode.endsWith('.http') ? await httpLoop(setter) : (total: number) => immediateChain(setter, total);
await run(Math.min(count, 2_000));
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
const nsPerCallback: number[] = [];
for (let r = 0; r < repeats; r++) {
  gc();
  const start = now();
  await run(count);
  nsPerCallback.push((now() - start) / count);
}
process.stdout.write(`${JSON.stringify({ mode, count, nsPerCallback })}\n`);
process.exit(0);
