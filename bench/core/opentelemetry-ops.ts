/**
 * OpenTelemetry's hot path, `contextManager.with(ctx, fn)` (every
 * `startActiveSpan` and every bound callback goes through it), on this
 * library's ContextVarContextManager next to OpenTelemetry's own
 * AsyncLocalStorageContextManager.
 *
 * @module
 */
import { createContextKey, ROOT_CONTEXT } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { ContextVarContextManager } from '../../src/integrations/opentelemetry/index.ts';
import type { BenchGroup } from './context-ops.ts';

/** `manager.with(ctx, fn)` on both managers, each inside a context it entered first (as in a traced request). */
function withGroup(): BenchGroup {
  const key = createContextKey('bench');
  const outer = ROOT_CONTEXT.setValue(key, 'outer');
  const inner = outer.setValue(key, 'inner');
  const ours = new ContextVarContextManager().enable();
  const theirs = new AsyncLocalStorageContextManager().enable();
  const work = (i: number): number => i + 1;
  return {
    name: 'opentelemetry with',
    cases: [
      {
        id: 'otel.with.contextvars',
        label: 'ContextVarContextManager.with(ctx, fn)',
        op: (i) => ours.with(inner, work, undefined, i),
        within: (batch) => ours.with(outer, batch),
      },
      {
        id: 'otel.with.als',
        label: 'AsyncLocalStorageContextManager.with(ctx, fn)',
        op: (i) => theirs.with(inner, work, undefined, i),
        within: (batch) => theirs.with(outer, batch),
      },
    ],
  };
}

export function opentelemetryGroups(): BenchGroup[] {
  return [withGroup()];
}
