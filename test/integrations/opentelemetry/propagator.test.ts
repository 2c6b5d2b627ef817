/**
 * ContextVarPropagator: the variables declared with contextvars/propagation
 * carried by OpenTelemetry's propagation API, entered by
 * ContextVarContextManager's `with` in the frame of the extracted context;
 * then the real SDK with the http and undici instrumentations carrying them
 * between two services with no code of their own (a child process: the
 * instrumentations patch node:http when it is required).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import {
  context,
  defaultTextMapGetter,
  defaultTextMapSetter,
  propagation,
  ROOT_CONTEXT,
  trace,
} from '@opentelemetry/api';
import { CompositePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { Context, ContextVar } from '../../../src/index.ts';
import { ContextVarContextManager, ContextVarPropagator } from '../../../src/integrations/opentelemetry/index.ts';
import { codecs, propagate } from '../../../src/integrations/propagation/index.ts';

const tenant = propagate(new ContextVar<string>('tenant'));
const seats = propagate(new ContextVar<number>('seats'), { codec: codecs.number });
const propagator = new ContextVarPropagator();
const manager = new ContextVarContextManager();

describe('ContextVarPropagator with ContextVarContextManager', () => {
  before(() => {
    context.setGlobalContextManager(manager);
    propagation.setGlobalPropagator(
      new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), propagator] }),
    );
  });
  after(() => {
    context.disable();
    propagation.disable();
  });

  test('inject writes the current values over the context baggage, keeping its other entries', () => {
    new Context().run(() => {
      tenant.set('acme');
      const baggage = propagation.createBaggage({ other: { value: 'a b' }, tenant: { value: 'stale' } });
      const headers: Record<string, string> = {};
      propagator.inject(propagation.setBaggage(ROOT_CONTEXT, baggage), headers, defaultTextMapSetter);
      assert.equal(headers['baggage'], 'other=a%20b,tenant=acme');
    });
  });

  test('extract keeps every entry as baggage; with() enters the declared ones for its callback only', () => {
    const extracted = propagator.extract(
      ROOT_CONTEXT,
      { baggage: 'tenant=acme,seats=3,other=1,seats2=x' },
      defaultTextMapGetter,
    );
    assert.deepEqual(
      propagation
        .getBaggage(extracted)
        ?.getAllEntries()
        .map(([key, entry]) => `${key}=${entry.value}`),
      ['tenant=acme', 'seats=3', 'other=1', 'seats2=x'],
    );
    assert.equal(tenant.get('-'), '-', 'extract sets nothing by itself');
    const seen = context.with(extracted, () => `${tenant.get()}/${seats.get()}`);
    assert.equal(seen, 'acme/3');
    assert.equal(tenant.get('-'), '-');
  });

  test('with() over an extracted context forwards this and the arguments, and enters the values once', () => {
    const extracted = propagator.extract(ROOT_CONTEXT, { baggage: 'tenant=acme,seats=2' }, defaultTextMapGetter);
    function handle(this: { prefix: string }, a: number, b: number): string {
      return `${this.prefix} ${tenant.get()} ${seats.get() + a + b} ${manager.active() === extracted}`;
    }
    assert.equal(context.with(extracted, handle, { prefix: 'got' }, 3, 4), 'got acme 9 true');
    assert.equal(
      context.with(extracted, (a: number) => `${tenant.get()} ${a}`, undefined, 1),
      'acme 1',
    );
  });

  test('a nested with() over a derived context leaves what the handler set since', () => {
    const extracted = propagator.extract(ROOT_CONTEXT, { baggage: 'tenant=acme' }, defaultTextMapGetter);
    const span = trace.wrapSpanContext({ traceId: '1'.repeat(32), spanId: '2'.repeat(16), traceFlags: 1 });
    const seen = context.with(extracted, () => {
      tenant.set('changed by the handler');
      return context.with(trace.setSpan(context.active(), span), () => tenant.get());
    });
    assert.equal(seen, 'changed by the handler');
  });

  test('a context with no declared entries enters nothing; a malformed value is dropped', () => {
    const none = propagator.extract(ROOT_CONTEXT, { baggage: 'other=1,seats=many' }, defaultTextMapGetter);
    assert.equal(
      context.with(none, () => `${tenant.get('-')}/${seats.get(-1)}`),
      '-/-1',
    );
    assert.equal(propagator.extract(ROOT_CONTEXT, {}, defaultTextMapGetter), ROOT_CONTEXT);
    assert.deepEqual(propagator.fields(), ['baggage']);
  });

  test('through the global API: inject on one side, extract and with on the other', () => {
    const headers: Record<string, string> = {};
    new Context([[seats, 12]]).run(() => propagation.inject(context.active(), headers));
    assert.equal(headers['baggage'], 'seats=12');
    const seen = context.with(propagation.extract(ROOT_CONTEXT, headers), () => seats.get());
    assert.equal(seen, 12);
  });
});

const services = fileURLToPath(new URL('./fixtures/otel-services.cjs', import.meta.url));

test('the real SDK, http and undici instrumentations: 200 concurrent requests across two services', async () => {
  const { stdout } = await promisify(execFile)(process.execPath, [services, '200'], { timeout: 60_000 });
  const report = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}');
  console.log(
    `opentelemetry: ${report.requests} requests, ${report.mismatches} mismatches, ${report.parented}/${report.serverSpans} server spans parented by a client span`,
  );
  assert.equal(report.mismatches, 0, JSON.stringify(report.examples));
  assert.equal(report.empty, '-/-1|-/-1|-/-1', 'a request without values arrives without values');
  // 200 requests through front and back, and the one without values.
  assert.equal(report.serverSpans, 402);
  assert.equal(report.parented, report.serverSpans, 'a server span without its client span as parent');
  assert.equal(report.tracesWithServerSpans, 201);
});
