/**
 * Type-level tests of the integrations: `npm run typecheck` fails when one of
 * their public signatures regresses. Nothing here runs.
 */
import type { ContextManager, TextMapPropagator } from '@opentelemetry/api';
import { ContextVar, type Token } from '../../src/index.ts';
import { logFields, type LogFields } from '../../src/integrations/logging.ts';
import { ContextVarBaggagePropagator, ContextVarContextManager } from '../../src/integrations/opentelemetry.ts';
import {
  runInWorker,
  sharedContextVar,
  WorkerAbortError,
  WorkerPool,
  WorkerTimeoutError,
  type RunInWorkerOptions,
} from '../../src/integrations/worker.ts';

type Equal<A, B> = (<X>() => X extends A ? 1 : 2) extends <X>() => X extends B ? 1 : 2 ? true : false;
function expectType<T extends true>(_proof?: T): void {}

// logFields: each field optional, typed by its variable.
const requestId = new ContextVar<string>('requestId');
const attempt = new ContextVar('attempt', { default: 0 });
const fields = logFields({ requestId, attempt })();
expectType<Equal<typeof fields, { requestId?: string; attempt?: number }>>();
expectType<Equal<LogFields<{ user: ContextVar<{ id: number }> }>, { user?: { id: number } }>>();
// @ts-expect-error: a field must be a ContextVar
logFields({ requestId: 'r-1' });

// The manager is an OpenTelemetry ContextManager; attach returns a Token of the OTel context.
const manager: ContextManager = new ContextVarContextManager();
const token = new ContextVarContextManager().attach(manager.active());
expectType<Equal<typeof token, Token<ReturnType<ContextManager['active']>>>>();
const propagator: TextMapPropagator = new ContextVarBaggagePropagator(propagator0(), { tenant: new ContextVar<string>('t') });
// @ts-expect-error: baggage values are strings
new ContextVarBaggagePropagator(propagator, { attempt });
declare function propagator0(): TextMapPropagator;

// Workers: the task's type gives the arguments and the result.
declare function resize(path: string, width: number): Promise<{ bytes: number }>;
const resized = runInWorker<typeof resize>('/srv/tasks.js', 'resize', ['a.png', 64]);
expectType<Equal<typeof resized, Promise<{ bytes: number }>>>();
// @ts-expect-error: the arguments must match the task's parameters
void runInWorker<typeof resize>('/srv/tasks.js', 'resize', ['a.png']);
const pooled = new WorkerPool({ size: 2 }).run<typeof resize>('/srv/tasks.js', 'resize', ['a.png', 64]);
expectType<Equal<typeof pooled, Promise<{ bytes: number }>>>();
const shared = sharedContextVar<string>('app.requestId');
expectType<Equal<typeof shared, ContextVar<string>>>();
// Per-call limits: an AbortSignal and a timeout in milliseconds.
void runInWorker<typeof resize>('/srv/tasks.js', 'resize', ['a.png', 64], {
  signal: AbortSignal.timeout(1000),
  timeout: 500,
});
// @ts-expect-error: the timeout is a number of milliseconds
void runInWorker('/srv/tasks.js', 'resize', [], { timeout: '5s' });
// @ts-expect-error: the signal is an AbortSignal
const badSignal: RunInWorkerOptions = { signal: new AbortController() };
void badSignal;
expectType<Equal<WorkerTimeoutError['timeout'], number>>();
expectType<Equal<WorkerAbortError['code'], 'ABORT_ERR'>>();
