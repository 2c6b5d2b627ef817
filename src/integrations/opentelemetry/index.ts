/**
 * OpenTelemetry's context propagation on a ContextVar: a `ContextManager`
 * (the interface of `@opentelemetry/api`) whose active context is the value
 * of a ContextVar. Spans then follow the same rules as every other variable:
 * `await`, timers, I/O, `createTask`, `callLater`, `bind` and
 * `copyContext().run` carry the active span with them.
 *
 * {@link ContextVarBaggagePropagator} carries chosen string variables to
 * other services as W3C baggage entries, through any propagator.
 *
 * @module
 */
export { ContextVarBaggagePropagator } from './baggage.ts';
export { type ContextAttachment, ContextVarContextManager } from './manager.ts';
export { ContextVarPropagator } from './propagator.ts';
