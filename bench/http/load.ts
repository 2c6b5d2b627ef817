/**
 * Child process of the HTTP benchmark: the load generator (autocannon), in a
 * process of its own so that its CPU time is never billed to the server.
 * Each `{ type: 'load', url, connections, pipelining, seconds }` message over the IPC
 * channel runs one bounded autocannon run and answers `{ type: 'loaded', ... }`;
 * `{ type: 'ready' }` says the child has loaded autocannon.
 *
 * Usage: forked by bench/http/run.ts.
 *
 * @module
 */
import autocannon from 'autocannon';

export interface LoadRequest {
  readonly type: 'load';
  readonly url: string;
  readonly connections: number;
  readonly pipelining: number;
  readonly seconds: number;
}

export interface LoadResult {
  readonly type: 'loaded';
  readonly requests: number;
  readonly seconds: number;
  /** Latency percentiles in milliseconds (autocannon records whole milliseconds). */
  readonly p50: number;
  readonly p99: number;
  /** Errors, timeouts and non-2xx answers: any is a broken run. */
  readonly failures: number;
}

if (process.send === undefined)
  throw new Error('bench/http/load.ts runs as a child of bench/http/run.ts (it needs an IPC channel)');

process.on('message', (message: LoadRequest) => {
  if (message.type !== 'load') return;
  autocannon(
    {
      url: message.url,
      connections: message.connections,
      pipelining: message.pipelining,
      duration: message.seconds,
      // The run stops at the first sample after `duration`: sample often so it stops on time.
      sampleInt: 100,
      timeout: 10,
    },
    (error, result) => {
      if (error !== null) throw error;
      const reply: LoadResult = {
        type: 'loaded',
        requests: result.requests.total,
        seconds: result.duration,
        p50: result.latency.p50,
        p99: result.latency.p99,
        failures: result.errors + result.timeouts + result.non2xx,
      };
      process.send?.(reply);
    },
  );
});
process.on('disconnect', () => process.exit(0));
process.send({ type: 'ready' });
