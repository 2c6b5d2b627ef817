/**
 * CPU-bound work in worker threads that still knows which request it serves:
 * each request sets `requestId` and `tenant` (shared variables, created in
 * worker-tasks.mjs, which both sides import), and the task running in a
 * pooled worker reads them as if it ran in the request's own flow. A value
 * a worker could not receive is refused before the task is queued.
 *
 * Run it with `npm run build && node --import tsx examples/worker-pool.ts`
 * (the workers load the built package).
 */
import { pathToFileURL } from 'node:url';
import { createTask } from 'contextvars/asyncio';
import { ContextCloneError, runInWorker, sharedContextVar, WorkerPool } from 'contextvars/worker';
import { requestId, tenant, type countPrimes } from './worker-tasks.mjs';

const tasks = new URL('./worker-tasks.mjs', import.meta.url);

/** Serves one request: sets its variables, then counts primes in a pooled worker. */
export function serve(pool: WorkerPool, id: string, tenantName: string, limit: number) {
  return createTask(async () => {
    requestId.set(id);
    tenant.set(tenantName);
    return pool.run<typeof countPrimes>(tasks, 'countPrimes', [limit]);
  });
}

/** A callback cannot be copied into a worker: the call is refused, naming the variable. */
export async function refuseCallback(): Promise<string> {
  const onDone = sharedContextVar<() => void>('example.onDone');
  return createTask(async () => {
    onDone.set(() => {});
    try {
      await runInWorker<typeof countPrimes>(tasks, 'countPrimes', [10]);
      return 'not refused';
    } catch (error) {
      return error instanceof ContextCloneError ? `refused: ${error.key}` : `unexpected: ${String(error)}`;
    }
  });
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const pool = new WorkerPool({ size: 2 });
  const requests: Array<[string, string, number]> = [
    ['req-1', 'acme', 100_000],
    ['req-2', 'globex', 200_000],
    ['req-3', 'acme', 50_000],
    ['req-4', 'initech', 10_000],
  ];
  const results = await Promise.all(requests.map(([id, name, limit]) => serve(pool, id, name, limit)));
  for (const result of results) {
    console.log(`${result.requestId} (${result.tenant}): ${result.count} primes below ${result.limit}`);
  }
  console.log(`threads used: ${new Set(results.map((result) => result.threadId)).size} of ${pool.size}`);
  console.log(await refuseCallback());
  await pool.terminate();
}
