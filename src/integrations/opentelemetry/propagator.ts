/**
 * The variables declared with contextvars/propagation's `propagate`,
 * carried by OpenTelemetry's own instrumentations (http, undici, messaging)
 * as W3C baggage.
 *
 * A `TextMapPropagator` cannot make anything current: `extract` returns an
 * OpenTelemetry context, which the instrumentation then enters with
 * `context.with`. So `extract` puts the decoded values in that context under
 * `PROPAGATED_VALUES`, and `ContextVarContextManager`'s `with`,
 * given a context holding values the active one does not hold (the first
 * `with` of an incoming request), runs the callback in a new Context with
 * them set, in the same frame as the OpenTelemetry context. Contexts derived
 * from it (a span's) hold the same values, so a nested `with` leaves the
 * variables, and whatever the handler set since, alone.
 *
 * @module
 */
import {
  type Context as OtelContext,
  createContextKey,
  propagation,
  type TextMapGetter,
  type TextMapPropagator,
  type TextMapSetter,
} from '@opentelemetry/api';
import type { ContextVar } from '../../index.ts';
import { baggageKey, readBaggage } from '../propagation/baggage.ts';
import { anyDeclared, declarationOf } from '../propagation/declarations.ts';
import { type ArrivedEntry, addArrived, oneHeader, outgoingHeader } from '../propagation/wire.ts';

/**
 * The key of the OpenTelemetry context under which
 * `ContextVarPropagator.extract` leaves the values that arrived (an
 * internal list; read them through the variables).
 */
export const PROPAGATED_VALUES: symbol = createContextKey('contextvars.propagation.arrived');

const BAGGAGE = 'baggage';

/** What `context` holds under PROPAGATED_VALUES (the manager accepts any value as a context, as OpenTelemetry's do). */
function valuesIn(context: OtelContext): readonly ArrivedEntry[] | undefined {
  if (typeof context?.getValue !== 'function') return undefined;
  return context.getValue(PROPAGATED_VALUES) as readonly ArrivedEntry[] | undefined;
}

/**
 * The values `context` carries that the active context (the manager's variable) does not: what the manager's
 * `with` enters as variables, or undefined when there is nothing new.
 *
 * @internal
 */
export function arrivedValues(
  context: OtelContext,
  active: ContextVar<OtelContext>,
): readonly ArrivedEntry[] | undefined {
  // Without a declaration no extract left values: the context is not even asked.
  if (!anyDeclared()) return undefined;
  const arrived = valuesIn(context);
  return arrived === undefined || arrived === valuesIn(active.get()) ? undefined : arrived;
}

/** What one pass over a `baggage` header gathers: every entry for the baggage, the declared ones decoded. */
interface Extracted {
  readonly entries: Record<string, { value: string }>;
  count: number;
  readonly arrived: Array<[ContextVar<unknown>, unknown]>;
}

/**
 * Records one member in the baggage entries (every key: OpenTelemetry's
 * baggage holds them all) and, for a declared key, decodes it for the
 * variables.
 */
function addEntry(read: Extracted, key: string, value: string): void {
  read.entries[key] = { value };
  read.count++;
  const declaration = declarationOf(key);
  if (declaration !== undefined) addArrived(read.arrived, declaration, value);
}

/**
 * An OpenTelemetry `TextMapPropagator` for the `baggage` header that carries
 * the variables declared with `propagate` (contextvars/propagation) beside
 * OpenTelemetry's own baggage. Use it in place of `W3CBaggagePropagator`,
 * alone or in a `CompositePropagator` with `W3CTraceContextPropagator`, with
 * `ContextVarContextManager` as the context manager.
 *
 * - `inject` writes the context's baggage entries, then the current values
 *   of the declared variables (which replace entries of the same key).
 * - `extract` reads every entry into the context's baggage (as
 *   W3CBaggagePropagator does) and decodes the declared ones; the manager's
 *   `with` makes them the variables' values for the code it runs. The
 *   limits and the rules for untrusted input are those of `extract` in
 *   contextvars/propagation.
 *
 * @example
 * ```ts
 * import { context, propagation } from '@opentelemetry/api';
 * import { CompositePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
 * import { ContextVarContextManager, ContextVarPropagator } from 'contextvars/opentelemetry';
 *
 * context.setGlobalContextManager(new ContextVarContextManager());
 * propagation.setGlobalPropagator(
 *   new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new ContextVarPropagator()] }),
 * );
 * // with @opentelemetry/instrumentation-http registered, a server's handler sees
 * // tenant.get() === 'acme' when the client's code ran with tenant set to 'acme'
 * ```
 */
export class ContextVarPropagator implements TextMapPropagator {
  /**
   * Writes the `baggage` header: the context's baggage with the current values of the declared variables.
   *
   * @example
   * ```ts
   * tenant.set('acme');
   * const headers: Record<string, string> = {};
   * new ContextVarPropagator().inject(context.active(), headers, defaultTextMapSetter); // baggage: tenant=acme
   * ```
   */
  inject(context: OtelContext, carrier: unknown, setter: TextMapSetter): void {
    const baggage = propagation.getBaggage(context);
    let existing: string | undefined;
    if (baggage !== undefined) {
      const members: string[] = [];
      for (const [key, entry] of baggage.getAllEntries()) {
        members.push(`${encodeURIComponent(key)}=${encodeURIComponent(entry.value)}`);
      }
      existing = members.join(',');
    }
    const header = outgoingHeader(existing);
    if (header !== undefined) setter.set(carrier, BAGGAGE, header);
  }

  /**
   * Reads the `baggage` header into `context`: every entry into its baggage,
   * the declared variables' decoded values for the manager's `with`.
   *
   * @example
   * ```ts
   * const extracted = propagator.extract(ROOT_CONTEXT, { baggage: 'tenant=acme' }, defaultTextMapGetter);
   * context.with(extracted, () => tenant.get()); // 'acme'
   * ```
   */
  extract(context: OtelContext, carrier: unknown, getter: TextMapGetter): OtelContext {
    const header = oneHeader(getter.get(carrier, BAGGAGE));
    if (header === undefined || header === '') return context;
    const read: Extracted = { entries: Object.create(null), count: 0, arrived: [] };
    readBaggage(header, read, baggageKey, addEntry);
    if (read.count === 0) return context;
    const withBaggage = propagation.setBaggage(context, propagation.createBaggage(read.entries));
    const arrived = read.arrived;
    return arrived.length === 0 ? withBaggage : withBaggage.setValue(PROPAGATED_VALUES, arrived);
  }

  /**
   * The header this propagator writes.
   *
   * @example
   * ```ts
   * new ContextVarPropagator().fields(); // ['baggage']
   * ```
   */
  fields(): string[] {
    return [BAGGAGE];
  }
}
