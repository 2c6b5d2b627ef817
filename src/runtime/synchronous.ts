import type { ScopeStorage } from './storage.ts';

/**
 * Storage for runtimes without AsyncLocalStorage: the scope is a variable
 * that `run` saves and restores, so values follow synchronous calls only.
 * Outside every `run` an entered scope would stay current for whatever the
 * event loop runs next, every request's callbacks included: there it
 * reports itself unisolated, and `set` refuses (S10). `missing` names what
 * the runtime lacks.
 */
export function createSynchronousStorage(missing: string): ScopeStorage {
  let currentScope: object | undefined;
  let depth = 0;
  return {
    kind: 'synchronous',
    current: () => currentScope,
    enter(scope) {
      currentScope = scope;
    },
    unisolated: () => (depth === 0 ? missing : undefined),
    run(scope, fn, args) {
      const outer = currentScope;
      currentScope = scope;
      depth++;
      try {
        return fn(...args);
      } finally {
        depth--;
        currentScope = outer;
      }
    },
    runDerived(derive, a, b, fn, args) {
      return this.run(derive(currentScope, a, b), fn, args);
    },
  };
}
