// Bundled twice by bench/browser-await.ts, with and without contextvars/bundler.
// Times await chains with a ContextVar set, in the browser runtime, and
// reports ns per await in window.benchResult.
import { Context, ContextVar } from 'contextvars';

const v = new ContextVar('v', { default: 0 });

async function awaitValues(n) {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += await i;
  return sum;
}
async function awaitPromises(n) {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += await Promise.resolve(i);
  return sum;
}
async function awaitCalls(n) {
  const leaf = async (i) => { await null; return v.get() + i; };
  let sum = 0;
  for (let i = 0; i < n; i++) sum += await leaf(i);
  return sum;
}

async function time(fn, n, rounds) {
  const samples = [];
  for (let r = 0; r < rounds; r++) {
    const start = performance.now();
    await new Context().run(() => { v.set(1); return fn(n); });
    samples.push(((performance.now() - start) * 1e6) / n);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)];
}

const params = new URLSearchParams(location.search);
const n = Number(params.get('n') ?? '200000');
const rounds = Number(params.get('rounds') ?? '7');
(async () => {
  await time(awaitValues, n / 10, 2); // warm-up
  globalThis.benchResult = {
    'await value': await time(awaitValues, n, rounds),
    'await Promise.resolve()': await time(awaitPromises, n, rounds),
    'await async call': await time(awaitCalls, n / 2, rounds),
  };
})();
