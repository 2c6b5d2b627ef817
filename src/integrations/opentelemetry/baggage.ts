/**
 * W3C baggage from and to ContextVars: {@link ContextVarBaggagePropagator}
 * carries chosen string variables to other services as baggage entries,
 * through any propagator.
 */
import {
  propagation,
  type Context as OtelContext,
  type TextMapGetter,
  type TextMapPropagator,
  type TextMapSetter,
} from '@opentelemetry/api';
import { ContextVar } from '../../index.ts';

const UNSET: unique symbol = Symbol('unset');

/**
 * Carries string ContextVars to other services as baggage entries, through
 * the propagator you give it (which writes the wire format, e.g.
 * `@opentelemetry/core`'s `W3CBaggagePropagator`, or a `CompositePropagator`
 * holding it). Register it as the global propagator in every service.
 *
 * - `inject` adds an entry `key=value` for each variable that has a value in
 *   the **current** context (the calling code's, whatever context is passed)
 *   to the passed context's baggage (a variable wins over an entry of the
 *   same key), then lets the inner propagator write the headers.
 * - `extract` lets the inner propagator read the headers, then **sets** each
 *   variable whose key is in the extracted baggage, in the current frame (as
 *   if the code calling `extract` had set it: a server's per-request callback
 *   keeps it for that request only), and returns the extracted context.
 *
 * @example
 * ```ts
 * import { propagation } from '@opentelemetry/api';
 * import { W3CBaggagePropagator } from '@opentelemetry/core';
 * import { ContextVarBaggagePropagator } from 'contextvars/opentelemetry';
 *
 * const tenant = new ContextVar<string>('tenant');
 * propagation.setGlobalPropagator(new ContextVarBaggagePropagator(new W3CBaggagePropagator(), { tenant }));
 * // client: tenant.set('acme'); propagation.inject(context.active(), headers) -> baggage: tenant=acme
 * // server: propagation.extract(context.active(), request.headers); tenant.get() === 'acme'
 * ```
 */
export class ContextVarBaggagePropagator implements TextMapPropagator {
  readonly #inner: TextMapPropagator;
  readonly #variables: ReadonlyArray<readonly [string, ContextVar<string>]>;

  /**
   * @param inner - the propagator that writes and reads the headers (it must handle baggage).
   * @param variables - `{ baggageKey: variable }`: the variables to carry, by the entry key they travel under.
   * @throws {TypeError} when `inner` is not a propagator or a value of `variables` is not a ContextVar.
   */
  constructor(inner: TextMapPropagator, variables: Readonly<Record<string, ContextVar<string>>>) {
    if (typeof inner?.inject !== 'function' || typeof inner.extract !== 'function') {
      throw new TypeError('ContextVarBaggagePropagator expects a propagator (such as W3CBaggagePropagator) first');
    }
    this.#inner = inner;
    this.#variables = Object.entries(variables).map(([key, variable]) => {
      if (!(variable instanceof ContextVar)) {
        throw new TypeError(`ContextVarBaggagePropagator expects a ContextVar for baggage key '${key}'`);
      }
      return [key, variable] as const;
    });
  }

  /**
   * Writes the headers of `context`, with the variables' current values added as baggage entries.
   *
   * @example
   * ```ts
   * tenant.set('acme');
   * const headers: Record<string, string> = {};
   * propagator.inject(context.active(), headers, defaultTextMapSetter); // headers.baggage === 'tenant=acme'
   * ```
   */
  inject(context: OtelContext, carrier: unknown, setter: TextMapSetter): void {
    let baggage = propagation.getBaggage(context);
    for (const [key, variable] of this.#variables) {
      const value = variable.get(UNSET);
      if (value === UNSET) continue;
      baggage = (baggage ?? propagation.createBaggage()).setEntry(key, { value: String(value) });
    }
    this.#inner.inject(baggage === undefined ? context : propagation.setBaggage(context, baggage), carrier, setter);
  }

  /**
   * Reads the headers into a context, and sets each variable found in its baggage in the current frame.
   *
   * @example
   * ```ts
   * const extracted = propagator.extract(ROOT_CONTEXT, { baggage: 'tenant=acme' }, defaultTextMapGetter);
   * tenant.get(); // 'acme'
   * ```
   */
  extract(context: OtelContext, carrier: unknown, getter: TextMapGetter): OtelContext {
    const extracted = this.#inner.extract(context, carrier, getter);
    const baggage = propagation.getBaggage(extracted);
    if (baggage !== undefined) {
      for (const [key, variable] of this.#variables) {
        const entry = baggage.getEntry(key);
        if (entry !== undefined) variable.set(entry.value);
      }
    }
    return extracted;
  }

  /**
   * The header names the inner propagator writes.
   *
   * @example
   * ```ts
   * propagator.fields(); // ['baggage'] for W3CBaggagePropagator
   * ```
   */
  fields(): string[] {
    return this.#inner.fields();
  }
}
