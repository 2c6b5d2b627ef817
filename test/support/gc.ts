/** Full garbage collections, for the tests that check what gets collected. */
import { setTimeout as sleep } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** One full collection (scripts/test.mjs runs node with --expose-gc; elsewhere gc is enabled here). */
export function collectGarbage(): void {
  let gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  gc();
}

/**
 * `passes` full collections, each after the current job has ended (a WeakRef
 * made in a job keeps its target alive until then) and followed by an
 * event-loop turn in which FinalizationRegistry callbacks can run.
 */
export async function collectAndSettle(passes: number): Promise<void> {
  for (let pass = 0; pass < passes; pass++) {
    await new Promise((resolve) => setImmediate(resolve));
    collectGarbage();
    await sleep(1);
  }
}
