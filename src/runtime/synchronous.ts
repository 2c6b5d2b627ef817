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
  // The scopes current before each open run, innermost last.
  const runs: (object | undefined)[] = [];
  return {
    kind: 'synchronous',
    current: () => currentScope,
    enter(scope) {
      currentScope = scope;
    },
    unisolated: () => (runs.length === 0 ? missing : undefined),
    open(scope) {
      runs.push(currentScope);
      currentScope = scope;
      return runs.length - 1;
    },
    close(mark) {
      while (runs.length > mark) currentScope = runs.pop();
    },
  };
}
