/**
 * The Node side of the Python example: calls service.py with the current
 * values as W3C baggage (`inject`), serves the callback the Python service
 * makes with its values (`extract`), and reads the values Python answers
 * with from the response's `baggage` header (`extract` again).
 *
 *   node --import tsx examples/python-baggage/node-side.ts
 */
import { type ChildProcess, spawn } from 'node:child_process';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { Context, ContextVar } from 'contextvars';
import { codecs, extract, inject, propagate } from 'contextvars/propagation';
import { listen } from '../http.ts';

export const tenant = propagate(new ContextVar<string>('tenant'));
export const user = propagate(new ContextVar<number>('user'), { codec: codecs.number });
/** Set by the Python service: the values it sends back come with it. */
export const via = propagate(new ContextVar<string>('via'));

/** Starts service.py with `python3` and resolves with it and the port it listens on. */
export async function startPythonService(
  python = 'python3',
): Promise<{ readonly child: ChildProcess; readonly port: number }> {
  const script = fileURLToPath(new URL('./service.py', import.meta.url));
  const child = spawn(python, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout?.setEncoding('utf8').once('data', (line: string) => resolve(Number(line.trim())));
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`service.py exited (${code}) before listening`)));
  });
  return { child, port };
}

/** The callback Python makes: answers the values it arrived with, as `tenant/user/via`. */
export function createCallbackServer(): http.Server {
  return http.createServer((request, response) =>
    extract(request.headers, () => response.end(`${tenant.get('-')}/${user.get(-1)}/${via.get('-')}`)),
  );
}

/** What a call to the Python service came back with. */
export interface PythonReply {
  /** What Python's variables held, from its JSON body. */
  readonly body: { path: string; tenant: string | null; user: number | null; calledBack: string | null };
  /** What the variables hold here after reading Python's `baggage` response header. */
  readonly returned: string;
}

/** GET `path` on the Python service with the current values; Python calls back `callbackPort`. */
export function callPython(port: number, path: string, callbackPort: number): Promise<PythonReply> {
  const headers = inject<Record<string, string>>({ 'x-callback-port': String(callbackPort) });
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, headers, agent: false }, (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () => {
          const returned = extract(response.headers, () => `${tenant.get('-')}/${user.get(-1)}/${via.get('-')}`);
          resolve({ body: JSON.parse(text), returned });
        });
      })
      .on('error', reject);
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { child, port } = await startPythonService();
  const callbacks = createCallbackServer();
  const callbackPort = await listen(callbacks);
  try {
    const reply = await new Context([
      [tenant, 'acme'],
      [user, 7],
    ]).run(() => callPython(port, '/hello', callbackPort));
    console.log(JSON.stringify(reply));
  } finally {
    callbacks.close();
    child.kill();
  }
}
