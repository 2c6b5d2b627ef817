/**
 * ContextVars as structured log fields: {@link logFields} turns a set of
 * variables into a function that reads them all in the current context, for
 * a logger's per-line hook (pino's `mixin`, winston's `format`, or a plain
 * `console.log` wrapper). It depends on no logging library.
 *
 * @module
 */
import { ContextVar, LookupError } from '../index.ts';

/**
 * The fields {@link logFields} yields: each variable's value type, under its
 * field name, optional because a variable with no value is left out.
 *
 * @example
 * ```ts
 * const fields = logFields({ requestId, user });
 * type Fields = LogFields<{ requestId: ContextVar<string>; user: ContextVar<string> }>;
 * const line: Fields = fields(); // { requestId?: string; user?: string }
 * ```
 */
export type LogFields<V extends Readonly<Record<string, ContextVar<unknown>>>> = {
  -readonly [K in keyof V]?: V[K] extends ContextVar<infer T> ? T : never;
};

const UNSET: unique symbol = Symbol('unset');
const NOT_KNOWN: unique symbol = Symbol('default not known yet');

/**
 * A variable's default, learned at the first read where it had no value: a
 * default is fixed at construction, so one `get()` (which throws when there
 * is none) answers for good and the hot path never throws.
 */
function defaultOf(variable: ContextVar<unknown>): unknown {
  try {
    return variable.get();
  } catch (error) {
    if (error instanceof LookupError) return UNSET;
    throw error;
  }
}

/**
 * Returns a function that reads `variables` in the current context and yields
 * `{ field: value }` for each, keyed by the property names you gave: a
 * variable's value, else its default; a variable with neither is left out
 * (never throws). Call the returned function at log time, once per line; it
 * allocates one small object.
 *
 * @throws {TypeError} when a property of `variables` is not a ContextVar.
 *
 * @example
 * ```ts
 * import pino from 'pino';
 * import { ContextVar } from 'contextvars';
 * import { logFields } from 'contextvars/logging';
 *
 * const requestId = new ContextVar<string>('requestId');
 * const user = new ContextVar<string>('user', { default: 'anonymous' });
 * const logger = pino({ mixin: logFields({ requestId, user }) });
 *
 * requestId.set('r-1');
 * logger.info('hello'); // {"requestId":"r-1","user":"anonymous","msg":"hello",...}
 * ```
 */
export function logFields<const V extends Readonly<Record<string, ContextVar<unknown>>>>(
  variables: V,
): () => LogFields<V> {
  if (typeof variables !== 'object' || variables === null) {
    throw new TypeError(`logFields expects an object of { field: ContextVar }, got ${String(variables)}`);
  }
  const fields = Object.keys(variables);
  const vars = fields.map((field) => {
    const variable: unknown = variables[field];
    if (!(variable instanceof ContextVar)) {
      throw new TypeError(
        `logFields expects a ContextVar for field '${field}', got ${typeof variable}: pass { ${field}: someContextVar }`,
      );
    }
    return variable as ContextVar<unknown>;
  });
  const defaults: unknown[] = vars.map(() => NOT_KNOWN);
  return function readLogFields(): LogFields<V> {
    const result: Record<string, unknown> = {};
    for (let i = 0; i < vars.length; i++) {
      const variable = vars[i]!;
      let value = variable.get(UNSET);
      if (value === UNSET) {
        if (defaults[i] === NOT_KNOWN) defaults[i] = defaultOf(variable);
        value = defaults[i];
        if (value === UNSET) continue;
      }
      result[fields[i]!] = value;
    }
    return result as LogFields<V>;
  };
}
