/** examples/worker-pool.ts: run as a program, each request's task reads its own requestId and tenant in a pooled worker. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runExample } from '../support/run-example.ts';

test("examples/worker-pool.ts runs: each request's task reads its own requestId and tenant in a pooled worker", async () => {
  const { code, stdout } = await runExample('worker-pool.ts');
  assert.equal(code, 0);
  assert.deepEqual(stdout.trim().split('\n'), [
    'req-1 (acme): 9592 primes below 100000',
    'req-2 (globex): 17984 primes below 200000',
    'req-3 (acme): 5133 primes below 50000',
    'req-4 (initech): 1229 primes below 10000',
    'threads used: 2 of 2',
    'refused: example.onDone',
  ]);
});
