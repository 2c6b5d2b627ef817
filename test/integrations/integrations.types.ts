/**
 * Type-level tests of the integrations: `npm run typecheck` fails when one of
 * their public signatures regresses. Nothing here runs.
 */
import {
  context,
  ROOT_CONTEXT,
  type ContextManagementToken,
  type ContextManager,
  type TextMapPropagator,
} from '@opentelemetry/api';
import type { ContextManager as ContextManager13 } from '@opentelemetry/api-1.3';
import { ContextVar } from '../../src/index.ts';
import { logFields, type LogFields } from '../../src/integrations/logging.ts';
import { ContextVarBaggagePropagator, ContextVarContextManager } from '../../src/integrations/opentelemetry/index.ts';
import {
  runInWorker,
  sharedContextVar,
  type WorkerAbortError,
  WorkerPool,
  type WorkerTimeoutError,
  type RunInWorkerOptions,
} from '../../src/integrations/worker/index.ts';

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

// The manager is a ContextManager of the newest API (1.10, with attach) and of the oldest
// in the peer range (1.3, installed as @opentelemetry/api-1.3); skipLibCheck is off.
const manager: ContextManager = new ContextVarContextManager();
const manager13: ContextManager13 = new ContextVarContextManager();
context.setGlobalContextManager(new ContextVarContextManager());
// attach returns 1.10's ContextManagementToken, with Symbol.dispose for `using`.
const token: ContextManagementToken = new ContextVarContextManager().attach(manager.active());
const attached = new ContextVarContextManager().attach(ROOT_CONTEXT);
expectType<Equal<ReturnType<typeof attached.dispose>, void>>();
expectType<Equal<ReturnType<(typeof attached)[typeof Symbol.dispose]>, void>>();
// @ts-expect-error: the non-standard detach(token) is gone; dispose the token instead
new ContextVarContextManager().detach(token);
void manager13;
const propagator: TextMapPropagator = new ContextVarBaggagePropagator(propagator0(), {
  tenant: new ContextVar<string>('t'),
});
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
