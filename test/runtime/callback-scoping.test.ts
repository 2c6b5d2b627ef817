/**
 * The assumption behind the 'async-context-frame' storage (Node 24+, Bun,
 * Deno): a value set with `enterWith` lasts until the end of the callback that
 * set it. Here each connection to a root server sets a value in its socket's
 * 'data' callback; the next connection's callback must start clean. This is
 * the smallest form of SEMANTICS S7 and the case Deno 2.9 fails (see
 * docs/runtimes.md); scripts/test-runtimes.mjs runs it on every runtime.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import { test } from 'node:test';
import { ContextVar } from '../../src/index.ts';

const request = new ContextVar<string>('request', { default: 'none' });

test("a value set in one connection's data callback does not reach the next connection", async () => {
  const seenAtStart: string[] = [];
  const server = net.createServer((socket) => {
    socket.once('data', (data) => {
      seenAtStart.push(request.get());
      request.set(data.toString());
      socket.end(request.get());
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  const replies: string[] = [];
  try {
    for (let i = 0; i < 3; i++) {
      const client = net.connect(port, '127.0.0.1', () => client.write(`client-${i}`));
      let reply = '';
      client.on('data', (chunk) => (reply += chunk));
      await once(client, 'close');
      replies.push(reply);
    }
  } finally {
    server.close();
  }
  assert.deepEqual(replies, ['client-0', 'client-1', 'client-2']);
  assert.deepEqual(seenAtStart, ['none', 'none', 'none']);
  assert.equal(request.get(), 'none');
});
