/** examples/opentelemetry.ts: run as a program, each trace is client -> server request -> its own three children. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runExample } from '../support/run-example.ts';

test('examples/opentelemetry.ts runs: each trace is client -> server request -> its own three children', async () => {
  const { code, stdout } = await runExample('opentelemetry.ts');
  assert.equal(code, 0);
  const expected = [1, 2, 3].map((n) =>
    [`client /orders/${n}`, `  GET /orders/${n}`, '    cache.get', '    db.query', '    render'].join('\n'),
  );
  assert.deepEqual(stdout.trim().split('\n\n'), expected);
});
