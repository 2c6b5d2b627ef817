/**
 * The {@link ScopeStorage} for browsers, where no AsyncLocalStorage exists:
 * the scope lives in the shared cell (./cell.ts), and the web APIs that
 * schedule work are wrapped (./web-apis.ts) so that their callbacks run in
 * the scope the TC39 AsyncContext web-integration notes give them
 * (docs/semantics.md, S1 for schedulers). Native `await` goes through none of these APIs: code
 * compiled with the `contextvars/bundler` transform saves the cell before
 * each `await` and writes it back after.
 *
 * @module
 */
import type { ScopeStorage } from '../storage.ts';
import { cell } from './cell.ts';
import { installBrowserPropagation } from './web-apis.ts';

/** The browser storage, on the shared cell; creating it installs the wrapping (once per page). */
export function createBrowserStorage(): ScopeStorage {
  installBrowserPropagation();
  // The scopes current before each open run, innermost last.
  const runs: (object | undefined)[] = [];
  return {
    kind: 'browser',
    current: () => cell.c,
    enter(scope) {
      cell.c = scope;
    },
    // As `runIn`: the nesting is counted in the cell, for the event rules.
    open(scope) {
      runs.push(cell.c);
      cell.c = scope;
      cell.d++;
      return runs.length - 1;
    },
    close(mark) {
      while (runs.length > mark) {
        cell.c = runs.pop();
        cell.d--;
      }
    },
  };
}
