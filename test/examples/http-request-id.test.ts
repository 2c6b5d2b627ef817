/**
 * examples/http-request-id.ts: 200 concurrent requests over a few reused
 * keep-alive connections; every response and every log line carries the id
 * of its own request, and nothing set for one request reaches the next
 * request on the same connection.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { test } from 'node:test';
import { listen } from '../../examples/http.ts';
import { createRequestIdServer, getWithRequestId, requestId } from '../../examples/http-request-id.ts';

const LINE = /^\[(?<id>[^\]]+)\] (?:GET )?\/items\/(?<item>\d+) (?<step>arrived|started|loaded|item \d+ checked|done)$/;
const REQUESTS = 200;
const SOCKETS = 8;

/** Runs `count` concurrent requests; `idOf(i)` is the header to send (undefined: none). */
async function exercise(count: number, idOf: (i: number) => string | undefined) {
  const lines: string[] = [];
  const server = createRequestIdServer({ log: (line) => lines.push(line) });
  let connections = 0;
  server.on('connection', () => (connections += 1));
  const port = await listen(server);
  const agent = new http.Agent({ keepAlive: true, maxSockets: SOCKETS });
  try {
    const answers = await Promise.all(
      Array.from({ length: count }, (_, i) => getWithRequestId(port, `/items/${i}`, idOf(i), agent)),
    );
    return { answers, lines, connections };
  } finally {
    agent.destroy();
    server.close();
  }
}

/** Every line, grouped by the request (item number) it was logged for. */
function linesByItem(lines: readonly string[]): Map<number, { id: string; step: string }[]> {
  const byItem = new Map<number, { id: string; step: string }[]>();
  for (const line of lines) {
    const match = LINE.exec(line);
    assert.ok(match?.groups, `unexpected log line: ${line}`);
    const { id, item, step } = match.groups as { id: string; item: string; step: string };
    const entries = byItem.get(Number(item)) ?? [];
    entries.push({ id, step });
    byItem.set(Number(item), entries);
  }
  return byItem;
}

test('200 concurrent keep-alive requests: every response carries its own id', async () => {
  const { answers, connections } = await exercise(REQUESTS, (i) => `req-${i}`);
  // Connections were reused: handlers ran one after another on the same socket.
  assert.ok(connections <= SOCKETS, `${connections} connections for ${SOCKETS} sockets`);
  const mismatches = answers.filter(
    ({ header, body }, i) => body.requestId !== `req-${i}` || header !== `req-${i}` || body.path !== `/items/${i}`,
  );
  assert.deepEqual(mismatches, []);
});

test('200 concurrent keep-alive requests: every log line carries its own id, and "-" before the set', async () => {
  const { lines } = await exercise(REQUESTS, (i) => `req-${i}`);
  const byItem = linesByItem(lines);
  assert.equal(byItem.size, REQUESTS);
  const mismatches: string[] = [];
  for (const [item, entries] of byItem) {
    assert.deepEqual(
      entries.map((entry) => entry.step.replace(/^item \d+ checked$/, 'checked')),
      ['arrived', 'started', 'loaded', 'checked', 'done'],
    );
    for (const { id, step } of entries) {
      const expected = step === 'arrived' ? '-' : `req-${item}`;
      if (id !== expected) mismatches.push(`item ${item} ${step}: ${id}, expected ${expected}`);
    }
  }
  assert.deepEqual(mismatches, []);
});

test('requests without x-request-id get a fresh id each, used by every later log line', async () => {
  const { answers, lines } = await exercise(50, () => undefined);
  const ids = answers.map(({ body }) => body.requestId);
  assert.equal(new Set(ids).size, 50);
  for (const id of ids) assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-/);
  for (const [item, entries] of linesByItem(lines)) {
    const logged = entries.filter((entry) => entry.step !== 'arrived').map((entry) => entry.id);
    assert.deepEqual(logged, [ids[item], ids[item], ids[item], ids[item]]);
  }
});

test('the test itself, outside any request, still reads the default', () => {
  assert.equal(requestId.get(), '-');
});
