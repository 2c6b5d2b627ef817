// What the OpenTelemetry interaction pages run, each with its own context
// manager: WebTracerProvider with the document-load, user-interaction, fetch
// and XMLHttpRequest instrumentations, and a click handler that waits until
// all INTERACTIONS clicks are in flight, then awaits a fetch and an XHR inside
// its own span, starting a span after each (native async/await: the page is
// built for esnext). The harness clicks #target INTERACTIONS times; spans go
// to globalThis.otelSpans().
import { context, trace } from '@opentelemetry/api';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { DocumentLoadInstrumentation } from '@opentelemetry/instrumentation-document-load';
import { FetchInstrumentation } from '@opentelemetry/instrumentation-fetch';
import { UserInteractionInstrumentation } from '@opentelemetry/instrumentation-user-interaction';
import { XMLHttpRequestInstrumentation } from '@opentelemetry/instrumentation-xml-http-request';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { WebTracerProvider } from '@opentelemetry/sdk-trace-web';

const INTERACTIONS = 50;

function xhr(url) {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open('GET', url);
    request.onload = () => resolve(request.responseText);
    request.onerror = () => reject(new Error(`XHR ${url} failed`));
    request.send();
  });
}

export function runInteractions(contextManager) {
  const exporter = new InMemorySpanExporter();
  const provider = new WebTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  context.setGlobalContextManager(contextManager.enable());
  trace.setGlobalTracerProvider(provider);
  registerInstrumentations({
    instrumentations: [
      new DocumentLoadInstrumentation(),
      new UserInteractionInstrumentation(),
      new FetchInstrumentation(),
      new XMLHttpRequestInstrumentation(),
    ],
  });
  const tracer = trace.getTracer('page');

  let clicked = 0;
  let finished = 0;
  let allInFlight;
  const gate = new Promise((resolve) => {
    allInFlight = resolve;
  });
  document.getElementById('target').addEventListener('click', () =>
    tracer.startActiveSpan('handle', async (handle) => {
      const n = ++clicked;
      handle.setAttribute('interaction', n);
      if (n === INTERACTIONS) allInFlight();
      await gate;
      const response = await fetch(`/delay?ms=${n % 4}&echo=${n}`);
      await response.text();
      tracer.startActiveSpan('parse', { attributes: { interaction: n } }, (span) => span.end());
      await xhr(`/delay?ms=${(n * 7) % 4}&echo=${n}`);
      tracer.startActiveSpan('render', { attributes: { interaction: n } }, (span) => span.end());
      handle.end();
      finished++;
    }),
  );

  globalThis.otelInteractions = INTERACTIONS;
  globalThis.otelFinished = () => finished;
  globalThis.otelSpans = () =>
    exporter.getFinishedSpans().map((s) => {
      const url = String(s.attributes['http.url'] ?? s.attributes['url.full'] ?? '');
      const echo = /[?&]echo=(\d+)/.exec(url)?.[1];
      return {
        name: s.name,
        scope: s.instrumentationScope.name,
        traceId: s.spanContext().traceId,
        spanId: s.spanContext().spanId,
        parentSpanId: s.parentSpanContext?.spanId,
        interaction: s.attributes.interaction ?? (echo === undefined ? undefined : Number(echo)),
      };
    });
  globalThis.otelReady = true;
}
