/**
 * S10 on whatever runtime runs this file: a node:http server whose handler
 * sets a request id either keeps each request's id to its own response
 * (asynchronous propagation) or has its `set` refused with
 * UnsupportedRuntimeError (Node.js 20.0 to 20.15, where the library falls
 * back to synchronous propagation); never does a response carry another
 * request's id. scripts/test-runtimes.mjs runs it on Node 20.15 too.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { ContextVar, UnsupportedRuntimeError } from '../../../src/index.ts';
import { storageKind } from '../../../src/scope.ts';

const REQUESTS = 200;

test(`S10: ${REQUESTS} concurrent requests each read their own id, or their set is refused; none reads another's`, async (t) => {
  const requestId = new ContextVar<string>('requestId', { default: '-' });
  let refused = 0;
  const server = createServer((req, res) => {
    try {
      requestId.set(String(req.headers['x-id']));
    } catch (error) {
      if (!(error instanceof UnsupportedRuntimeError)) throw error;
      refused++;
    }
    setImmediate(() => res.end(requestId.get()));
  });
  await once(server.listen(0, '127.0.0.1'), 'listening');
  const { port } = server.address() as AddressInfo;
  try {
    const ids = Array.from({ length: REQUESTS }, (_, i) => `r${i}`);
    const answers = await Promise.all(
      ids.map((id) => fetch(`http://127.0.0.1:${port}`, { headers: { 'x-id': id } }).then((r) => r.text())),
    );
    const another = answers.filter((seen, i) => seen !== '-' && seen !== ids[i]).length;
    t.diagnostic(`storage ${storageKind}: ${refused} sets refused, ${another} responses with another request's id`);
    assert.equal(another, 0, "no response carries another request's id");
    if (storageKind === 'synchronous') {
      assert.equal(refused, REQUESTS, 'without asynchronous propagation every set outside a run is refused');
    } else {
      assert.equal(refused, 0);
      assert.deepEqual(answers, ids, 'with asynchronous propagation every response carries its own id');
    }
    assert.equal(requestId.get(), '-', 'nothing reaches the code outside the requests');
  } finally {
    server.close();
  }
});
