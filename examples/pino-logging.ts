/**
 * Structured request logging with pino: `logFields` turns the request's
 * ContextVars into fields that pino's `mixin` adds to every line, wherever
 * the line is logged (deep in a helper, after awaits, in a timer), without
 * passing the request or a child logger around. Concurrent requests never
 * see each other's fields.
 *
 * Run it with `node --import tsx examples/pino-logging.ts`. In your own
 * project, import from 'contextvars' and 'contextvars/logging'.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { pino, type DestinationStream, type Logger } from 'pino';
import { ContextVar } from '../src/index.ts';
import { logFields } from '../src/integrations/logging.ts';
import { getText, listen } from './http.ts';

/** The id of the request being handled; unset outside requests, so lines there carry none. */
export const requestId = new ContextVar<string>('requestId');
/** Who made the request. */
export const user = new ContextVar<string>('user', { default: 'anonymous' });

/** A pino logger whose every line carries the current requestId and user. */
export function createLogger(destination: DestinationStream = process.stdout): Logger {
  return pino({ base: null, timestamp: false, mixin: logFields({ requestId, user }) }, destination);
}

/** Stands for a database call deep in the code: it logs without knowing about requests. */
async function loadOrders(logger: Logger): Promise<number> {
  await sleep(Math.random() * 10);
  const count = Math.floor(Math.random() * 5);
  logger.info({ count }, 'orders loaded');
  return count;
}

/** An http.Server that sets the request's variables once, then just logs. */
export function createServer(logger: Logger): http.Server {
  return http.createServer(async (request, response) => {
    const header = request.headers['x-request-id'];
    requestId.set(typeof header === 'string' && header !== '' ? header : randomUUID());
    const name = request.headers['x-user'];
    if (typeof name === 'string') user.set(name);
    logger.info({ path: request.url }, 'request received');
    const orders = await loadOrders(logger);
    setTimeout(() => {
      logger.info({ orders }, 'responding');
      response.end(requestId.get());
    }, Math.random() * 5);
  });
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const logger = createLogger();
  const server = createServer(logger);
  const port = await listen(server);
  logger.info('listening'); // outside any request: no requestId, user 'anonymous'
  await Promise.all([
    getText(port, '/orders', { 'x-request-id': 'req-1', 'x-user': 'ada' }),
    getText(port, '/orders', { 'x-request-id': 'req-2', 'x-user': 'grace' }),
    getText(port, '/orders', { 'x-request-id': 'req-3' }),
  ]);
  server.close();
}
