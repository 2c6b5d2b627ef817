/**
 * CPython's C implementation of contextvars, on the same machine in the same
 * run: bench/core/cpython_contextvars.py times it with timeit. It is started once
 * as a server on two FIFOs and asked for one round at a time, which the
 * harness interleaves with the JavaScript rounds of the same group, so the
 * ratios pair samples taken under the same machine load.
 *
 * Why one long-lived process and synchronous FIFOs: starting a process per
 * round forks this one, and after a fork every page the parent writes first
 * takes a copy-on-write fault, which billed milliseconds to whichever
 * allocating JavaScript case ran next (ctx.run measured 8x slower).
 *
 * @module
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ClockKind } from '../lib/harness.ts';

const SCRIPT = fileURLToPath(new URL('./cpython_contextvars.py', import.meta.url));

const LABELS: Record<string, string> = {
  'get.set': 'ContextVar.get() (value set)',
  'get.default': 'ContextVar.get() (default)',
  run: 'Context.run(fn)',
};

export function cpythonLabel(id: string): string {
  const known = LABELS[id];
  if (known !== undefined) return `CPython ${known}`;
  const [operation = id, size = ''] = id.split('.');
  return `CPython ${operation === 'setReset' ? `t = v.set(x); v.reset(t) @${size} vars` : `copy_context() @${size} vars`}`;
}

export class CPythonSession {
  readonly version: string;
  readonly #clock: ClockKind;
  readonly #numbers: Record<string, number>;
  readonly #server: Server;

  private constructor(server: Server, version: string, clock: ClockKind, numbers: Record<string, number>) {
    this.#server = server;
    this.version = version;
    this.#clock = clock;
    this.#numbers = numbers;
  }

  /** A calibrated session for `cases`, or the reason python3 cannot provide one. */
  static start(
    cases: readonly string[],
    sampleSeconds: number,
    clock: ClockKind,
  ): CPythonSession | { skipped: string } {
    const python = process.env['PYTHON'] ?? 'python3';
    const server = Server.start(python);
    if ('skipped' in server) return server;
    try {
      const answer = server.ask({ mode: 'calibrate', cases, sampleSeconds, clock }) as {
        python: string;
        implementation: string;
        numbers: Record<string, number>;
      };
      return new CPythonSession(server, `${answer.implementation} ${answer.python}`, clock, answer.numbers);
    } catch (error) {
      server.close();
      return { skipped: `${python} could not calibrate: ${String(error)}` };
    }
  }

  /** One sample (ns per op) of each of `cases`. */
  round(cases: readonly string[]): Record<string, number> {
    const numbers: Record<string, number> = {};
    for (const id of cases) {
      const number = this.#numbers[id];
      if (number === undefined) throw new RangeError(`CPython case ${id} was not calibrated`);
      numbers[id] = number;
    }
    return (this.#server.ask({ mode: 'round', numbers, clock: this.#clock }) as { samples: Record<string, number> })
      .samples;
  }

  close(): void {
    this.#server.close();
  }
}

/** The Python process and the two FIFOs it serves on; requests block until answered. */
class Server {
  readonly #child: ChildProcess;
  readonly #directory: string;
  readonly #requests: number;
  readonly #responses: number;
  #pending = '';

  private constructor(child: ChildProcess, directory: string, requests: number, responses: number) {
    this.#child = child;
    this.#directory = directory;
    this.#requests = requests;
    this.#responses = responses;
  }

  static start(python: string): Server | { skipped: string } {
    const check = spawnSync(python, ['-c', 'import contextvars, timeit'], { encoding: 'utf8' });
    if (check.error !== undefined) return { skipped: `${python} did not start: ${check.error.message}` };
    if (check.status !== 0) return { skipped: `${python} cannot import contextvars: ${check.stderr}` };
    const directory = mkdtempSync(join(tmpdir(), 'contextvars-bench-'));
    const requestPath = join(directory, 'requests');
    const responsePath = join(directory, 'responses');
    const fifo = spawnSync('mkfifo', [requestPath, responsePath], { encoding: 'utf8' });
    if (fifo.status !== 0) {
      rmSync(directory, { recursive: true, force: true });
      return { skipped: `mkfifo failed: ${fifo.error?.message ?? fifo.stderr}` };
    }
    const child = spawn(python, [SCRIPT, '--serve', requestPath, responsePath], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    // Opening a FIFO blocks until the other end opens it; Python opens them in the same order.
    const requests = openSync(requestPath, 'w');
    const responses = openSync(responsePath, 'r');
    return new Server(child, directory, requests, responses);
  }

  ask(request: object): unknown {
    writeSync(this.#requests, `${JSON.stringify(request)}\n`);
    const buffer = Buffer.alloc(65536);
    while (!this.#pending.includes('\n')) {
      const read = readSync(this.#responses, buffer, 0, buffer.length, null);
      if (read === 0) throw new Error('the CPython benchmark server exited (see its error above)');
      this.#pending += buffer.toString('utf8', 0, read);
    }
    const end = this.#pending.indexOf('\n');
    const line = this.#pending.slice(0, end);
    this.#pending = this.#pending.slice(end + 1);
    return JSON.parse(line) as unknown;
  }

  close(): void {
    closeSync(this.#requests);
    closeSync(this.#responses);
    this.#child.kill();
    rmSync(this.#directory, { recursive: true, force: true });
  }
}
