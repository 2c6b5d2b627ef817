/**
 * A job enqueued during a request is processed with that request's values:
 * BullMQ on a real Redis (Debian's redis-server, started here on a free port
 * of 127.0.0.1 without persistence, and stopped), the values carried in the
 * job's data as a baggage header (`inject` when adding, `extract` around
 * the processor). 50 concurrent requests enqueue 10 jobs each; one job of
 * each request fails its first attempt and is retried.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import http from 'node:http';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { Queue, Worker } from 'bullmq';
import { ContextVar } from '../../../src/index.ts';
import { codecs, extract, inject, propagate } from '../../../src/integrations/propagation/index.ts';
import { listen } from '../../../examples/http.ts';
import { canRun, needs } from '../../support/programs.ts';

const REQUESTS = 50;
const JOBS_PER_REQUEST = 10;
const redis = needs('redis-server', canRun('redis-server'));

const tenant = propagate(new ContextVar<string>('tenant'));
const user = propagate(new ContextVar<number>('user'), { codec: codecs.number });

/** A port nothing listens on now. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** redis-server on `port`, resolved once it accepts connections. */
async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  await new Promise<void>((resolve, reject) => {
    let output = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
      if (output.includes('Ready to accept connections')) resolve();
    });
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`redis-server exited (${code}): ${output}`)));
  });
  return child;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

interface JobData {
  readonly headers: Record<string, string>;
  /** What the request was told, from its path: never from a variable. */
  readonly expected: string;
  readonly failFirst: boolean;
}

test(
  redis.name('500 jobs from 50 concurrent requests run with their request values, retries too'),
  redis.options,
  async () => {
    const port = await freePort();
    const server = await startRedis(port);
    const connection = { host: '127.0.0.1', port, maxRetriesPerRequest: null };
    const queue = new Queue<JobData>('propagation', { connection });
    const seen: Array<{ expected: string; got: string; attempt: number }> = [];
    let done!: () => void;
    const allDone = new Promise<void>((resolve) => (done = resolve));
    let completed = 0;
    const worker = new Worker<JobData>(
      'propagation',
      (job) =>
        extract(job.data.headers, async () => {
          seen.push({
            expected: job.data.expected,
            got: `${tenant.get('-')}/${user.get(-1)}`,
            attempt: job.attemptsMade,
          });
          if (job.data.failFirst && job.attemptsMade === 0) throw new Error('the first attempt fails');
        }),
      { connection, concurrency: 25 },
    );
    worker.on('completed', () => {
      if (++completed === REQUESTS * JOBS_PER_REQUEST) done();
    });
    const app = http.createServer((request, response) =>
      extract(request.headers, async () => {
        const expected = (request.url ?? '').slice(1);
        for (let n = 0; n < JOBS_PER_REQUEST; n++) {
          await queue.add('job', { headers: inject({}), expected, failFirst: n === 0 }, { attempts: 2 });
        }
        response.end('queued');
      }),
    );
    const appPort = await listen(app);
    try {
      await Promise.all(
        Array.from(
          { length: REQUESTS },
          (_, i) =>
            new Promise<void>((resolve, reject) => {
              http
                .get(
                  {
                    host: '127.0.0.1',
                    port: appPort,
                    path: `/t${i}/${i}`,
                    headers: { baggage: `tenant=t${i},user=${i}` },
                  },
                  (response) => {
                    response.resume().on('end', resolve);
                  },
                )
                .on('error', reject);
            }),
        ),
      );
      await allDone;
      const mismatches = seen.filter(({ expected, got }) => expected !== got);
      const retried = seen.filter(({ attempt }) => attempt === 1);
      console.log(
        `bullmq: ${completed} jobs, ${seen.length} attempts, ${retried.length} retries, ${mismatches.length} mismatches`,
      );
      assert.equal(completed, REQUESTS * JOBS_PER_REQUEST);
      assert.equal(retried.length, REQUESTS, 'one job per request was retried');
      assert.equal(seen.length, REQUESTS * JOBS_PER_REQUEST + REQUESTS);
      assert.deepEqual(mismatches, []);
      assert.equal(new Set(seen.map(({ got }) => got)).size, REQUESTS, 'each request had values of its own');
    } finally {
      app.close();
      await worker.close();
      await queue.close();
      await stop(server);
    }
  },
);
