// Times the chains of chains.js, untransformed and transformed copies
// interleaved round by round, in the browser runtime with a ContextVar set,
// and reports every round's ns per await of each in window.benchResult.
import { Context } from 'contextvars';
import * as untransformed from './chains-untransformed.js';
import * as transformed from './chains-transformed.js';

async function once(chains, name, n) {
  const start = performance.now();
  await new Context().run(() => {
    chains.v.set(1);
    return chains[name](n);
  });
  return ((performance.now() - start) * 1e6) / n;
}

const params = new URLSearchParams(location.search);
const n = Number(params.get('n') ?? '200000');
const rounds = Number(params.get('rounds') ?? '9');
void (async () => {
  const result = {};
  for (const [label, name, count] of [
    ['await value', 'awaitValues', n],
    ['await Promise.resolve()', 'awaitPromises', n],
    ['await async call', 'awaitCalls', n / 2],
  ]) {
    await once(untransformed, name, count / 10);
    await once(transformed, name, count / 10);
    const samples = { untransformed: [], transformed: [] };
    for (let r = 0; r < rounds; r++) {
      samples.untransformed.push(await once(untransformed, name, count));
      samples.transformed.push(await once(transformed, name, count));
    }
    result[label] = samples;
  }
  globalThis.benchResult = result;
})();
