// Preloaded by `bun test` (scripts/test-runtimes.mjs): the suite calls the
// global gc() that Node's --expose-gc provides; Bun's full collection is
// Bun.gc(true).
globalThis.gc ??= () => globalThis.Bun.gc(true);
