/**
 * Type-level tests of contextvars/propagation: `npm run typecheck` fails
 * when a signature regresses. Nothing here runs.
 */
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import type { TextMapPropagator } from '@opentelemetry/api';
import { ContextVar } from '../../../src/index.ts';
import { ContextVarPropagator } from '../../../src/integrations/opentelemetry/index.ts';
import { type Codec, codecs, extract, inject, propagate } from '../../../src/integrations/propagation/index.ts';
import { runInWorker } from '../../../src/integrations/worker/index.ts';

type Equal<A, B> = (<X>() => X extends A ? 1 : 2) extends <X>() => X extends B ? 1 : 2 ? true : false;
function expectType<T extends true>(_proof?: T): void {}

// A string variable needs no codec; propagate returns the variable, typed.
const tenant = propagate(new ContextVar<string>('tenant'));
expectType<Equal<typeof tenant, ContextVar<string>>>();
propagate(new ContextVar<string>('region'), { key: 'region', onError: (error) => error.key });

// Any other type must name its codec, of its own type.
// @ts-expect-error: a number variable without a codec
propagate(new ContextVar<number>('seats'));
// @ts-expect-error: a number variable with options but no codec
propagate(new ContextVar<number>('seats'), { key: 'seats' });
// @ts-expect-error: the codec of another type
propagate(new ContextVar<number>('seats'), { codec: codecs.string });
propagate(new ContextVar<number>('seats'), { codec: codecs.number });
// A union of string literals is not every string: it needs a codec that checks.
// @ts-expect-error: 'free' | 'pro' without a codec
propagate(new ContextVar<'free' | 'pro'>('plan'));
const plan: Codec<'free' | 'pro'> = {
  encode: (value) => value,
  decode: (text) => {
    if (text === 'free' || text === 'pro') return text;
    throw new TypeError(text);
  },
};
propagate(new ContextVar<'free' | 'pro'>('plan'), { codec: plan });
// The JSON codec fits any variable.
propagate(new ContextVar<{ beta: boolean }>('flags'), { codec: codecs.json });

// Carriers: node:http headers in and out, Headers, Map, plain objects.
declare const incoming: IncomingHttpHeaders;
declare const outgoing: OutgoingHttpHeaders;
extract(incoming, () => 1);
extract(new Headers(), () => 1);
extract(new Map<string, string>(), () => 1);
extract({ baggage: 'tenant=acme' }, () => 1);
inject(outgoing);
inject(new Headers());
inject({ accept: 'text/plain' });
expectType<Equal<ReturnType<typeof inject<Headers>>, Headers>>();
// @ts-expect-error: a string is not a carrier
inject('baggage');

// extract passes fn's arguments and result through, typed.
const sum: number = extract(incoming, (a: number, b: number) => a + b, 1, 2);
// @ts-expect-error: an argument of the wrong type
extract(incoming, (a: number) => a, 'one');
const later: Promise<string> = extract(incoming, async () => tenant.get());
void sum;
void later;

// The OpenTelemetry propagator is a TextMapPropagator.
const propagator: TextMapPropagator = new ContextVarPropagator();
void propagator;

// The worker's carry option.
const url = new URL('file:///tasks.js');
void runInWorker(url, 'task', [], { carry: 'propagated' });
// @ts-expect-error: not a mode
void runInWorker(url, 'task', [], { carry: 'all' });
