// The await chains bench/browser/run.ts times. It is copied twice into the
// bench page, once left alone and once compiled by contextvars/bundler, so
// both run interleaved in one page under the same load.
import { ContextVar } from 'contextvars';

export const v = new ContextVar('v', { default: 0 });

export async function awaitValues(n) {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += await i;
  return sum;
}

export async function awaitPromises(n) {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += await Promise.resolve(i);
  return sum;
}

const leaf = async (i) => {
  await null;
  return v.get() + i;
};

export async function awaitCalls(n) {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += await leaf(i);
  return sum;
}
