/**
 * examples/python-baggage: a Python asyncio service (standard library only)
 * reads the baggage into its own ContextVars, calls the Node side back with
 * them and answers with them: 50 concurrent requests, each with its own
 * values, which must arrive in Python, come back in the callback and come
 * back in the response, with one value Python added.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Context } from 'contextvars';
import {
  callPython,
  createCallbackServer,
  startPythonService,
  tenant,
  user,
} from '../../examples/python-baggage/node-side.ts';
import { listen } from '../../examples/http.ts';
import { canRun, needs } from '../support/programs.ts';

const REQUESTS = 50;
const python = needs('python3', canRun('python3'));

test(
  python.name(`${REQUESTS} concurrent requests: values reach Python and come back, both ways`),
  python.options,
  async () => {
    const { child, port } = await startPythonService();
    const callbacks = createCallbackServer();
    const callbackPort = await listen(callbacks);
    try {
      const replies = await Promise.all(
        Array.from({ length: REQUESTS }, (_, i) =>
          new Context([
            [tenant, `t${i}, "π"`],
            [user, i],
          ]).run(() => callPython(port, `/${i}`, callbackPort)),
        ),
      );
      let mismatches = 0;
      replies.forEach((reply, i) => {
        const expected = `t${i}, "π"/${i}/python`;
        const ok =
          reply.body.tenant === `t${i}, "π"` &&
          reply.body.user === i &&
          reply.body.calledBack === expected &&
          reply.returned === expected;
        if (!ok) mismatches++;
      });
      console.log(`python: ${REQUESTS} requests, ${mismatches} mismatches`);
      assert.deepEqual(replies[3], {
        body: { path: '/3', tenant: 't3, "π"', user: 3, calledBack: 't3, "π"/3/python' },
        returned: 't3, "π"/3/python',
      });
      assert.equal(mismatches, 0);
      // Without values, nothing arrives and nothing comes back.
      const empty = await callPython(port, '/none', callbackPort);
      assert.deepEqual(empty, {
        body: { path: '/none', tenant: null, user: null, calledBack: '-/-1/python' },
        returned: '-/-1/python',
      });
    } finally {
      callbacks.close();
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill();
      await exited;
    }
  },
);
