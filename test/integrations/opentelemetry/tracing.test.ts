/**
 * ContextVarContextManager as OpenTelemetry's context propagation, with the
 * real SDK (BasicTracerProvider, SimpleSpanProcessor, InMemorySpanExporter):
 * nested spans across awaits, timers, this library's tasks, and concurrent
 * real HTTP requests (client spans propagated to the server by the W3C
 * trace-context header) all get the right parents.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, beforeEach, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { context, propagation, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import { ContextVar, copyContext } from '../../../src/index.ts';
import { callLater, createTask, gather } from '../../../src/asyncio/index.ts';
import { ContextVarContextManager } from '../../../src/integrations/opentelemetry/index.ts';
import { listen } from '../../../examples/http.ts';
import { inSpan } from '../../../examples/opentelemetry.ts';

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const manager = new ContextVarContextManager();
const tracer = trace.getTracer('contextvars-test');

before(() => {
  assert.ok(context.setGlobalContextManager(manager.enable()), 'no other context manager is registered');
  assert.ok(trace.setGlobalTracerProvider(provider));
  assert.ok(propagation.setGlobalPropagator(new W3CTraceContextPropagator()));
});

after(async () => {
  await provider.shutdown();
  context.disable();
  trace.disable();
  propagation.disable();
});

beforeEach(() => exporter.reset());

function spanNamed(name: string): ReadableSpan {
  const found = exporter.getFinishedSpans().filter((span) => span.name === name);
  assert.equal(found.length, 1, `exactly one finished span named ${name}`);
  return found[0]!;
}

function assertParent(childName: string, parentName: string): void {
  const child = spanNamed(childName);
  const parent = spanNamed(parentName);
  assert.equal(child.parentSpanContext?.spanId, parent.spanContext().spanId, `${childName}'s parent is ${parentName}`);
  assert.equal(child.spanContext().traceId, parent.spanContext().traceId);
}

test('nested spans across awaits get their enclosing span as parent; siblings do not nest', async () => {
  await inSpan('root', async () => {
    await sleep(2);
    await inSpan('child-a', async () => {
      await sleep(1);
      await inSpan('grandchild', async () => sleep(1));
      await sleep(1);
    });
    // After child-a settled the active span is root again.
    await inSpan('child-b', async () => sleep(1));
  });
  assertParent('child-a', 'root');
  assertParent('grandchild', 'child-a');
  assertParent('child-b', 'root');
  assert.equal(spanNamed('root').parentSpanContext, undefined);
  assert.equal(trace.getActiveSpan(), undefined, 'nothing stays active outside');
});

test('timers, setImmediate, process.nextTick and callLater keep the span that was active when they were scheduled', async () => {
  const fired: Promise<void>[] = [];
  const childIn = (name: string): Promise<void> =>
    new Promise((resolve) => {
      tracer.startSpan(name).end();
      resolve();
    });
  await inSpan('scheduler', async () => {
    fired.push(new Promise((resolve) => setTimeout(() => resolve(childIn('from-setTimeout')), 5)));
    fired.push(new Promise((resolve) => setImmediate(() => resolve(childIn('from-setImmediate')))));
    fired.push(new Promise((resolve) => process.nextTick(() => resolve(childIn('from-nextTick')))));
    fired.push(new Promise((resolve) => callLater(3, () => resolve(childIn('from-callLater')))));
  });
  await Promise.all(fired);
  for (const name of ['from-setTimeout', 'from-setImmediate', 'from-nextTick', 'from-callLater']) {
    assertParent(name, 'scheduler');
  }
});

test('createTask, gather and copyContext().run carry the active span into their flows', async () => {
  let captured: ReturnType<typeof copyContext> | undefined;
  await inSpan('outer', async () => {
    await createTask(async () => {
      await sleep(1);
      await inSpan('in-task', async () => sleep(1));
    });
    await gather(
      async () => inSpan('gathered-1', async () => sleep(2)),
      async () => inSpan('gathered-2', async () => sleep(1)),
    );
    captured = copyContext();
  });
  // The captured Context still holds 'outer' as the active span after it ended.
  captured!.run(() => tracer.startSpan('in-captured-context').end());
  for (const name of ['in-task', 'gathered-1', 'gathered-2', 'in-captured-context']) assertParent(name, 'outer');
});

test('a ContextVar set inside a span and the span itself follow the same flow', async () => {
  const step = new ContextVar<string>('step', { default: 'none' });
  const seen: Array<[string, string | undefined]> = [];
  await Promise.all(
    ['a', 'b', 'c'].map((name) =>
      createTask(() =>
        inSpan(`flow-${name}`, async () => {
          step.set(name);
          await sleep(name === 'a' ? 5 : 1);
          const active = trace.getActiveSpan() as unknown as ReadableSpan;
          seen.push([step.get(), active.name]);
        }),
      ),
    ),
  );
  assert.deepEqual(seen.sort(), [
    ['a', 'flow-a'],
    ['b', 'flow-b'],
    ['c', 'flow-c'],
  ]);
});

test('100 concurrent HTTP requests: each server span is the child of its own client span, and its children are its own', async () => {
  const REQUESTS = 100;
  let leaked = 0;
  // The server is created at the root: each request gets its own flow (docs/semantics.md, S7).
  const server = http.createServer((request, response) => {
    if (trace.getActiveSpan() !== undefined) leaked++;
    const parent = propagation.extract(context.active(), request.headers);
    const id = String(request.headers['x-request']);
    context.with(parent, () => {
      void inSpan(`server ${id}`, async (span) => {
        span.setAttribute('request', id);
        await sleep(Number(id) % 7);
        await inSpan(`db ${id}`, async () => sleep(Number(id) % 3));
        await new Promise<void>((resolve) =>
          setTimeout(() => {
            tracer.startSpan(`timer ${id}`).end();
            resolve();
          }, Number(id) % 5),
        );
        response.end(trace.getActiveSpan()?.spanContext().spanId);
      });
    });
  });
  const port = await listen(server);
  try {
    const answers = await Promise.all(
      Array.from({ length: REQUESTS }, (_, i) =>
        inSpan(`client ${i}`, async () => {
          const headers: Record<string, string> = { 'x-request': String(i) };
          propagation.inject(context.active(), headers);
          return new Promise<string>((resolve, reject) => {
            http
              .get({ host: '127.0.0.1', port, path: `/${i}`, headers, agent: false }, (response) => {
                let body = '';
                response.setEncoding('utf8');
                response.on('data', (chunk: string) => (body += chunk));
                response.on('end', () => resolve(body));
              })
              .on('error', reject);
          });
        }),
      ),
    );
    let mismatches = 0;
    for (let i = 0; i < REQUESTS; i++) {
      const serverSpan = spanNamed(`server ${i}`);
      const clientSpan = spanNamed(`client ${i}`);
      if (answers[i] !== serverSpan.spanContext().spanId) mismatches++;
      if (serverSpan.parentSpanContext?.spanId !== clientSpan.spanContext().spanId) mismatches++;
      if (serverSpan.spanContext().traceId !== clientSpan.spanContext().traceId) mismatches++;
      for (const child of [`db ${i}`, `timer ${i}`]) {
        if (spanNamed(child).parentSpanContext?.spanId !== serverSpan.spanContext().spanId) mismatches++;
      }
    }
    assert.equal(mismatches, 0);
    assert.equal(leaked, 0, "no request handler starts with another request's span active");
    assert.equal(exporter.getFinishedSpans().length, REQUESTS * 4);
  } finally {
    server.close();
  }
});
