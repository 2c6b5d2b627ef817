/**
 * ContextVarBaggagePropagator: a string ContextVar travels as a W3C baggage
 * entry through OpenTelemetry's propagators, over real HTTP, across two hops
 * (client -> gateway -> backend) where the gateway never touches the
 * variable, for concurrent requests that each carry their own value.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  context,
  defaultTextMapGetter,
  defaultTextMapSetter,
  propagation,
  ROOT_CONTEXT,
  type TextMapPropagator,
} from '@opentelemetry/api';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { Context, ContextVar } from '../../../src/index.ts';
import { createTask } from '../../../src/asyncio/index.ts';
import {
  ContextVarBaggagePropagator,
  ContextVarContextManager,
} from '../../../src/integrations/opentelemetry/index.ts';
import { getText, listen } from '../../../examples/http.ts';

const tenant = new ContextVar<string>('tenant');
const plan = new ContextVar<string>('plan', { default: 'free' });

function propagator(): TextMapPropagator {
  return new ContextVarBaggagePropagator(
    new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }),
    { tenant, plan },
  );
}

describe('inject and extract', () => {
  test('inject adds the variables that have a value, keeps other entries, and a variable wins over its key', () => {
    new Context().run(() => {
      tenant.set('acme');
      const existing = propagation.createBaggage({ other: { value: '1' }, tenant: { value: 'stale' } });
      const headers: Record<string, string> = {};
      propagator().inject(propagation.setBaggage(ROOT_CONTEXT, existing), headers, defaultTextMapSetter);
      const entries = Object.fromEntries(
        headers['baggage']!.split(',').map((pair) => pair.split('=') as [string, string]),
      );
      // plan has only its default: no value, so no entry.
      assert.deepEqual(entries, { other: '1', tenant: 'acme' });
    });
  });

  test('inject with no variable set and no baggage writes no baggage header', () => {
    new Context().run(() => {
      const headers: Record<string, string> = {};
      propagator().inject(ROOT_CONTEXT, headers, defaultTextMapSetter);
      assert.equal(headers['baggage'], undefined);
    });
  });

  test('extract sets each variable found in the baggage, in the current frame only', () => {
    const ctx = new Context();
    const extracted = ctx.run(() =>
      propagator().extract(ROOT_CONTEXT, { baggage: 'tenant=globex,unrelated=x' }, defaultTextMapGetter),
    );
    assert.equal(ctx.get(tenant), 'globex');
    assert.equal(ctx.has(plan), false, 'a key absent from the baggage sets nothing');
    assert.equal(propagation.getBaggage(extracted)?.getEntry('unrelated')?.value, 'x');
    assert.equal(tenant.get('unset'), 'unset', 'the caller outside ctx is untouched');
  });

  test('refuses a non-propagator and a non-ContextVar', () => {
    assert.throws(() => new ContextVarBaggagePropagator({} as never, { tenant }), TypeError);
    assert.throws(() => new ContextVarBaggagePropagator(new W3CBaggagePropagator(), { tenant: 'x' as never }), {
      name: 'TypeError',
      message: /ContextVar for baggage key 'tenant'/,
    });
  });
});

describe('over HTTP with the global propagator', () => {
  before(() => {
    assert.ok(context.setGlobalContextManager(new ContextVarContextManager()));
    assert.ok(propagation.setGlobalPropagator(propagator()));
  });
  after(() => {
    context.disable();
    propagation.disable();
  });

  /** GET with the current context's propagation headers (as an instrumented client would). */
  function get(port: number, path: string): Promise<string> {
    const headers: Record<string, string> = {};
    propagation.inject(context.active(), headers);
    return getText(port, path, headers);
  }

  /** Extracts the incoming headers as an instrumented server would, then runs handle in that context. */
  function serve(handle: (request: http.IncomingMessage) => Promise<string>): http.Server {
    return http.createServer((request, response) => {
      const extracted = propagation.extract(context.active(), request.headers);
      void context.with(extracted, async () => response.end(await handle(request)));
    });
  }

  test("100 concurrent requests through a gateway that never reads the variable: the backend sees each request's own tenant", async () => {
    const REQUESTS = 100;
    const backend = serve(async (request) => {
      await sleep(Number(request.url!.slice(1)) % 4);
      return `${tenant.get('none')}/${plan.get()}`;
    });
    const backendPort = await listen(backend);
    // The gateway only forwards: its outgoing request carries what its extract set.
    const gateway = serve(async (request) => {
      await sleep(Number(request.url!.slice(1)) % 3);
      return get(backendPort, request.url!);
    });
    const gatewayPort = await listen(gateway);
    try {
      const answers = await Promise.all(
        Array.from({ length: REQUESTS }, (_, i) =>
          createTask(async () => {
            // Every third request sends no tenant: it must not see another request's.
            if (i % 3 !== 0) tenant.set(`tenant-${i}`);
            if (i % 2 === 0) plan.set('pro');
            await sleep(i % 5);
            return get(gatewayPort, `/${i}`);
          }),
        ),
      );
      let mismatches = 0;
      answers.forEach((answer, i) => {
        const expected = `${i % 3 !== 0 ? `tenant-${i}` : 'none'}/${i % 2 === 0 ? 'pro' : 'free'}`;
        if (answer !== expected) mismatches++;
      });
      assert.equal(mismatches, 0);
    } finally {
      gateway.close();
      backend.close();
    }
  });
});
