/**
 * The parts of the HTTP benchmark's two untyped dev dependencies that it
 * uses (declared here rather than adding two more @types packages).
 */
declare module 'cls-hooked' {
  export interface Namespace {
    run(fn: () => void): void;
    runAndReturn<R>(fn: () => R): R;
    set<T>(key: string, value: T): T;
    get(key: string): unknown;
  }
  export function createNamespace(name: string): Namespace;
}

declare module 'autocannon' {
  interface Options {
    url: string;
    connections?: number;
    pipelining?: number;
    /** Seconds. */
    duration?: number;
    /** Milliseconds between samples; the run stops at the first sample after `duration`. */
    sampleInt?: number;
    /** Seconds before a request counts as a timeout. */
    timeout?: number;
  }
  interface Histogram {
    readonly average: number;
    readonly p50: number;
    readonly p99: number;
    readonly total: number;
  }
  interface Result {
    readonly duration: number;
    readonly errors: number;
    readonly timeouts: number;
    readonly non2xx: number;
    readonly resets: number;
    readonly latency: Histogram;
    readonly requests: Histogram;
  }
  function autocannon(options: Options, callback: (error: Error | null, result: Result) => void): unknown;
  export default autocannon;
}
