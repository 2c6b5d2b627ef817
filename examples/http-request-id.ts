/**
 * Request-scoped logging on node:http: the handler stores the request's id
 * (from the `x-request-id` header, or a new one) in a ContextVar, and `log()`
 * picks it up wherever it is called, across awaits and timers, without the
 * id being passed around. Concurrent requests, including requests that share
 * a keep-alive connection, never see each other's id.
 *
 * Run it with `node --import tsx examples/http-request-id.ts`. In your own
 * project, import from 'contextvars'.
 */
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { ContextVar } from '../src/index.ts';
import { listen } from './http.ts';

/** The id of the request being handled; `-` outside any request. */
export const requestId = new ContextVar<string>('requestId', { default: '-' });

/** Where log lines go. */
export type LogSink = (line: string) => void;

export interface RequestIdServerOptions {
  /** Receives every log line. Default: console.log. */
  readonly log?: LogSink;
}

/** What the server answers: the id the handler saw when it finished. */
export interface RequestIdResponse {
  readonly requestId: string;
  readonly path: string;
}

/** An http.Server whose handler logs through a context-aware `log()`. */
export function createRequestIdServer(options: RequestIdServerOptions = {}): http.Server {
  const sink = options.log ?? console.log;

  /** Prefixes each line with the current request's id, read from the context. */
  function log(message: string): void {
    sink(`[${requestId.get()}] ${message}`);
  }

  /** Stands for a database call: a pause, and a log line from deep inside. */
  async function loadItem(path: string): Promise<string> {
    await sleep(Math.random() * 10);
    log(`${path} loaded`);
    return path.slice(path.lastIndexOf('/') + 1);
  }

  async function handleRequest(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const path = request.url ?? '/';
    // Not set yet: this line carries '-', whatever an earlier request on the
    // same keep-alive connection set.
    log(`${request.method} ${path} arrived`);
    const header = request.headers['x-request-id'];
    requestId.set(typeof header === 'string' && header !== '' ? header : randomUUID());

    log(`${path} started`);
    const item = await loadItem(path);
    await new Promise<void>((resolve) =>
      setTimeout(() => {
        log(`${path} item ${item} checked`);
        resolve();
      }, Math.random() * 5),
    );
    await new Promise((resolve) => setImmediate(resolve));
    log(`${path} done`);

    const body: RequestIdResponse = { requestId: requestId.get(), path };
    response.setHeader('content-type', 'application/json');
    response.setHeader('x-request-id', body.requestId);
    response.end(JSON.stringify(body));
  }

  return http.createServer((request, response) => {
    handleRequest(request, response).catch((error: unknown) => {
      log(`${request.url} failed: ${String(error)}`);
      response.statusCode = 500;
      response.end();
    });
  });
}

/** GET `path` with an optional `x-request-id`, through `agent`; resolves to the parsed answer. */
export async function getWithRequestId(
  port: number,
  path: string,
  id: string | undefined,
  agent: http.Agent,
): Promise<{ readonly header: string | undefined; readonly body: RequestIdResponse }> {
  const request = http.get({
    host: '127.0.0.1',
    port,
    path,
    agent,
    headers: id === undefined ? {} : { 'x-request-id': id },
  });
  const [response] = (await once(request, 'response')) as [http.IncomingMessage];
  let text = '';
  for await (const chunk of response) text += String(chunk);
  const header = response.headers['x-request-id'];
  return { header: typeof header === 'string' ? header : undefined, body: JSON.parse(text) as RequestIdResponse };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const server = createRequestIdServer();
  const port = await listen(server);
  // Two connections for five requests: some requests reuse a connection.
  const agent = new http.Agent({ keepAlive: true, maxSockets: 2 });
  const answers = await Promise.all(
    ['a', 'b', 'c', 'd', 'e'].map((id, i) => getWithRequestId(port, `/items/${i}`, `req-${id}`, agent)),
  );
  for (const { body } of answers) console.log(`answered ${body.path} as ${body.requestId}`);
  agent.destroy();
  server.close();
}
