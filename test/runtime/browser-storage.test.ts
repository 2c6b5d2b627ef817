// The browser storage's installation, in Node (which has Promise, timers,
// queueMicrotask and EventTarget too): two copies of the
// module share one cell and one installation, callbacks keep the scope of
// their registration, and uninstall puts every original back. The behaviour
// in a real browser is in test/browser/propagation.test.ts.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import * as firstCell from '../../src/runtime/browser/cell.ts';
import { createBrowserStorage } from '../../src/runtime/browser/storage.ts';
import * as first from '../../src/runtime/browser/web-apis.ts';

// A second copy of the modules, as a second copy of the library in one page would be.
const copy = (path: string): string => new URL(`../../src/runtime/browser/${path}?copy=2`, import.meta.url).href;
const secondCell = (await import(copy('cell.ts'))) as typeof firstCell;
const second = (await import(copy('web-apis.ts'))) as typeof first;

const natives = {
  // biome-ignore lint/suspicious/noThenProperty: the native Promise.prototype.then, kept to check the wrapping restores it
  then: Promise.prototype.then,
  setTimeout: globalThis.setTimeout,
  queueMicrotask: globalThis.queueMicrotask,
  addEventListener: EventTarget.prototype.addEventListener,
};

test('two copies share one cell and one installation; uninstall restores every original', async () => {
  assert.notEqual(first, second, 'two module instances');
  assert.notEqual(firstCell, secondCell, 'two module instances');
  assert.equal(firstCell.cell, secondCell.cell, 'one cell');
  const storage = createBrowserStorage();
  assert.equal(second.installBrowserPropagation(), false, 'the second copy finds it installed');
  assert.notEqual(Promise.prototype.then, natives.then);
  assert.notEqual(globalThis.setTimeout, natives.setTimeout);

  const scope = { name: 'registered' };
  const seen: unknown[] = [];
  const done = new Promise<void>((resolve) => {
    const mark = storage.open(scope);
    try {
      void Promise.resolve().then(() => seen.push(storage.current()));
      queueMicrotask(() => seen.push(storage.current()));
      setTimeout(() => {
        seen.push(storage.current());
        resolve();
      });
    } finally {
      storage.close(mark);
    }
  });
  assert.equal(storage.current(), undefined, 'close restores');
  await done;
  assert.deepEqual(seen, [scope, scope, scope]);

  second.uninstallBrowserPropagation();
  assert.equal(Promise.prototype.then, natives.then);
  assert.equal(globalThis.setTimeout, natives.setTimeout);
  assert.equal(globalThis.queueMicrotask, natives.queueMicrotask);
  assert.equal(EventTarget.prototype.addEventListener, natives.addEventListener);
  assert.equal(first.installBrowserPropagation(), true, 'installs again after uninstall');
  first.uninstallBrowserPropagation();
  assert.equal(Promise.prototype.then, natives.then);
});
