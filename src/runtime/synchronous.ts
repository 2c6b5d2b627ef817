import type { ScopeStorage } from './index.ts';

/**
 * Storage for runtimes without AsyncLocalStorage: the scope is a variable
 * that `run` saves and restores, so values follow synchronous calls only.
 */
export function createSynchronousStorage(): ScopeStorage {
  let currentScope: object | undefined;
  return {
    kind: 'synchronous',
    current: () => currentScope,
    enter(scope) {
      currentScope = scope;
    },
    run(scope, fn, args) {
      const outer = currentScope;
      currentScope = scope;
      try {
        return fn(...args);
      } finally {
        currentScope = outer;
      }
    },
    runDerived(derive, a, b, fn, args) {
      return this.run(derive(currentScope, a, b), fn, args);
    },
  };
}
