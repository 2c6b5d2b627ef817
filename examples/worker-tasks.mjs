// The task module of examples/worker-pool.ts, and the module that creates the
// shared variables: the main thread imports it for the variables, each worker
// imports it for the tasks, so both sides create the same keys.
//
// Plain JavaScript on the built package: a worker runs it with plain Node
// (Node 20 runs no `--import` loader such as tsx in workers).
import { threadId } from 'node:worker_threads';
import { sharedContextVar } from 'contextvars/worker';

/** The request being served; copied into the worker that runs its task. */
export const requestId = sharedContextVar('example.requestId', { default: '-' });
/** The tenant the request belongs to. */
export const tenant = sharedContextVar('example.tenant', { default: 'none' });

/** CPU-bound work that still knows which request it serves, without being told. */
export function countPrimes(limit) {
  const sieve = new Uint8Array(limit);
  let count = 0;
  for (let n = 2; n < limit; n++) {
    if (sieve[n] === 0) {
      count++;
      for (let multiple = n * n; multiple < limit; multiple += n) sieve[multiple] = 1;
    }
  }
  return { requestId: requestId.get(), tenant: tenant.get(), limit, count, threadId };
}
