/**
 * Every storage of src/runtime/ against the one contract suite
 * (storage-contract.ts). A storage this runtime lacks is skipped, saying
 * why: the async_hooks storage needs Node 20 or 22, the AsyncContextFrame
 * storage Node 24+ (scripts/test-runtimes.mjs runs this file on both).
 */
import * as hooks from 'node:async_hooks';
import { createAsyncContextFrameStorage } from '../../src/runtime/async-context-frame.ts';
import { createAsyncHooksStorage } from '../../src/runtime/async-hooks.ts';
import { cell } from '../../src/runtime/browser/cell.ts';
import { createBrowserStorage } from '../../src/runtime/browser/storage.ts';
import { uninstallBrowserPropagation } from '../../src/runtime/browser/web-apis.ts';
import { createSynchronousStorage } from '../../src/runtime/synchronous.ts';
import { storageContract } from './storage-contract.ts';

/** Where `als` keeps its store on async_hooks resources (Node 20, 22); undefined on AsyncContextFrame runtimes. */
const resourceStore = (als: hooks.AsyncLocalStorage<object>): unknown =>
  (als as unknown as { kResourceStore?: unknown }).kResourceStore;
const onAsyncHooks = typeof resourceStore(new hooks.AsyncLocalStorage()) === 'symbol';

storageContract({
  name: 'async-hooks',
  unavailable: onAsyncHooks ? undefined : 'AsyncLocalStorage is on AsyncContextFrames here (Node 24+)',
  create() {
    const als = new hooks.AsyncLocalStorage<object>();
    return createAsyncHooksStorage(als, resourceStore(als) as symbol, hooks);
  },
  schedules: true,
  awaits: true,
});

storageContract({
  name: 'async-context-frame',
  unavailable: onAsyncHooks ? 'AsyncLocalStorage is on async_hooks here: AsyncContextFrame needs Node 24+' : undefined,
  create: () => createAsyncContextFrameStorage(new hooks.AsyncLocalStorage(), hooks),
  schedules: true,
  awaits: true,
});

storageContract({
  name: 'synchronous',
  unavailable: undefined,
  create: () => createSynchronousStorage('AsyncLocalStorage (this test)'),
  schedules: false,
  awaits: false,
});

// In Node, which has Promise, timers and queueMicrotask as browsers do; test/browser/ runs it in Chromium.
storageContract({
  name: 'browser',
  unavailable: undefined,
  create: createBrowserStorage,
  dispose() {
    uninstallBrowserPropagation();
    cell.c = undefined;
  },
  schedules: true,
  awaits: false,
  noEnterAfterAwait:
    'a native await resumes outside every wrapped callback, where an enter stays current until the next one ' +
    '(code compiled with contextvars/bundler saves and restores the scope around each await instead)',
});
