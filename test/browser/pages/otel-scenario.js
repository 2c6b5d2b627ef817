// The tracing scenario both OpenTelemetry pages run, with different context
// managers: a click handler that awaits two fetches (concurrently) and a
// timer inside nested startActiveSpan calls. The harness clicks twice, so two
// traces run at once. Finished spans go to window.otelSpans.
import { context, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { WebTracerProvider } from '@opentelemetry/sdk-trace-web';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export function runScenario(contextManager) {
  const exporter = new InMemorySpanExporter();
  const provider = new WebTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  context.setGlobalContextManager(contextManager.enable());
  trace.setGlobalTracerProvider(provider);
  const tracer = trace.getTracer('page');

  const traced = (name, url) =>
    tracer.startActiveSpan(name, async (span) => {
      const response = await fetch(url);
      await response.text();
      tracer.startActiveSpan(`${name} parse`, (child) => child.end());
      span.end();
    });

  let clicks = 0;
  document.getElementById('target').addEventListener('click', () =>
    tracer.startActiveSpan('click', async (click) => {
      const n = ++clicks;
      click.setAttribute('click', n);
      await tracer.startActiveSpan('load', async (load) => {
        await Promise.all([traced('fetch a', `/delay?ms=${4 - n}&echo=a`), traced('fetch b', `/delay?ms=${n}&echo=b`)]);
        await tracer.startActiveSpan('timer', async (timer) => {
          await sleep(2);
          tracer.startActiveSpan('after timer', (child) => child.end());
          timer.end();
        });
        load.end();
      });
      tracer.startActiveSpan('render', (render) => render.end());
      click.end();
      if (exporter.getFinishedSpans().filter((s) => s.name === 'click').length === 2) {
        globalThis.otelSpans = exporter.getFinishedSpans().map((s) => ({
          name: s.name,
          traceId: s.spanContext().traceId,
          spanId: s.spanContext().spanId,
          parentSpanId: s.parentSpanContext?.spanId,
        }));
      }
    }),
  );
  globalThis.otelReady = true;
}
