/**
 * OpenTelemetry tracing on ContextVars: ContextVarContextManager is the
 * global context manager, so the active span follows each request across
 * awaits, timers and this library's tasks. A client sends three concurrent
 * requests, each inside its own span, and the W3C `traceparent` header
 * carries it to the server; the program prints each trace as a tree.
 *
 * Run it with `node --import tsx examples/opentelemetry.ts`. In your own
 * project, import from 'contextvars' and 'contextvars/opentelemetry'.
 */
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { context, propagation, trace, type Span } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import { gather } from '../src/asyncio/index.ts';
import { ContextVarContextManager } from '../src/integrations/opentelemetry/index.ts';
import { getText, listen } from './http.ts';

/** Registers the context manager, a tracer provider and the W3C propagator; returns the span store. */
export function setUpTracing(): { exporter: InMemorySpanExporter; provider: BasicTracerProvider } {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  context.setGlobalContextManager(new ContextVarContextManager().enable());
  trace.setGlobalTracerProvider(provider);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  return { exporter, provider };
}

const tracer = trace.getTracer('example');

/** Runs fn in a new active span, ending it when fn settles. */
export function inSpan<T>(name: string, fn: (span: Span) => Promise<T>): Promise<T> {
  return tracer.startActiveSpan(name, async (span) => {
    try {
      return await fn(span);
    } finally {
      span.end();
    }
  });
}

/** The server: continues the caller's trace, then does its work in child spans. */
export function createServer(): http.Server {
  return http.createServer((request, response) => {
    const parent = propagation.extract(context.active(), request.headers);
    void context.with(parent, () =>
      inSpan(`GET ${request.url}`, async () => {
        // Two lookups at once, as tasks: each span's parent is still the request span.
        await gather(
          () => inSpan('db.query', () => sleep(Math.random() * 10)),
          () => inSpan('cache.get', () => sleep(Math.random() * 10)),
        );
        // A timer scheduled in the request keeps the request span as parent.
        setTimeout(() => {
          tracer.startSpan('render').end();
          response.end('ok');
        }, Math.random() * 5);
      }),
    );
  });
}

/** A client call inside its own span, sending the span along as `traceparent`. */
export function callServer(port: number, path: string): Promise<string> {
  return inSpan(`client ${path}`, async () => {
    const headers: Record<string, string> = {};
    propagation.inject(context.active(), headers);
    return getText(port, path, headers);
  });
}

/** Each trace as an indented tree of span names, children sorted by name. */
export function traceTrees(spans: readonly ReadableSpan[]): string[] {
  const children = new Map<string | undefined, ReadableSpan[]>();
  for (const span of spans) {
    const parent = span.parentSpanContext?.spanId;
    children.set(parent, [...(children.get(parent) ?? []), span]);
  }
  const render = (span: ReadableSpan, depth: number): string[] => [
    `${'  '.repeat(depth)}${span.name}`,
    ...(children.get(span.spanContext().spanId) ?? [])
      .sort((a, b) => a.name.localeCompare(b.name))
      .flatMap((child) => render(child, depth + 1)),
  ];
  return (children.get(undefined) ?? [])
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((root) => render(root, 0).join('\n'));
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { exporter, provider } = setUpTracing();
  const server = createServer();
  const port = await listen(server);
  await Promise.all(['/orders/1', '/orders/2', '/orders/3'].map((path) => callServer(port, path)));
  server.close();
  for (const tree of traceTrees(exporter.getFinishedSpans())) console.log(`${tree}\n`);
  await provider.shutdown();
}
