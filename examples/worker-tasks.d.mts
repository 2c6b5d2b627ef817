// Types of worker-tasks.mjs, for the TypeScript side of examples/worker-pool.ts.
import type { ContextVar } from 'contextvars';

export declare const requestId: ContextVar<string>;
export declare const tenant: ContextVar<string>;

export interface PrimeCount {
  readonly requestId: string;
  readonly tenant: string;
  readonly limit: number;
  readonly count: number;
  readonly threadId: number;
}
export declare function countPrimes(limit: number): PrimeCount;
